"""Render a certificate of completion as a two-page PDF.

Page 1 is a landscape US Letter certificate; page 2 carries a printable,
credit-card-sized wallet card (front and back side by side, with cut and fold
marks). The module deliberately has no Django imports so that it can run in
any worker and be tested without settings.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

import qrcode
from PIL import Image
from qrcode.constants import ERROR_CORRECT_M
from reportlab import rl_config
from reportlab.lib.colors import Color, HexColor, white
from reportlab.lib.pagesizes import landscape, letter
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

FONT_DIR = Path(__file__).resolve().parent / "fonts"
SANS, SANS_BOLD, SERIF_BOLD = "LLSans", "LLSans-Bold", "LLSerif-Bold"
_FONT_FILES = {
    SANS: "DejaVuSans.ttf",
    SANS_BOLD: "DejaVuSans-Bold.ttf",
    SERIF_BOLD: "DejaVuSerif-Bold.ttf",
}
INK, ACCENT, MUTED = HexColor("#1F2A44"), HexColor("#B3261E"), HexColor("#5B6475")
RULE = HexColor("#C9CED8")
PAGE_W, PAGE_H = landscape(letter)
CARD_W, CARD_H = 85.6 * mm, 54 * mm
# strftime("%B") follows the process locale; certificates must not.
_MONTHS = (
    "January February March April May June July August September October "
    "November December"
).split()


def _register_fonts() -> None:
    """Register the bundled TTFs once per process; safe to call repeatedly."""
    known = set(pdfmetrics.getRegisteredFontNames())
    for name, filename in _FONT_FILES.items():
        if name not in known:
            pdfmetrics.registerFont(TTFont(name, str(FONT_DIR / filename)))


_register_fonts()
# ASCII85 only helps 7-bit transports; skipping it saves ~20% of render time
# (when the optional rl_accel C extension is absent) and some file size.
rl_config.useA85 = 0


class Style(NamedTuple):
    """How a piece of text is drawn; ``wrap_below`` enables two-line layout."""

    font: str
    size: float
    color: Color = INK
    align: str = "centre"
    wrap_below: float = 0.0


TITLE = Style(SERIF_BOLD, 38)
LEAD = Style(SANS, 12, MUTED)
NAME = Style(SERIF_BOLD, 40, wrap_below=26)
COURSE = Style(SANS_BOLD, 20, wrap_below=14)
BODY = Style(SANS, 11.5)
SCOPE = Style(SANS_BOLD, 10.5)
STATEMENT = Style(SANS, 8.5, MUTED)
SIGNER = Style(SANS_BOLD, 10)
FIELD, CAPTION = Style(SANS_BOLD, 12.5), Style(SANS, 7.5, MUTED)
NOTE, FOOTNOTE = Style(SANS, 7, MUTED), Style(SANS, 8.5, MUTED)
HEADING, HINT = Style(SANS_BOLD, 16), Style(SANS, 9.5, MUTED)
BAND = Style(SANS_BOLD, 11, white, "left")
BAND_TAG = Style(SANS_BOLD, 7.5, white, "right")
CARD_LABEL, CARD_NOTE = Style(SANS, 5, MUTED, "left"), Style(SANS, 6, MUTED, "left")
CARD_NAME = Style(SERIF_BOLD, 12, align="left", wrap_below=8)
CARD_COURSE = Style(SANS_BOLD, 8, align="left", wrap_below=6.5)
CARD_VALUE, CARD_URL = Style(SANS_BOLD, 7.5, align="left"), Style(SANS, 6)
CARD_HINT = Style(SANS, 6, MUTED, "left", wrap_below=6)


@dataclass(frozen=True, slots=True)
class CertificateDocument:
    """Everything printed on a certificate; the renderer does no look-ups."""

    holder_name: str
    course_title: str
    course_code: str
    hours: Decimal
    issued_on: date
    expires_on: date
    code: str
    verify_url: str
    issuer_name: str
    issuer_address: str = ""
    issuer_contact: str = ""
    signer_name: str = ""
    signer_title: str = ""
    # PNG bytes of the signer's signature, drawn above the signature line.
    signature_png: bytes | None = None
    licence_number: str = ""
    accreditation: str = ""
    # What the credential covers, e.g. "Online cognitive course; hands-on skills not
    # assessed by Lifeline", or the hands-on skills check attached to it.
    scope: str = ""


def format_date(value: date) -> str:
    """Return e.g. "November 23, 2026" (the site's one date format, US English:
    core/formats), independent of the current locale."""
    return f"{_MONTHS[value.month - 1]} {value.day}, {value.year}"


def _format_hours(hours: Decimal) -> str:
    # normalize() drops trailing zeros ("2.50" -> "2.5"); ":f" avoids "1E+1".
    return f"{hours.normalize():f} CE hour{'' if hours == 1 else 's'}"


def _fit(text: str, font: str, size: float, width: float) -> float:
    """Return ``size``, reduced just enough for ``text`` to fit ``width``."""
    natural = pdfmetrics.stringWidth(text, font, size)
    return size if natural <= width else size * width / natural


def _layout(text: str, style: Style, width: float) -> tuple[list[str], float]:
    """Return the lines for ``text`` and one font size that fits them all.

    Text stays on one line unless that would shrink it below
    ``style.wrap_below``; then it is split at the space nearest its middle.
    """
    one = _fit(text, style.font, style.size, width)
    spaces = [i for i, ch in enumerate(text) if ch == " "]
    if one >= style.wrap_below or not spaces:
        return [text], one
    cut = min(spaces, key=lambda i: abs(i - len(text) / 2))
    lines = [text[:cut], text[cut + 1 :]]
    two = min(_fit(line, style.font, style.size, width) for line in lines)
    return (lines, two) if two > one else ([text], one)


def _text(c: Canvas, text: str, style: Style, x: float, top: float, w: float) -> float:
    """Draw ``text`` hanging from ``top`` within ``w`` points; return its baseline.

    ``x`` is the left edge, centre or right edge depending on ``style.align``.
    Text never overflows: it is shrunk (and maybe wrapped, see ``_layout``).
    """
    lines, size = _layout(text, style, w)
    c.setFillColor(style.color)
    c.setFont(style.font, size)
    draw = {"left": c.drawString, "right": c.drawRightString}.get(
        style.align, c.drawCentredString
    )
    for i, line in enumerate(lines):
        draw(x, top - size * (1 + 1.2 * i), line)
    return top - size * (1 + 1.2 * (len(lines) - 1))


def _wrap(text: str, style: Style, width: float) -> list[str]:
    """Greedy word wrap of ``text`` at ``style``'s size within ``width`` points."""
    lines: list[str] = []
    for word in text.split():
        candidate = f"{lines[-1]} {word}" if lines else word
        if lines and pdfmetrics.stringWidth(candidate, style.font, style.size) <= width:
            lines[-1] = candidate
        else:
            lines.append(word)
    return lines


