"""Refusals carry the sentence a person reads (core/errors.py): no internal ids in
the message; the ids a caller needs are in `details`."""

from __future__ import annotations

import pytest
from django.utils import timezone

from certificates.errors import CertificateNotIssuable, HolderNameMissing
from certificates.services.issuing import certificate_issue
from courses.models import Enrollment
from tests import factories

pytestmark = pytest.mark.django_db


def test_an_unfinished_course_is_refused_a_certificate_in_words_not_ids():
    enrollment = factories.EnrollmentFactory(status=Enrollment.Status.ACTIVE)
    with pytest.raises(CertificateNotIssuable) as refused:
        certificate_issue(enrollment=enrollment)
    assert refused.value.code == "certificate.not_issuable"
    assert refused.value.message == (
        "This course is not completed yet, so no certificate can be issued."
    )
    assert refused.value.details == {"enrollment_id": enrollment.pk}


def test_a_missing_legal_name_is_refused_in_words_not_ids():
    enrollment = factories.EnrollmentFactory(
        status=Enrollment.Status.COMPLETED,
        completed_at=timezone.now(),
        user__legal_name="",
    )
    with pytest.raises(HolderNameMissing) as refused:
        certificate_issue(enrollment=enrollment)
    assert refused.value.message == (
        "Add your legal full name to your profile: it is printed on your certificate."
    )
    assert refused.value.details == {"user_id": enrollment.user.pk}
