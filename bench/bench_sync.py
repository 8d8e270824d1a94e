"""A no-change `sync_content` at two sizes of learner data: queries and seconds.

Run as `python bench/bench_sync.py` with DATABASE_URL naming a throw-away database
(it is migrated, loaded and filled with learner rows; default: a SQLite file in a
temporary folder). BENCH_SYNC_ITEMS sets how many attempt questions are seeded
(default 50,000), BENCH_SWEEP_COMPLETIONS how many completed enrollments the
certificate sweeper's query is measured over (default 60,000; one in 200 has no
certificate), and BENCH_SYNC_PARTS=sweep measures only the sweeper. Prints one line
per measurement.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")
if "DATABASE_URL" not in os.environ:
    os.environ["DATABASE_URL"] = (
        f"sqlite:///{tempfile.mkdtemp(prefix='bench-sync-')}/db.sqlite3"
    )

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from certificates.models import Certificate  # noqa: E402
from certificates.selectors import certificate_work_owed  # noqa: E402
from courses.models import Course, Enrollment  # noqa: E402
from curriculum.services import content_sync  # noqa: E402
from exams.models import Attempt, AttemptQuestion, Exam  # noqa: E402


def seed(items: int) -> None:
    """Learners with attempts of every exam, `items` attempt questions in all."""
    exams = list(Exam.objects.prefetch_related("questions"))
    per_attempt = 10
    attempts_needed = items // per_attempt
    learners = max(1, attempts_needed // len(exams))
    now = timezone.now()
    users = User.objects.bulk_create(
        User(email=f"bench-sync-{i}@example.com") for i in range(learners)
    )
    courses = list(Course.objects.all())
    enrollments = Enrollment.objects.bulk_create(
        Enrollment(user=u, course=c) for u in users for c in courses
    )
    by_key = {(e.user_id, e.course_id): e for e in enrollments}
    attempts = Attempt.objects.bulk_create(
        Attempt(
            user=u,
            exam=exam,
            enrollment=by_key[(u.pk, exam.course_id)],
            status="submitted",
            passed=False,
            correct_count=0,
            score=0,
            started_at=now,
            submitted_at=now,
            pass_mark=exam.pass_mark,
            question_count=per_attempt,
        )
        for u in users
        for exam in exams
    )
    questions = {exam.pk: list(exam.questions.all()) for exam in exams}
    rows = []
    for attempt in attempts:
        for position, q in enumerate(questions[attempt.exam_id][:per_attempt]):
            rows.append(
                AttemptQuestion(
                    attempt=attempt,
                    question=q,
                    position=position,
                    text_html="<p>q</p>",
                    choices=[],
                )
            )
    AttemptQuestion.objects.bulk_create(rows, batch_size=5000)


def measure(label: str, *, force: bool = False) -> None:
    connection.queries_log.clear()  # a full log stops counting (9,000 at most)
    with CaptureQueriesContext(connection) as ctx:
        start = time.perf_counter()
        report = content_sync(root=settings.CONTENT_DIR, force=force)
        seconds = time.perf_counter() - start
    assert not report.changed, report.lines()
    print(
        f"{connection.vendor:10} {label:38} {len(ctx.captured_queries):5} queries "
        f"{seconds:6.2f} s",
        flush=True,
    )


def sweep_figures(completions: int) -> None:
    """The certificate sweeper's enrollment query over `completions` completed
    enrollments spread over two years (none with a certificate): the frequent
    (windowed) sweep against the full one."""
    import inspect
    from datetime import timedelta

    now = timezone.now()
    courses = list(Course.objects.all())
    users = User.objects.bulk_create(
        User(email=f"bench-sweep-{i}@example.com", legal_name=f"Learner {i}")
        for i in range(completions // len(courses))
    )
    span = timedelta(days=730)
    enrollments = Enrollment.objects.bulk_create(
        (
            Enrollment(
                user=u,
                course=c,
                status="completed",
                completed_at=now - span * ((i * len(courses) + j) / completions),
            )
            for i, u in enumerate(users)
            for j, c in enumerate(courses)
        ),
        batch_size=5000,
    )
    # Every completion has its certificate but one in 200 (the task was lost).
    Certificate.objects.bulk_create(
        (
            Certificate(
                enrollment=e,
                user_id=e.user_id,
                course=e.course,
                code=f"BENCH-{e.pk}",
                holder_name="Learner",
                course_title=e.course.title,
                course_code=e.course.code,
                hours=e.course.hours,
                issued_on=e.completed_at.date(),
                expires_on=e.completed_at.date() + timedelta(days=730),
                issued_at=e.completed_at,
                emailed_at=e.completed_at,
            )
            for n, e in enumerate(enrollments)
            if n % 200
        ),
        batch_size=5000,
    )
    has_full = "full" in inspect.signature(certificate_work_owed).parameters
    for full in (False, True) if has_full else (None,):
        kwargs = {} if full is None else {"full": full}
        best = None
        for _ in range(5):
            start = time.perf_counter()
            owed = certificate_work_owed(
                grace=timedelta(minutes=10), now=timezone.now(), **kwargs
            )
            took = time.perf_counter() - start
            best = took if best is None else min(best, took)
        label = {None: "sweep (no window)", False: "sweep, 14-day window"}.get(
            full, "sweep, full (nightly)"
        )
        print(
            f"{connection.vendor:10} {label:38} {len(owed.enrollment_ids):5} owed   "
            f"{best * 1000:6.1f} ms (best of 5, {completions} completions)",
            flush=True,
        )


def main() -> None:
    call_command("migrate", verbosity=0)
    content_sync(root=settings.CONTENT_DIR)
    if os.environ.get("BENCH_SYNC_PARTS", "sync,sweep") == "sweep":
        sweep_figures(int(os.environ.get("BENCH_SWEEP_COMPLETIONS", "60000")))
        return
    measure("no-change sync, no learners")
    measure("no-change sync --force, no learners", force=True)
    items = int(os.environ.get("BENCH_SYNC_ITEMS", "50000"))
    seed(items)
    print(f"seeded {AttemptQuestion.objects.count()} attempt questions", flush=True)
    measure("no-change sync, learners")
    measure("no-change sync --force, learners", force=True)
    sweep_figures(int(os.environ.get("BENCH_SWEEP_COMPLETIONS", "60000")))


if __name__ == "__main__":
    main()
