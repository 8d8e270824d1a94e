from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME, get_user
from django.contrib.auth.middleware import (
    AuthenticationMiddleware as DjangoAuthenticationMiddleware,
)
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from .selectors import staff_verified, user_has_totp
from .timezones import TIME_ZONE_COOKIE, is_time_zone

STAFF_TOTP_MESSAGE = (
    "Staff accounts need two-factor authentication. Set up an authenticator app "
    "below, then open the admin again."
)
STAFF_CODE_MESSAGE = (
    "This session was signed in without your authenticator app. Enter a code "
    "from it to open the admin."
)


class AuthenticationMiddleware(DjangoAuthenticationMiddleware):
    """Django's, with `request.user` read at once rather than behind a lazy proxy.

    Every request reads the user anyway (time_zone_middleware, just below, asks for
    the profile's zone; the pages' menus, the views), so laziness saved nothing, and
    each of the sixty-odd reads of a page went through the proxy (about 0.3 ms of a
    page, issue 19). Django's `get_user` does the reading and checks the session, as
    before; a request with no signed-in session costs no query either way.
    """

    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)  # its checks, and `request.auser`
        request.user = get_user(request)


class StaffTotpRequiredMiddleware:
    """No admin page (any URL of the admin namespace, its log-in included) opens for a
    staff member unless THIS SESSION passed two-factor authentication
    (accounts.selectors.staff_verified): without an authenticator app they are sent
    to set one up; with one, to enter a code from it (allauth's MFA
    re-authentication, which records "mfa" in the session and then returns them to
    the page they asked for).

    Enforced here, on the resolved view, so every admin URL is covered whatever its
    prefix, GET or POST alike; the admin's own permission check comes after. Staff
    pages outside the admin ask staff_verified themselves.
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
        if staff_verified(request):
            return None
        if not user_has_totp(user=user):
            messages.warning(request, STAFF_TOTP_MESSAGE)
            return redirect("mfa_activate_totp")
        messages.warning(request, STAFF_CODE_MESSAGE)
        query = urlencode({REDIRECT_FIELD_NAME: request.get_full_path()})
        return redirect(f"{reverse('mfa_reauthenticate')}?{query}")


def time_zone_middleware(get_response: Callable[[HttpRequest], HttpResponse]):
    """Shows times in the learner's time zone: the profile's, else the one the
    browser reported in the `tz` cookie (static/js/timezone.js), else the site's.

    Activated for display only: rules read the site's day (core.dates.site_today).
    Sets `request.time_zone_saved`: whether the profile has a zone (the page then
    does not ask the browser to store one)."""

    def middleware(request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        saved = user.time_zone if user is not None and user.is_authenticated else ""
        name = saved or request.COOKIES.get(TIME_ZONE_COOKIE, "")
        request.time_zone_saved = bool(saved)
        if name and is_time_zone(name):
            timezone.activate(zoneinfo.ZoneInfo(name))
        else:
            timezone.deactivate()
        try:
            return get_response(request)
        finally:
            timezone.deactivate()

    return middleware
