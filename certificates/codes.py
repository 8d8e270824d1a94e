"""Certificate codes: short enough to read over the phone, impossible to guess.

A code is the course code and three groups of four characters, e.g. BLS-7KQ4-M2XD-9TRA.
The twelve random characters come from `secrets` over a 32-letter alphabet without the
look-alikes 0/O and 1/I, so they carry 12 x 5 = 60 bits: guessing a valid code at the
verify page's rate limit would take longer than the universe has existed.
"""

from __future__ import annotations

import re
import secrets

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
GROUPS = 3
GROUP_LENGTH = 4
RANDOM_LENGTH = GROUPS * GROUP_LENGTH
RANDOM_BITS = RANDOM_LENGTH * (len(ALPHABET).bit_length() - 1)

_GROUP = rf"[{ALPHABET}]{{{GROUP_LENGTH}}}"
_RANDOM_PART = rf"{_GROUP}(?:-{_GROUP}){{{GROUPS - 1}}}"
CODE_RE = re.compile(rf"^(?P<prefix>[A-Z0-9]{{1,8}})-(?P<random>{_RANDOM_PART})$")
# Dashes people paste from word processors, and spaces they type between groups.
_SEPARATORS = re.compile(r"[\s\u2010-\u2015\u2212_]+")


def generate_code(prefix: str) -> str:
    """A new code for a certificate of the course whose code is `prefix`."""
    prefix = re.sub(r"[^A-Z0-9]", "", prefix.upper()) or "LL"
    chars = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_LENGTH))
    groups = [
        chars[i : i + GROUP_LENGTH] for i in range(0, RANDOM_LENGTH, GROUP_LENGTH)
    ]
    return "-".join([prefix, *groups])


def normalize_code(raw: str) -> str:
    """The canonical form of a code as someone typed it, or "" if it cannot be one.

    Accepts any letter case, spaces or typographic dashes between groups, and a code
    typed without any separators ("bls7kq4m2xd9tra").
    """
    text = _SEPARATORS.sub("-", (raw or "").strip().upper()).strip("-")
    if "-" not in text and len(text) > RANDOM_LENGTH:
        head, tail = text[:-RANDOM_LENGTH], text[-RANDOM_LENGTH:]
        groups = [
            tail[i : i + GROUP_LENGTH] for i in range(0, RANDOM_LENGTH, GROUP_LENGTH)
        ]
        text = "-".join([head, *groups])
    text = re.sub(r"-{2,}", "-", text)
    return text if CODE_RE.match(text) else ""
