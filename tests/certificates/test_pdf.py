"""Tests for the Django-free certificate PDF renderer."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pypdf
import pytest
import zxingcpp
from reportlab.pdfbase import pdfmetrics

from certificates.pdf import (
    NAME,
    CertificateDocument,
    format_date,
    render_certificate_pdf,
)

VERIFY_URL = "https://lifeline.example.com/certificates/verify/LL-7F3K-9QXM-2P4D/"
LONG_NAME = (
    "Maximiliana Alexandra Konstantinopoulou Wolfeschlegelsteinhausen "
    "Bergerdorf-Ångström de la Peña Ruiz"
)


def make_doc(**overrides: object) -> CertificateDocument:
    doc = CertificateDocument(
        holder_name="Jane Q. Rescuer",
        course_title="Basic Life Support (BLS) Provider",
        course_code="BLS-101",
        hours=Decimal("4.50"),
        issued_on=date(2025, 11, 23),
        expires_on=date(2027, 11, 23),
        code="LL-7F3K-9QXM-2P4D",
        verify_url=VERIFY_URL,
        issuer_name="Lifeline",
    )
    return replace(doc, **overrides)  # type: ignore[arg-type]


def read(doc: CertificateDocument) -> pypdf.PdfReader:
    return pypdf.PdfReader(io.BytesIO(render_certificate_pdf(doc)))


def page_text(reader: pypdf.PdfReader, index: int = 0) -> str:
    # Long values may be split over two lines, so compare whitespace-normalised.
    return " ".join(reader.pages[index].extract_text().split())


def test_format_date_is_the_sites_us_date_format() -> None:
    assert format_date(date(2026, 11, 23)) == "November 23, 2026"
    assert format_date(date(2026, 1, 5)) == "January 5, 2026"


def test_two_pages_first_landscape_letter() -> None:
    reader = read(make_doc())
    assert len(reader.pages) == 2
    box = reader.pages[0].mediabox
    assert (float(box.width), float(box.height)) == (792, 612)


def test_page_one_text_has_certificate_details() -> None:
    text = page_text(read(make_doc()))
    for expected in (
        "Lifeline",
        "Certificate of Completion",
        "Jane Q. Rescuer",
        "has successfully completed",
        "Basic Life Support (BLS) Provider",
        "BLS-101",
        "4.5 CE hours",
        "LL-7F3K-9QXM-2P4D",
        "November 23, 2025",
        "November 23, 2027",
        VERIFY_URL,
    ):
        assert expected in text


def test_wallet_card_page_has_card_details() -> None:
    text = page_text(read(make_doc()), 1)
    for expected in (
        "Jane Q. Rescuer",
        "Basic Life Support (BLS) Provider",
        "LL-7F3K-9QXM-2P4D",
        "November 23, 2025",
        "November 23, 2027",
    ):
        assert expected in text


@pytest.mark.parametrize(
    "name", ["Zoë Ångström-Núñez", "Łukasz Żółć", "François Müller", LONG_NAME]
)
def test_unusual_names_render_as_text(name: str) -> None:
    reader = read(make_doc(holder_name=name))
    assert name in page_text(reader, 0)
    assert name in page_text(reader, 1)


def test_hundred_character_name_without_spaces_still_renders() -> None:
    name = "Ó" + "x" * 99
    assert name in page_text(read(make_doc(holder_name=name)))


def test_longest_allowed_name_is_shrunk_to_fit_inside_the_page() -> None:
    # 100 characters: Certificate.holder_name's max_length.
    reader = read(make_doc(holder_name=LONG_NAME))
    runs = []

    def visit(text, cm, tm, font, size) -> None:
        if text.strip() and text.strip() in LONG_NAME:
            runs.append((text.strip(), tm[4], size))

    reader.pages[0].extract_text(visitor_text=visit)
    assert " ".join(text for text, _, _ in runs) == LONG_NAME
    page_width = float(reader.pages[0].mediabox.width)
    for text, x, size in runs:
        assert size < NAME.size  # shrunk, never clipped
        assert 0 < x < x + pdfmetrics.stringWidth(text, NAME.font, size) < page_width


def test_metadata() -> None:
    meta = read(make_doc()).metadata
    assert meta is not None
    assert meta.author == "Lifeline"
    assert meta.subject == "LL-7F3K-9QXM-2P4D"
    assert "Jane Q. Rescuer" in (meta.title or "")


def test_qr_code_on_page_one_decodes_to_verify_url() -> None:
    images = read(make_doc()).pages[0].images
    assert len(images) == 1
    results = zxingcpp.read_barcodes(images[0].image)
    assert [(r.format, r.text) for r in results] == [
        (zxingcpp.BarcodeFormat.QRCode, VERIFY_URL)
    ]


SKILLS_SCOPE = (
    "Online course and hands-on skills check (instructor Maximiliana Alexandra "
    "Konstantinopoulou, Saint Bartholomew's Regional Medical Center Emergency "
    "Services, September 30, 2027)."
)


def test_a_long_skills_statement_stays_readable_on_the_wallet_card() -> None:
    reader = read(make_doc(scope=SKILLS_SCOPE))
    assert SKILLS_SCOPE in page_text(reader, 0)
    assert SKILLS_SCOPE in page_text(reader, 1)
    runs = []

    def visit(text, cm, tm, font, size) -> None:
        if text.strip():
            runs.append((text.strip(), tm[5], size))

    reader.pages[1].extract_text(visitor_text=visit)
    scope = [(y, size) for text, y, size in runs if text in SKILLS_SCOPE]
    hint = [y for text, y, _ in runs if text.startswith("Scan the QR code")]
    url = [y for text, y, _ in runs if text == VERIFY_URL]
    # Wrapped over a few lines, no smaller than 5 pt (readable printed).
    assert 2 <= len(scope) <= 4
    assert min(size for _, size in scope) >= 5
    # The verification hint is below the statement and above the address.
    assert url[0] < hint[0] < min(y for y, _ in scope)
