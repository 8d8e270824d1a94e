"""Free text people type into their profile: one normal form, nothing invisible.

The legal name is printed on the public verification page and on certificate PDFs, so
a right-to-left override (U+202E) or a zero-width character in it would make the
printed name read differently from the stored one. Profile text is NFC-normalised and
refused when it holds any character of these Unicode categories.
"""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

# Cc control, Cf format (bidi embeddings/overrides/isolates U+202A-202E, U+2066-2069,
# zero-width U+200B-200D, BOM), Co private use, Cs surrogates, Zl/Zp line/paragraph
# separators.
REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs", "Zl", "Zp"})


def refused_characters(value: str) -> list[str]:
    """The distinct refused characters in `value`, as U+XXXX, in order of appearance."""
    found: list[str] = []
    for ch in value:
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
