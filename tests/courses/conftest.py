"""Fixtures shared by the course tests."""

from __future__ import annotations

import pytest

from exams.models import Exam
from tests.exams.conftest import make_bank
from tests.factories import ExamFactory, LessonFactory, ModuleFactory


@pytest.fixture
def course(bls):
    """BLS: module 1 (two lessons, a quiz), module 2 (one lesson, a quiz), a final."""
    first = bls.modules.get()
    second = ModuleFactory(course=bls, slug="aed", title="Using an AED", order=2)
    LessonFactory(module=second, slug="aed-steps", title="AED steps", order=1)
    quiz1 = ExamFactory(
        course=bls, module=first, kind=Exam.Kind.MODULE, title="CPR quiz", draw_size=3
    )
    make_bank(quiz1, 3, lesson=first.lessons.order_by("order").first())
    quiz2 = ExamFactory(
        course=bls, module=second, kind=Exam.Kind.MODULE, title="AED quiz", draw_size=3
    )
    make_bank(quiz2, 3, lesson=second.lessons.get())
    final = ExamFactory(course=bls, title="BLS final exam", draw_size=3)
    make_bank(final, 3, lesson=second.lessons.get())
    return bls