def _paragraph(
    c: Canvas, text: str, style: Style, x: float, top: float, w: float, max_lines: int
) -> float:
    """Draw ``text`` wrapped over at most ``max_lines`` lines hanging from ``top``;
    shrink it until it fits in that many. Return the last baseline."""
    size = style.size
    while True:
        fitted = style._replace(size=size)
        lines = _wrap(text, fitted, w)
        if len(lines) <= max_lines or size <= 5:
            break
        size -= 0.5
    bottom = top
    for i, line in enumerate(lines[:max_lines]):
        bottom = _text(c, line, fitted, x, top - i * size * 1.25, w)
    return bottom


def _qr_image(data: str) -> ImageReader:
    """Encode ``data`` as a QR code raster (8 px per module, 4-module margin)."""
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=4)
    qr.add_data(data)
    qr.make(fit=True)
    matrix = qr.get_matrix()
    n = len(matrix)
    # Building the bitmap directly is ~6x faster than qrcode's PIL drawing, and
    # mode "L" makes ReportLab embed a compact DeviceGray image.
    pixels = bytes(0 if dark else 255 for row in matrix for dark in row)
    img = Image.frombytes("L", (n, n), pixels).resize((n * 8, n * 8), Image.NEAREST)
    return ImageReader(img)


def _pulse(c: Canvas, x: float, y: float) -> None:
    """Draw the small ECG-trace emblem, its baseline starting at (x, y)."""
    path = c.beginPath()
    path.moveTo(x, y)
    for px, py in [(4, 0), (6, 3), (8, -2), (11, 9), (14, -6), (16, 0), (22, 0)]:
        path.lineTo(x + px, y + py)
    c.setStrokeColor(ACCENT)
    c.setLineWidth(1.6)
    c.setLineJoin(1)
    c.drawPath(path, stroke=1, fill=0)


