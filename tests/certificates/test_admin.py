"""The admin: revoking certificates and working the outside-card review queue."""

from __future__ import annotations

import pytest
from django.contrib.admin import helpers
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from certificates.models import Certificate, ExternalCertificate
from tests import factories

from .uploads import image_bytes

pytestmark = pytest.mark.django_db

CERTIFICATES = reverse("admin:certificates_certificate_changelist")
CARDS = reverse("admin:certificates_externalcertificate_changelist")


def _action(url: str, client, action: str, objects, **extra):
    data = {
        "action": action,
        helpers.ACTION_CHECKBOX_NAME: [obj.pk for obj in objects],
        **extra,
    }
    return client.post(url, data)


def test_revoke_action_asks_for_a_reason_first(staff_client, issued):
    response = _action(CERTIFICATES, staff_client, "revoke", [issued])
    assert response.status_code == 200
    page = response.content.decode()
    assert "Reason for revoking" in page
    assert issued.code in page
    issued.refresh_from_db()
    assert issued.status == Certificate.Status.VALID


def test_revoke_action_without_a_reason_revokes_nothing(staff_client, issued):
    response = _action(
        CERTIFICATES, staff_client, "revoke", [issued], apply="1", reason=" "
    )
    assert response.status_code == 200
    issued.refresh_from_db()
    assert issued.status == Certificate.Status.VALID


def test_revoke_action_revokes_with_reason_and_records_who(staff_client, issued):
    other = factories.CertificateFactory()
    response = _action(
        CERTIFICATES,
        staff_client,
        "revoke",
        [issued, other],
        apply="1",
        reason="Exam taken by someone else",
    )
    assert response.status_code == 302
    for certificate in (issued, other):
        certificate.refresh_from_db()
        assert certificate.status == Certificate.Status.REVOKED
        assert certificate.revoked_by == staff_client.user
        assert certificate.revoke_reason == "Exam taken by someone else"
        history = LogEntry.objects.get(object_id=str(certificate.pk))
        assert history.user == staff_client.user
        assert "Exam taken by someone else" in history.get_change_message()


def test_certificate_page_is_view_only_with_links(staff_client, issued):
    url = reverse("admin:certificates_certificate_change", args=[issued.pk])
    page = staff_client.get(url).content.decode()
    assert reverse("certificates:pdf", args=[issued.code]) in page
    assert issued.get_absolute_url() in page
    assert 'name="_save"' not in page


def test_certificates_cannot_be_added_or_deleted_by_hand(staff_client, issued):
    add = reverse("admin:certificates_certificate_add")
    assert staff_client.get(add).status_code == 403
    delete = reverse("admin:certificates_certificate_delete", args=[issued.pk])
    assert staff_client.post(delete, {"post": "yes"}).status_code == 403
    assert Certificate.objects.filter(pk=issued.pk).exists()


def test_certificate_list_query_count_is_fixed(
    staff_client, django_assert_max_num_queries
):
    factories.CertificateFactory.create_batch(30)
    # +1: the staff-TOTP check on every admin page (accounts.middleware).
    with django_assert_max_num_queries(9):
        response = staff_client.get(CERTIFICATES)
    assert response.status_code == 200


# --- Review queue --------------------------------------------------------------------


@pytest.fixture
def cards(bls, acls):
    return {
        "pending": factories.ExternalCertificateFactory(
            course=bls, card_number="CARD-pending"
        ),
        "approved": factories.ExternalCertificateFactory(
            course=bls,
            status=ExternalCertificate.Status.APPROVED,
            card_number="CARD-approved",
            reviewed_at=timezone.now(),
        ),
    }


def test_review_queue_opens_on_pending_cards(staff_client, cards):
    page = staff_client.get(CARDS).content.decode()
    assert "CARD-pending" in page
    assert "CARD-approved" not in page
    everything = staff_client.get(CARDS, {"review": "all"}).content.decode()
    assert "CARD-approved" in everything


def test_review_queue_query_count_is_fixed(
    staff_client, bls, acls, django_assert_max_num_queries
):
    factories.ExternalCertificateFactory.create_batch(30, course=bls)
    # +1: the staff-TOTP check on every admin page (accounts.middleware).
    with django_assert_max_num_queries(7):
        response = staff_client.get(CARDS)
    assert response.status_code == 200


