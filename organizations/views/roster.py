"""The roster's pages: the learner's (invitations, memberships, consent) and
the administrator's (compliance dashboard, member history, export, invitations,
join links, requirements). Each parses input with a form and calls one selector
or service; who may see what is decided there (selectors.organization_for_admin,
services.require_admin, the member's own rows)."""

from __future__ import annotations

from datetime import datetime, time

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from core.errors import LifelineError
from core.http import body_limit

from .. import exports, selectors, services
from ..errors import RosterInvalid
from ..forms import (
    ConsentForm,
    DashboardQueryForm,
    InviteForm,
    JobRoleForm,
    JoinLinkForm,
    RequirementForm,
    RosterForm,
)
from ..menu import menu_refresh
from ..selectors.seats import seat_codes_open_for
from ..selectors.skills import skills_checks_of_member

PAGE_SIZE = 50


# --- The learner's side -------------------------------------------------------------


@never_cache
@login_required
def memberships(request: HttpRequest) -> HttpResponse:
    """Your organizations: open invitations to accept, memberships with what they
    share, and the organizations you administer (the header's links are read
    again here)."""
    menu_refresh(request)
    return render(
        request,
        "organizations/membership_list.html",
        {
            "memberships": selectors.memberships_for(user=request.user),
            "invitations": selectors.invitations_open_for(user=request.user),
            "seat_codes": seat_codes_open_for(user=request.user),
        },
    )


@never_cache
@login_required
@require_POST
def invitation_accept_listed(request: HttpRequest, pk: int) -> HttpResponse:
    """Accepts one of the learner's listed invitations (to a verified address)."""
    invitation = selectors.invitation_open_for(user=request.user, pk=pk)
    form = ConsentForm(request.POST, organization=invitation.organization)
    form.is_valid()
    return _accept(request, invitation, consent=form.cleaned_data.get("consent"))


def _accept(request: HttpRequest, invitation, *, consent: bool) -> HttpResponse:
    try:
        membership = services.invitation_accept(
            invitation=invitation, user=request.user, consent=bool(consent)
        )
    except LifelineError as error:
        messages.error(request, error.message)
        return redirect("organizations:memberships")
    messages.success(request, _joined_message(membership))
    return redirect("organizations:memberships")


def _joined_message(membership) -> str:
    name = membership.organization.name
    if membership.consent_given_at:
        return f"You joined {name} and share your certificate status with it."
    return (
        f"You joined {name}. It does not see your certificate status until you "
        "choose to share it."
    )


@never_cache
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """The invitation e-mail's link: who invites you and what sharing means, and
    accepting it (signed in; a visitor is sent to log in or sign up first)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    found = selectors.invitation_by_token(token=token)
    if found is not None and found.accepted_by_id == request.user.pk:
        name = found.organization.name
        if selectors.is_member(user=request.user, organization=found.organization):
            messages.info(request, f"You are a member of {name}.")
        else:
            messages.info(
                request,
                f"You joined {name} with this invitation and have left it since. "
                "To join again, ask its administrators for a new invitation.",
            )
        return redirect("organizations:memberships")
    if found is None or not found.is_usable():
        return render(
            request,
            "organizations/invitation_closed.html",
            {"invitation": found},
            status=404 if found is None else 410,
        )
    form = ConsentForm(request.POST or None, organization=found.organization)
    if request.method == "POST" and form.is_valid():
        return _accept(request, found, consent=form.cleaned_data["consent"])
    return render(
        request,
        "organizations/invitation_accept.html",
        {"invitation": found, "organization": found.organization, "form": form},
    )


@never_cache
def join(request: HttpRequest, token: str) -> HttpResponse:
    """A join link: what joining and sharing mean, and joining (signed in)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    link = selectors.join_link_by_token(token=token)
    if link is None or not link.is_usable():
        # As for an invitation: unknown 404, known but turned off or expired 410.
        return render(
            request,
            "organizations/invitation_closed.html",
            {"join_link": True, "link": link},
            status=404 if link is None else 410,
        )
    form = ConsentForm(request.POST or None, organization=link.organization)
    if request.method == "POST" and form.is_valid():
        try:
            membership = services.join_link_join(
                link=link, user=request.user, consent=form.cleaned_data["consent"]
            )
        except LifelineError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _joined_message(membership))
        return redirect("organizations:memberships")
    return render(
        request,
        "organizations/joinlink_join.html",
        {"link": link, "organization": link.organization, "form": form},
    )


