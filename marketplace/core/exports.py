"""CSV and XLSX exports, safe to open in a spreadsheet.

A cell that starts with = + - @, a tab or a carriage return could run as a formula when the
file is opened; such text is written as text: prefixed with an apostrophe in CSV (OWASP's
advice) and stored as a string cell, never a formula, in XLSX.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime

from flask import Response
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from marketplace.core import clock
from marketplace.extensions import db
from marketplace.models import Deal, Inquiry

DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list]


def csv_safe(value):
    if isinstance(value, str) and value.startswith(DANGEROUS_START):
        return "'" + value
    return value


def inquiry_table(inquiries: list[Inquiry]) -> Table:
    return Table("Permintaan", [
        "Nomor", "Tanggal", "Status", "Perusahaan", "Jenis pembeli", "Kontak", "Email", "Telepon", "Jumlah", "Satuan",
        "Frekuensi", "Kota", "Dibutuhkan", "Harga target (Rp)", "Penanggung jawab", "Pesan",
    ], [[
        i.reference, clock.in_wib(i.created_at).date(), str(i.status), i.company, i.buyer_type, i.contact_name,
        i.email, i.phone or "", i.quantity, i.unit, i.frequency, i.delivery_city, i.needed_by, i.target_price,
        (i.assigned_to.email if i.assigned_to else ""), i.message,
    ] for i in inquiries])


def deal_table() -> Table:
    deals = db.session.scalars(
        select(Deal).options(selectinload(Deal.producer)).order_by(Deal.id)
    ).all()
    references = dict(db.session.execute(
        select(Inquiry.id, Inquiry.reference).where(Inquiry.id.in_({d.inquiry_id for d in deals}))).all()) if deals else {}
    return Table("Kesepakatan", [
        "Nomor permintaan", "Produsen", "NIB", "Volume", "Satuan", "Harga per satuan (Rp)", "Nilai (Rp)", "Mulai", "Jadwal",
        "Dicatat",
    ], [[
        references.get(d.inquiry_id, ""), d.producer.name, d.producer.nib or "", d.volume, d.unit, d.unit_price, d.value,
        d.starts_on, d.schedule, clock.in_wib(d.created_at).date(),
    ] for d in deals])


def to_csv(table: Table) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(table.headers)
    for row in table.rows:
        writer.writerow(["" if v is None else csv_safe(v if not isinstance(v, (date, datetime)) else v.isoformat())
                         for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")  # BOM: Excel opens UTF-8 correctly


def _shown_width(value) -> int:
    """About how many characters Excel shows for a value: its longest line (dates as yyyy-mm-dd)."""
    if value is None:
        return 0
    if isinstance(value, (date, datetime)):
        return 10 if not isinstance(value, datetime) else 16
    if isinstance(value, float):
        return len(f"{value:,.2f}")
    return max((len(line) for line in str(value).splitlines()), default=0)


def to_xlsx(tables: list[Table]) -> bytes:
    from openpyxl import Workbook  # here, not at the top: 8 MB in every web worker for a download few make

    workbook = Workbook()
    workbook.remove(workbook.active)
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    for table in tables:
        sheet = workbook.create_sheet(table.title[:31])
        sheet.append(table.headers)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        widths = [len(str(h)) for h in table.headers]
        for row in table.rows:
            sheet.append([None] * len(row))
            for column, value in enumerate(row, start=1):
                cell = sheet.cell(row=sheet.max_row, column=column)
                cell.value = value
                if isinstance(value, str):
                    cell.data_type = "s"  # text stays text, even when it looks like a formula
                if column <= len(widths):
                    widths[column - 1] = max(widths[column - 1], _shown_width(value))
        # Each column as wide as what it holds (within reason), and the header row stays in view.
        for column, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(column)].width = min(max(width + 2, 8), 60)
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def response(table: Table, fmt: str, name: str) -> Response:
    stamp = date.today().isoformat()
    if fmt == "xlsx":
        body, mime = to_xlsx([table]), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        body, mime = to_csv(table), "text/csv"  # Flask adds "; charset=utf-8"
    return Response(body, mimetype=mime, headers={
        "Content-Disposition": f'attachment; filename="{name}-{stamp}.{fmt}"',
        "Cache-Control": "private, no-store",
    })
