from __future__ import annotations

from copy import copy

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from .forms import ProfileForm
from .services import user_profile_update


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
