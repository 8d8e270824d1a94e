"""The weekly digest through real Redis and a real Celery worker process: two beat
runs at once (two beats, or a beat and an operator) send each organization's
digest once (issue 17)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.dates import site_today
from organizations.models import Membership, WeeklyDigest
from organizations.tasks import send_weekly_digests
from tests import factories

from .worker import wait_for

pytestmark = [
    pytest.mark.worker,
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.slow,
]


def test_two_digest_runs_at_once_send_each_organizations_digest_once(worker):
    today = site_today()
    course = factories.CourseFactory(slug="bls", code="BLS")
    admins = []
    for n in range(6):
        organization = factories.OrganizationFactory()
        factories.RequirementFactory(organization=organization, course=course)
        admin = factories.MembershipFactory(
            organization=organization, role=Membership.Role.ADMIN
        )
        admins.append(admin.user.email)
        holder = factories.MembershipFactory(organization=organization)
        factories.CertificateFactory(
            enrollment=factories.EnrollmentFactory(
                user=holder.user,
                course=course,
                status="completed",
                completed_at=factories.timezone.now(),
            ),
            expires_on=today + timedelta(days=30 + n),
        )
    factories.OrganizationFactory()  # no administrator: no digest

    send_weekly_digests.apply_async((today.isoformat(),))
    send_weekly_digests.apply_async((today.isoformat(),))

    wait_for(
        lambda: WeeklyDigest.objects.filter(sent_at__isnull=False).count() == 6,
        what=f"the digests; worker log:\n{worker.log()[-3000:]}",
    )
    worker.wait_until_idle()
    recipients = sorted(message["To"] for message in worker.messages())
    assert recipients == sorted(admins)
    assert WeeklyDigest.objects.count() == 6
