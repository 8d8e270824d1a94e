"""Certificates reacts to what lower apps publish, and answers what they ask.

- courses publishes EnrollmentCompleted: the certificate is issued (queued after
  commit; Celery runs eagerly here);
- accounts publishes LegalNameSet: the certificates that waited for a name are issued;
- courses asks courses.credentials which courses a learner holds, until when: the one
  "current credential" rule, written in certificates.selectors.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from accounts.events import LegalNameSet
from accounts.services import user_profile_update
from certificates import handlers, selectors
from certificates.models import Certificate, ExternalCertificate
from core.events import subscribers
from courses import credentials
from courses.events import EnrollmentCompleted
from courses.models import Enrollment
from courses.selectors import prerequisites_missing
from courses.services import enrollment_complete
from tests import factories

pytestmark = pytest.mark.django_db


def test_certificates_subscribes_to_completions_and_legal_names():
    assert handlers.enrollment_completed in subscribers(EnrollmentCompleted)
    assert handlers.legal_name_set in subscribers(LegalNameSet)
    assert selectors.current_credentials in credentials._sources


def test_completing_through_the_courses_service_issues_exactly_one_certificate(
    user, bls, mailoutbox, django_capture_on_commit_callbacks
):
    enrollment = factories.EnrollmentFactory(user=user, course=bls)
    with django_capture_on_commit_callbacks(execute=True):
        assert enrollment_complete(enrollment=enrollment) is True
    with django_capture_on_commit_callbacks(execute=True):
        assert enrollment_complete(enrollment=enrollment) is False  # again: nothing

    certificate = Certificate.objects.get(enrollment=enrollment)
    assert certificate.user == user
    assert Certificate.objects.count() == 1
    [message] = mailoutbox
    assert certificate.code in message.body


def test_a_completion_rolled_back_issues_nothing(
    user, bls, django_capture_on_commit_callbacks
):
    enrollment = factories.EnrollmentFactory(user=user, course=bls)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                enrollment_complete(enrollment=enrollment)
                raise RuntimeError("the surrounding request failed")
        except RuntimeError:
            pass

    assert callbacks == []
    assert not Certificate.objects.exists()


def test_a_first_legal_name_issues_the_certificates_that_waited(
    bls, mailoutbox, django_capture_on_commit_callbacks
):
    learner = factories.UserFactory(legal_name="")
    waiting = factories.EnrollmentFactory(
        user=learner,
        course=bls,
        status=Enrollment.Status.COMPLETED,
        completed_at=timezone.now(),
    )
    with django_capture_on_commit_callbacks(execute=True):
        user_profile_update(user=learner, data={"legal_name": "Grace Hopper"})

    assert Certificate.objects.get(enrollment=waiting).holder_name == "Grace Hopper"
    assert len(mailoutbox) == 1


def test_changing_an_existing_legal_name_publishes_nothing(
    user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        user_profile_update(user=user, data={"legal_name": "Another Name"})
    assert callbacks == []


# --- The current credential ----------------------------------------------------------


def test_current_credentials_are_the_latest_valid_ones_ours_or_approved_cards(
    user, bls, acls
):
    today = timezone.localdate()
    later = today + timedelta(days=400)
    factories.CertificateFactory(
        user=user,
        course=bls,
        enrollment__user=user,
        enrollment__course=bls,
        issued_on=today - timedelta(days=300),
        expires_on=today + timedelta(days=30),
    )
    factories.ExternalCertificateFactory(
        user=user,
        course=bls,
        status=ExternalCertificate.Status.APPROVED,
        reviewed_at=timezone.now(),
        expires_on=later,
    )
    # None of these count: revoked, expired, pending, rejected.
    factories.CertificateFactory(
        user=user,
        course=acls,
        enrollment__user=user,
        enrollment__course=acls,
        status=Certificate.Status.REVOKED,
        revoked_at=timezone.now(),
        revoke_reason="Forged",
    )
    factories.CertificateFactory(
        user=user,
        course=acls,
        enrollment__user=user,
        enrollment__course=acls,
        issued_on=today - timedelta(days=800),
        expires_on=today - timedelta(days=1),
    )
    factories.ExternalCertificateFactory(user=user, course=acls)
    factories.ExternalCertificateFactory(
        user=factories.UserFactory(),
        course=acls,
        status="approved",
        reviewed_at=timezone.now(),
    )

    held = credentials.current_credentials(user=user)

    # Held until the card's expiry; by our own certificate until its own.
    assert held == {
        bls.pk: credentials.Held(
            expires_on=later, ours_expires_on=today + timedelta(days=30)
        )
    }
    assert prerequisites_missing(user=user, course=acls) == []


def test_a_certificate_is_current_through_its_last_day(user, bls):
    today = timezone.localdate()
    factories.CertificateFactory(
        user=user,
        course=bls,
        enrollment__user=user,
        enrollment__course=bls,
        issued_on=today - timedelta(days=700),
        expires_on=today,
    )
    assert credentials.current_credentials(user=user) == {
        bls.pk: credentials.Held(expires_on=today, ours_expires_on=today)
    }


def test_an_anonymous_visitor_holds_nothing(bls):
    from django.contrib.auth.models import AnonymousUser

    assert credentials.current_credentials(user=AnonymousUser()) == {}
