from __future__ import annotations

from copy import copy

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from .forms import ProfileForm
from .services import user_profile_update, user_time_zone_detect


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    # The form validates against a copy: request.user (shown in the page) changes only
    # through the service, and only when the form is valid.
    form = ProfileForm(request.POST or None, instance=copy(request.user))
    if request.method == "POST" and form.is_valid():
        changed = user_profile_update(user=request.user, data=form.cleaned_data)
        messages.success(
            request, "Your profile is saved." if changed else "Nothing to change."
        )
        return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {"form": form})


@require_POST
def time_zone_detected(request: HttpRequest) -> HttpResponse:
    """The browser's time zone (static/js/timezone.js), stored on the profile if it
    has none yet (user_time_zone_detect). 204 either way; nothing for a visitor who
    is not signed in (the script's cookie serves them)."""
    if request.user.is_authenticated:
        user_time_zone_detect(user=request.user, name=request.POST.get("time_zone", ""))
    return HttpResponse(status=204)
