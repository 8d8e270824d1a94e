"""View decorators for the staff rule (accounts.selectors.staff_verified)."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.urls import reverse

from .selectors import staff_verified


def staff_verified_required(view):
    """Like Django's staff_member_required, with the staff rule: a staff member whose
    session has not passed two-factor authentication is sent, as anyone else, to the
    admin log-in, where the admin's rule (StaffTotpRequiredMiddleware) asks them for
    a code and then brings them back here."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if staff_verified(request):
            return view(request, *args, **kwargs)
        return redirect_to_login(request.get_full_path(), reverse("admin:login"))

    return wrapped
