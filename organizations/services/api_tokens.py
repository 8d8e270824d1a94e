"""API tokens: an organization's administrators create and revoke the keys its
own systems call /api/v1/organizations/<slug>/... with.

A token is API_TOKEN_MARKER + 256 random bits. It is returned once, by
`api_token_create`, and never stored: the row keeps its SHA-256 and its first
characters (organizations.tokens). Rotation is creating a new token, moving the
system to it, then revoking the old one; revoking takes effect on the next request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_record

from ..errors import ApiTokenRefused
from ..models import API_TOKEN_MARKER, API_TOKEN_PREFIX_LENGTH, ApiToken, Organization
from ..tokens import new_token, token_hash
from .memberships import require_admin

# last_used_at is written at most once per token in this time: a busy system
# calling every second costs one UPDATE a minute, not one per request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class ApiTokenCreated:
    token: ApiToken
    # The key itself: shown to the administrator once, stored nowhere.
    secret: str


def _record(action, token: ApiToken, *, by) -> None:
    audit_record(
        action=action,
        actor=by,
        target=token,
        data={
            "organization": token.organization.slug,
            "name": token.name,
            "prefix": token.prefix,
        },
    )


@transaction.atomic
def api_token_create(*, organization: Organization, name: str, by) -> ApiTokenCreated:
    """An administrator creates an API token named `name` (unique among the
    organization's active tokens, any letter case). Returns the key once; records
    api_token.created. Refuses an empty name or one in use (ApiTokenRefused)."""
    require_admin(user=by, organization=organization)
    name = " ".join(name.split())
    if not name:
        raise ApiTokenRefused("Give the token a name.", code="api_token.name_missing")
    in_use = ApiTokenRefused(
        f"An active token is named “{name}” already: choose another name, or "
        "revoke that one first.",
        code="api_token.name_in_use",
    )
    if (
        ApiToken.objects.active()
        .filter(organization=organization, name__iexact=name)
        .exists()
    ):
        raise in_use
    body = new_token()
    secret = API_TOKEN_MARKER + body
    try:
        with transaction.atomic():
            token = ApiToken.objects.create(
                organization=organization,
                name=name,
                token_hash=token_hash(secret),
                prefix=body[:API_TOKEN_PREFIX_LENGTH],
                created_by=by,
            )
    except IntegrityError:  # created by a concurrent request with the same name
        raise in_use from None
    _record(AuditEvent.Action.API_TOKEN_CREATED, token, by=by)
    return ApiTokenCreated(token=token, secret=secret)


@transaction.atomic
def api_token_revoke(*, token: ApiToken, by) -> bool:
    """An administrator revokes a token: the next request with it is refused.
    Returns whether it was active; records api_token.revoked once."""
    require_admin(user=by, organization=token.organization)
    now = timezone.now()
    changed = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=now, revoked_by=by
    )
    if changed:
        token.revoked_at, token.revoked_by = now, by
        _record(AuditEvent.Action.API_TOKEN_REVOKED, token, by=by)
    return bool(changed)


def api_token_touch(*, token: ApiToken, now: datetime | None = None) -> bool:
    """Records that `token` was used now, unless that was recorded less than
    LAST_USED_RESOLUTION ago (no query then). Returns whether it wrote. The
    UPDATE's own condition keeps concurrent processes to one write."""
    now = now or timezone.now()
    cutoff = now - LAST_USED_RESOLUTION
    if token.last_used_at is not None and token.last_used_at > cutoff:
        return False
    written = (
        ApiToken.objects.filter(pk=token.pk)
        .exclude(last_used_at__gt=cutoff)
        .update(last_used_at=now)
    )
    token.last_used_at = now
    return bool(written)
