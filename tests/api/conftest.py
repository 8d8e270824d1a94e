"""Fixtures for the API tests: a certificate issued through the service."""

from __future__ import annotations

import pytest
from django.utils import timezone

from courses.models import Enrollment
from tests import factories


@pytest.fixture
def issued(user, bls, mailoutbox):
    """The learner's BLS certificate, issued by the service (a real code)."""
    from certificates.services.issuing import certificate_issue

    enrollment = factories.EnrollmentFactory(
        user=user,
        course=bls,
        status=Enrollment.Status.COMPLETED,
        completed_at=timezone.now(),
    )
    return certificate_issue(enrollment=enrollment)


# The organization world of tests/organizations (Mercy Hospital, its
# administrator, job roles and requirements), for the organization endpoints.
from tests.organizations.conftest import (  # noqa: E402
    nurse,
    org_admin,
    organization,
    required,
    today,
)

__all__ = ["nurse", "org_admin", "organization", "required", "today"]