def _certificate_page(c: Canvas, doc: CertificateDocument, qr: ImageReader) -> None:
    """Draw page 1, the framed landscape certificate."""
    cx, body = PAGE_W / 2, PAGE_W - 180
    c.setLineWidth(2.5)
    c.setStrokeColor(INK)
    c.rect(24, 24, PAGE_W - 48, PAGE_H - 48)
    c.setLineWidth(0.8)
    c.setStrokeColor(ACCENT)
    c.rect(32, 32, PAGE_W - 64, PAGE_H - 64)

    issuer = Style(SANS_BOLD, _fit(doc.issuer_name, SANS_BOLD, 17, 300))
    issuer_w = pdfmetrics.stringWidth(doc.issuer_name, SANS_BOLD, issuer.size)
    _pulse(c, cx - (issuer_w + 30) / 2, 549)
    _text(c, doc.issuer_name, issuer, cx + 15, 544 + issuer.size, 300)
    _text(c, "Certificate of Completion", TITLE, cx, 520, body)
    _text(c, "This is to certify that", LEAD, cx, 462, body)
    bottom = _text(c, doc.holder_name, NAME, cx, 440, body)
    if doc.licence_number:
        bottom = _text(
            c, f"License number {doc.licence_number}", LEAD, cx, bottom - 8, body
        )
    c.setStrokeColor(RULE)
    c.line(cx - 240, bottom - 12, cx + 240, bottom - 12)
    _text(c, "has successfully completed", LEAD, cx, bottom - 22, body)
    bottom = _text(c, doc.course_title, COURSE, cx, bottom - 44, body)
    details = f"Course code {doc.course_code}  ·  {_format_hours(doc.hours)}"
    bottom = _text(c, details, BODY, cx, bottom - 9, body)
    if doc.scope:
        bottom = _text(c, doc.scope, SCOPE, cx, bottom - 10, body)
    if doc.accreditation:
        _paragraph(c, doc.accreditation, STATEMENT, cx, bottom - 8, body - 60, 3)

    # The bottom row is styled like signature lines: value, rule, caption.
    c.setLineWidth(0.6)
    c.setStrokeColor(INK)
    if doc.signature_png:
        signature = ImageReader(io.BytesIO(doc.signature_png))
        sw, sh = signature.getSize()
        height = min(40, 160 * sh / sw)
        c.drawImage(signature, 62, 121, height * sw / sh, height, mask="auto")
    c.line(60, 118, 220, 118)
    _text(c, doc.signer_name, SIGNER, 140, 113.5, 160)
    _text(c, doc.signer_title, CAPTION, 140, 101, 160)
    for x, value, caption in (
        (240, format_date(doc.issued_on), "ISSUED ON"),
        (370, format_date(doc.expires_on), "VALID THROUGH"),
        (500, doc.code, "CERTIFICATE CODE"),
    ):
        _text(c, value, FIELD, x + 60, 138.5, 120)
        c.line(x, 118, x + 120, 118)
        _text(c, caption, CAPTION, x + 60, 113.5, 120)

    qr_size, qr_cx = 100, PAGE_W - 100
    c.drawImage(qr, qr_cx - qr_size / 2, 96, qr_size, qr_size)
    _text(c, "Scan to verify", CAPTION, qr_cx, 95, qr_size)
    who = "  ·  ".join(
        part
        for part in (doc.issuer_name, doc.issuer_address, doc.issuer_contact)
        if part
    )
    _text(c, who, FOOTNOTE, cx, 66, PAGE_W - 96)
    verify = f"Verify the authenticity of this certificate at {doc.verify_url}"
    _text(c, verify, FOOTNOTE, cx, 52.5, PAGE_W - 96)


def _card_face(c: Canvas, x: float, y: float, issuer: str, tag: str) -> float:
    """Draw a card face's header band, ``tag`` on its right; return its bottom."""
    c.setFillColor(INK)
    c.rect(x, y + CARD_H - 26, CARD_W, 26, stroke=0, fill=1)
    c.setFillColor(ACCENT)
    c.rect(x, y + CARD_H - 28, CARD_W, 2, stroke=0, fill=1)
    _text(c, issuer, BAND, x + 10, y + CARD_H - 6, 110)
    _text(c, tag, BAND_TAG, x + CARD_W - 10, y + CARD_H - 9, 110)
    return y + CARD_H - 28


