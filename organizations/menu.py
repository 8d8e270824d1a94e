"""The header's links to the organizations a user administers, at no query per page.

Which organizations a user administers is read once when they log in
(`user_logged_in`) and kept in their session; "Your organizations" reads it again
(`menu_refresh`), so a role granted while signed in shows from the next visit there
or the next log-in. The links are a convenience only: every administrator's page
checks the role itself (selectors.organization_for_admin), so a stale link leads
to a 404, never to data.
"""

from __future__ import annotations

from django.http import HttpRequest

from .selectors import organizations_administered

SESSION_KEY = "organizations_administered"


def menu_refresh(request: HttpRequest, user=None) -> None:
    """Stores [(slug, name), ...] of the organizations `user` (default: the
    request's) administers in the session. One query."""
    user = user or request.user
    request.session[SESSION_KEY] = [
        [organization.slug, organization.name]
        for organization in organizations_administered(user=user)
    ]


def on_login(sender, request: HttpRequest | None, user, **kwargs) -> None:
    """user_logged_in receiver (apps.py)."""
    if request is not None and hasattr(request, "session"):
        menu_refresh(request, user)


def organization_menu(request: HttpRequest) -> dict:
    """Context processor: `organizations_administered`, a list of {slug, name}."""
    session = getattr(request, "session", None)
    user = getattr(request, "user", None)
    if session is None or user is None or not user.is_authenticated:
        return {}
    return {
        "organizations_administered": [
            {"slug": slug, "name": name} for slug, name in session.get(SESSION_KEY, [])
        ]
    }
