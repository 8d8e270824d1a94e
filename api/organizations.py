"""/api/v1/organizations/{slug}/...: an organization's own systems read its
members' compliance, with an API token its administrators created.

Authentication is `Authorization: Bearer lifeline_org_...` (`OrganizationToken`):
a missing header is 401 api.token_missing, a malformed, unknown or revoked token
401 api.token_invalid, both with WWW-Authenticate. A token reads its own
organization only: another organization's slug and an unknown one are the same
404. Requests are limited per token (ORGANIZATION_API_RATE_LIMIT per
ORGANIZATION_API_RATE_WINDOW seconds, core.ratelimit in the shared cache). What
is answered is what the organization's administrators see on the dashboard
(organizations.selectors.api): sharing members only.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers
from ninja import Body, Path, Query, Router
from ninja.security import HttpBearer

from core import ratelimit
from organizations.models import ApiToken, Organization
from organizations.selectors.api import (
    api_member_lookup,
    api_members_page,
    api_token_authenticate,
)
from organizations.services import api_token_touch

from .errors import (
    MemberNotFound,
    OrganizationNotFound,
    TokenInvalid,
    TokenMissing,
    TokenRateLimited,
)
from .problems import Problem
from .schemas import LookupByEmail, LookupByLicence, Member, MemberMatches, MemberPage

RATE_LIMIT_SCOPE = "api.organizations"
PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX = 50, 200


class OrganizationToken(HttpBearer):
    """The bearer token of an organization (OpenAPI: the `OrganizationToken`
    scheme). Answers the token, counted against its rate limit and marked used;
    refuses with a problem otherwise (ninja's own 401 would not say why)."""

    def __call__(self, request: HttpRequest) -> ApiToken:
        header = request.headers.get(self.header, "").strip()
        if not header:
            raise TokenMissing(
                "This operation needs an API token: send it as "
                "“Authorization: Bearer lifeline_org_…”. Your organization's "
                "administrators create tokens on its API tokens page."
            )
        scheme, _, secret = header.partition(" ")
        token = (
            api_token_authenticate(secret=secret.strip())
            if scheme.lower() == self.openapi_scheme
            else None
        )
        if token is None:
            raise TokenInvalid(
                "This API token is not valid: it was revoked, or it is not one "
                "of Lifeline's. Ask your organization's administrators for a "
                "current one."
            )
        verdict = ratelimit.hit(
            scope=RATE_LIMIT_SCOPE,
            key=str(token.pk),
            limit=settings.ORGANIZATION_API_RATE_LIMIT,
            window=settings.ORGANIZATION_API_RATE_WINDOW,
        )
        if not verdict.allowed:
            raise TokenRateLimited(
                "Too many requests with this API token. Try again in "
                f"{verdict.retry_after} seconds.",
                retry_after=verdict.retry_after,
            )
        api_token_touch(token=token)
        return token

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        return api_token_authenticate(secret=token)  # __call__ decides; not used


router = Router(tags=["organizations"], auth=OrganizationToken())

SLUG_DESCRIPTION = (
    "The organization's address on Lifeline, as in /organizations/<slug>/ "
    "(its administrators see it in their browser's address bar)."
)
Slug = Annotated[str, Path(description=SLUG_DESCRIPTION, example="mercy")]

_ERRORS = {401: Problem, 404: Problem, 422: Problem, 429: Problem}
_ERROR_DESCRIPTIONS = {
    401: {"description": "No API token, or one that is not valid (revoked)"},
    404: {"description": "No organization at this address for this token"},
    422: {"description": "A parameter or the body is not valid; see errors"},
    429: {"description": "Too many requests with this token; wait"},
}


def _organization(request: HttpRequest, slug: str) -> Organization:
    organization = request.auth.organization
    if organization.slug != slug:
        raise OrganizationNotFound(
            "No organization at this address for this API token. A token reads "
            "the organization it was created in only."
        )
    return organization


def _private(response: HttpResponse) -> None:
    # Members' status: nothing between us and the caller may keep it.
    add_never_cache_headers(response)


def _page_url(request: HttpRequest, page: int, page_size: int) -> str:
    query = urlencode({"page": page, "page_size": page_size})
    return request.build_absolute_uri(f"{request.path}?{query}")


@router.get(
    "/organizations/{slug}/members",
    response={200: MemberPage, **_ERRORS},
    operation_id="organization_members",
    summary="List members' certificate status",
    description=(
        "The organization's members who share their certificate status, in the "
        "order they joined, each with their status in every course the "
        "organization requires of them (as its compliance dashboard shows it). "
        "Members who do not share are not listed. Paged: follow `next` until "
        "it is null."
    ),
    openapi_extra={
        "responses": {
            200: {"description": "One page of sharing members"},
            **_ERROR_DESCRIPTIONS,
        }
    },
)
def organization_members(
    request: HttpRequest,
    response: HttpResponse,
    slug: Slug,
    page: Annotated[int, Query(ge=1, description="The page, from 1.")] = 1,
    page_size: Annotated[
        int,
        Query(
            ge=1,
            le=PAGE_SIZE_MAX,
            description=f"Members per page, 1 to {PAGE_SIZE_MAX}.",
        ),
    ] = PAGE_SIZE_DEFAULT,
) -> MemberPage:
    organization = _organization(request, slug)
    found = api_members_page(organization=organization, page=page, page_size=page_size)
    _private(response)
    return MemberPage(
        count=found.count,
        page=found.page,
        pages=found.pages,
        page_size=found.page_size,
        next=_page_url(request, page + 1, page_size) if found.has_next else None,
        previous=(
            _page_url(request, min(page - 1, found.pages), page_size)
            if found.has_previous
            else None
        ),
        results=[Member.from_row(row) for row in found.rows],
    )


@router.post(
    "/organizations/{slug}/members/lookup",
    response={200: MemberMatches, 400: Problem, **_ERRORS},
    operation_id="organization_member_lookup",
    summary="Find a member by e-mail address or license number",
    description=(
        "Finds members who share their certificate status by the e-mail address "
        "of their Lifeline account or the license number on their profile: send "
        "exactly one of `email` and `licence_number`. A member who does not "
        "share, and anyone who is not a member, is 404 like an address nobody "
        "has."
    ),
    openapi_extra={
        "responses": {
            200: {"description": "The sharing members found"},
            400: {"description": "The body is not JSON"},
            **_ERROR_DESCRIPTIONS,
            404: {"description": "No sharing member has it (or no organization)"},
        }
    },
)
def organization_member_lookup(
    request: HttpRequest,
    response: HttpResponse,
    slug: Slug,
    lookup: Annotated[LookupByEmail | LookupByLicence, Body()],
) -> MemberMatches:
    organization = _organization(request, slug)
    if isinstance(lookup, LookupByEmail):
        rows = api_member_lookup(organization=organization, email=lookup.email)
    else:
        rows = api_member_lookup(
            organization=organization, licence_number=lookup.licence_number
        )
    if not rows:
        raise MemberNotFound(
            "No member who shares their certificate status with this organization "
            "has this e-mail address or license number."
        )
    _private(response)
    return MemberMatches(
        count=len(rows), results=[Member.from_row(row) for row in rows]
    )
