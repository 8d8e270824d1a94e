"""Render a certificate of completion as a two-page PDF.

Page 1 is a landscape US Letter certificate; page 2 carries a printable,
credit-card-sized wallet card (front and back side by side, cut and fold
marks). The module deliberately has no Django imports so that it can run in
any worker and be tested without settings.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import qrcode
from PIL import Image
from qrcode.constants import ERROR_CORRECT_M
from reportlab.lib.colors import Color, HexColor, white
from reportlab.lib.pagesizes import landscape, letter
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

__all__ = ["CertificateDocument", "format_date", "render_certificate_pdf"]

FONT_DIR = Path(__file__).resolve().parent / "fonts"
SANS, SANS_BOLD, SERIF, SERIF_BOLD = "LLSans", "LLSans-Bold", "LLSerif", "LLSerif-Bold"
_FONT_FILES = {
    SANS: "DejaVuSans.ttf",
    SANS_BOLD: "DejaVuSans-Bold.ttf",
    SERIF: "DejaVuSerif.ttf",
    SERIF_BOLD: "DejaVuSerif-Bold.ttf",
}

INK, ACCENT, MUTED = HexColor("#1F2A44"), HexColor("#B3261E"), HexColor("#5B6475")
RULE = HexColor("#C9CED8")
PAGE_W, PAGE_H = landscape(letter)
CARD_W, CARD_H = 85.6 * mm, 54 * mm
# strftime("%B") follows the process locale; certificates must not.
_MONTHS = (
    "January", "February", "March", "April", "May", "June", "July",
    "August", "September", "October", "November", "December",
)  # fmt: skip


def _register_fonts() -> None:
    """Register the bundled TTFs once per process; safe to call repeatedly."""
    known = set(pdfmetrics.getRegisteredFontNames())
    for name, filename in _FONT_FILES.items():
        if name not in known:
            pdfmetrics.registerFont(TTFont(name, str(FONT_DIR / filename)))


_register_fonts()


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


def format_date(value: date) -> str:
    """Return e.g. "23 November 2026", independent of the current locale."""
    return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"


def _format_hours(hours: Decimal) -> str:
    # normalize() drops trailing zeros ("2.50" -> "2.5"); ":f" avoids "1E+1".
    return f"{hours.normalize():f} CE hour{'' if hours == 1 else 's'}"


def _fit(text: str, font: str, size: float, max_width: float) -> float:
    """Return ``size``, reduced just enough for ``text`` to fit ``max_width``."""
    width = pdfmetrics.stringWidth(text, font, size)
    return size if width <= max_width else size * max_width / width


def _fit_lines(
    text: str, font: str, size: float, max_width: float, floor: float
) -> tuple[list[str], float]:
    """Lay ``text`` out on one line, or two balanced lines if one would be tiny.

    Returns the lines and a common font size that fits every line.
    """
    one = _fit(text, font, size, max_width)
    spaces = [i for i, ch in enumerate(text) if ch == " "]
    if one >= floor or not spaces:
        return [text], one
    cut = min(spaces, key=lambda i: abs(i - len(text) / 2))
    lines = [text[:cut], text[cut + 1 :]]
    two = min(_fit(line, font, size, max_width) for line in lines)
    return (lines, two) if two > one else ([text], one)


def _text(
    c: Canvas, text: str, font: str, size: float, x: float, y: float,
    max_width: float, *, align: str = "centre", color: Color = INK,
) -> None:  # fmt: skip
    """Draw one line of text at ``(x, y)``, shrunk to fit ``max_width``."""
    c.setFillColor(color)
    c.setFont(font, _fit(text, font, size, max_width))
    draws = {"centre": c.drawCentredString, "left": c.drawString}
    draws.get(align, c.drawRightString)(x, y, text)


def _block(
    c: Canvas, text: str, font: str, size: float, x: float, top: float,
    max_width: float, floor: float, *, align: str = "centre", color: Color = INK,
) -> float:  # fmt: skip
    """Draw ``text`` on up to two lines below ``top``; return the bottom edge."""
    lines, fitted = _fit_lines(text, font, size, max_width, floor)
    y = top
    for line in lines:
        y -= fitted * 1.2
        _text(c, line, font, fitted, x, y, max_width, align=align, color=color)
    return y


def _qr_image(data: str) -> ImageReader:
    """Encode ``data`` as a QR code raster (8 px per module, 4-module margin)."""
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=4)
    qr.add_data(data)
    qr.make(fit=True)
    matrix = qr.get_matrix()
    n = len(matrix)
    # Building the bitmap directly is ~6x faster than qrcode's own PIL drawing;
    # mode "L" keeps it a small DeviceGray image in the PDF.
    pixels = bytes(0 if dark else 255 for row in matrix for dark in row)
    img = Image.frombytes("L", (n, n), pixels).resize((n * 8, n * 8), Image.NEAREST)
    return ImageReader(img)


def _pulse(c: Canvas, x: float, y: float, scale: float) -> None:
    """Draw the small ECG-trace emblem with its baseline starting at (x, y)."""
    points = [(0, 0), (4, 0), (6, 3), (8, -2), (11, 9), (14, -6), (16, 0), (22, 0)]
    path = c.beginPath()
    path.moveTo(x, y)
    for px, py in points[1:]:
        path.lineTo(x + px * scale, y + py * scale)
    c.setStrokeColor(ACCENT)
    c.setLineWidth(1.6 * scale)
    c.setLineJoin(1)
    c.drawPath(path, stroke=1, fill=0)


def _label_value(c: Canvas, label: str, value: str, x: float, y: float,
                 size: float, width: float, align: str = "left") -> None:  # fmt: skip
    """Draw a small upper-case caption with its value beneath it."""
    _text(c, label.upper(), SANS, size * 0.62, x, y, width, align=align, color=MUTED)
    _text(c, value, SANS_BOLD, size, x, y - size * 1.35, width, align=align)


def _certificate_page(c: Canvas, doc: CertificateDocument, qr: ImageReader) -> None:
    cx, body = PAGE_W / 2, PAGE_W - 180
    c.setStrokeColor(INK)
    c.setLineWidth(2.5)
    c.rect(24, 24, PAGE_W - 48, PAGE_H - 48)
    c.setStrokeColor(ACCENT)
    c.setLineWidth(0.8)
    c.rect(32, 32, PAGE_W - 64, PAGE_H - 64)

    issuer = doc.issuer_name
    issuer_size = _fit(issuer, SANS_BOLD, 17, 300)
    issuer_w = pdfmetrics.stringWidth(issuer, SANS_BOLD, issuer_size)
    _pulse(c, cx - (issuer_w + 30) / 2, 541, 1.0)
    _text(c, issuer, SANS_BOLD, issuer_size, cx + 15, 536, 300)
    _text(c, "Certificate of Completion", SERIF_BOLD, 38, cx, 470, body)
    _text(c, "This is to certify that", SANS, 12, cx, 428, body, color=MUTED)

    bottom = _block(c, doc.holder_name, SERIF_BOLD, 40, cx, 420, body, 26,
                    color=ACCENT)  # fmt: skip
    c.setStrokeColor(RULE)
    c.setLineWidth(0.8)
    c.line(cx - 240, bottom - 14, cx + 240, bottom - 14)
    _text(c, "has successfully completed", SANS, 12, cx, bottom - 38, body,
          color=MUTED)  # fmt: skip
    bottom = _block(c, doc.course_title, SANS_BOLD, 20, cx, bottom - 48, body, 14)
    details = f"Course code {doc.course_code}  ·  {_format_hours(doc.hours)}"
    _text(c, details, SANS, 11.5, cx, bottom - 22, body)

    # Bottom row styled like signature lines: value, rule, caption.
    for x, value, caption in (
        (72, format_date(doc.issued_on), "Issued on"),
        (230, format_date(doc.expires_on), "Valid through"),
        (388, doc.code, "Certificate code"),
    ):
        _text(c, value, SANS_BOLD, 12.5, x + 70, 126, 140)
        c.setStrokeColor(INK)
        c.setLineWidth(0.6)
        c.line(x, 118, x + 140, 118)
        _text(c, caption.upper(), SANS, 7.5, x + 70, 106, 140, color=MUTED)

    qr_size, qr_cx = 112, PAGE_W - 165
    c.drawImage(qr, qr_cx - qr_size / 2, 90, qr_size, qr_size)
    _text(c, doc.verify_url, SANS, 7, qr_cx, 82, 240, color=MUTED)
    verify = f"Verify the authenticity of this certificate at {doc.verify_url}"
    _text(c, verify, SANS, 8.5, cx, 44, PAGE_W - 96, color=MUTED)


def _card_panel(c: Canvas, x: float, y: float, doc: CertificateDocument) -> None:
    """Draw the header band shared by both card faces."""
    c.setFillColor(INK)
    c.rect(x, y + CARD_H - 26, CARD_W, 26, stroke=0, fill=1)
    c.setFillColor(ACCENT)
    c.rect(x, y + CARD_H - 28, CARD_W, 2, stroke=0, fill=1)
    _text(c, doc.issuer_name, SANS_BOLD, 11, x + 10, y + CARD_H - 17, 110,
          align="left", color=white)  # fmt: skip
    _text(c, doc.course_code, SANS_BOLD, 8, x + CARD_W - 10, y + CARD_H - 16.5,
          100, align="right", color=white)  # fmt: skip


def _wallet_card_page(c: Canvas, doc: CertificateDocument, qr: ImageReader) -> None:
    cx = PAGE_W / 2
    _text(c, "Wallet card", SANS_BOLD, 16, cx, PAGE_H - 90, 400)
    hint = "Cut along the corner marks, fold on the dashed line, and keep it with you."
    _text(c, hint, SANS, 9.5, cx, PAGE_H - 108, 600, color=MUTED)

    front_x, back_x, y = cx - CARD_W, cx, PAGE_H / 2 - CARD_H / 2 + 40
    c.setStrokeColor(RULE)
    c.setLineWidth(0.5)
    c.rect(front_x, y, 2 * CARD_W, CARD_H)
    c.setStrokeColor(MUTED)
    # Cut marks sit outside the card so trimming removes them entirely.
    for mx, my, dx, dy in (
        (front_x, y, -1, -1), (front_x, y + CARD_H, -1, 1),
        (back_x + CARD_W, y, 1, -1), (back_x + CARD_W, y + CARD_H, 1, 1),
        (cx, y, 0, -1), (cx, y + CARD_H, 0, 1),
    ):  # fmt: skip
        if dx:
            c.line(mx + dx * 4, my, mx + dx * 16, my)
        c.line(mx, my + dy * 4, mx, my + dy * 16)
    c.setDash(3, 2)
    c.line(cx, y, cx, y + CARD_H)
    c.setDash()

    # Front: who holds what, and until when.
    _card_panel(c, front_x, y, doc)
    left, width = front_x + 10, CARD_W - 20
    _text(c, "CARDHOLDER", SANS, 5.5, left, y + CARD_H - 42, width, align="left",
          color=MUTED)  # fmt: skip
    bottom = _block(c, doc.holder_name, SERIF_BOLD, 12, left, y + CARD_H - 43,
                    width, 8, align="left", color=ACCENT)  # fmt: skip
    _text(c, "COURSE", SANS, 5.5, left, bottom - 10, width, align="left", color=MUTED)
    _block(c, doc.course_title, SANS_BOLD, 8, left, bottom - 11, width, 6.5,
           align="left")  # fmt: skip
    _label_value(c, "Issued", format_date(doc.issued_on), left, y + 22, 7.5, 105)
    _label_value(c, "Valid through", format_date(doc.expires_on), left + 115,
                 y + 22, 7.5, 105)  # fmt: skip

    # Back: how to verify it.
    _card_panel(c, back_x, y, doc)
    qr_size = 78
    c.drawImage(qr, back_x + 6, y + 20, qr_size, qr_size)
    col, col_w = back_x + qr_size + 12, CARD_W - qr_size - 22
    _label_value(c, "Certificate code", doc.code, col, y + CARD_H - 46, 7.5, col_w)
    _label_value(c, "CE hours", f"{doc.hours.normalize():f}", col, y + CARD_H - 72,
                 7.5, col_w)  # fmt: skip
    _text(c, "Scan the code or visit the", SANS, 6, col, y + 40, col_w,
          align="left", color=MUTED)  # fmt: skip
    _text(c, "address below to verify.", SANS, 6, col, y + 32, col_w, align="left",
          color=MUTED)  # fmt: skip
    _text(c, doc.verify_url, SANS, 6, back_x + CARD_W / 2, y + 10, CARD_W - 16,
          color=INK)  # fmt: skip


def render_certificate_pdf(doc: CertificateDocument) -> bytes:
    """Render ``doc`` to PDF bytes: the certificate, then the wallet card.

    Text that could overflow (names, titles, URLs) is shrunk, or split over
    two lines at a space, to stay inside its box. The QR code of
    ``doc.verify_url`` is embedded once as a greyscale raster and reused.
    """
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=(PAGE_W, PAGE_H), pageCompression=1)
    c.setTitle(f"{doc.course_title} – Certificate of Completion – {doc.holder_name}")
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
