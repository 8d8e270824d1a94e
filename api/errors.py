"""The API's refusals, in the `core.errors` model (stable codes, a sentence each)."""

from __future__ import annotations

from core.errors import NotFound, RateLimited, Unauthenticated


class CertificateNotFound(NotFound):
    """No certificate has this code (or it cannot be a code at all)."""

    default_code = "certificate.not_found"


class LookupsRateLimited(RateLimited):
    """Too many lookups from one client address in the current window."""

    default_code = "certificate.lookups_rate_limited"


class TokenMissing(Unauthenticated):
    """An organization operation called without `Authorization: Bearer <token>`."""

    default_code = "api.token_missing"
    challenge = 'Bearer realm="lifeline"'


class TokenInvalid(Unauthenticated):
    """The bearer token is malformed, unknown or revoked (RFC 6750's
    invalid_token: the client should not retry with the same token)."""

    default_code = "api.token_invalid"
    challenge = 'Bearer realm="lifeline", error="invalid_token"'


class OrganizationNotFound(NotFound):
    """No organization at this slug for this token: another organization's and
    an unknown slug are the same answer, so a token learns nothing of others."""

    default_code = "organization.not_found"


class MemberNotFound(NotFound):
    """No sharing member has the address or license number looked up."""

    default_code = "member.not_found"


class TokenRateLimited(RateLimited):
    """Too many requests with one token in the current window."""

    default_code = "api.token_rate_limited"
