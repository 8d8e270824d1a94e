"""The certificate sweeper's time window (issue 19): every 10 minutes it re-checks
completions of the last two weeks only, through an index, so its cost follows recent
completions and not all history; what the window cannot see is the nightly full
sweep's."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from certificates.models import Certificate
from certificates.selectors import SWEEP_ISSUE_WINDOW, enrollments_missing_certificate
from certificates.tasks import sweep_missing_certificates
from courses.models import Enrollment
from tests import factories

pytestmark = pytest.mark.django_db


def completed(course, ago: timedelta, user=None) -> Enrollment:
    return factories.EnrollmentFactory(
        course=course,
        status=Enrollment.Status.COMPLETED,
        completed_at=timezone.now() - ago,
        **({"user": user} if user else {}),
    )


def test_work_owed_from_a_two_day_broker_outage_is_still_queued(bls, mailoutbox):
    lost = completed(bls, timedelta(days=2))
    assert sweep_missing_certificates.delay().get() == 1
    assert Certificate.objects.filter(enrollment=lost).exists()
    assert len(mailoutbox) == 1


def test_the_frequent_sweep_leaves_old_history_to_the_nightly_one(bls, mailoutbox):
    inside = completed(bls, SWEEP_ISSUE_WINDOW - timedelta(hours=1))
    old = completed(bls, SWEEP_ISSUE_WINDOW + timedelta(hours=1))

    assert sweep_missing_certificates.delay().get() == 1
    assert Certificate.objects.filter(enrollment=inside).exists()
    assert not Certificate.objects.filter(enrollment=old).exists()

    assert sweep_missing_certificates.delay(full=True).get() == 1
    assert Certificate.objects.filter(enrollment=old).exists()
    assert sweep_missing_certificates.delay(full=True).get() == 0


def test_a_legal_name_added_months_later_is_issued_by_the_full_sweep(bls, user):
    """The learner's own event queues the certificate; if the broker lost that
    task, the nightly sweep (or the command's --all) issues it."""
    user.legal_name = ""
    user.save()
    waited = completed(bls, timedelta(days=90), user=user)
    user.legal_name = "Ana María López"
    user.save(update_fields=["legal_name"])  # the handler's task "lost"
    assert sweep_missing_certificates.delay().get() == 0
    call_command("sweep_certificates", "--all")
    assert Certificate.objects.filter(enrollment=waited).exists()


def test_the_nightly_full_sweep_is_scheduled_beside_the_frequent_one():
    schedule = settings.CELERY_BEAT_SCHEDULE
    task = "certificates.tasks.sweep_missing_certificates"
    entries = [entry for entry in schedule.values() if entry["task"] == task]
    assert sorted(entry.get("kwargs", {}).get("full", False) for entry in entries) == [
        False,
        True,
    ]


def test_the_window_is_a_range_on_completion_time():
    """The frequent sweep's query bounds completion time on both sides (the range
    the partial index `enrollment_completed_idx` serves); the full one does not."""
    now = timezone.now()
    windowed = str(
        enrollments_missing_certificate(
            completed_before=now, completed_after=now - SWEEP_ISSUE_WINDOW
        ).query
    )
    full = str(enrollments_missing_certificate(completed_before=now).query)
    assert '"completed_at" >=' in windowed
    assert '"completed_at" >=' not in full


@pytest.mark.postgres
def test_postgresql_reads_only_the_window_through_the_index(bls):
    """With old history present, the plan reads the partial index on completion
    time with the window as its condition: old completions are never visited."""
    for days in (1, 40, 400):
        completed(bls, timedelta(days=days))
    now = timezone.now()
    query = enrollments_missing_certificate(
        completed_before=now, completed_after=now - SWEEP_ISSUE_WINDOW
    ).values_list("pk", flat=True)[:1000]
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        # A handful of rows: make the planner show what it would do at scale.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "enrollment_completed_idx" in plan, plan
    assert "Seq Scan on courses_enrollment" not in plan, plan
    index_lines = [
        line
        for line in plan.splitlines()
        if "Index Cond" in line and "completed_at >=" in line
    ]
    assert index_lines, plan
