"""A certificate an employer's HR office trusts (issue 15): the issuer, its address
and contact, the signing medical director, the course's accreditation statement and
CE hours, the holder's licence number and a plain statement of scope, on the PDF, the
wallet card and the verify page alike; every link and the QR code on the configured
SITE_URL."""

from __future__ import annotations

import io
import re

import pypdf
import pytest
import zxingcpp
from django.core import mail
from django.urls import reverse
from PIL import Image

from certificates.selectors import SCOPE_ONLINE_ONLY
from certificates.services.issuing import certificate_issue
from tests import factories

pytestmark = pytest.mark.django_db

SITE = "https://verify.lifeline.example"
ACCREDITATION = (
    "Approved for 4.5 contact hours by the Example Board of Nursing (EX-123)."
)


@pytest.fixture
def production_issuer(settings, tmp_path):
    signature = tmp_path / "signature.png"
    Image.new("LA", (600, 180), (0, 0)).save(signature)
    settings.SITE_URL = SITE
    settings.CERTIFICATE_ISSUER_NAME = "Lifeline Education Inc."
    settings.CERTIFICATE_ISSUER_ADDRESS = "1 Example Plaza, Springfield, IL 62701"
    settings.CERTIFICATE_ISSUER_CONTACT = "registrar@lifeline.example"
    settings.CERTIFICATE_SIGNER_NAME = "Dr. Ada Example, MD"
    settings.CERTIFICATE_SIGNER_TITLE = "Medical Director"
    settings.CERTIFICATE_SIGNATURE_IMAGE = signature
    return settings


@pytest.fixture
def certificate(production_issuer, bls, mailoutbox):
    bls.title = "Basic Life Support (BLS)"
    bls.accreditation = ACCREDITATION
    bls.save()
    user = factories.UserFactory(
        legal_name="Maria Lopez", licence_number="RN 0412-7781", email="m@example.org"
    )
    enrollment = factories.EnrollmentFactory(
        user=user, course=bls, status="completed", completed_at="2026-11-02T10:00Z"
    )
    return certificate_issue(enrollment=enrollment)


def _pdf(certificate) -> pypdf.PdfReader:
    certificate.pdf.open("rb")
    try:
        return pypdf.PdfReader(io.BytesIO(certificate.pdf.read()))
    finally:
        certificate.pdf.close()


def _text(page) -> str:
    return " ".join(page.extract_text().split())


def test_the_pdf_states_issuer_signer_scope_licence_and_accreditation(certificate):
    page = _text(_pdf(certificate).pages[0])
    for fact in (
        "Lifeline Education Inc.",
        "1 Example Plaza, Springfield, IL 62701",
        "registrar@lifeline.example",
        "Dr. Ada Example, MD",
        "Medical Director",
        SCOPE_ONLINE_ONLY,
        "License number RN 0412-7781",
        "Maria Lopez",
        "4.5 CE hours",
    ):
        assert fact in page, fact
    # The accreditation statement may wrap: compare it without line breaks.
    assert ACCREDITATION in page


def test_the_wallet_card_keeps_the_scope_and_licence(certificate):
    card = _text(_pdf(certificate).pages[1])
    assert "License RN 0412-7781" in card
    assert SCOPE_ONLINE_ONLY in card
    assert "Maria Lopez" in card


def test_the_signature_image_is_printed_on_the_certificate(certificate):
    images = _pdf(certificate).pages[0].images
    # The QR code and the signature.
    assert len(images) == 2


def test_every_url_and_the_qr_code_start_with_the_site_url(certificate):
    reader = _pdf(certificate)
    text = " ".join(_text(page) for page in reader.pages)
    urls = re.findall(r"https?://\S+", text)
    assert urls, "the PDF prints the verify address"
    assert all(url.startswith(SITE + "/") for url in urls), urls
    decoded = [
        result.text
        for page in reader.pages
        for image in page.images
        for result in zxingcpp.read_barcodes(image.image)
    ]
    assert decoded == [certificate.verify_url] * 2
    assert all(url.startswith(SITE + "/") for url in decoded)


def test_the_issue_email_links_start_with_the_site_url(production_issuer, bls):
    user = factories.UserFactory(legal_name="Maria Lopez")
    enrollment = factories.EnrollmentFactory(
        user=user, course=bls, status="completed", completed_at="2026-11-02T10:00Z"
    )
    mail.outbox.clear()
    certificate_issue(enrollment=enrollment)
    (message,) = mail.outbox
    bodies = [message.body, *(content for content, _ in message.alternatives)]
    urls = [u for body in bodies for u in re.findall(r"https?://[^\s\"'<>]+", body)]
    assert urls and all(url.startswith(SITE + "/") for url in urls), urls


def test_account_emails_link_to_the_site_url_not_the_request_host(
    production_issuer, client, mailoutbox, django_capture_on_commit_callbacks
):
    production_issuer.ALLOWED_HOSTS = ["testserver", "internal.host"]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("account_signup"),
            {
                "email": "new@example.org",
                "password1": "a-Long-passphrase-1984",
                "password2": "a-Long-passphrase-1984",
            },
            HTTP_HOST="internal.host",
        )
    (message,) = mailoutbox
    urls = re.findall(r"https?://[^\s\"'<>]+", message.body)
    assert urls, message.body
    assert all(url.startswith(SITE + "/") for url in urls), urls


def test_the_verify_page_states_the_same_facts_with_the_title_once(certificate, client):
    response = client.get(certificate.get_absolute_url())
    html = response.content.decode()
    assert response.status_code == 200
    for fact in (
        "Lifeline Education Inc.",
        "1 Example Plaza, Springfield, IL 62701",
        "Dr. Ada Example, MD",
        SCOPE_ONLINE_ONLY,
        "RN 0412-7781",
        ACCREDITATION,
        "4.5 CE hours",
    ):
        assert fact in html, fact
    assert html.count("Basic Life Support (BLS)") == 1
    assert "(BLS) (BLS)" not in html
    assert "m@example.org" not in html


def test_later_changes_never_rewrite_an_issued_certificate(
    certificate, client, settings
):
    """Name, licence, accreditation and signer are snapshots taken at issue."""
    user = certificate.user
    user.licence_number = "RN 9999-0000"
    user.save()
    course = certificate.course
    course.accreditation = "Something else entirely."
    course.save()
    settings.CERTIFICATE_SIGNER_NAME = "Dr. New Director"
    html = client.get(certificate.get_absolute_url()).content.decode()
    assert "RN 0412-7781" in html and "RN 9999-0000" not in html
    assert ACCREDITATION in html and "Something else entirely." not in html
    assert "Dr. Ada Example, MD" in html and "Dr. New Director" not in html


def test_a_pdf_rendered_after_the_signer_changed_prints_no_other_signature(
    certificate, settings
):
    """The stored signer is printed; today's signature image never sits above an
    earlier director's name."""
    from certificates.services.issuing import certificate_document

    settings.CERTIFICATE_SIGNER_NAME = "Dr. New Director"
    document = certificate_document(certificate=certificate)
    assert document.signer_name == "Dr. Ada Example, MD"
    assert document.signature_png is None
    settings.CERTIFICATE_SIGNER_NAME = "Dr. Ada Example, MD"
    assert certificate_document(certificate=certificate).signature_png
