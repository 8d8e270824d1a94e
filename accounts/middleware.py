from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from .selectors import user_has_totp

STAFF_TOTP_MESSAGE = (
    "Staff accounts need two-factor authentication. Set up an authenticator app "
    "below, then open the admin again."
)


class StaffTotpRequiredMiddleware:
    """No admin page (any URL of the admin namespace, its log-in included) opens for a
    staff member without an active TOTP authenticator: they are sent to set one up.

    Enforced here, on the resolved view, so every admin URL is covered whatever its
    prefix, GET or POST alike; the admin's own permission check comes after.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if match is None or "admin" not in match.namespaces:
            return None
        user = request.user
        if not (user.is_authenticated and user.is_staff):
            return None
        if user_has_totp(user=user):
            return None
        messages.warning(request, STAFF_TOTP_MESSAGE)
        return redirect("mfa_activate_totp")
