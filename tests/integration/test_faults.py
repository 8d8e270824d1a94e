"""Faults injected under a real worker: kills, dropped database connections, a Redis
restart without persistence. Every test ends with the same count: one certificate, one
PDF and one e-mail per completion (or one reminder per certificate), however the work
was interrupted.

Each test runs its own redis-server (tests/integration/outside.py) and a counting SMTP
sink that answers each message late, so an interruption lands while the mail server
holds a message the worker has not heard back about: the window that used to produce
second e-mails.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from kombu import Connection

from certificates.models import Certificate
from certificates.tasks import (
    issue_certificate,
    send_renewal_reminders,
    sweep_missing_certificates,
)
from courses.models import Enrollment
from tests import factories

from .worker import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.postgres, pytest.mark.slow]

FAULT_TIMEOUT = 40  # seconds; each test takes 10-20 s on a quiet 2-CPU machine


def _completions(count: int, *, ago: timedelta = timedelta(0)) -> list[Enrollment]:
    course = factories.CourseFactory(slug="bls", title="Basic Life Support", code="BLS")
    return [
        factories.EnrollmentFactory(
            course=course,
            status=Enrollment.Status.COMPLETED,
            completed_at=timezone.now() - ago,
        )
        for _ in range(count)
    ]


def _all_emailed(enrollments: list[Enrollment]) -> bool:
    return Certificate.objects.filter(
        enrollment__in=enrollments, emailed_at__isnull=False
    ).count() == len(enrollments)


def _assert_one_of_each(enrollments, sink, media_dir) -> None:
    """One certificate, one stored PDF and one e-mail per completion."""
    certificates = Certificate.objects.filter(enrollment__in=enrollments)
    assert certificates.count() == len(enrollments)
    pdfs = sorted(p.name for p in (media_dir / "certificates").glob("*.pdf"))
    assert pdfs == sorted(f"{c.code}.pdf" for c in certificates)
    received = Counter(message["To"] for message in sink.messages())
    assert received == Counter(e.user.email for e in enrollments), received
    ids = [message["Message-ID"] for message in sink.messages()]
    assert sorted(ids) == sorted(
        f"<certificate-issued.{c.code}@127.0.0.1>" for c in certificates
    )


def _restore_unacknowledged(redis_url: str) -> None:
    """What Redis does once the visibility timeout of a dead worker's messages has
    passed (10 minutes in production): puts them back on their queue."""
    with Connection(redis_url, transport_options={"visibility_timeout": 0}) as conn:
        conn.default_channel.qos.restore_visible(num=1000, interval=1)


def _wait_holding(sink, *, messages: int) -> None:
    """Waits until the sink took `messages` and holds another one unanswered."""
    wait_for(
        lambda: sink.count() >= messages and sink.holding.is_set(),
        timeout=FAULT_TIMEOUT,
        what=f"{messages} messages in the sink",
    )


def test_worker_killed_while_the_mail_server_holds_a_message_sends_it_once(
    fault_workers, private_redis, sink
):
    sink.delay = 0.3
    enrollments = _completions(10)
    first = fault_workers()
    for enrollment in enrollments:
        first.send(issue_certificate, enrollment.pk)
    _wait_holding(sink, messages=3)
    first.kill()  # SIGKILL, main process and pool children, mid-send

    _restore_unacknowledged(private_redis.url())
    second = fault_workers()
    wait_for(
        lambda: sink.count() >= len(enrollments),
        timeout=FAULT_TIMEOUT,
        what=f"every e-mail; log:\n{second.log()[-3000:]}",
    )
    second.wait_until_idle()
    _assert_one_of_each(enrollments, sink, second.media_dir)


def test_database_connections_terminated_mid_task_are_retried_and_mail_goes_once(
    fault_workers, sink
):
    sink.delay = 0.15
    enrollments = _completions(12)
    worker = fault_workers()
    terminate = (
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
    )
    # First, for certain, a connection dropped inside a transaction: the worker waits
    # on the first enrollment's row lock (held here) when its connection goes.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM courses_enrollment WHERE id = %s FOR UPDATE",
            [enrollments[0].pk],
        )
        for enrollment in enrollments:
            worker.send(issue_certificate, enrollment.pk)

        def waiting() -> bool:
            # Statistics are a snapshot per transaction unless cleared.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                " AND datname = current_database()"
            )
            return cursor.fetchone()[0] > 0

        wait_for(waiting, timeout=FAULT_TIMEOUT, what="the worker on the row lock")
        cursor.execute(terminate)
        terminated = cursor.fetchone()[0]

    deadline = time.monotonic() + FAULT_TIMEOUT
    while not _all_emailed(enrollments) and time.monotonic() < deadline:
        # While the sink holds a message the worker is between "claimed" and "sent";
        # a little later it is creating a certificate or storing a PDF.
        if sink.holding.wait(timeout=0.5):
            time.sleep(0.01 if terminated % 2 else 0.2)
            with connection.cursor() as cursor:
                cursor.execute(terminate)
                terminated += cursor.fetchone()[0]
            time.sleep(0.3)

    assert _all_emailed(enrollments), f"log:\n{worker.log()[-4000:]}"
    worker.wait_until_idle()
    assert terminated >= 3
    assert "database error, retry" in worker.log()
    _assert_one_of_each(enrollments, sink, worker.media_dir)


def test_reminders_a_killed_run_did_not_send_go_out_the_next_day_once(
    fault_workers, sink
):
    sink.delay = 0.3
    today = timezone.localdate()
    certificates = [
        factories.CertificateFactory(
            issued_on=today - timedelta(days=700), expires_on=today + timedelta(days=30)
        )
        for _ in range(12)
    ]
    first = fault_workers()
    first.send(send_renewal_reminders)
    _wait_holding(sink, messages=3)
    first.kill()

    # The next day (relative to every expiry): the daily run catches up.
    Certificate.objects.update(
        expires_on=F("expires_on") - 1, issued_on=F("issued_on") - 1
    )
    second = fault_workers()
    second.send(send_renewal_reminders)
    wait_for(
        lambda: sink.count() >= len(certificates),
        timeout=FAULT_TIMEOUT,
        what=f"every reminder; log:\n{second.log()[-3000:]}",
    )
    second.wait_until_idle()
    received = Counter(message["To"] for message in sink.messages())
    assert received == Counter(c.user.email for c in certificates)


def test_redis_restart_without_persistence_under_a_busy_worker_loses_nothing(
    fault_workers, private_redis, sink
):
    # Completed before the sweeper's grace period: what the restart loses, it finds.
    ago = timedelta(minutes=settings.CERTIFICATE_SWEEP_GRACE_MINUTES + 1)
    enrollments = _completions(16, ago=ago)
    worker = fault_workers(production_flags=True)  # gossip, mingle, heartbeat on
    for enrollment in enrollments:
        worker.send(issue_certificate, enrollment.pk)
    wait_for(lambda: sink.count() >= 4, timeout=FAULT_TIMEOUT, what="4 e-mails")
    private_redis.restart()  # the queue and the unacknowledged messages are gone

    def swept() -> bool:
        try:
            worker.send(sweep_missing_certificates)
        except Exception:
            return False
        return True

    wait_for(swept, timeout=FAULT_TIMEOUT, what="Redis back")
    wait_for(
        lambda: _all_emailed(enrollments),
        timeout=FAULT_TIMEOUT,
        what=f"every certificate; log:\n{worker.log()[-4000:]}",
    )
    worker.wait_until_idle()
    assert worker.alive(), worker.log()[-4000:]
    assert "Unrecoverable error" not in worker.log()
    _assert_one_of_each(enrollments, sink, worker.media_dir)
