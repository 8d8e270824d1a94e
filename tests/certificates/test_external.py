"""Outside cards: upload checked by content, staff review, decision e-mailed."""

from __future__ import annotations

import importlib
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone

from certificates.errors import ExternalCardPendingExists
from certificates.models import ExternalCertificate
from certificates.services.external import (
    external_certificate_review,
    external_certificate_submit,
)
from certificates.tasks import sweep_missing_certificates
from courses.models import Enrollment
from courses.services import EnrollmentRefused, enrollment_create
from tests import factories

from . import uploads
from .uploads import PDF, image_bytes, pdf_bytes

pytestmark = pytest.mark.django_db

UPLOAD_URL = reverse("certificates:external_upload")


def _form(course, upload, **overrides):
    today = timezone.localdate()
    data = {
        "course": course.pk,
        "issuer": "American Heart Association",
        "card_number": "215401234567",
        "issued_on": (today - timedelta(days=200)).isoformat(),
        "expires_on": (today + timedelta(days=500)).isoformat(),
        "file": upload,
    }
    return {**data, **overrides}


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("bls-card.pdf", PDF, "application/pdf"),
        ("scan.png", image_bytes("PNG"), "image/png"),
        ("photo.jpg", image_bytes("JPEG"), "image/jpeg"),
        # The name does not matter: a real PNG called .pdf is stored as a PNG.
        ("card.pdf", image_bytes("PNG"), "image/png"),
    ],
)
def test_learner_uploads_a_card_for_review(
    learner_client, bls, acls, name, content, content_type
):
    upload = SimpleUploadedFile(name, content, content_type="application/octet-stream")
    response = learner_client.post(UPLOAD_URL, _form(bls, upload), follow=True)
    card = ExternalCertificate.objects.get()
    assert card.user == learner_client.user
    assert card.course == bls
    assert card.status == ExternalCertificate.Status.PENDING
    assert card.content_type == content_type
    assert card.file.name.endswith(
        "." + content_type.split("/")[1].replace("jpeg", "jpg")
    )
    assert name not in card.file.name
    page = response.content.decode()
    assert "Waiting for review" in page
    assert "215401234567" in page


def test_text_file_renamed_to_png_is_refused(learner_client, bls, acls):
    upload = SimpleUploadedFile("card.png", b"just some text", content_type="image/png")
    response = learner_client.post(UPLOAD_URL, _form(bls, upload))
    assert response.status_code == 200
    assert "not a readable PDF, JPEG or PNG" in response.content.decode()
    assert not ExternalCertificate.objects.exists()


def test_truncated_png_is_refused(learner_client, bls, acls):
    broken = image_bytes("PNG")[:60]
    upload = SimpleUploadedFile("card.png", broken, content_type="image/png")
    learner_client.post(UPLOAD_URL, _form(bls, upload))
    assert not ExternalCertificate.objects.exists()


def test_html_disguised_as_pdf_is_refused(learner_client, bls, acls):
    upload = SimpleUploadedFile(
        "card.pdf", b"<html><script>alert(1)</script>", content_type="application/pdf"
    )
    learner_client.post(UPLOAD_URL, _form(bls, upload))
    assert not ExternalCertificate.objects.exists()


def test_file_over_5_mb_is_refused(learner_client, bls, acls):
    big = PDF + b"0" * (5 * 1024 * 1024)
    upload = SimpleUploadedFile("card.pdf", big, content_type="application/pdf")
    response = learner_client.post(UPLOAD_URL, _form(bls, upload))
    assert "the limit is 5.0\xa0MB" in response.content.decode()
    assert not ExternalCertificate.objects.exists()


# --- What a card file may contain -----------------------------------------------------


def _stored_files() -> list[str]:
    if not default_storage.exists("external-cards"):
        return []
    folders, _ = default_storage.listdir("external-cards")
    return [
        name
        for folder in folders
        for name in default_storage.listdir(f"external-cards/{folder}")[1]
    ]


def _refused(client, bls, content: bytes, name: str = "card.pdf") -> str:
    """Posts the file; asserts nothing was stored; returns the page."""
    upload = SimpleUploadedFile(name, content, content_type="application/pdf")
    response = client.post(UPLOAD_URL, _form(bls, upload))
    assert response.status_code == 200
    assert not ExternalCertificate.objects.exists()
    assert _stored_files() == []
    return response.content.decode()


@pytest.mark.parametrize(
    "change",
    [
        uploads.with_document_script,
        uploads.with_open_action_script,
        uploads.with_launch_open_action,
        uploads.with_page_open_action,
        uploads.with_xfa_form,
    ],
)
def test_pdf_with_scripts_or_actions_is_refused(learner_client, bls, acls, change):
    page = _refused(learner_client, bls, pdf_bytes(change=change))
    assert "This PDF contains scripts or automatic actions" in page


