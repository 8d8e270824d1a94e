"""Reads of exams and attempts for taking them: the exam, the learner's attempt, its
questions, its deadline, and their history."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from courses.markdown import image_url

from ..models import Attempt, AttemptQuestion, Exam

# An answer or submit that left the browser just before the deadline may arrive a
# moment after it; this much lateness is forgiven, nothing more.
DEADLINE_GRACE = timedelta(seconds=10)


def time_is_up(*, attempt: Attempt, now: datetime | None = None) -> bool:
    """Whether the attempt's deadline (plus the grace) has passed."""
    if attempt.deadline is None:
        return False
    return (now or timezone.now()) > attempt.deadline + DEADLINE_GRACE


def exam_for_viewer(*, exam_id: int, user) -> Exam:
    """The exam, if its course is published (any exam for staff); else 404."""
    queryset = Exam.objects.select_related("course", "module")
    if not user.is_staff:
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


def attempt_items(*, attempt: Attempt) -> list[AttemptQuestion]:
    """The presented questions in order, each with `image_src` (one query)."""
    items = list(attempt.items.order_by("position"))
    set_image_src(items, course_slug=attempt.exam.course.slug)
    return items


def set_image_src(items: list[AttemptQuestion], *, course_slug: str) -> None:
    for item in items:
        item.image_src = image_url(course_slug, item.image) if item.image else ""


def attempt_history(*, user, exam: Exam) -> QuerySet[Attempt]:
    """The learner's attempts of `exam`, newest first (one query)."""
    return Attempt.objects.filter(user=user, exam=exam).order_by("-started_at", "-pk")
