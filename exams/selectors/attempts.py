"""Reads of exams and attempts for taking them: the exam, the learner's attempt, its
questions, its deadline, and their history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

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


def attempts_expired(*, now: datetime | None = None) -> QuerySet[Attempt]:
    """Open attempts whose time is up (`time_is_up`, in SQL): what the sweeper and a
    returning learner's pages grade as of their closing moment."""
    cut = (now or timezone.now()) - DEADLINE_GRACE
    return Attempt.objects.filter(
        Q(deadline__lt=cut)
        | Q(deadline__isnull=True, started_at__lt=cut - UNTIMED_ATTEMPT_LIFETIME),
        status=Attempt.Status.OPEN,
    )


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


def attempt_for_owner(*, attempt_id: int, user) -> Attempt:
    """The attempt if `user` took it; 404 for anyone else (staff included: they read
    attempts in the admin), so an attempt's existence is not revealed."""
    try:
        return Attempt.objects.select_related(
            "exam__course", "exam__module", "enrollment"
        ).get(pk=attempt_id, user=user)
    except Attempt.DoesNotExist:
        raise Http404("No such attempt.") from None


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
            attempt.items.order_by("position").values_list(
                "position", "text_html", "image", "image_alt", "choices", "selected_key"
            )
        )
    ]


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
