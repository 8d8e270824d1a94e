"""The header's links to the organizations a user administers or instructs in, at
no query per page.

Which organizations a user leads is read once when they log in (`user_logged_in`)
and kept in their session; "Your organizations" reads it again (`menu_refresh`),
so a role granted while signed in shows from the next visit there or the next
log-in. An administrator's link opens the compliance dashboard, an instructor's the
skills checks. The links are a convenience only: every page checks the role itself
(selectors.organization_for_admin, selectors.skills.organization_for_skills), so a
stale link leads to a 404, never to data.
"""

from __future__ import annotations

from typing import NamedTuple

from django.http import HttpRequest
from django.urls import reverse

from .models import Membership
from .selectors import organizations_administered

SESSION_KEY = "organizations_administered"


def menu_refresh(request: HttpRequest, user=None) -> None:
    """Stores [(slug, name, role), ...] of the organizations `user` (default: the
    request's) administers or instructs in, in the session. One query."""
    user = user or request.user
    request.session[SESSION_KEY] = [
        [organization.slug, organization.name, role]
        for organization, role in organizations_administered(user=user)
    ]


def on_login(sender, request: HttpRequest | None, user, **kwargs) -> None:
    """user_logged_in receiver (apps.py)."""
    if request is not None and hasattr(request, "session"):
        menu_refresh(request, user)


class OrganizationLink(NamedTuple):
    slug: str
    name: str
    url: str  # an administrator's dashboard, an instructor's skills checks


def organization_menu(request: HttpRequest) -> dict:
    """Context processor: `organizations_administered`, a tuple of OrganizationLink
    (a value, so the header drawn with it is kept: core.kept)."""
    session = getattr(request, "session", None)
    user = getattr(request, "user", None)
    if session is None or user is None or not user.is_authenticated:
        return {}
    links = []
    for slug, name, *role in session.get(SESSION_KEY, []):
        # Sessions from before instructors had a link hold (slug, name).
        page = (
            "organizations:skills"
            if role == [Membership.Role.INSTRUCTOR]
            else "organizations:dashboard"
        )
        links.append(OrganizationLink(slug, name, reverse(page, args=[slug])))
    return {"organizations_administered": tuple(links)}
