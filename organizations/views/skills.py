"""Skills checks' pages: the instructor's list of members to check, the record
form, and revoking a check (instructors and administrators). Who may do what is
decided in selectors and services (organization_for_skills, skills_subject_for,
require_instructor)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core.dates import site_today
from core.errors import LifelineError

from .. import services
from ..forms import SkillsCheckForm, SkillsRevokeForm, SkillsSearchForm
from ..models import Membership
from ..selectors import skills as skills_selectors

PAGE_SIZE = 50


@never_cache
@login_required
@require_GET
def skills(request: HttpRequest, slug: str) -> HttpResponse:
    """Members who share their status and completed a course with a skills
    checklist, with where their check stands; the checks recorded. Instructors
    record from here; administrators read and revoke."""
    organization, role = skills_selectors.organization_for_skills(
        user=request.user, slug=slug
    )
    form = SkillsSearchForm(request.GET or None)
    search = form.cleaned_data["q"] if form.is_valid() else ""
    rows = skills_selectors.skills_candidates_for(
        organization=organization, search=search
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "organizations/organization_skills.html",
        {
            "organization": organization,
            "records": role == Membership.Role.INSTRUCTOR,
            "administers": role == Membership.Role.ADMIN,
            "form": form,
            "page": page,
            "shown": len(rows),
            "query_string": params.urlencode(),
            "checks": skills_selectors.skills_checks_for_organization(
                organization=organization
            ),
        },
    )


@never_cache
@login_required
def skills_record(
    request: HttpRequest, slug: str, pk: int, course: str
) -> HttpResponse:
    """The record form of one member's check in one course (instructors)."""
    organization, _ = skills_selectors.organization_for_skills(
        user=request.user, slug=slug, roles=skills_selectors.RECORDERS
    )
    subject = skills_selectors.skills_subject_for(
        organization=organization, membership_id=pk, course_slug=course
    )
    member = subject.membership.user
    form = SkillsCheckForm(
        request.POST or None,
        items=subject.items,
        attestation=services.attestation_for(
            instructor_name=request.user.legal_name or request.user.email,
            member_name=member.legal_name or member.email,
        ),
        initial={"checked_on": site_today()},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            check = services.skills_check_record(
                organization=organization,
                membership=subject.membership,
                course=subject.course,
                checked_on=data["checked_on"],
                location=data["location"],
                results=form.results(),
                passed=data["result"] == "pass",
                attested=data["attested"],
                note=data["note"],
                by=request.user,
            )
        except LifelineError as error:
            form.add_error(None, error.message)
        else:
            name = member.legal_name or member.email
            if check.passed:
                messages.success(
                    request,
                    f"Recorded: {name} passed the {subject.course.title} skills "
                    "check. Their certificate now states it.",
                )
            else:
                messages.success(
                    request,
                    f"Recorded: {name} did not pass the {subject.course.title} skills "
                    "check yet. Record a new check when they are ready.",
                )
            return redirect("organizations:skills", slug=slug)
    return render(
        request,
        "organizations/skills_record.html",
        {"organization": organization, "subject": subject, "form": form},
    )


@never_cache
@login_required
def skills_revoke(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Revoke a recorded check, with a reason (instructors and administrators)."""
    organization, _ = skills_selectors.organization_for_skills(
        user=request.user, slug=slug
    )
    check = skills_selectors.skills_check_for_staff(organization=organization, pk=pk)
    form = SkillsRevokeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            revoked = services.skills_check_revoke(
                check=check, reason=form.cleaned_data["reason"], by=request.user
            )
        except LifelineError as error:
            form.add_error(None, error.message)
        else:
            if revoked:
                whom = check.member_name or check.member_email or "a member"
                messages.success(
                    request,
                    f"The {check.course.title} skills check of {whom} is revoked.",
                )
            return redirect("organizations:skills", slug=slug)
    return render(
        request,
        "organizations/skills_revoke.html",
        {"organization": organization, "check": check, "form": form},
    )
