"""Real files for upload tests: PDFs built with pypdf, images drawn with Pillow."""

from __future__ import annotations

import io
from collections.abc import Callable

from PIL import Image
from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    TextStringObject,
)


def pdf_bytes(pages: int = 1, *, change: Callable[[PdfWriter], None] | None = None):
    """A real PDF of `pages` blank A7 pages (a wallet card's size), after `change`."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=298, height=210)
    if change is not None:
        change(writer)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


PDF = pdf_bytes(2)


def with_document_script(writer: PdfWriter) -> None:
    """Document-level JavaScript: the catalog's /Names /JavaScript name tree."""
    action = writer._add_object(
        DictionaryObject(
            {
                NameObject("/S"): NameObject("/JavaScript"),
                NameObject("/JS"): TextStringObject("app.alert('hello');"),
            }
        )
    )
    scripts = DictionaryObject(
        {NameObject("/Names"): ArrayObject([TextStringObject("hello"), action])}
    )
    writer._root_object[NameObject("/Names")] = DictionaryObject(
        {NameObject("/JavaScript"): writer._add_object(scripts)}
    )


def with_open_action_script(writer: PdfWriter) -> None:
    writer._root_object[NameObject("/OpenAction")] = DictionaryObject(
        {
            NameObject("/S"): NameObject("/JavaScript"),
            NameObject("/JS"): TextStringObject("app.launchURL('x');"),
        }
    )


def with_page_open_action(writer: PdfWriter) -> None:
    # /AA on a page: an action run when the page opens (here a launch, no /JS key).
    writer.pages[0][NameObject("/AA")] = DictionaryObject(
        {
            NameObject("/O"): DictionaryObject(
                {
                    NameObject("/S"): NameObject("/Launch"),
                    NameObject("/F"): TextStringObject("calc.exe"),
                }
            )
        }
    )


def with_launch_open_action(writer: PdfWriter) -> None:
    writer._root_object[NameObject("/OpenAction")] = writer._add_object(
        DictionaryObject(
            {
                NameObject("/S"): NameObject("/Launch"),
                NameObject("/F"): TextStringObject("cmd.exe"),
            }
        )
    )


def with_xfa_form(writer: PdfWriter) -> None:
    """An XFA form: scripts live in its XML packets, with no action (/S) to see."""
    packet = writer._add_object(DictionaryObject())
    writer._root_object[NameObject("/AcroForm")] = DictionaryObject(
        {
            NameObject("/Fields"): ArrayObject(),
            NameObject("/XFA"): ArrayObject([TextStringObject("template"), packet]),
        }
    )


def with_embedded_file(writer: PdfWriter) -> None:
    writer.add_attachment("invoice.exe", b"MZ\x90\x00 not really a program")


def with_file_attachment_annotation(writer: PdfWriter) -> None:
    annotation = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/FileAttachment"),
            NameObject("/Rect"): ArrayObject(
                [FloatObject(v) for v in (10, 10, 30, 30)]
            ),
            NameObject("/Contents"): TextStringObject("notes.txt"),
        }
    )
    writer.add_annotation(page_number=0, annotation=annotation)


def with_password(writer: PdfWriter) -> None:
    writer.encrypt(user_password="", owner_password="owner", algorithm="AES-128")


def image_bytes(fmt: str, size: tuple[int, int] = (320, 200), mode: str = "RGB"):
    """A real image in `fmt` ("PNG" or "JPEG")."""
    buffer = io.BytesIO()
    Image.new(mode, size, 0 if mode == "1" else (200, 30, 30)).save(buffer, format=fmt)
    return buffer.getvalue()
