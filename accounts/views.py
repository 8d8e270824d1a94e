from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from .forms import ProfileForm
from .services import user_profile_update


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        # The form's cleaned data, not the bound instance, is what the service saves.
        user = request.user
        user.refresh_from_db()
        changed = user_profile_update(user=user, data=form.cleaned_data)
        messages.success(
            request, "Your profile is saved." if changed else "Nothing to change."
        )
        return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {"form": form})
