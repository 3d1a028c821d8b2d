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
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, select

from marketplace.core import clock
from marketplace.extensions import db
from marketplace.models import Inquiry

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


# A contract's status as an export writes it.
CONTRACT_STATUS = {"active": _l("Aktif"), "completed": _l("Selesai"), "cancelled": _l("Dibatalkan")}


def contract_table(first_month: date | None = None, last_month: date | None = None, counted_only: bool = False,
                   limit: int | None = None, title: str | None = None, locale: str = "id") -> Table:
    """One row per contract line (a producer's part), with its contract's reference; the line's value is the sum of
    its schedule (quantity × price over its months). With `first_month` and `last_month` (first days of months), only
    contracts with deliveries scheduled in those months; `counted_only` leaves cancelled contracts out."""
    from marketplace.catalog.queries import categories
    from marketplace.core.formatting import frequency_label, unit_label
    from marketplace.models import Agreement, Contract, ContractLine, ContractMonth, ContractStatus, Producer, Product

    line_value = (select(ContractMonth.line_id.label("line_id"), func.sum(ContractMonth.value).label("value"))
                  .group_by(ContractMonth.line_id).subquery())
    stmt = (
        select(Contract.reference, Contract.status, Inquiry.reference, Inquiry.company, Inquiry.category_id,
               Producer.name, Producer.nib, Product.name, ContractLine.quantity, ContractLine.unit, Contract.frequency,
               Contract.periods, ContractLine.price, line_value.c.value, Contract.starts_on, Contract.ends_on,
               Agreement.code, Contract.created_at)
        .join(ContractLine, ContractLine.contract_id == Contract.id)
        .join(Inquiry, Inquiry.id == Contract.inquiry_id)
        .join(Producer, Producer.id == ContractLine.producer_id)
        .outerjoin(Product, Product.id == ContractLine.product_id)
        .outerjoin(Agreement, Agreement.id == Contract.agreement_id)
        .outerjoin(line_value, line_value.c.line_id == ContractLine.id)
        .order_by(Contract.id, ContractLine.id)
    )
    if counted_only:
        stmt = stmt.where(Contract.status != str(ContractStatus.CANCELLED))
    if first_month is not None and last_month is not None:
        stmt = stmt.where(exists(select(1).where(ContractMonth.contract_id == Contract.id,
                                                 ContractMonth.month >= first_month, ContractMonth.month <= last_month)))
    if limit is not None:
        stmt = stmt.limit(limit)
    names = {c.id: c.name(locale) for c in categories()}
    headers = [_("Nomor kontrak"), _("Status"), _("Nomor permintaan"), _("Perusahaan pembeli"), _("Komoditas"),
               _("Produsen"), _("NIB"), _("Produk"), _("Volume per periode"), _("Satuan"), _("Periode"),
               _("Jumlah periode"), _("Harga per satuan (Rp)"), _("Nilai kontrak (Rp)"), _("Mulai"), _("Selesai"),
               _("Perjanjian"), _("Dibuat")]
    return Table(title or _("Kontrak"), headers, [[
        reference, str(CONTRACT_STATUS.get(str(status), status)), inquiry, company, names.get(category_id, ""),
        producer, nib or "", product or "", quantity, unit_label(unit), frequency_label(frequency), periods, price,
        int(value or 0), starts_on, ends_on, code or "", clock.in_wib(created).date(),
    ] for (reference, status, inquiry, company, category_id, producer, nib, product, quantity, unit, frequency,
           periods, price, value, starts_on, ends_on, code, created) in db.session.execute(stmt)])


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
