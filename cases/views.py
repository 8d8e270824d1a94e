"""The case pages: the course's cases, a case's briefing and start, the play page
and its actions, the debrief, and the staff's statistics.

Thin: each parses its input, calls one service or selector, and renders or
redirects. An action is a POST of a plain form (the page works without
JavaScript: post, redirect, get); a page that asks with `Accept:
application/json` gets the new state and the new log lines instead. An attempt
is its learner's alone: anyone else (staff included) gets 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import staff_verified_required
from accounts.selectors import staff_verified
from core.errors import NotFound
from courses.models import Enrollment
from courses.selectors import course_for_viewer, enrollment_open

from . import selectors, services
from .forms import ActionForm
from .models import Case


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _rate_limited(
    request: HttpRequest, error: services.CaseRateLimited, *, back: str
) -> HttpResponse:
    if _wants_json(request):
        response = JsonResponse(
            {"error": error.message, "code": error.code}, status=error.status
        )
    else:
        response = render(
            request,
            "cases/rate_limited.html",
            {"reason": error.message, "back": back},
            status=error.status,
        )
    response["Retry-After"] = str(error.retry_after)
    return response


def _active_enrollment(request: HttpRequest, course) -> Enrollment | None:
    """The learner's active enrollment in `course`, or None after a message."""
    enrollment = enrollment_open(user=request.user, course=course)
    if enrollment is None or enrollment.status != Enrollment.Status.ACTIVE:
        messages.info(
            request, f"Enroll in {course.title} to play its case simulations."
        )
        return None
    return enrollment


@login_required
@require_GET
def course_cases(request: HttpRequest, course: str) -> HttpResponse:
    """The course's case simulations: the required ones and the practice ones,
    each with the learner's status."""
    course_row = course_for_viewer(slug=course, as_staff=staff_verified(request))
    enrollment = _active_enrollment(request, course_row)
    if enrollment is None:
        return redirect(course_row)
    statuses = selectors.course_cases_for(course=course_row, enrollment=enrollment)
    return render(
        request,
        "cases/case_list.html",
        {
            "course": course_row,
            "required": [s for s in statuses if s.case.is_required],
            "practice": [s for s in statuses if not s.case.is_required],
        },
    )


@login_required
@require_GET
def briefing(request: HttpRequest, course: str, case: str) -> HttpResponse:
    """What the learner knows before starting: the scene and the patient, never
    the rhythm or the answer; the start button; past attempts."""
    case_row = selectors.case_for_viewer(
        course_slug=course, case_slug=case, as_staff=staff_verified(request)
    )
    enrollment = _active_enrollment(request, case_row.course)
    if enrollment is None:
        return redirect(case_row.course)
    return render(
        request,
        "cases/case_briefing.html",
        {
            "case": case_row,
            "course": case_row.course,
            "status": selectors.case_status_for(case=case_row, enrollment=enrollment),
            "history": selectors.case_attempt_history(user=request.user, case=case_row),
        },
    )


@login_required
@require_POST
def start(request: HttpRequest, course: str, case: str) -> HttpResponse:
    """Starts an attempt, or resumes the open one (rate-limited per learner)."""
    case_row = selectors.case_for_viewer(
        course_slug=course, case_slug=case, as_staff=staff_verified(request)
    )
    try:
        services.case_rate_limit_hit(user=request.user, action="start")
        attempt, created = services.case_attempt_start(user=request.user, case=case_row)
    except services.CaseRateLimited as limited:
        return _rate_limited(request, limited, back=case_row.get_absolute_url())
    except services.CaseRefused as refused:
        messages.error(request, refused.message)
        if refused.code == "case.not_enrolled":
            return redirect(case_row.course)
        return redirect(case_row)
    if not created and attempt.is_open:
        messages.info(request, "You have this case in progress: here it is again.")
    elif not created:
        messages.info(
            request,
            "Your case in progress belonged to an earlier enrollment, so it was "
            "ended: its debrief is below.",
        )
    return redirect(attempt)


@never_cache
@login_required
@require_GET
def play(request: HttpRequest, attempt_id: int) -> HttpResponse:
    """The case while it runs: the monitor, the narrative, the log and the actions;
    an ended attempt goes to its debrief."""
    attempt = selectors.case_attempt_for_owner(attempt_id=attempt_id, user=request.user)
    if not attempt.is_open:
        return redirect(attempt)
    page = selectors.play_page(attempt=attempt)
    if _wants_json(request):
        return JsonResponse(page.as_dict())
    return _play_response(request, page)


def _play_response(
    request: HttpRequest, page: selectors.PlayPage, *, error: str = "", status=200
) -> HttpResponse:
    return render(
        request,
        "cases/case_play.html",
        {
            "page": page,
            "attempt": page.attempt,
            "case": page.case,
            "course": page.case.course,
            "view": page.view,
            "error": error,
        },
        status=status,
    )


