"""Reads behind the organization API: which token a request carries, the
administrator's list of tokens, and members' compliance for the organization's
own systems.

What the API tells an organization about its members is what its administrators
see on the compliance dashboard, from the same rule (`roster._compliance`): only
sharing members (active, consenting), only their status per required course; a
member who does not share is as absent as a stranger.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date

from django.http import Http404

from core.dates import site_today
from courses.models import Course

from ..models import API_TOKEN_MARKER, ApiToken, Membership, Organization
from ..tokens import new_token, token_hash
from .roster import MemberRow, _compliance

# The body after the marker: what secrets.token_urlsafe(32) gives.
_TOKEN_BODY_LENGTH = len(new_token())
_URLSAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def _well_formed(secret: str) -> bool:
    body = secret.removeprefix(API_TOKEN_MARKER)
    return (
        secret.startswith(API_TOKEN_MARKER)
        and len(body) == _TOKEN_BODY_LENGTH
        and set(body) <= _URLSAFE
    )


def api_token_authenticate(*, secret: str) -> ApiToken | None:
    """The active token whose key is `secret`, with its organization; None for a
    malformed key (no query), an unknown one or a revoked one. Found by its
    SHA-256 through the unique index: no secret is compared character by
    character. One query."""
    if not _well_formed(secret):
        return None
    return (
        ApiToken.objects.active()
        .filter(token_hash=token_hash(secret))
        .select_related("organization")
        .first()
    )


def api_tokens_for_admin(*, organization: Organization) -> list[ApiToken]:
    """The organization's tokens: active ones first (newest first), then the
    latest 100 revoked."""
    base = ApiToken.objects.filter(organization=organization).select_related(
        "created_by", "revoked_by"
    )
    active = list(base.active().order_by("-created_at", "-pk"))
    revoked = list(
        base.filter(revoked_at__isnull=False).order_by("-revoked_at", "-pk")[:100]
    )
    return active + revoked


def api_token_for_admin(*, organization: Organization, pk: int) -> ApiToken:
    token = (
        ApiToken.objects.filter(organization=organization, pk=pk)
        .select_related("organization")
        .first()
    )
    if token is None:
        raise Http404("No such API token.")
    return token


# --- Members, as the API shows them -------------------------------------------------


@dataclass(frozen=True)
class MembersPage:
    """One page of sharing members in membership order (new members are added at
    the end, so a client paging through misses no one who was there)."""

    columns: list[Course]
    rows: list[MemberRow]
    count: int  # sharing members in all
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.count // self.page_size))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def _sharing(organization: Organization):
    return Membership.objects.sharing().filter(organization=organization)


def api_members_page(
    *,
    organization: Organization,
    page: int,
    page_size: int,
    today: date | None = None,
) -> MembersPage:
    """Page `page` (from 1) of `page_size` sharing members with their status in
    each course required of them. A page past the last is empty. Six queries
    whatever the page size (count, the page's ids, then the compliance rule's
    four); two past the last page."""
    today = today or site_today()
    sharing = _sharing(organization)
    count = sharing.count()
    offset = (page - 1) * page_size
    ids = (
        list(
            sharing.order_by("pk").values_list("pk", flat=True)[
                offset : offset + page_size
            ]
        )
        if offset < count
        else []
    )
    columns, rows, _ = _compliance(
        organization=organization,
        memberships=Membership.objects.filter(pk__in=ids),
        today=today,
    )
    return MembersPage(
        columns=columns, rows=rows, count=count, page=page, page_size=page_size
    )


def _searchable(value: str) -> bool:
    """False for what no address or licence number holds (control characters,
    which PostgreSQL also refuses in a query)."""
    return bool(value) and not any(
        unicodedata.category(char).startswith("C") for char in value
    )


def api_member_lookup(
    *,
    organization: Organization,
    email: str | None = None,
    licence_number: str | None = None,
    today: date | None = None,
) -> list[MemberRow]:
    """The sharing members whose account's e-mail address (any letter case) or
    licence number (any letter case, surrounding spaces ignored) is the one given:
    usually one; none for a member who does not share, a former member, or
    anyone else. Four queries (the compliance rule's)."""
    today = today or site_today()
    value = (email if email is not None else licence_number or "").strip()
    if not _searchable(value):
        return []
    field = (
        "user__email__iexact" if email is not None else "user__licence_number__iexact"
    )
    ids = _sharing(organization).filter(**{field: value}).values("pk")
    _, rows, _ = _compliance(
        organization=organization,
        memberships=Membership.objects.filter(pk__in=ids),
        today=today,
    )
    return rows
