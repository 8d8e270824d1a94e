from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts.decorators import staff_verified_required
from accounts.selectors import staff_verified
from courses.models import Enrollment
from courses.selectors import enrollment_open

from . import selectors, services
from .forms import AttemptForm, StatisticsQueryForm, answer_positions, single_answer
from .models import Attempt


def _rate_limited(
    request: HttpRequest, error: services.ExamRateLimited, *, back: str
) -> HttpResponse:
    response = render(
        request,
        "exams/rate_limited.html",
        {"reason": error.message, "back": back},
        status=error.status,
    )
    response["Retry-After"] = str(error.retry_after)
    return response


@login_required
def detail(request: HttpRequest, exam_id: int) -> HttpResponse:
    """An exam's own page, where the up-next rule leads (a module's last lesson
    completed, the dashboard): what it asks, whether it is open, and what opens a
    failed exam's retake; its button starts it (POST to `start`)."""
    exam = selectors.exam_for_viewer(exam_id=exam_id, as_staff=staff_verified(request))
    course = exam.course
    enrollment = enrollment_open(user=request.user, course=course)
    if enrollment is None or enrollment.status != Enrollment.Status.ACTIVE:
        messages.info(request, f"Enroll in {course.title} to take its exams.")
        return redirect(course)
    step = selectors.exam_step_for(exam=exam, enrollment=enrollment)
    if step is None:
        return redirect("courses:home", slug=course.slug)
    return render(
        request,
        "exams/exam_detail.html",
        {"exam": exam, "course": course, "step": step},
    )


@login_required
@require_POST
def start(request: HttpRequest, exam_id: int) -> HttpResponse:
    """Starts an attempt, or resumes the open one (rate-limited per learner)."""
    exam = selectors.exam_for_viewer(exam_id=exam_id, as_staff=staff_verified(request))
    try:
        services.exam_rate_limit_hit(user=request.user, action="start")
        attempt, created = services.exam_attempt_start(user=request.user, exam=exam)
    except services.ExamRateLimited as limited:
        return _rate_limited(
            request, limited, back=reverse("courses:home", args=[exam.course.slug])
        )
    except services.ExamRefused as refused:
        messages.error(request, refused.message)
        if refused.code == "exam.not_enrolled":
            return redirect(exam.course)
        return redirect("courses:home", slug=exam.course.slug)
    if not created and attempt.is_open:
        messages.info(request, "You have this exam in progress: here it is again.")
    elif not created:
        messages.info(
            request, "Time was up on your attempt in progress, so it is graded below."
        )
    return redirect(attempt)


_ALREADY_SUBMITTED = (
    "This attempt was already submitted and graded, so nothing was changed. Start a "
    "new attempt to try again."
)


def _close_expired(request: HttpRequest, *, exam_id: int) -> bool:
    """Grades the learner's attempts of the exam whose time is up (a learner coming
    back), telling them; whether any was graded."""
    outcomes = services.exam_attempts_close_expired(user=request.user, exam_id=exam_id)
    for outcome in outcomes:
        messages.info(request, services.closed_attempt_notice(outcome))
    return bool(outcomes)


