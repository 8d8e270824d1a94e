"""Prepaid seats' pages: the administrator's (pools, giving a seat to a member,
withdrawing a code) and the learner's (redeeming a code). Who may do what is
decided in selectors and services (organization_for_admin, require_admin, the code
given to this member)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from core import ratelimit
from core.errors import LifelineError

from .. import selectors, services
from ..forms import SeatAssignForm, SeatRedeemForm
from ..selectors import seats as seat_selectors

PAGE_SIZE = 50
# Far above a member typing their code, far below trying codes (80 bits).
REDEEM_LIMIT, REDEEM_WINDOW = 10, 600


@never_cache
@login_required
def seats(request: HttpRequest, slug: str) -> HttpResponse:
    """The organization's seats by course or bundle, giving one to a member (the
    code is shown once, and e-mailed to them) and the codes given."""
    organization = selectors.organization_for_admin(user=request.user, slug=slug)
    pools = seat_selectors.seat_pools_for(organization=organization)
    form = SeatAssignForm(request.POST or None, pools=pools)
    assigned = None
    if request.method == "POST" and form.is_valid():
        member = seat_selectors.seat_member_for_admin(
            organization=organization, email=form.cleaned_data["email"]
        )
        if member is None:
            form.add_error(
                "email",
                f"No member who shares their status with {organization.name} has "
                "this address.",
            )
        else:
            course_id, bundle_id = form.cleaned_data["product"]
            try:
                assigned = services.seat_assign(
                    organization=organization,
                    membership=member,
                    course_id=course_id,
                    bundle_id=bundle_id,
                    by=request.user,
                )
            except LifelineError as error:
                form.add_error(None, error.message)
            else:
                pools = seat_selectors.seat_pools_for(organization=organization)
                form = SeatAssignForm(pools=pools)
    page = Paginator(
        seat_selectors.seat_assignments_for_admin(organization=organization),
        PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "organizations/organization_seats.html",
        {
            "organization": organization,
            "pools": pools,
            "form": form,
            "assigned": assigned,
            "page": page,
        },
    )


@login_required
@require_POST
def seat_revoke(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    organization = selectors.organization_for_admin(user=request.user, slug=slug)
    assignment = seat_selectors.seat_assignment_for_admin(
        organization=organization, pk=pk
    )
    try:
        if services.seat_assignment_revoke(assignment=assignment, by=request.user):
            messages.success(
                request,
                f"The code ending {assignment.code_hint} no longer works; its seat "
                "is free again.",
            )
    except LifelineError as error:
        messages.error(request, error.message)
    return redirect("organizations:seats", slug=slug)


@never_cache
@login_required
def seat_redeem(request: HttpRequest) -> HttpResponse:
    """Redeem a seat code: it enrols the learner and takes them to the course (a
    bundle: to their dashboard). Lists the codes given to them not used yet."""
    form = SeatRedeemForm(request.POST or None)
    status = 200
    response_headers = {}
    if request.method == "POST" and form.is_valid():
        verdict = ratelimit.hit(
            scope="seat-redeem",
            key=str(request.user.pk),
            limit=REDEEM_LIMIT,
            window=REDEEM_WINDOW,
        )
        if not verdict.allowed:
            minutes = max(1, round(verdict.retry_after / 60))
            unit = "minute" if minutes == 1 else "minutes"
            form.add_error(
                "code", f"Too many tries. Wait about {minutes} {unit} and try again."
            )
            status = 429
            response_headers["Retry-After"] = str(verdict.retry_after)
        else:
            try:
                redeemed = services.seat_redeem(
                    user=request.user, code=form.cleaned_data["code"]
                )
            except LifelineError as error:
                form.add_error("code", error.message)
            else:
                messages.success(
                    request,
                    f"You are enrolled in {redeemed.product}, with a seat from "
                    f"{redeemed.assignment.seat.grant.organization.name}.",
                )
                if len(redeemed.enrollments) == 1:
                    course = redeemed.enrollments[0].course
                    return redirect(reverse("courses:home", args=[course.slug]))
                return redirect("courses:dashboard")
    response = render(
        request,
        "organizations/seat_redeem.html",
        {"form": form, "codes": seat_selectors.seat_codes_open_for(user=request.user)},
        status=status,
    )
    for name, value in response_headers.items():
        response[name] = value
    return response
