"""Free text people type into their profile: one normal form, nothing invisible.

The legal name is printed on the public verification page and on certificate PDFs, so
a right-to-left override (U+202E) or a zero-width character in it would make the
printed name read differently from the stored one. Profile text is NFC-normalised and
refused when it holds any character of these Unicode categories.

Two format characters are part of how some names are spelled, and are allowed inside
a word: ZERO WIDTH NON-JOINER (U+200C; Persian names, Indic scripts) and
ZERO WIDTH JOINER (U+200D; Indic conjuncts), each only between two letters or marks
of the scripts that join (Hebrew onwards: Arabic, Persian, Indic, ...), so not at the
start or end, not next to a space or another joiner (not repeated), and not inside a
Latin, Greek or Cyrillic word, where it changes nothing a reader sees. Bidi
embeddings, overrides and isolates and every other format character stay refused.
"""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

# Cc control, Cf format (bidi embeddings/overrides/isolates U+202A-202E, U+2066-2069,
# zero-width U+200B-200D, BOM), Co private use, Cs surrogates, Zl/Zp line/paragraph
# separators.
REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs", "Zl", "Zp"})


# ZWNJ, ZWJ: allowed between two letters/marks of a word (see the module docstring).
JOINERS = frozenset({"\u200c", "\u200d"})


# Below U+0590: Latin, Greek, Cyrillic, Armenian, IPA: scripts that never need a joiner.
_JOINING_SCRIPTS_FROM = 0x0590


def _in_word(ch: str) -> bool:
    """A letter or mark of a script in which a joiner changes the spelling."""
    return ord(ch) >= _JOINING_SCRIPTS_FROM and unicodedata.category(ch)[0] in "LM"


def _joiner_allowed(value: str, index: int) -> bool:
    return (
        0 < index < len(value) - 1
        and _in_word(value[index - 1])
        and _in_word(value[index + 1])
    )


def refused_characters(value: str) -> list[str]:
    """The distinct refused characters in `value` as code points (e.g. "U+200B"), in
    order of appearance."""
    found: list[str] = []
    for index, ch in enumerate(value):
        if ch in JOINERS and _joiner_allowed(value, index):
            continue
        if unicodedata.category(ch) in REFUSED_CATEGORIES:
            code = f"U+{ord(ch):04X}"
            if code not in found:
                found.append(code)
    return found


@deconstructible
class PrintableTextValidator:
    """Refuses control, format (bidi, zero-width), private-use and separator chars."""

    message = (
        "Remove the invisible or control characters (%(codes)s): "
        "use letters, digits, spaces and punctuation only."
    )
    code = "unprintable"

    def __call__(self, value: str) -> None:
        found = refused_characters(value or "")
        if found:
            raise ValidationError(
                self.message, code=self.code, params={"codes": ", ".join(found)}
            )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PrintableTextValidator)

    def __hash__(self) -> int:
        return hash(type(self))


validate_printable_text = PrintableTextValidator()


def normalize_text(value: str) -> str:
    """NFC: "é" typed as e + combining accent is stored as the one character."""
    return unicodedata.normalize("NFC", value)
