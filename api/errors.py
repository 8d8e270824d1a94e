"""The API's refusals, in the `core.errors` model (stable codes, a sentence each)."""

from __future__ import annotations

from core.errors import NotFound, RateLimited


class CertificateNotFound(NotFound):
    """No certificate has this code (or it cannot be a code at all)."""

    default_code = "certificate.not_found"


class LookupsRateLimited(RateLimited):
    """Too many lookups from one client address in the current window."""

    default_code = "certificate.lookups_rate_limited"