@login_required
@require_POST
def consent(request: HttpRequest, pk: int) -> HttpResponse:
    """Gives or withdraws consent to share (the member's own membership only)."""
    membership = selectors.membership_of(user=request.user, pk=pk)
    share = request.POST.get("share") == "1"
    services.membership_consent_set(
        membership=membership, user=request.user, consent=share
    )
    name = membership.organization.name
    messages.success(
        request,
        f"{name} now sees your certificate status."
        if share
        else f"{name} no longer sees your certificate status.",
    )
    return redirect("organizations:memberships")


@login_required
@require_POST
def leave(request: HttpRequest, pk: int) -> HttpResponse:
    membership = selectors.membership_of(user=request.user, pk=pk)
    services.membership_leave(membership=membership, user=request.user)
    messages.success(request, f"You left {membership.organization.name}.")
    return redirect("organizations:memberships")


# --- The administrator's side -------------------------------------------------------


def _query(request: HttpRequest, compliance) -> tuple[DashboardQueryForm, dict]:
    form = DashboardQueryForm(
        request.GET or None,
        job_roles=compliance.job_roles,
        columns=compliance.columns,
    )
    return form, form.query()


@never_cache
@login_required
@require_GET
def dashboard(request: HttpRequest, slug: str) -> HttpResponse:
    """The compliance matrix: sharing members by required course, filtered,
    searched, sorted and paged, with the organization's totals."""
    organization = selectors.organization_for_admin(user=request.user, slug=slug)
    compliance = selectors.compliance_for(organization=organization)
    form, query = _query(request, compliance)
    rows = selectors.compliance_rows(compliance, **query)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "organizations/organization_dashboard.html",
        {
            "organization": organization,
            "compliance": compliance,
            "totals": compliance.totals,
            "form": form,
            "page": page,
            "shown": len(rows),
            "query_string": params.urlencode(),
            "expiring_days": selectors.EXPIRING_WITHIN_DAYS,
        },
    )


