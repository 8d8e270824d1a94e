"""The compliance matrix as a file: CSV and XLSX (openpyxl), the same columns.

Cells that start like a formula (=, +, -, @, tab, carriage return) are prefixed
with an apostrophe in the CSV, so a name cannot run as a formula when the file is
opened in a spreadsheet; openpyxl writes them as text in the XLSX.
"""

from __future__ import annotations

import csv
import io

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from .selectors import Compliance, MemberRow

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def header(compliance: Compliance) -> list[str]:
    columns = ["Name", "E-mail", "Job role", "Joined", "Compliant"]
    for course in compliance.columns:
        columns += [
            f"{course.code} status",
            f"{course.code} expires or expired",
            f"{course.code} progress %",
            f"{course.code} due",
        ]
    return columns


def values(row: MemberRow) -> list[object]:
    out: list[object] = [
        row.name,
        row.email,
        row.job_role,
        timezone.localtime(
            row.member.joined_at, timezone.get_default_timezone()
        ).date(),
        "yes" if row.compliant else "no",
    ]
    for cell in row.cells:
        if cell is None:
            out += ["not required", None, None, None]
            continue
        out += [
            cell.label + (" (overdue)" if cell.overdue else ""),
            cell.expires_on,
            cell.percent,
            cell.due_on,
        ]
    return out


def compliance_csv(compliance: Compliance, rows: list[MemberRow]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header(compliance))
    for row in rows:
        writer.writerow(
            ["" if value is None else _safe(str(value)) for value in values(row)]
        )
    return buffer.getvalue()


def _text_cell(sheet, value: object) -> object:
    """Plain values go in as they are (dates get a date format); a string that
    openpyxl would take for a formula is written as text."""
    if isinstance(value, str) and value.startswith("="):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value


def compliance_xlsx(compliance: Compliance, rows: list[MemberRow]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Compliance")
    names = header(compliance)
    for index, name in enumerate(names, start=1):
        width = 28 if index <= 2 else max(12, len(name) + 2)
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "B2"
    bold = Font(bold=True)
    header_cells = []
    for name in names:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        sheet.append([_text_cell(sheet, value) for value in values(row)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