def _refused(request: HttpRequest, attempt: Attempt, reason: str) -> HttpResponse:
    return render(
        request,
        "exams/attempt_refused.html",
        {"attempt": attempt, "exam": attempt.exam, "reason": reason},
        status=400,
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def attempt_detail(request: HttpRequest, attempt_id: int) -> HttpResponse:
    """The exam while it is open (GET take, POST save or submit); its result after."""
    attempt = selectors.attempt_for_owner(attempt_id=attempt_id, user=request.user)
    if request.method == "POST":
        return _attempt_post(request, attempt)
    if (
        attempt.is_open
        and selectors.time_is_up(attempt=attempt)
        and _close_expired(request, exam_id=attempt.exam_id)
    ):
        # Came back after the time was up: graded as of then, shown as a result.
        attempt = selectors.attempt_for_owner(attempt_id=attempt_id, user=request.user)
    if not attempt.is_open:
        return render(
            request,
            "exams/attempt_result.html",
            {
                "result": selectors.attempt_result(attempt=attempt, user=request.user),
                "attempt": attempt,
                "exam": attempt.exam,
                "course": attempt.exam.course,
            },
        )
    items = selectors.attempt_questions_shown(attempt=attempt)
    time_is_up = selectors.time_is_up(attempt=attempt)
    return render(
        request,
        "exams/attempt_take.html",
        {
            "attempt": attempt,
            "exam": attempt.exam,
            "course": attempt.exam.course,
            # The questions and their choices, as AttemptForm reads them back.
            "items": items,
            "answered": sum(1 for item in items if item.selected_key),
            "time_is_up": time_is_up,
            "may_miss": selectors.may_miss_sentence(
                questions=attempt.question_count, pass_mark=attempt.pass_mark
            ),
        },
    )


def _attempt_post(request: HttpRequest, attempt: Attempt) -> HttpResponse:
    if request.POST.get("action") != AttemptForm.SAVE:
        # Submits are rate-limited per learner (saving answers is not).
        try:
            services.exam_rate_limit_hit(user=request.user, action="submit")
        except services.ExamRateLimited as limited:
            return _rate_limited(request, limited, back=attempt.get_absolute_url())
    form = AttemptForm(request.POST, items=selectors.attempt_items(attempt=attempt))
    if not form.is_valid():
        return _refused(request, attempt, form.error_summary())
    if not attempt.is_open:
        messages.info(request, _ALREADY_SUBMITTED)
        return redirect(attempt)
    try:
        if not form.submitting:
            services.exam_attempt_answer(attempt=attempt, answers=form.answers())
            messages.success(request, "Your answers are saved.")
            return redirect(attempt)
        outcome = services.exam_attempt_submit(attempt=attempt, answers=form.answers())
    except services.InvalidAnswers as invalid:
        return _refused(request, attempt, invalid.message)
    except (services.AttemptClosed, services.TimeIsUp) as closed:
        messages.error(request, closed.message)
        return redirect(attempt)
    if not outcome.graded_now:
        messages.info(request, _ALREADY_SUBMITTED)
    elif outcome.late_answers_ignored:
        messages.warning(
            request,
            "Time was up before you submitted, so answers changed after the deadline "
            "were not counted.",
        )
    if outcome.lessons_tested_out:
        messages.success(
            request,
            f"You passed before studying, so the {outcome.lessons_tested_out} "
            f"lesson{'s' if outcome.lessons_tested_out != 1 else ''} of "
            f"{attempt.exam.module.title} count as done.",
        )
    if outcome.waiting_for_prerequisites:
        messages.warning(
            request,
            f"You passed, but {attempt.exam.course.title} completes only once you hold "
            "a current certificate in each of its prerequisite courses.",
        )
    if outcome.completed_course:
        messages.success(
            request,
            f"Congratulations: you have completed {attempt.exam.course.title}. Your "
            "certificate is on its way.",
        )
    return redirect(attempt)


@login_required
@require_POST
def answer(request: HttpRequest, attempt_id: int) -> HttpResponse:
    """Autosave (exam.js): the answers not yet saved, as they change. 204 when
    saved, 400 for answers the attempt did not present, 409 when it is closed or
    time is up. The questions the post names are read once, under the attempt's
    lock (the service)."""

    def parse(items: list) -> dict[int, str]:
        form = AttemptForm(request.POST, items=items)
        if not form.is_valid():
            raise services.InvalidAnswers(form.error_summary())
        return form.answers()

    try:
        services.exam_attempt_autosave(
            attempt_id=attempt_id,
            user=request.user,
            positions=answer_positions(request.POST),
            parse=parse,
            single=single_answer(request.POST),
        )
    except services.AttemptNotFound:
        raise Http404("No such attempt.") from None
    except (
        services.InvalidAnswers,  # 400
        services.AttemptClosed,  # 409
        services.TimeIsUp,  # 409
    ) as refused:
        return JsonResponse({"error": refused.message}, status=refused.status)
    return HttpResponse(status=204)


@login_required
def history(request: HttpRequest, exam_id: int) -> HttpResponse:
    exam = selectors.exam_for_viewer(exam_id=exam_id, as_staff=staff_verified(request))
    _close_expired(request, exam_id=exam.pk)
    return render(
        request,
        "exams/exam_history.html",
        {
            "exam": exam,
            "course": exam.course,
            "attempts": selectors.attempt_history(user=request.user, exam=exam),
        },
    )


@staff_verified_required
@permission_required("exams.view_exam", raise_exception=True)
def statistics(request: HttpRequest, exam_id: int) -> HttpResponse:
    """Item analysis for authors, linked from the exam's admin page. The question
    table sorts by any column (?sort=facility, ?sort=-facility) and pages
    (StatisticsQueryForm.PER_PAGE rows)."""
    exam = selectors.exam_for_viewer(exam_id=exam_id, as_staff=staff_verified(request))
    sort, descending, page_number = StatisticsQueryForm(request.GET).query()
    stats = selectors.exam_statistics(exam=exam)
    rows = selectors.question_stats_sorted(
        stats.questions, sort=sort, descending=descending
    )
    page = Paginator(rows, StatisticsQueryForm.PER_PAGE).get_page(page_number)
    return render(
        request,
        "exams/exam_statistics.html",
        {
            "stats": stats,
            "exam": exam,
            "page": page,
            "columns": _statistics_columns(sort, descending),
            "sort_param": f"-{sort}" if descending else sort,
            "min_answers": selectors.MIN_ANSWERS_TO_FLAG,
            "low_discrimination": selectors.LOW_DISCRIMINATION,
            "too_easy": selectors.TOO_EASY,
            "too_hard": selectors.TOO_HARD,
        },
    )


def _statistics_columns(sort: str, descending: bool) -> list[dict]:
    """The question table's sortable headers: label, the link's sort value (the
    current column flips its direction) and aria-sort for the current one."""
    labels = {
        "order": "#",
        "question": "Question",
        "topic": "Topic",
        "answers": "Answers",
        "facility": "Facility",
        "discrimination": "Discrimination",
    }
    columns = []
    for name, label in labels.items():
        current = name == sort
        columns.append(
            {
                "name": name,
                "label": label,
                "numeric": name in {"order", "answers", "facility", "discrimination"},
                "link": f"-{name}" if current and not descending else name,
                "aria_sort": (
                    ("descending" if descending else "ascending") if current else ""
                ),
            }
        )
    return columns