@never_cache
@login_required
@require_POST
def act(request: HttpRequest, attempt_id: int) -> HttpResponse:
    """One action. Without JavaScript: post, then back to the play page (or the
    debrief once the case ended). With `Accept: application/json`: the new view
    and the new log lines. 400 with the reason and nothing changed for an action
    the case does not offer; 409 for an out-of-date page (a double submit, another
    tab) or an ended case, nothing changed; 404 for anyone else's attempt."""
    wants_json = _wants_json(request)
    # Counted before the form is read: a malformed post costs the same page.
    try:
        services.case_rate_limit_hit(user=request.user, action="act")
    except services.CaseRateLimited as limited:
        return _rate_limited(
            request, limited, back=reverse("cases:play", args=[attempt_id])
        )
    form = ActionForm(request.POST)
    if not form.is_valid():
        return _refused(request, attempt_id, form.error_summary(), status=400)
    try:
        outcome = services.case_attempt_act(
            attempt_id=attempt_id,
            user=request.user,
            code=form.cleaned_data["code"],
            params=form.params(),
            expected_seq=form.cleaned_data["expected_seq"],
        )
    except NotFound:
        raise Http404("No such case attempt.") from None
    except services.InvalidAction as invalid:
        return _refused(request, attempt_id, invalid.message, status=invalid.status)
    except services.CaseAttemptClosed as closed:
        if wants_json:
            return _refused(request, attempt_id, closed.message, status=closed.status)
        messages.info(request, closed.message)
        return redirect("cases:debrief", attempt_id=attempt_id)
    except services.StaleAction as stale:
        if wants_json:
            return _refused(request, attempt_id, stale.message, status=stale.status)
        messages.warning(request, stale.message)
        return redirect("cases:play", attempt_id=attempt_id)
    attempt = outcome.attempt
    if outcome.completed_course:
        messages.success(
            request,
            f"Congratulations: you have completed {attempt.case.course.title}. Your "
            "certificate is on its way.",
        )
    if wants_json:
        page = selectors.play_page(attempt=attempt, events=outcome.events)
        return JsonResponse(page.as_dict())
    return redirect(attempt)


def _refused(
    request: HttpRequest, attempt_id: int, reason: str, *, status: int
) -> HttpResponse:
    """A refused action: the reason, and the case as it stands (nothing changed).
    The attempt is looked up as its owner's, so anyone else still gets 404."""
    attempt = selectors.case_attempt_for_owner(attempt_id=attempt_id, user=request.user)
    if _wants_json(request):
        body = {"error": reason}
        if attempt.is_open:
            body |= selectors.play_page(attempt=attempt).as_dict()
        return JsonResponse(body, status=status)
    if not attempt.is_open:
        messages.warning(request, reason)
        return redirect(attempt)
    return _play_response(
        request, selectors.play_page(attempt=attempt), error=reason, status=status
    )


@login_required
@require_POST
def abandon(request: HttpRequest, attempt_id: int) -> HttpResponse:
    """Stops the case (not passed); its debrief follows."""
    try:
        attempt = services.case_attempt_abandon(
            attempt_id=attempt_id, user=request.user
        )
    except NotFound:
        raise Http404("No such case attempt.") from None
    return redirect("cases:debrief", attempt_id=attempt.pk)


@login_required
@require_GET
def debrief(request: HttpRequest, attempt_id: int) -> HttpResponse:
    """An ended attempt explained: its learner only."""
    attempt = selectors.case_attempt_for_owner(attempt_id=attempt_id, user=request.user)
    if attempt.is_open:
        return redirect(attempt)
    enrollment = enrollment_open(user=request.user, course=attempt.case.course)
    status = None
    if enrollment is not None and enrollment.status == Enrollment.Status.ACTIVE:
        status = selectors.case_status_for(case=attempt.case, enrollment=enrollment)
    return render(
        request,
        "cases/case_debrief.html",
        {
            "debrief": selectors.case_debrief(attempt=attempt),
            "attempt": attempt,
            "case": attempt.case,
            "course": attempt.case.course,
            "status": status,
        },
    )


@staff_verified_required
@permission_required("cases.view_case", raise_exception=True)
def statistics(request: HttpRequest, case_id: int) -> HttpResponse:
    """Per-case statistics for authors, linked from the case's admin page."""
    case = Case.objects.select_related("course").filter(pk=case_id).first()
    if case is None:
        raise Http404("No such case.")
    return render(
        request,
        "cases/case_statistics.html",
        {"stats": selectors.case_statistics(case=case), "case": case},
    )
