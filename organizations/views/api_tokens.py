"""The administrator's API tokens page: create a token (its key is shown once, on
the answer to the POST, never cached), see the tokens and when they were last
used, and revoke one after a confirmation page. Who may is decided by
selectors.organization_for_admin and the services' require_admin."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from core.errors import LifelineError

from .. import selectors, services
from ..forms import ApiTokenForm
from ..selectors.api import api_token_for_admin, api_tokens_for_admin


@never_cache
@login_required
def api_tokens(request: HttpRequest, slug: str) -> HttpResponse:
    """List and create tokens. A created token's key is in this response only:
    `never_cache` keeps it out of every cache, and reloading the page (a GET)
    does not show it again."""
    organization = selectors.organization_for_admin(user=request.user, slug=slug)
    form = ApiTokenForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            created = services.api_token_create(
                organization=organization,
                name=form.cleaned_data["name"],
                by=request.user,
            )
        except LifelineError as error:
            form.add_error("name", error.message)
        else:
            form = ApiTokenForm()
    return render(
        request,
        "organizations/organization_api_tokens.html",
        {
            "organization": organization,
            "form": form,
            "created": created,
            "tokens": api_tokens_for_admin(organization=organization),
            # /api/v1/ is a published contract: its paths do not change.
            "members_url": f"{settings.SITE_URL}/api/v1/organizations/"
            f"{organization.slug}/members",
        },
    )


@never_cache
@login_required
def api_token_revoke(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Asks to confirm (GET), then revokes (POST): the token stops working at
    once."""
    organization = selectors.organization_for_admin(user=request.user, slug=slug)
    token = api_token_for_admin(organization=organization, pk=pk)
    if request.method == "POST":
        if services.api_token_revoke(token=token, by=request.user):
            messages.success(
                request,
                f"The token “{token.name}” ({token.display}) is revoked: it no "
                "longer works.",
            )
        return redirect("organizations:api_tokens", slug=slug)
    return render(
        request,
        "organizations/api_token_revoke.html",
        {"organization": organization, "token": token},
    )
