"""Reads of exams and attempts for taking them: the exam, the learner's attempt, its
questions, its deadline, and their history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from core.prepared import prepared
from courses.markdown import image_url

from ..models import Attempt, AttemptQuestion, Exam, answer_field_name

# An answer or submit that left the browser just before the deadline may arrive a
# moment after it; this much lateness is forgiven, nothing more.
DEADLINE_GRACE = timedelta(seconds=10)
# An untimed quiz left open closes this long after it started, graded on what was
# saved by then: an attempt is never open for ever (a stale one would be graded on
# answers the learner saved days apart, or hold the exam's "in progress" state).
UNTIMED_ATTEMPT_HOURS = 24
UNTIMED_ATTEMPT_LIFETIME = timedelta(hours=UNTIMED_ATTEMPT_HOURS)


def attempt_closes_at(attempt: Attempt) -> datetime:
    """The moment an attempt is graded as of when it is not submitted by then (its
    deadline plus DEADLINE_GRACE): the time limit's deadline, or for an untimed quiz
    UNTIMED_ATTEMPT_HOURS after it started. `attempts_expired` is the same rule in
    SQL."""
    if attempt.deadline is not None:
        return attempt.deadline
    return attempt.started_at + UNTIMED_ATTEMPT_LIFETIME


def time_is_up(*, attempt: Attempt, now: datetime | None = None) -> bool:
    """Whether the attempt's closing moment (plus the grace) has passed."""
    return (now or timezone.now()) > attempt_closes_at(attempt) + DEADLINE_GRACE


def _expired_q(cut: datetime, untimed_cut: datetime) -> Q:
    """`time_is_up` in SQL, for a clock reading `cut` + DEADLINE_GRACE; `untimed_cut`
    is `cut` - UNTIMED_ATTEMPT_LIFETIME."""
    return Q(
        Q(deadline__lt=cut) | Q(deadline__isnull=True, started_at__lt=untimed_cut),
        status=Attempt.Status.OPEN,
    )


def attempts_expired(*, now: datetime | None = None) -> QuerySet[Attempt]:
    """Open attempts whose time is up (`time_is_up`, in SQL): what the sweeper and a
    returning learner's pages grade as of their closing moment."""
    cut = (now or timezone.now()) - DEADLINE_GRACE
    return Attempt.objects.filter(_expired_q(cut, cut - UNTIMED_ATTEMPT_LIFETIME))


# A returning learner's pages ask for their own expired attempts on every request
# (exams.services.grading.exam_attempts_close_expired): compiled once per process
# (core.prepared). The untimed cut is a value of its own: arithmetic on a value is
# not something a prepared query can place.
@prepared(user_id=int, course_id=int, cut=datetime, untimed_cut=datetime)
def _expired_in_course(user_id, course_id, cut, untimed_cut) -> QuerySet[Attempt]:
    return _learner_expired(user_id, cut, untimed_cut).filter(exam__course_id=course_id)


@prepared(user_id=int, exam_id=int, cut=datetime, untimed_cut=datetime)
def _expired_of_exam(user_id, exam_id, cut, untimed_cut) -> QuerySet[Attempt]:
    return _learner_expired(user_id, cut, untimed_cut).filter(exam_id=exam_id)


def _learner_expired(user_id, cut, untimed_cut) -> QuerySet[Attempt]:
    return Attempt.objects.filter(
        _expired_q(cut, untimed_cut), user_id=user_id
    ).order_by("pk")


def learner_attempts_expired(
    *, user_id: int, exam_id: int | None = None, course_id: int | None = None
) -> list[Attempt]:
    """The learner's open attempts of one exam (`exam_id`) or of one course's exams
    (`course_id`) whose time is up, as `attempts_expired` selects them, in order.
    One query. Exactly one of the two is given (ValueError otherwise)."""
    if (exam_id is None) == (course_id is None):
        raise ValueError("Give one exam or one course.")
    cut = timezone.now() - DEADLINE_GRACE
    values = {
        "user_id": user_id,
        "cut": cut,
        "untimed_cut": cut - UNTIMED_ATTEMPT_LIFETIME,
    }
    if exam_id is not None:
        return _expired_of_exam(exam_id=exam_id, **values)
    return _expired_in_course(course_id=course_id, **values)


def exam_for_viewer(*, exam_id: int, as_staff: bool = False) -> Exam:
    """The exam, if its course is published (any exam for staff: `as_staff`, the
    request's accounts.selectors.staff_verified); else 404."""
    queryset = Exam.objects.select_related("course", "module")
    if not as_staff:
        queryset = queryset.filter(course__is_published=True, is_active=True)
    try:
        return queryset.get(pk=exam_id)
    except Exam.DoesNotExist:
        raise Http404("No such exam.") from None


# The exam pages and the autosave read the learner's attempt on every request:
# compiled once per process (core.prepared).
@prepared(attempt_id=int, user_id=int)
def _attempt_owned(attempt_id: int, user_id: int) -> QuerySet[Attempt]:
    return Attempt.objects.select_related(
        "exam__course", "exam__module", "enrollment"
    ).filter(pk=attempt_id, user_id=user_id)


def attempt_for_owner(*, attempt_id: int, user) -> Attempt:
    """The attempt if `user` took it; 404 for anyone else (staff included: they read
    attempts in the admin), so an attempt's existence is not revealed."""
    rows = (
        _attempt_owned(attempt_id=attempt_id, user_id=user.pk)
        if user.is_authenticated
        else []
    )
    if not rows:
        raise Http404("No such attempt.")
    return rows[0]


@dataclass(frozen=True, slots=True)
class QuestionShown:
    """A question of an open attempt as its page shows it: what the learner reads
    and what they chose, nothing of the grading (the keyed choices' `correct` flags
    stay on the server: the page writes only each choice's key and text)."""

    position: int
    text_html: str
    image_src: str
    image_alt: str
    choices: list[dict]
    selected_key: str

    @property
    def field_name(self) -> str:
        return answer_field_name(self.position)


def attempt_questions_shown(*, attempt: Attempt) -> list[QuestionShown]:
    """The attempt's page: its presented questions in order, as rows rather than
    model instances (building 50 instances was a fifth of the page: issue 19). One
    query."""
    course_slug = attempt.exam.course.slug
    return [
        QuestionShown(
            position=position,
            text_html=text_html,
            image_src=image_url(course_slug, image) if image else "",
            image_alt=image_alt,
            choices=choices,
            selected_key=selected_key,
        )
        for position, text_html, image, image_alt, choices, selected_key in (
            _questions_shown(attempt_id=attempt.pk)
        )
    ]


@prepared(attempt_id=int)
def _questions_shown(attempt_id: int) -> QuerySet[AttemptQuestion]:
    return (
        AttemptQuestion.objects.filter(attempt_id=attempt_id)
        .order_by("position")
        .values_list(
            "position", "text_html", "image", "image_alt", "choices", "selected_key"
        )
    )


def attempt_items(*, attempt: Attempt) -> list[AttemptQuestion]:
    """The presented questions in order, each with `image_src` (one query); not
    their explanations, which only a result shows."""
    items = list(attempt.items.defer("explanation_html").order_by("position"))
    set_image_src(items, course_slug=attempt.exam.course.slug)
    return items


def set_image_src(items: list[AttemptQuestion], *, course_slug: str) -> None:
    for item in items:
        item.image_src = image_url(course_slug, item.image) if item.image else ""


def attempt_history(*, user, exam: Exam) -> QuerySet[Attempt]:
    """The learner's attempts of `exam`, newest first (one query)."""
    return Attempt.objects.filter(user=user, exam=exam).order_by("-started_at", "-pk")
