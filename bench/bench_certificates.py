"""Certificate benchmarks, run in a throw-away database (bench/run.py starts this).

1. Issuing throughput of one worker process: render, render + store, and the whole
   `certificate_issue` service (row, PDF rendered and stored, e-mail with the PDF
   attached handed to the mail backend), sequentially, as one worker process does.
2. A renewal-reminder run over 100,000 certificates whose expiry dates are spread over
   two years (so about 4 x 137 are due on any day): selection alone, the first run
   (sends), and a second run the same day (sends nothing).

The database comes from DATABASE_URL, which bench/run.py points at a bench database;
this script refuses to run against anything else. Prints one JSON object.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

if os.environ.get("LIFELINE_BENCH") != "1":
    sys.exit("Run bench/run.py: it creates the bench database this script fills.")

import django  # noqa: E402

django.setup()

from django.contrib.auth.hashers import make_password  # noqa: E402
from django.core import mail  # noqa: E402
from django.core.files.base import ContentFile  # noqa: E402
from django.core.files.storage import default_storage  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from certificates.codes import generate_code  # noqa: E402
from certificates.models import Certificate, RenewalReminder  # noqa: E402
from certificates.pdf import render_certificate_pdf  # noqa: E402
from certificates.selectors import (  # noqa: E402
    REMINDER_DAYS_BEFORE_EXPIRY,
    certificates_due_for_reminder,
)
from certificates.services.issuing import (  # noqa: E402
    certificate_document,
    certificate_issue,
)
from certificates.services.reminders import (  # noqa: E402
    REMINDER_BATCH,
    renewal_reminders_send,
    renewal_reminders_send_batch,
)
from courses.models import Course, Enrollment  # noqa: E402

ISSUE_COUNT = int(os.environ.get("BENCH_ISSUE_COUNT", "200"))
RELAY_SAMPLE = int(os.environ.get("BENCH_RELAY_SAMPLE", "300"))
RELAY_DELAY = 0.2  # seconds per message: a relay of 5 messages a second
REMINDER_CERTIFICATES = int(os.environ.get("BENCH_REMINDER_CERTIFICATES", "100000"))
BATCH = 5000


def _timed(function) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def _sampled(function) -> tuple[float, float]:
    """Wall-clock and CPU seconds of one call. On a shared machine the CPU time is
    the steadier figure; the wall clock includes database and disk waits."""
    wall, cpu = time.perf_counter(), time.process_time()
    function()
    return time.perf_counter() - wall, time.process_time() - cpu


def _course() -> Course:
    course, _ = Course.objects.get_or_create(
        slug="bls",
        defaults={
            "title": "Basic Life Support",
            "code": "BLS",
            "summary": "Bench course.",
            "hours": "4.5",
            "validity_months": 24,
            "is_published": True,
        },
    )
    return course


def _users(count: int, prefix: str) -> list[User]:
    password = make_password(None)  # unusable: nobody logs in as these
    users = [
        User(
            email=f"{prefix}{n}@bench.example.org",
            legal_name=f"Bench Learner {n}",
            password=password,
        )
        for n in range(count)
    ]
    User.objects.bulk_create(users, batch_size=BATCH)
    return list(User.objects.filter(email__startswith=prefix).order_by("pk"))


def _completed(users: list[User], course: Course, prefix: str) -> list[Enrollment]:
    now = timezone.now()
    Enrollment.objects.bulk_create(
        [
            Enrollment(
                user=u,
                course=course,
                status=Enrollment.Status.COMPLETED,
                activated_at=now,
                completed_at=now,
            )
            for u in users
        ],
        batch_size=BATCH,
    )
    return list(
        Enrollment.objects.filter(user__email__startswith=prefix)
        .select_related("user", "course")
        .order_by("pk")
    )


def bench_issuing() -> dict:
    course = _course()
    enrollments = _completed(_users(ISSUE_COUNT, "issue"), course, "issue")
    warm = certificate_issue(enrollment=enrollments.pop())  # fonts, templates, imports
    document = certificate_document(certificate=warm)

    render = [_sampled(lambda: render_certificate_pdf(document)) for _ in enrollments]

    def render_and_store() -> None:
        content = render_certificate_pdf(document)
        default_storage.save(f"bench/{warm.code}.pdf", ContentFile(content))

    store = [_sampled(render_and_store) for _ in enrollments]
    mail.outbox = []
    issue = [_sampled(lambda e=e: certificate_issue(enrollment=e)) for e in enrollments]
    assert len(mail.outbox) == len(enrollments), "every certificate e-mailed"

    def summary(samples: list[tuple[float, float]]) -> dict:
        wall = [w for w, _ in samples]
        mean = statistics.fmean(wall)
        return {
            "n": len(samples),
            "mean_ms": round(mean * 1000, 1),
            "p95_ms": round(statistics.quantiles(wall, n=20)[-1] * 1000, 1),
            "cpu_ms": round(statistics.fmean(c for _, c in samples) * 1000, 1),
            "per_second": round(1 / mean, 1),
        }

    return {
        "render": summary(render),
        "render_and_store": summary(store),
        "certificate_issue": summary(issue),
        "pdf_bytes": len(render_certificate_pdf(document)),
    }


def bench_reminders() -> dict:
    course = _course()
    today = timezone.localdate()
    start = time.perf_counter()
    users = _users(REMINDER_CERTIFICATES, "remind")
    enrollments = _completed(users, course, "remind")
    # Expiry dates spread evenly from a year ago to a year ahead.
    certificates = []
    for n, enrollment in enumerate(enrollments):
        expires_on = today + timedelta(days=n % 730 - 365)
        certificates.append(
            Certificate(
                enrollment=enrollment,
                user=enrollment.user,
                course=course,
                code=generate_code("BLS"),
                holder_name=enrollment.user.legal_name,
                course_title=course.title,
                course_code=course.code,
                hours=course.hours,
                issued_on=expires_on - timedelta(days=730),
                expires_on=expires_on,
            )
        )
    Certificate.objects.bulk_create(certificates, batch_size=BATCH)
    # Steady state: every reminder whose first day came before today was sent on it
    # (the selection catches up, so without these rows the first run would send the
    # whole 120-day window at once).
    first_days = {
        today + timedelta(days=d) for d in REMINDER_DAYS_BEFORE_EXPIRY.values()
    }
    RenewalReminder.objects.bulk_create(
        [
            RenewalReminder(certificate_id=pk, kind=kind, sent_at=timezone.now())
            for pk, kind, expires_on in certificates_due_for_reminder(
                today=today
            ).values_list("pk", "reminder_kind", "expires_on")
            if expires_on not in first_days
        ],
        batch_size=BATCH,
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    seeded = time.perf_counter() - start

    selection = min(
        _timed(lambda: list(certificates_due_for_reminder(today=today)))
        for _ in range(3)
    )
    mail.outbox = []
    first_start = time.perf_counter()
    first = renewal_reminders_send(today=today)
    first_run = time.perf_counter() - first_start
    assert first.sent == len(mail.outbox) == first.due
    second_start = time.perf_counter()
    second = renewal_reminders_send(today=today)
    second_run = time.perf_counter() - second_start
    assert second.sent == 0
    return {
        "certificates": Certificate.objects.count(),
        "seed_s": round(seeded, 1),
        "due": first.due,
        "selection_ms": round(selection * 1000, 1),
        "first_run_s": round(first_run, 3),
        "per_reminder_ms": round(first_run / max(first.sent, 1) * 1000, 2),
        "second_run_ms": round(second_run * 1000, 1),
    }


def bench_reminder_relay() -> dict:
    """Reminder batches (as one worker process runs them) through a local SMTP sink
    that answers each message 0.2 s late, one at a time: a relay of 5 messages a
    second. The baseline is the same batches through the sink answering at once, in
    the same run. A sample, extrapolated to 10,000 reminders by the per-message cost."""
    from django.test import override_settings

    from tests.integration.outside import smtp_sink

    course = _course()
    today = timezone.localdate()

    def batches(prefix: str) -> list[list[int]]:
        enrollments = _completed(_users(RELAY_SAMPLE, prefix), course, prefix)
        Certificate.objects.bulk_create(
            Certificate(
                enrollment=e,
                user=e.user,
                course=course,
                code=generate_code("BLS"),
                holder_name=e.user.legal_name,
                course_title=course.title,
                course_code=course.code,
                hours=course.hours,
                issued_on=today - timedelta(days=700),
                expires_on=today + timedelta(days=30),
            )
            for e in enrollments
        )
        ids = list(
            Certificate.objects.filter(user__email__startswith=prefix)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        return [ids[i : i + REMINDER_BATCH] for i in range(0, len(ids), REMINDER_BATCH)]

    def run(prefix: str, delay: float) -> tuple[float, int]:
        work = batches(prefix)
        with smtp_sink(delay=delay) as sink:
            mailers = {
                "default": {
                    "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                    "OPTIONS": {"host": "127.0.0.1", "port": sink.port, "timeout": 10},
                }
            }
            with override_settings(MAILERS=mailers):
                start = time.perf_counter()
                sent = sum(
                    renewal_reminders_send_batch(certificate_ids=b, today=today).sent
                    for b in work
                )
                elapsed = time.perf_counter() - start
            assert sent == sink.count() == RELAY_SAMPLE, (sent, sink.count())
        return elapsed, sent

    base_s, _ = run("relay0-", 0.0)
    relay_s, sent = run("relay5-", RELAY_DELAY)
    per_message = relay_s / sent
    return {
        "sample": sent,
        "baseline_ms": round(base_s / sent * 1000, 1),
        "relay_ms": round(per_message * 1000, 1),
        "relay_floor_ms": RELAY_DELAY * 1000,
        "ratio_to_baseline": round(relay_s / base_s, 1),
        "ratio_to_floor": round(per_message / RELAY_DELAY, 3),
        "hours_for_10000": round(10_000 * per_message / 3600, 2),
    }


def main() -> None:
    call_command("migrate", verbosity=0, interactive=False)
    reminders = bench_reminders()  # first, so it runs over exactly its certificates
    result = {
        "database": connection.vendor,
        "issuing": bench_issuing(),
        "reminders": reminders,
        "relay": bench_reminder_relay(),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