def _field(c: Canvas, label: str, value: str, x: float, top: float, w: float) -> None:
    """Draw a small upper-case card label with its value beneath it."""
    _text(c, label.upper(), CARD_LABEL, x, top, w)
    _text(c, value, CARD_VALUE, x, top - 6.5, w)


def _wallet_card_page(c: Canvas, doc: CertificateDocument, qr: ImageReader) -> None:
    """Draw page 2: the card's front and back, true to size, sharing a fold."""
    cx = PAGE_W / 2
    _text(c, "Wallet card", HEADING, cx, PAGE_H - 74, 400)
    hint = "Cut along the corner marks, fold on the dashed line, and keep it with you."
    _text(c, hint, HINT, cx, PAGE_H - 98.5, 600)

    front, back, y = cx - CARD_W, cx, PAGE_H / 2 - CARD_H / 2 + 40
    c.setLineWidth(0.5)
    c.setStrokeColor(RULE)
    c.rect(front, y, 2 * CARD_W, CARD_H)
    c.setStrokeColor(MUTED)
    # Corner and fold marks stop short of the card so trimming removes them.
    for mx, side in ((front, -1), (cx, 0), (back + CARD_W, 1)):
        for my, d in ((y, -1), (y + CARD_H, 1)):
            c.line(mx, my + d * 4, mx, my + d * 16)
            if side:
                c.line(mx + side * 4, my, mx + side * 16, my)
    c.setDash(3, 2)
    c.line(cx, y, cx, y + CARD_H)
    c.setDash()

    # Front: who completed what, and until when it is valid.
    top = _card_face(c, front, y, doc.issuer_name, doc.course_code)
    left, width = front + 10, CARD_W - 20
    _text(c, "CARDHOLDER", CARD_LABEL, left, top - 7, width)
    bottom = _text(c, doc.holder_name, CARD_NAME, left, top - 14, width)
    _text(c, "COURSE", CARD_LABEL, left, bottom - 7, width)
    bottom = _text(c, doc.course_title, CARD_COURSE, left, bottom - 14, width)
    note = _format_hours(doc.hours)
    if doc.licence_number:
        note += f"  ·  License {doc.licence_number}"
    _text(c, note, CARD_NOTE, left, bottom - 3.5, width)
    _field(c, "Issued", format_date(doc.issued_on), left, y + 25, 105)
    _field(c, "Valid through", format_date(doc.expires_on), left + 115, y + 25, 105)

    # Back: how anyone can check that the card is genuine.
    top = _card_face(c, back, y, doc.issuer_name, "Certificate of Completion")
    c.drawImage(qr, back + 6, y + 20, 80, 80)
    col, col_w = back + 92, CARD_W - 102
    _field(c, "Certificate code", doc.code, col, top - 13, col_w)
    hint_top = y + 60
    if doc.scope:
        # Up to four lines (a skills check names its instructor, organization and
        # date); the verification hint moves down below them.
        bottom = _paragraph(c, doc.scope, CARD_HINT, col, y + 82, col_w, 4)
        hint_top = min(hint_top, bottom - 5)
    hint = "Scan the QR code or visit the address below to verify this card."
    _text(c, hint, CARD_HINT, col, hint_top, col_w)
    _text(c, doc.verify_url, CARD_URL, back + CARD_W / 2, y + 16, CARD_W - 16)


def render_certificate_pdf(doc: CertificateDocument) -> bytes:
    """Render ``doc`` to PDF bytes: the certificate, then the wallet card.

    Text that could overflow (names, titles, URLs) is shrunk, or split over
    two lines at a space, to stay inside its box. The QR code of
    ``doc.verify_url`` is embedded once as a greyscale raster and drawn on
    both pages.
    """
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=(PAGE_W, PAGE_H), pageCompression=1)
    c.setTitle(f"Certificate of Completion: {doc.course_title}, {doc.holder_name}")
    c.setAuthor(doc.issuer_name)
    c.setSubject(doc.code)
    c.setCreator(doc.issuer_name)
    qr = _qr_image(doc.verify_url)
    _certificate_page(c, doc, qr)
    c.showPage()
    _wallet_card_page(c, doc, qr)
    c.showPage()
    c.save()
    return buf.getvalue()
