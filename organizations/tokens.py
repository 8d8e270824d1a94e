"""Secrets an organization hands out, and what is stored of them.

Invitation links, join links and API tokens all carry 256 random bits
(`secrets.token_urlsafe(32)`), shown or mailed once; the database keeps only the
SHA-256 hex digest (`token_hash`), looked up through a unique index, so a stolen
copy of the database holds no usable link or token and a lookup never compares a
stored secret with a presented one character by character. At 256 bits (and 80
for seat codes, `organizations.codes`) a plain hash needs no key or salt: there is
no list of likely values to try.
"""

from __future__ import annotations

import hashlib
import secrets


def new_token() -> str:
    """A fresh secret: 256 random bits, URL-safe (43 characters)."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What is stored of a secret: its SHA-256, in hex (64 characters)."""
    return hashlib.sha256(token.encode()).hexdigest()
