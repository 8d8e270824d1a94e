"""Seat codes: short enough to read out or type, impossible to guess.

A code is four groups of four characters, e.g. K7Q4-M2XD-9TRA-W3HP, drawn with
`secrets` from the certificate codes' 32-letter alphabet without the look-alikes 0/O
and 1/I: 16 x 5 = 80 bits. Only its SHA-256 is stored (`SeatAssignment.code_hash`),
with its last four characters to tell codes apart on a page; the code itself is
shown once to the administrator who assigned it and e-mailed to the member. At 80
bits a plain hash needs no key or salt: there is no list of likely codes to try.

A code is looked up by its hash through the unique index, so redeeming never
compares a stored code with a typed one character by character.
"""

from __future__ import annotations

import re
import secrets

from certificates.codes import ALPHABET

from .tokens import token_hash

GROUPS = 4
GROUP_LENGTH = 4
LENGTH = GROUPS * GROUP_LENGTH
BITS = LENGTH * (len(ALPHABET).bit_length() - 1)
HINT_LENGTH = 4

# Spaces, dashes of every kind and underscores people type or paste between groups.
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212_]+")


def _grouped(chars: str) -> str:
    return "-".join(chars[i : i + GROUP_LENGTH] for i in range(0, LENGTH, GROUP_LENGTH))


def new_seat_code() -> str:
    """A fresh code, e.g. K7Q4-M2XD-9TRA-W3HP."""
    return _grouped("".join(secrets.choice(ALPHABET) for _ in range(LENGTH)))


def normalize_seat_code(raw: str) -> str:
    """The canonical form of a code as someone typed it (any case, with or without
    separators), or "" when it cannot be a seat code."""
    chars = _SEPARATORS.sub("", (raw or "").strip().upper())
    if len(chars) != LENGTH or any(char not in ALPHABET for char in chars):
        return ""
    return _grouped(chars)


def seat_code_hash(code: str) -> str:
    """What is stored of a code: the SHA-256 of its canonical form."""
    return token_hash(code)


def seat_code_hint(code: str) -> str:
    """Its last four characters, shown as "…W3HP" to tell codes apart."""
    return code[-HINT_LENGTH:]