@pytest.mark.parametrize(
    "change", [uploads.with_embedded_file, uploads.with_file_attachment_annotation]
)
def test_pdf_with_attached_files_is_refused(learner_client, bls, acls, change):
    page = _refused(learner_client, bls, pdf_bytes(change=change))
    assert "This PDF has files attached inside it" in page


def test_encrypted_pdf_is_refused(learner_client, bls, acls):
    page = _refused(learner_client, bls, pdf_bytes(change=uploads.with_password))
    assert "password-protected or encrypted" in page


def test_pdf_with_more_pages_than_a_card_is_refused(learner_client, bls, acls):
    page = _refused(learner_client, bls, pdf_bytes(5))
    assert "This PDF has 5 pages; a card needs at most 4" in page


@pytest.mark.parametrize(
    "content",
    [
        b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n",  # header, no document
        b"%PDF-1.7\n" + bytes(range(256)) * 8,
        PDF[: len(PDF) // 3],
    ],
    ids=["no-document", "garbage", "truncated"],
)
def test_pdf_that_does_not_parse_is_refused(learner_client, bls, acls, content):
    page = _refused(learner_client, bls, content)
    assert "not a readable PDF, JPEG or PNG" in page


def test_pdf_of_four_pages_is_accepted(learner_client, bls, acls):
    upload = SimpleUploadedFile("card.pdf", pdf_bytes(4))
    learner_client.post(UPLOAD_URL, _form(bls, upload))
    assert ExternalCertificate.objects.get().content_type == "application/pdf"


def test_image_over_40_megapixels_is_refused(learner_client, bls, acls):
    # 8000 x 5001 = 40,008,000 pixels: a tiny file, under Pillow's own bomb limit.
    huge = image_bytes("PNG", size=(8000, 5001), mode="1")
    assert len(huge) < 100_000
    page = _refused(learner_client, bls, huge, name="card.png")
    assert "more than 40 megapixels" in page


def test_image_of_40_megapixels_is_accepted(learner_client, bls, acls):
    upload = SimpleUploadedFile(
        "card.png", image_bytes("PNG", size=(8000, 5000), mode="1")
    )
    learner_client.post(UPLOAD_URL, _form(bls, upload))
    assert ExternalCertificate.objects.get().content_type == "image/png"


def test_truncated_jpeg_is_refused(learner_client, bls, acls):
    # The header and the first rows are intact; the rest of the picture is missing.
    photo = image_bytes("JPEG", size=(640, 480))
    page = _refused(learner_client, bls, photo[: len(photo) // 2], name="card.jpg")
    assert "not a readable PDF, JPEG or PNG" in page


# --- One pending card per learner ------------------------------------------------------


def test_second_card_waits_until_the_first_is_decided(learner_client, bls, acls, staff):
    learner_client.post(UPLOAD_URL, _form(bls, SimpleUploadedFile("a.pdf", PDF)))
    first = ExternalCertificate.objects.get()
    second = _form(bls, SimpleUploadedFile("b.pdf", PDF), card_number="999888777")
    response = learner_client.post(UPLOAD_URL, second)
    assert response.status_code == 200
    assert "You already have a card waiting for review" in response.content.decode()
    assert list(ExternalCertificate.objects.all()) == [first]
    assert len(_stored_files()) == 1
    # Once staff decided the first, the learner can upload another.
    external_certificate_review(
        card=first, by=staff, approve=False, note="The scan is unreadable."
    )
    second["file"] = SimpleUploadedFile("b.pdf", PDF)
    response = learner_client.post(UPLOAD_URL, second)
    assert response.status_code == 302
    assert ExternalCertificate.objects.filter(status="pending").get().card_number == (
        "999888777"
    )


def test_service_refuses_a_second_pending_card(user, bls, acls):
    factories.ExternalCertificateFactory(user=user, course=bls)
    today = timezone.localdate()
    with pytest.raises(ValidationError, match="already have a card waiting"):
        external_certificate_submit(
            user=user,
            course=bls,
            issuer="Red Cross",
            card_number="RC-1",
            issued_on=today - timedelta(days=10),
            expires_on=today + timedelta(days=700),
            file=SimpleUploadedFile("c.pdf", PDF),
            content_type="application/pdf",
        )
    assert ExternalCertificate.objects.count() == 1


def test_database_allows_one_pending_card_per_learner(user, bls):
    factories.ExternalCertificateFactory(user=user, course=bls)
    factories.ExternalCertificateFactory(course=bls)  # another learner's
    with pytest.raises(IntegrityError):
        factories.ExternalCertificateFactory(user=user, course=bls)


@pytest.mark.parametrize(
    ("field", "days", "message"),
    [
        ("expires_on", -1, "This card has expired"),
        ("expires_on", 0, "This card has expired"),
        ("issued_on", 1, "cannot be in the future"),
    ],
)
def test_card_must_be_current_today(learner_client, bls, acls, field, days, message):
    upload = SimpleUploadedFile("card.pdf", PDF)
    when = (timezone.localdate() + timedelta(days=days)).isoformat()
    response = learner_client.post(UPLOAD_URL, _form(bls, upload, **{field: when}))
    assert message in response.content.decode()
    assert not ExternalCertificate.objects.exists()


def test_only_prerequisite_courses_accept_outside_cards(learner_client, bls, acls):
    page = learner_client.get(UPLOAD_URL).content.decode()
    assert f'<option value="{bls.pk}"' in page
    assert f'<option value="{acls.pk}"' not in page
    upload = SimpleUploadedFile("card.pdf", PDF)
    learner_client.post(UPLOAD_URL, _form(acls, upload))
    assert not ExternalCertificate.objects.exists()


def test_same_card_cannot_be_uploaded_twice_while_pending(learner_client, bls, acls):
    for _ in range(2):
        upload = SimpleUploadedFile("card.pdf", PDF)
        response = learner_client.post(UPLOAD_URL, _form(bls, upload))
    assert "You already uploaded this card" in response.content.decode()
    assert ExternalCertificate.objects.count() == 1


def test_upload_page_needs_a_login(client):
    response = client.get(UPLOAD_URL)
    assert response.status_code == 302


def test_learner_sees_only_their_own_cards(
    learner_client, bls, acls, django_assert_max_num_queries
):
    factories.ExternalCertificateFactory(course=bls, card_number="SOMEONE-ELSE")
    # One may be pending at a time; the rest were decided.
    factories.ExternalCertificateFactory(
        user=learner_client.user, course=bls, card_number="MINE-PENDING"
    )
    for n in range(15):
        factories.ExternalCertificateFactory(
            user=learner_client.user,
            course=bls,
            card_number=f"MINE-{n}",
            status=ExternalCertificate.Status.REJECTED,
            reviewed_at=timezone.now(),
        )
    with django_assert_max_num_queries(6):
        page = learner_client.get(UPLOAD_URL).content.decode()
    assert "MINE-14" in page and "MINE-PENDING" in page
    assert "SOMEONE-ELSE" not in page


# --- Staff review ------------------------------------------------------------------------


@pytest.fixture
def pending_card(user, bls, acls):
    return factories.ExternalCertificateFactory(user=user, course=bls)


def test_approval_counts_as_prerequisite_and_emails_the_learner(
    pending_card, staff, acls, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert external_certificate_review(
            card=pending_card, by=staff, approve=True, note=""
        )
    pending_card.refresh_from_db()
    assert pending_card.status == ExternalCertificate.Status.APPROVED
    assert pending_card.reviewed_by == staff
    assert pending_card.reviewed_at is not None
    assert pending_card.decision_emailed_at is not None
    [message] = mailoutbox
    assert message.to == [pending_card.user.email]
    assert "approved" in message.subject
    enrollment = enrollment_create(user=pending_card.user, course=acls)
    assert enrollment.status == Enrollment.Status.ACTIVE


def test_approval_opens_waiting_acls_enrollment(pending_card, staff, bls, acls):
    waiting = factories.EnrollmentFactory(
        user=pending_card.user,
        course=acls,
        status=Enrollment.Status.WAITING,
        activated_at=None,
    )
    external_certificate_review(card=pending_card, by=staff, approve=True)
    waiting.refresh_from_db()
    assert waiting.status == Enrollment.Status.ACTIVE


def test_rejection_needs_a_note_and_emails_it(
    pending_card, staff, acls, mailoutbox, django_capture_on_commit_callbacks
):
    with pytest.raises(ValidationError):
        external_certificate_review(card=pending_card, by=staff, approve=False)
    with django_capture_on_commit_callbacks(execute=True):
        external_certificate_review(
            card=pending_card, by=staff, approve=False, note="The scan is unreadable."
        )
    pending_card.refresh_from_db()
    assert pending_card.status == ExternalCertificate.Status.REJECTED
    [message] = mailoutbox
    assert "not accepted" in message.subject
    assert "The scan is unreadable." in message.body
    with pytest.raises(EnrollmentRefused):
        enrollment_create(user=pending_card.user, course=acls)


def test_repeating_a_decision_changes_nothing_and_sends_nothing(
    pending_card, staff, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert external_certificate_review(card=pending_card, by=staff, approve=True)
        assert not external_certificate_review(
            card=pending_card, by=staff, approve=True
        )
    assert len(mailoutbox) == 1


def test_expired_card_cannot_be_approved(pending_card, staff):
    pending_card.issued_on = timezone.localdate() - timedelta(days=800)
    pending_card.expires_on = timezone.localdate() - timedelta(days=1)
    pending_card.save()
    with pytest.raises(ValidationError, match="expired"):
        external_certificate_review(card=pending_card, by=staff, approve=True)
    pending_card.refresh_from_db()
    assert pending_card.status == ExternalCertificate.Status.PENDING


def test_staff_preview_streams_the_file_with_its_type(staff_client, bls, acls):
    card = factories.ExternalCertificateFactory(
        course=bls,
        file=SimpleUploadedFile("x.png", image_bytes("PNG")),
        content_type="image/png",
    )
    response = staff_client.get(reverse("certificates:external_file", args=[card.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("inline")
    assert "default-src 'none'" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")


def test_preview_is_404_for_learners_even_their_own(learner_client, pending_card):
    url = reverse("certificates:external_file", args=[pending_card.pk])
    assert learner_client.get(url).status_code == 404


def test_sweeper_sends_a_decision_whose_email_was_lost(pending_card, staff, mailoutbox):
    # The review committed, but its e-mail task never ran (on_commit not executed).
    external_certificate_review(card=pending_card, by=staff, approve=True)
    assert mailoutbox == []
    with time_machine.travel(timezone.now() + timedelta(hours=1), tick=False):
        assert sweep_missing_certificates.delay().get() == 1
        assert sweep_missing_certificates.delay().get() == 0
    [message] = mailoutbox
    assert "approved" in message.subject


def test_migration_keeps_each_learners_newest_pending_card(transactional_db, bls):
    """Before the constraint existed a learner could have several pending cards; the
    migration that adds it first closes all but the newest, or it could not apply."""
    from django.apps import apps
    from django.db import connection

    migration = importlib.import_module(
        "certificates.migrations.0004_external_one_pending_per_user"
    )
    [constraint] = [
        c
        for c in ExternalCertificate._meta.constraints
        if c.name == "external_one_pending_per_user"
    ]
    with connection.schema_editor() as editor:
        editor.remove_constraint(ExternalCertificate, constraint)
    try:
        learner = factories.UserFactory()
        cards = factories.ExternalCertificateFactory.create_batch(
            3, user=learner, course=bls
        )
        for age, card in enumerate(reversed(cards)):
            ExternalCertificate.objects.filter(pk=card.pk).update(
                uploaded_at=timezone.now() - timedelta(days=age)
            )
        other = factories.ExternalCertificateFactory(course=bls)
        migration.keep_newest_pending(apps, None)
        statuses = dict(ExternalCertificate.objects.values_list("pk", "status"))
        assert statuses == {
            cards[0].pk: "rejected",
            cards[1].pk: "rejected",
            cards[2].pk: "pending",
            other.pk: "pending",
        }
        closed = ExternalCertificate.objects.get(pk=cards[0].pk)
        assert "Superseded by a later upload" in closed.review_note
        assert closed.reviewed_at is not None
    finally:
        ExternalCertificate.objects.all().delete()
        with connection.schema_editor() as editor:
            editor.add_constraint(ExternalCertificate, constraint)


# --- What the pages say while a card waits, and after a form error (issue 15) -----


def test_a_form_error_says_the_file_must_be_chosen_again(learner_client, bls, acls):
    upload = SimpleUploadedFile("card.pdf", PDF)
    data = _form(bls, upload, card_number="")
    page = learner_client.post(UPLOAD_URL, data).content.decode()
    assert "This field is required." in page  # the card number
    assert "Choose the file again" in page
    assert not ExternalCertificate.objects.exists()


def test_a_file_error_is_not_doubled_with_choose_again(learner_client, bls, acls):
    upload = SimpleUploadedFile("card.png", b"just some text")
    page = learner_client.post(UPLOAD_URL, _form(bls, upload)).content.decode()
    assert "not a readable PDF, JPEG or PNG" in page
    assert "Choose the file again" not in page


def test_a_pending_card_is_under_review_and_no_second_upload_is_offered(
    learner_client, bls, acls
):
    learner_client.post(UPLOAD_URL, _form(bls, SimpleUploadedFile("a.pdf", PDF)))
    upload_page = learner_client.get(UPLOAD_URL).content.decode()
    assert "Your card is under review" in upload_page
    assert 'enctype="multipart/form-data"' not in upload_page
    acls_page = learner_client.get(acls.get_absolute_url()).content.decode()
    assert "Under review" in acls_page and "Missing" not in acls_page
    assert "card from another provider is under review" in acls_page
    assert "Upload a current card from another provider" not in acls_page
    # The service refuses a second card whatever the page shows.
    with pytest.raises(ExternalCardPendingExists):
        external_certificate_submit(
            user=learner_client.user,
            course=bls,
            issuer="AHA",
            card_number="555",
            issued_on=timezone.localdate() - timedelta(days=10),
            expires_on=timezone.localdate() + timedelta(days=300),
            file=SimpleUploadedFile("b.pdf", PDF),
            content_type="application/pdf",
        )
