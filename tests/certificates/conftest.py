"""Fixtures for certificate tests: completed enrollments and issued certificates."""

from __future__ import annotations

import pytest
from django.utils import timezone

from courses.models import Enrollment
from tests import factories


@pytest.fixture
def completed_enrollment(user, bls):
    """The learner's BLS enrollment, completed now (no certificate yet)."""
    return factories.EnrollmentFactory(
        user=user,
        course=bls,
        status=Enrollment.Status.COMPLETED,
        completed_at=timezone.now(),
    )


@pytest.fixture
def issued(completed_enrollment, mailoutbox):
    """A certificate issued through the service (PDF stored, e-mail sent)."""
    from certificates.services.issuing import certificate_issue

    certificate = certificate_issue(enrollment=completed_enrollment)
    mailoutbox.clear()
    return certificate
