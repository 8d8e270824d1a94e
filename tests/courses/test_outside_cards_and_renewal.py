"""Only our own certificates open and close the renewal window of our course; an
approved outside card counts as a prerequisite (review of issue 11: the refactor to
the credentials registry let an outside card refuse enrolment)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from certificates.models import ExternalCertificate
from courses.models import Enrollment
from courses.selectors import Offer, enrolment_panel_for
from courses.services import EnrollmentRefused, bundle_enroll, enrollment_create
from tests.factories import (
    BundleFactory,
    CertificateFactory,
    CourseFactory,
    ExternalCertificateFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def _outside_card(*, user, course, days=600):
    return ExternalCertificateFactory(
        user=user,
        course=course,
        status=ExternalCertificate.Status.APPROVED,
        reviewed_at=timezone.now(),
        expires_on=timezone.localdate() + timedelta(days=days),
    )


@pytest.fixture
def bls_and_acls():
    bls = CourseFactory(slug="bls-r", code="BLSR")
    acls = CourseFactory(slug="acls-r", code="ACLSR", prerequisites=[bls])
    return bls, acls


def test_an_outside_card_does_not_refuse_enrolment_in_our_own_course(bls_and_acls):
    bls, _ = bls_and_acls
    learner = UserFactory()
    _outside_card(user=learner, course=bls)
    try:
        enrollment = enrollment_create(user=learner, course=bls)
    except EnrollmentRefused as refused:
        pytest.fail(f"refused: {refused.code}: {refused.message}")
    assert enrollment.status == Enrollment.Status.ACTIVE


def test_the_course_page_offers_enrolment_to_an_outside_card_holder(bls_and_acls):
    bls, _ = bls_and_acls
    learner = UserFactory()
    _outside_card(user=learner, course=bls)
    assert enrolment_panel_for(user=learner, course=bls).offer == Offer.ENROL


def test_a_bundle_enrols_an_outside_card_holder_in_its_first_course_too(
    bls_and_acls,
):
    bls, acls = bls_and_acls
    bundle = BundleFactory(courses=[bls, acls])
    learner = UserFactory()
    _outside_card(user=learner, course=bls)
    enrolled = bundle_enroll(user=learner, bundle=bundle)
    assert [e.course for e in enrolled] == [bls, acls]
    assert {e.status for e in enrolled} == {Enrollment.Status.ACTIVE}


def test_an_outside_card_still_satisfies_the_prerequisite(bls_and_acls):
    bls, acls = bls_and_acls
    learner = UserFactory()
    _outside_card(user=learner, course=bls)
    enrollment = enrollment_create(user=learner, course=acls)
    assert enrollment.status == Enrollment.Status.ACTIVE


def test_our_certificate_outside_its_window_refuses_even_beside_a_longer_outside_card(
    bls_and_acls,
):
    bls, _ = bls_and_acls
    learner = UserFactory()
    today = timezone.localdate()
    ours = CertificateFactory(
        enrollment__user=learner,
        enrollment__course=bls,
        issued_on=today - timedelta(days=100),
        expires_on=today + timedelta(days=300),
    )
    _outside_card(user=learner, course=bls, days=700)
    with pytest.raises(EnrollmentRefused) as refused:
        enrollment_create(user=learner, course=bls)
    assert refused.value.code == "enrollment.renewal_not_open"
    panel = enrolment_panel_for(user=learner, course=bls)
    assert panel.offer == Offer.RENEWAL_NOT_OPEN
    assert panel.renewal_opens_on == ours.expires_on - timedelta(days=90)
