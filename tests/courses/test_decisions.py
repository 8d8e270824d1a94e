"""The course page's and the dashboard's decisions are made by selectors and the
credentials registry; the templates only display them."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from courses import credentials
from courses.selectors import (
    RENEWAL_WINDOW_DAYS,
    Offer,
    dashboard_for,
    enrolment_panel_for,
)
from tests.factories import (
    BundleFactory,
    CertificateFactory,
    EnrollmentFactory,
    ExternalCertificateFactory,
)

pytestmark = pytest.mark.django_db


def test_current_credentials_merge_every_source_keeping_the_latest_expiry(
    monkeypatch, user, bls, acls
):
    soon, later = date(2030, 1, 31), date(2031, 6, 30)
    Held = credentials.Held
    monkeypatch.setattr(credentials, "_sources", [])
    credentials.credential_source_register(
        lambda *, user: {bls.pk: Held(expires_on=soon, ours_expires_on=soon)}
    )
    credentials.credential_source_register(
        lambda *, user: {bls.pk: Held(expires_on=later), acls.pk: Held(expires_on=soon)}
    )
    # The latest of each kind: BLS is held until later, by our certificate until soon.
    assert credentials.current_credentials(user=user) == {
        bls.pk: Held(expires_on=later, ours_expires_on=soon),
        acls.pk: Held(expires_on=soon),
    }
    assert credentials.current_credentials(user=AnonymousUser()) == {}


def test_registered_certificates_source_counts_ours_and_approved_outside_cards(
    user, staff, bls, acls
):
    assert credentials.current_credentials(user=user) == {}
    ours = CertificateFactory(enrollment__user=user, enrollment__course=bls)
    card = ExternalCertificateFactory(
        user=user,
        course=acls,
        status="approved",
        reviewed_by=staff,
        reviewed_at=timezone.now(),
    )
    ExternalCertificateFactory(user=user, course=bls)  # pending: does not count
    assert credentials.current_credentials(user=user) == {
        bls.pk: credentials.Held(
            expires_on=ours.expires_on, ours_expires_on=ours.expires_on
        ),
        acls.pk: credentials.Held(expires_on=card.expires_on),
    }


def test_course_page_panel_for_each_kind_of_viewer(user, bls, acls):
    assert enrolment_panel_for(user=AnonymousUser(), course=acls).offer == (
        Offer.SIGN_UP
    )
    panel = enrolment_panel_for(user=user, course=acls)
    assert panel.offer == Offer.PREREQUISITES_MISSING
    assert [(p.course.slug, p.met) for p in panel.prerequisites] == [("bls", False)]
    assert enrolment_panel_for(user=user, course=bls).offer == Offer.ENROL

    certificate = CertificateFactory(enrollment__user=user, enrollment__course=bls)
    panel = enrolment_panel_for(user=user, course=bls)
    assert panel.offer == Offer.RENEWAL_NOT_OPEN
    assert panel.renewal_opens_on == certificate.expires_on - timedelta(
        days=RENEWAL_WINDOW_DAYS
    )
    panel = enrolment_panel_for(user=user, course=acls)
    assert panel.offer == Offer.ENROL
    assert [(p.course.slug, p.met) for p in panel.prerequisites] == [("bls", True)]

    EnrollmentFactory(user=user, course=acls)
    assert enrolment_panel_for(user=user, course=acls).offer == Offer.ENROLLED


def test_course_page_panel_of_a_bundle_enrollment_waiting(user, bls, acls):
    from courses.services import bundle_enroll

    bundle_enroll(user=user, bundle=BundleFactory(courses=[bls, acls]))
    panel = enrolment_panel_for(user=user, course=acls)
    assert panel.offer == Offer.WAITING
    assert [c.slug for c in panel.missing] == ["bls"]


def test_the_renewal_window_reaches_the_page_from_its_one_constant(
    learner_client, user, bls
):
    CertificateFactory(enrollment__user=user, enrollment__course=bls)
    page = learner_client.get(bls.get_absolute_url()).content.decode()
    assert f", {RENEWAL_WINDOW_DAYS} days before it expires." in page


def test_dashboard_rows_say_which_enrollments_wait_and_for_what(user, bls, acls):
    from courses.services import bundle_enroll

    bundle_enroll(user=user, bundle=BundleFactory(courses=[bls, acls]))
    rows = {r.enrollment.course.slug: r for r in dashboard_for(user=user)["open"]}
    assert (rows["bls"].waiting, rows["bls"].waiting_for) == (False, [])
    assert rows["acls"].waiting
    assert [c.slug for c in rows["acls"].waiting_for] == ["bls"]


def test_the_dashboard_offers_the_download_of_a_valid_certificate_only(user):
    """certificates decides whether its row offers the PDF (the rule the download
    view enforces); the courses template only shows it."""
    valid = CertificateFactory(enrollment__user=user)
    revoked = CertificateFactory(
        enrollment__user=user,
        status="revoked",
        revoked_at=timezone.now(),
        revoke_reason="Issued in error",
    )
    rows = dashboard_for(user=user)["certificates"]
    assert {(row.certificate, row.downloadable) for row in rows} == {
        (valid, True),
        (revoked, False),
    }