@never_cache
@login_required
@require_GET
def export(request: HttpRequest, slug: str, fmt: str) -> HttpResponse:
    """The dashboard's rows (every page, same filters and order) as CSV or XLSX."""
    organization = selectors.organization_for_admin(user=request.user, slug=slug)
    compliance = selectors.compliance_for(organization=organization)
    _, query = _query(request, compliance)
    rows = selectors.compliance_rows(compliance, **query)
    stamp = f"{organization.slug}-compliance-{compliance.today:%Y-%m-%d}"
    if fmt == "xlsx":
        response = HttpResponse(
            exports.compliance_xlsx(compliance, rows),
            content_type="application/vnd.openxmlformats-officedocument."
            "spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="{stamp}.xlsx"'
        return response
    response = HttpResponse(
        exports.compliance_csv(compliance, rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{stamp}.csv"'
    return response


@never_cache
@login_required
@require_GET
def member(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """A sharing member's history: their status and their certificates in the
    required courses; never an exam or an attempt."""
    organization = selectors.organization_for_admin(user=request.user, slug=slug)
    history = selectors.member_history_for(organization=organization, membership_id=pk)
    return render(
        request,
        "organizations/organization_member.html",
        {
            "organization": organization,
            "history": history,
            "skills_checks": skills_checks_of_member(
                organization=organization, membership_id=pk
            ),
        },
    )


@never_cache
@login_required
@body_limit(1024 * 1024 + 64 * 1024)
def invitations(request: HttpRequest, slug: str) -> HttpResponse:
    """Invite one address, upload a roster, see and revoke invitations."""
    organization = selectors.organization_for_admin(user=request.user, slug=slug)
    job_roles = selectors.job_roles_of(organization=organization)
    invite_form = InviteForm(job_roles=job_roles, prefix="one")
    roster_form = RosterForm(prefix="roster")
    roster_errors = []
    if request.method == "POST" and "one-email" in request.POST:
        invite_form = InviteForm(request.POST, job_roles=job_roles, prefix="one")
        if invite_form.is_valid():
            data = invite_form.cleaned_data
            try:
                invited = services.invitation_create(
                    organization=organization,
                    email=data["email"],
                    job_role=data["job_role"],
                    by=request.user,
                )
            except LifelineError as error:
                invite_form.add_error("email", error.message)
            else:
                messages.success(
                    request,
                    f"Invitation sent to {invited.invitation.email}."
                    if invited.sent
                    else f"{invited.invitation.email} has an open invitation already.",
                )
                return redirect("organizations:invitations", slug=slug)
    elif request.method == "POST":
        roster_form = RosterForm(request.POST, request.FILES, prefix="roster")
        if roster_form.is_valid():
            try:
                result = services.invitations_import(
                    organization=organization,
                    data=roster_form.cleaned_data["roster"].read(),
                    by=request.user,
                )
            except RosterInvalid as error:
                roster_form.add_error("roster", error.message)
                roster_errors = error.errors
            else:
                messages.success(
                    request,
                    f"{len(result.invited)} invitations sent; "
                    f"{len(result.already_invited)} addresses had one already.",
                )
                return redirect("organizations:invitations", slug=slug)
    return render(
        request,
        "organizations/organization_invitations.html",
        {
            "organization": organization,
            "invite_form": invite_form,
            "roster_form": roster_form,
            "roster_errors": roster_errors,
            "page": Paginator(
                selectors.invitations_for_admin(organization=organization), PAGE_SIZE
            ).get_page(request.GET.get("page")),
        },
    )


@login_required
@require_POST
def invitation_revoke(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    organization = selectors.organization_for_admin(user=request.user, slug=slug)
    found = selectors.invitation_for_admin(organization=organization, pk=pk)
    if services.invitation_revoke(invitation=found, by=request.user):
        messages.success(request, f"The invitation to {found.email} is withdrawn.")
    return redirect("organizations:invitations", slug=slug)


@never_cache
@login_required
def join_links(request: HttpRequest, slug: str) -> HttpResponse:
    """Create join links (the URL is shown once) and turn them off."""
    organization = selectors.organization_for_admin(user=request.user, slug=slug)
    job_roles = selectors.job_roles_of(organization=organization)
    form = JoinLinkForm(request.POST or None, job_roles=job_roles)
    created = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        expires_at = None
        if data["expires_on"]:
            expires_at = timezone.make_aware(
                datetime.combine(data["expires_on"], time.max)
            )
        try:
            created = services.join_link_create(
                organization=organization,
                by=request.user,
                job_role=data["job_role"],
                label=data["label"],
                expires_at=expires_at,
            )
        except LifelineError as error:
            form.add_error(None, error.message)
        else:
            form = JoinLinkForm(job_roles=job_roles)
    return render(
        request,
        "organizations/organization_join_links.html",
        {
            "organization": organization,
            "form": form,
            "created": created,
            "page": Paginator(
                selectors.join_links_for_admin(organization=organization), PAGE_SIZE
            ).get_page(request.GET.get("page")),
        },
    )


@login_required
@require_POST
def join_link_deactivate(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    organization = selectors.organization_for_admin(user=request.user, slug=slug)
    link = selectors.join_link_for_admin(organization=organization, pk=pk)
    if services.join_link_deactivate(link=link, by=request.user):
        messages.success(request, "The join link is turned off.")
    return redirect("organizations:join_links", slug=slug)


@never_cache
@login_required
def requirements(request: HttpRequest, slug: str) -> HttpResponse:
    """Required courses (of everyone or per job role) and the job roles."""
    organization = selectors.organization_for_admin(user=request.user, slug=slug)
    job_roles = selectors.job_roles_of(organization=organization)
    courses = selectors.courses_requirable()
    form = RequirementForm(job_roles=job_roles, courses=courses, prefix="req")
    role_form = JobRoleForm(prefix="role")
    if request.method == "POST" and "role-name" in request.POST:
        role_form = JobRoleForm(request.POST, prefix="role")
        if role_form.is_valid():
            try:
                role, created = services.job_role_add(
                    organization=organization,
                    name=role_form.cleaned_data["name"],
                    by=request.user,
                )
            except LifelineError as error:
                role_form.add_error("name", error.message)
            else:
                if created:
                    messages.success(request, f"Job role “{role.name}” added.")
                return redirect("organizations:requirements", slug=slug)
    elif request.method == "POST":
        form = RequirementForm(
            request.POST, job_roles=job_roles, courses=courses, prefix="req"
        )
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.requirement_add(
                    organization=organization,
                    course=data["course"],
                    job_role=data["job_role"],
                    due_within_days=data["due_within_days"],
                    by=request.user,
                )
            except LifelineError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, f"{data['course'].title} is required.")
                return redirect("organizations:requirements", slug=slug)
    return render(
        request,
        "organizations/organization_requirements.html",
        {
            "organization": organization,
            "form": form,
            "role_form": role_form,
            "job_roles": job_roles,
            "requirements": selectors.requirements_for_admin(organization=organization),
        },
    )


@login_required
@require_POST
def requirement_remove(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    organization = selectors.organization_for_admin(user=request.user, slug=slug)
    requirement = selectors.requirement_for_admin(organization=organization, pk=pk)
    services.requirement_remove(requirement=requirement, by=request.user)
    messages.success(request, f"{requirement.course.title} is no longer required.")
    return redirect("organizations:requirements", slug=slug)