def test_approve_action_shows_the_cards_then_approves(
    staff_client, cards, mailoutbox, django_capture_on_commit_callbacks
):
    card = cards["pending"]
    page = _action(CARDS, staff_client, "approve_cards", [card]).content.decode()
    assert "CARD-pending" in page
    assert reverse("certificates:external_file", args=[card.pk]) in page
    with django_capture_on_commit_callbacks(execute=True):
        response = _action(
            CARDS, staff_client, "approve_cards", [card], apply="1", note=""
        )
    assert response.status_code == 302
    card.refresh_from_db()
    assert card.status == ExternalCertificate.Status.APPROVED
    assert card.reviewed_by == staff_client.user
    assert len(mailoutbox) == 1


def test_reject_action_requires_a_note(staff_client, cards):
    card = cards["pending"]
    response = _action(CARDS, staff_client, "reject_cards", [card], apply="1")
    assert response.status_code == 200
    card.refresh_from_db()
    assert card.status == ExternalCertificate.Status.PENDING
    response = _action(
        CARDS,
        staff_client,
        "reject_cards",
        [card],
        apply="1",
        note="Card number not found with the issuer.",
    )
    assert response.status_code == 302
    card.refresh_from_db()
    assert card.status == ExternalCertificate.Status.REJECTED
    assert card.review_note == "Card number not found with the issuer."


def test_card_page_previews_an_image_and_links_to_decisions(staff_client, bls, acls):
    card = factories.ExternalCertificateFactory(
        course=bls,
        file=SimpleUploadedFile("x.jpg", image_bytes("JPEG")),
        content_type="image/jpeg",
    )
    url = reverse("admin:certificates_externalcertificate_change", args=[card.pk])
    page = staff_client.get(url).content.decode()
    file_url = reverse("certificates:external_file", args=[card.pk])
    assert f'<img src="{file_url}"' in page
    decide = reverse(
        "admin:certificates_externalcertificate_decide", args=[card.pk, "approve"]
    )
    assert decide in page


def test_single_card_decision_from_its_page(staff_client, cards):
    card = cards["pending"]
    url = reverse(
        "admin:certificates_externalcertificate_decide", args=[card.pk, "reject"]
    )
    assert "Note to the learner" in staff_client.get(url).content.decode()
    response = staff_client.post(url, {"apply": "1", "note": "Expired card."})
    assert response.status_code == 302
    card.refresh_from_db()
    assert card.status == ExternalCertificate.Status.REJECTED


def test_reviewing_needs_the_change_permission(client, cards):
    # Staff with an authenticator app (the admin requires it), view permission only.
    viewer = factories.StaffFactory(is_superuser=False)
    viewer.user_permissions.add(
        Permission.objects.get(codename="view_externalcertificate")
    )
    factories.login_with_mfa(client, viewer)
    card = cards["pending"]
    url = reverse(
        "admin:certificates_externalcertificate_decide", args=[card.pk, "approve"]
    )
    assert client.post(url, {"apply": "1"}).status_code == 403
    card.refresh_from_db()
    assert card.status == ExternalCertificate.Status.PENDING


@pytest.fixture
def image_card(bls):
    learner = factories.UserFactory(
        legal_name="Samuel Okafor", profession="paramedic", email="sam@example.org"
    )
    return factories.ExternalCertificateFactory(
        user=learner,
        course=bls,
        file=SimpleUploadedFile("card.png", image_bytes("PNG"), "image/png"),
        content_type="image/png",
    )


def test_card_page_shows_who_the_learner_is_and_a_file_link_that_works(
    staff_client, image_card
):
    page = staff_client.get(
        reverse("admin:certificates_externalcertificate_change", args=[image_card.pk])
    ).content.decode()
    assert "Samuel Okafor" in page
    assert "Paramedic" in page
    file_url = reverse("certificates:external_file", args=[image_card.pk])
    assert f'href="{file_url}"' in page
    assert "Open the card full size" in page
    # The storage's own URL is never served (uploads are private): no dead link.
    assert "/media/" not in page
    assert staff_client.get(file_url).status_code == 200


def test_card_review_page_shows_legal_name_profession_and_the_card(
    staff_client, image_card
):
    response = _action(CARDS, staff_client, "approve_cards", [image_card])
    page = response.content.decode()
    assert "Samuel Okafor" in page
    assert "Paramedic" in page
    file_url = reverse("certificates:external_file", args=[image_card.pk])
    assert f'<img src="{file_url}"' in page
    assert "Open the card full size" in page
