"""Concurrent exam submits and autosaves against a file-based SQLite database.

Run by `test_sqlite_concurrency.py` in a process of its own, so that the project's
real settings build the connection from DATABASE_URL (a file in a temporary folder):
the test suite's own SQLite database lives in memory, where locking differs. Migrates
the empty database, gives LEARNERS learners an open attempt each, then, all at the
same moment, one thread per learner autosaves answer after answer while another saves
and submits. Prints one JSON line: the errors raised (none expected) and what was
stored.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

LEARNERS = int(os.environ.get("RACE_LEARNERS", "8"))
SAVES = int(os.environ.get("RACE_SAVES", "6"))


def main() -> None:
    assert connection.vendor == "sqlite" and "memory" not in str(
        settings.DATABASES["default"]["NAME"]
    ), "needs a file-based SQLite database"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("migrate", verbosity=0, interactive=False)

    from courses.models import LessonProgress
    from exams.models import Attempt, AttemptQuestion, Exam
    from exams.services import (
        exam_attempt_answer,
        exam_attempt_start,
        exam_attempt_submit,
    )
    from tests.factories import (
        CourseFactory,
        EnrollmentFactory,
        ExamFactory,
        LessonFactory,
        ModuleFactory,
        QuestionFactory,
    )

    course = CourseFactory(slug="bls", title="Basic Life Support", code="BLS")
    module = ModuleFactory(course=course, slug="adult-cpr", order=1)
    lesson = LessonFactory(module=module, slug="adult-compressions", order=1)
    exam = ExamFactory(
        course=course, module=module, kind=Exam.Kind.MODULE, pass_mark=50, draw_size=5
    )
    for index in range(8):
        QuestionFactory(exam=exam, key=f"race-q{index}")
    attempts = []
    for _ in range(LEARNERS):
        enrollment = EnrollmentFactory(course=course)
        LessonProgress.objects.create(
            enrollment=enrollment, lesson=lesson, completed_at=timezone.now()
        )
        attempts.append(exam_attempt_start(user=enrollment.user, exam=exam)[0])
    connection.close()

    barrier = threading.Barrier(2 * LEARNERS)
    errors: list[str] = []

    def keys(attempt, *, correct: bool) -> dict[int, str]:
        items = AttemptQuestion.objects.filter(attempt=attempt).order_by("position")
        return {
            item.position: item.correct_key
            if correct
            else next(c["key"] for c in item.choices if not c["correct"])
            for item in items
        }

    def autosave(attempt) -> None:
        try:
            wrong = keys(attempt, correct=False)
            barrier.wait(timeout=30)
            for round_ in range(SAVES):
                position = round_ % len(wrong) + 1
                try:
                    exam_attempt_answer(
                        attempt=attempt, answers={position: wrong[position]}
                    )
                except Exception as error:
                    # Closed by the submit thread: expected, and not a lock error.
                    if type(error).__name__ != "AttemptClosed":
                        raise
        except Exception as error:
            errors.append(f"autosave: {type(error).__name__}: {error}")
        finally:
            connection.close()

    def submit(attempt) -> None:
        try:
            right = keys(attempt, correct=True)
            barrier.wait(timeout=30)
            for position in list(right)[:3]:
                exam_attempt_answer(
                    attempt=attempt, answers={position: right[position]}
                )
            exam_attempt_submit(attempt=attempt, answers=right)
        except Exception as error:
            errors.append(f"submit: {type(error).__name__}: {error}")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=target, args=(attempt,))
        for attempt in attempts
        for target in (autosave, submit)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    journal_mode = connection.cursor().execute("PRAGMA journal_mode").fetchone()[0]
    print(
        json.dumps(
            {
                "errors": errors,
                "graded": Attempt.objects.filter(
                    status=Attempt.Status.SUBMITTED
                ).count(),
                "learners": LEARNERS,
                "journal_mode": journal_mode,
                "stuck_threads": sum(thread.is_alive() for thread in threads),
            }
        )
    )


if __name__ == "__main__":
    main()
