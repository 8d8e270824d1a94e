"""Certificates through real Redis and a real Celery worker process.

Each test drives the system as production does: the web process commits and publishes,
the worker (another process, another database connection) does the work and e-mails.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from certificates.models import Certificate, RenewalReminder
from certificates.tasks import (
    issue_certificate,
    send_renewal_reminders,
    sweep_missing_certificates,
)
from courses.models import Enrollment
from courses.services import enrollment_complete
from tests import factories

from .worker import wait_for

pytestmark = [
    pytest.mark.worker,
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.slow,
]


@pytest.fixture
def bls_enrollment(transactional_db):
    course = factories.CourseFactory(slug="bls", title="Basic Life Support", code="BLS")
    factories.LessonFactory(module=factories.ModuleFactory(course=course))
    return factories.EnrollmentFactory(course=course)


def _emailed_certificate(enrollment: Enrollment) -> Certificate | None:
    return Certificate.objects.filter(
        enrollment=enrollment, emailed_at__isnull=False
    ).first()


def test_completion_is_certified_and_emailed_by_the_worker(worker, bls_enrollment):
    assert enrollment_complete(enrollment=bls_enrollment)

    certificate = wait_for(
        lambda: _emailed_certificate(bls_enrollment),
        what=f"the certificate; worker log:\n{worker.log()[-3000:]}",
    )
    assert certificate.holder_name == bls_enrollment.user.legal_name
    assert certificate.pdf.name == f"certificates/{certificate.code}.pdf"
    worker.wait_until_idle()
    [message] = worker.messages()
    assert message["To"] == bls_enrollment.user.email
    assert "Basic Life Support certificate" in message["Subject"]
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == f"Lifeline-{certificate.code}.pdf"
    assert attachment.get_content().startswith(b"%PDF-")
    assert certificate.verify_url in message.get_body(("plain",)).get_content()


def test_same_task_delivered_twice_issues_one_certificate_and_one_email(
    worker, bls_enrollment
):
    Enrollment.objects.filter(pk=bls_enrollment.pk).update(
        status=Enrollment.Status.COMPLETED, completed_at=timezone.now()
    )
    # Two deliveries at once: the worker's two processes run them concurrently.
    issue_certificate.apply_async((bls_enrollment.pk,))
    issue_certificate.apply_async((bls_enrollment.pk,))

    wait_for(lambda: _emailed_certificate(bls_enrollment), what="the certificate")
    worker.wait_until_idle()
    assert Certificate.objects.filter(enrollment=bls_enrollment).count() == 1
    assert len(worker.messages()) == 1


def test_broker_down_at_completion_keeps_it_and_the_sweeper_issues_later(
    worker, bls_enrollment
):
    # The web process that records the completion cannot reach its broker.
    completion = (
        "from courses.models import Enrollment; "
        "from courses.services import enrollment_complete; "
        f"enrollment_complete(enrollment=Enrollment.objects.get(pk={bls_enrollment.pk}))"
    )
    web = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", completion],
        cwd=settings.BASE_DIR,
        env={**worker.env, "REDIS_URL": "redis://127.0.0.1:1/0"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert web.returncode == 0, web.stderr
    assert "Broker unreachable" in web.stderr
    bls_enrollment.refresh_from_db()
    assert bls_enrollment.status == Enrollment.Status.COMPLETED
    assert not Certificate.objects.filter(enrollment=bls_enrollment).exists()

    # Time passes beyond the sweeper's grace period; the broker is back.
    Enrollment.objects.filter(pk=bls_enrollment.pk).update(
        completed_at=timezone.now()
        - timedelta(minutes=settings.CERTIFICATE_SWEEP_GRACE_MINUTES + 1)
    )
    sweep_missing_certificates.apply_async()

    wait_for(lambda: _emailed_certificate(bls_enrollment), what="the swept certificate")
    worker.wait_until_idle()
    assert Certificate.objects.filter(enrollment=bls_enrollment).count() == 1
    assert len(worker.messages()) == 1


def test_two_reminder_runs_at_once_send_each_reminder_once(worker):
    today = timezone.localdate()
    due = []
    for days in (90, 30, 7, -1) * 10:
        expires_on = today + timedelta(days=days)
        due.append(
            factories.CertificateFactory(
                issued_on=expires_on - timedelta(days=730), expires_on=expires_on
            )
        )
    factories.CertificateFactory(expires_on=today + timedelta(days=91))  # not due

    # Two beat processes, or a beat and an operator, fire at the same moment.
    send_renewal_reminders.apply_async((today.isoformat(),))
    send_renewal_reminders.apply_async((today.isoformat(),))

    wait_for(
        lambda: RenewalReminder.objects.count() == len(due),
        what=f"the reminders; worker log:\n{worker.log()[-3000:]}",
    )
    worker.wait_until_idle()
    recipients = sorted(message["To"] for message in worker.messages())
    assert recipients == sorted(c.user.email for c in due)
    assert RenewalReminder.objects.count() == len(due)


def test_readyz_with_workers_answers_ok_while_a_worker_runs(worker, client):
    from django.test import override_settings

    token = "monitor-" + "k9" * 16
    with override_settings(CELERY_TASK_ALWAYS_EAGER=False, READYZ_TOKEN=token):
        response = client.get(
            "/readyz?workers=1", headers={"Authorization": f"Bearer {token}"}
        )
    assert response.status_code == 200, response.json()
    assert response.json()["checks"]["workers"] == "ok"
