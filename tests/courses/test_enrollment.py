from __future__ import annotations

from datetime import timedelta
from html import unescape

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from certificates.models import Certificate, ExternalCertificate
from courses.models import Enrollment
from courses.services import (
    EnrollmentRefused,
    bundle_enroll,
    enrollment_complete,
    enrollment_create,
    enrollments_activate_waiting,
)
from tests.factories import (
    BundleFactory,
    CertificateFactory,
    CourseFactory,
    EnrollmentFactory,
    ExternalCertificateFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def test_acls_enrolment_refused_without_current_bls(user, acls):
    with pytest.raises(EnrollmentRefused) as refused:
        enrollment_create(user=user, course=acls)
    assert [c.slug for c in refused.value.missing] == ["bls"]
    assert not Enrollment.objects.filter(user=user, course=acls).exists()


def test_acls_enrolment_post_refused_with_message_naming_both_ways_in(
    learner_client, acls
):
    response = learner_client.post(
        reverse("courses:enroll", args=["acls"]), follow=True
    )
    assert not Enrollment.objects.filter(course=acls).exists()
    page = response.content.decode()
    assert "requires a current certificate in Basic Life Support" in page
    assert reverse("courses:detail", args=["bls"]) in page
    assert reverse("certificates:external_upload") in page


def _bls_certificate(user, bls, **kwargs):
    return CertificateFactory(
        enrollment=EnrollmentFactory(
            user=user,
            course=bls,
            status=Enrollment.Status.COMPLETED,
            completed_at=timezone.now(),
        ),
        **kwargs,
    )


def test_acls_enrolment_allowed_with_current_bls_certificate(user, bls, acls):
    _bls_certificate(user, bls)
    enrollment = enrollment_create(user=user, course=acls)
    assert enrollment.status == Enrollment.Status.ACTIVE


def test_acls_enrolment_refused_with_expired_bls_certificate(user, bls, acls):
    today = timezone.localdate()
    _bls_certificate(
        user,
        bls,
        issued_on=today - timedelta(days=800),
        expires_on=today - timedelta(days=1),
    )
    with pytest.raises(EnrollmentRefused):
        enrollment_create(user=user, course=acls)


def test_acls_enrolment_refused_with_revoked_bls_certificate(user, bls, acls):
    _bls_certificate(
        user,
        bls,
        status=Certificate.Status.REVOKED,
        revoked_at=timezone.now(),
        revoke_reason="Issued in error",
    )
    with pytest.raises(EnrollmentRefused):
        enrollment_create(user=user, course=acls)


@pytest.mark.parametrize(
    "status", [ExternalCertificate.Status.PENDING, ExternalCertificate.Status.REJECTED]
)
def test_acls_enrolment_refused_with_unapproved_outside_card(
    user, bls, acls, status, staff
):
    reviewed = (
        {}
        if status == "pending"
        else {"reviewed_at": timezone.now(), "reviewed_by": staff}
    )
    ExternalCertificateFactory(user=user, course=bls, status=status, **reviewed)
    with pytest.raises(EnrollmentRefused):
        enrollment_create(user=user, course=acls)


def test_acls_enrolment_refused_with_expired_outside_card(user, bls, acls, staff):
    today = timezone.localdate()
    ExternalCertificateFactory(
        user=user,
        course=bls,
        status=ExternalCertificate.Status.APPROVED,
        reviewed_at=timezone.now(),
        reviewed_by=staff,
        issued_on=today - timedelta(days=800),
        expires_on=today - timedelta(days=1),
    )
    with pytest.raises(EnrollmentRefused):
        enrollment_create(user=user, course=acls)


def test_acls_enrolment_allowed_with_approved_current_outside_card(
    user, bls, acls, staff
):
    ExternalCertificateFactory(
        user=user,
        course=bls,
        status=ExternalCertificate.Status.APPROVED,
        reviewed_at=timezone.now(),
        reviewed_by=staff,
    )
    assert enrollment_create(user=user, course=acls).status == Enrollment.Status.ACTIVE


def test_someone_elses_certificate_does_not_count(user, bls, acls):
    _bls_certificate(UserFactory(), bls)
    with pytest.raises(EnrollmentRefused):
        enrollment_create(user=user, course=acls)


def test_enrolment_is_idempotent(user, bls):
    first = enrollment_create(user=user, course=bls)
    assert enrollment_create(user=user, course=bls) == first
    assert Enrollment.objects.filter(user=user, course=bls).count() == 1


def test_draft_course_cannot_be_enrolled_or_seen(learner_client):
    draft = CourseFactory(slug="draft-course", is_published=False)
    assert learner_client.get(draft.get_absolute_url()).status_code == 404
    assert (
        learner_client.post(reverse("courses:enroll", args=[draft.slug])).status_code
        == 404
    )
    assert not Enrollment.objects.exists()
    assert (
        draft.title
        not in learner_client.get(reverse("courses:catalog")).content.decode()
    )


def test_enrol_requires_post_and_login(client, bls):
    url = reverse("courses:enroll", args=["bls"])
    assert client.post(url).status_code == 302  # to log in
    assert not Enrollment.objects.exists()
    user = UserFactory()
    client.force_login(user)
    assert client.get(url).status_code == 405


def test_holder_can_renew_only_within_90_days_of_expiry(user, bls):
    today = timezone.localdate()
    cert = _bls_certificate(
        user,
        bls,
        issued_on=today - timedelta(days=300),
        expires_on=today + timedelta(days=120),
    )
    with pytest.raises(EnrollmentRefused, match="renew"):
        enrollment_create(user=user, course=bls)
    cert.expires_on = today + timedelta(days=90)
    cert.save(update_fields=["expires_on"])
    assert enrollment_create(user=user, course=bls).status == Enrollment.Status.ACTIVE


@pytest.mark.parametrize(
    ("days_left", "allowed"), [(91, False), (90, True), (89, True)]
)
def test_renewal_opens_exactly_90_days_before_expiry(
    learner_client, user, bls, days_left, allowed
):
    today = timezone.localdate()
    expires_on = today + timedelta(days=days_left)
    _bls_certificate(
        user, bls, issued_on=expires_on - timedelta(days=730), expires_on=expires_on
    )
    response = learner_client.post(reverse("courses:enroll", args=["bls"]), follow=True)
    opened = Enrollment.objects.filter(user=user, course=bls, status="active")
    assert opened.exists() is allowed
    if not allowed:
        opens = expires_on - timedelta(days=90)
        assert (
            f"You can renew it from {opens:%B %-d, %Y}, 90 days before it expires."
            in unescape(response.content.decode())
        )
        # Bundles skip the course for the same reason, on the same day.
        assert bundle_enroll(user=user, bundle=BundleFactory(courses=[bls])) == []
        with time_machine.travel(timezone.now() + timedelta(days=1)):
            assert enrollment_create(user=user, course=bls).status == "active"


def test_bundle_enrolment_waits_for_bls_then_activates_acls(
    user, bls, acls, learner_client
):
    bundle = BundleFactory(courses=[bls, acls])
    enrollments = bundle_enroll(user=user, bundle=bundle)
    assert [e.status for e in enrollments] == ["active", "waiting"]
    dashboard = learner_client.get(reverse("courses:dashboard")).content.decode()
    assert "Waiting for Basic Life Support" in dashboard
    # Lessons of the waiting course stay closed.
    lesson_url = reverse("courses:lesson", args=["acls", "rhythms", "vf"])
    assert learner_client.get(lesson_url).status_code == 302
    _bls_certificate(user, bls)
    activated = enrollments_activate_waiting(user=user)
    assert [e.course.slug for e in activated] == ["acls"]
    assert learner_client.get(lesson_url).status_code == 200


def test_bundle_refused_when_a_prerequisite_is_outside_the_bundle(user, bls, acls):
    bundle = BundleFactory(courses=[acls])
    with pytest.raises(EnrollmentRefused):
        bundle_enroll(user=user, bundle=bundle)
    assert not Enrollment.objects.exists()


def test_open_enrollment_is_unique_but_completed_ones_are_history(user, bls):
    EnrollmentFactory(
        user=user,
        course=bls,
        status=Enrollment.Status.COMPLETED,
        completed_at=timezone.now(),
    )
    second = enrollment_create(user=user, course=bls)
    assert second.status == Enrollment.Status.ACTIVE
    assert Enrollment.objects.filter(user=user, course=bls).count() == 2


def test_bundle_skips_a_course_already_held_and_enrols_the_next(user, bls, acls):
    _bls_certificate(user, bls)
    enrollments = bundle_enroll(user=user, bundle=BundleFactory(courses=[bls, acls]))
    assert [(e.course.slug, e.status) for e in enrollments] == [("acls", "active")]


def test_bundle_with_a_draft_course_is_refused(user, bls, acls):
    acls.is_published = False
    acls.save()
    with pytest.raises(EnrollmentRefused):
        bundle_enroll(user=user, bundle=BundleFactory(courses=[bls, acls]))
    assert not Enrollment.objects.exists()


def test_bundle_enrolment_twice_keeps_one_enrollment_each_and_activates_unblocked(
    user, bls, acls
):
    bundle = BundleFactory(courses=[bls, acls])
    bundle_enroll(user=user, bundle=bundle)
    _bls_certificate(user, bls)
    again = bundle_enroll(user=user, bundle=bundle)
    # The open BLS enrollment is kept as it is; the waiting ACLS one is now unblocked.
    assert [(e.course.slug, e.status) for e in again] == [
        ("bls", "active"),
        ("acls", "active"),
    ]
    assert Enrollment.objects.filter(user=user, course=acls).get().status == "active"


def test_enrollment_complete_twice_completes_once(
    user, bls, django_capture_on_commit_callbacks
):
    enrollment = EnrollmentFactory(user=user, course=bls)
    with django_capture_on_commit_callbacks(execute=True) as first:
        assert enrollment_complete(enrollment=enrollment) is True
    enrollment.refresh_from_db()
    completed_at = enrollment.completed_at
    assert enrollment.status == Enrollment.Status.COMPLETED
    with (
        time_machine.travel(timezone.now() + timedelta(hours=2)),
        django_capture_on_commit_callbacks(execute=True) as second,
    ):
        assert enrollment_complete(enrollment=enrollment) is False
        stale = Enrollment.objects.get(pk=enrollment.pk)
        stale.status = Enrollment.Status.ACTIVE  # a caller holding an old copy
        assert enrollment_complete(enrollment=stale) is False
    assert len(first) == 1 and second == []
    enrollment.refresh_from_db()
    assert enrollment.completed_at == completed_at
    assert Certificate.objects.filter(enrollment=enrollment).count() == 1


@pytest.mark.parametrize(
    "held",
    ["nothing", "a pending outside card", "a rejected outside card", "a revoked one"],
)
def test_waiting_enrollments_stay_closed_while_a_prerequisite_is_missing(
    learner_client, user, staff, bls, acls, held
):
    bundle = BundleFactory(courses=[bls, acls])
    bundle_enroll(user=user, bundle=bundle)
    if held == "a pending outside card":
        ExternalCertificateFactory(user=user, course=bls)
    elif held == "a rejected outside card":
        ExternalCertificateFactory(
            user=user,
            course=bls,
            status=ExternalCertificate.Status.REJECTED,
            reviewed_at=timezone.now(),
            reviewed_by=staff,
        )
    elif held == "a revoked one":
        _bls_certificate(
            user,
            bls,
            status=Certificate.Status.REVOKED,
            revoked_at=timezone.now(),
            revoke_reason="Issued in error",
        )
    # Every way in that opens waiting enrollments checks the prerequisites first.
    assert enrollments_activate_waiting(user=user) == []
    assert enrollment_create(user=user, course=acls).status == "waiting"
    assert [e.status for e in bundle_enroll(user=user, bundle=bundle)] == [
        "active",
        "waiting",
    ]
    waiting = Enrollment.objects.get(user=user, course=acls)
    assert waiting.status == Enrollment.Status.WAITING
    assert waiting.activated_at is None
    lesson_url = reverse("courses:lesson", args=["acls", "rhythms", "vf"])
    assert learner_client.get(lesson_url)["Location"] == acls.get_absolute_url()
