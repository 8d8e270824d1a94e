"""What every page's header needs from organizations: the organizations the
signed-in user administers (a link to each dashboard). Lazy: one query, only when
a template reads it (base.html does, for signed-in users)."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from .selectors import organizations_administered


def organization_menu(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "organizations_administered": SimpleLazyObject(
            lambda: organizations_administered(user=user)
        )
    }
