"""The MoU report as an XLSX workbook: one sheet per table of the dashboard, plus the period's deals.

Numbers are written as numbers; text typed by users (company, producer and product names) goes
through exports.to_xlsx, which stores every string as text, never as a formula.
"""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.core.formatting import unit_label
from marketplace.models import Agreement, Deal, Inquiry, Producer
from marketplace.core import clock
from marketplace.catalog import queries as catalog
from marketplace.core import exports
from marketplace.city import monitoring
from marketplace.city.monitoring import FUNNEL, OUTCOMES, Figures, Period

MAX_DEAL_ROWS = 10_000


def _hours(value: float | None) -> float | None:
    return round(value, 1) if value is not None else None


def _volume_columns(lines) -> list[str]:
    units = sorted({unit for line in lines for unit in line.volumes}, key=lambda u: (u != "kg", u))
    return units


def summary_table(fig: Figures) -> exports.Table:
    return exports.Table(_("Ringkasan"), [_("Angka"), _("Nilai")], [
        [_("Periode mulai"), fig.period.start],
        [_("Periode akhir"), fig.period.end],
        [_("Permintaan masuk"), fig.received],
        [_("Median jam sampai respons pertama"), _hours(fig.median_first_response_hours)],
        [_("Permintaan yang sudah direspons"), fig.responded],
        [_("Median jam sampai diteruskan ke produsen"), _hours(fig.median_forward_hours)],
        [_("Permintaan yang diteruskan"), fig.forwarded],
        [_("Jumlah kesepakatan"), fig.deal_count],
        [_("Nilai kesepakatan (Rp)"), fig.deal_value],
    ])


def deal_lines_table(title: str, first: str, lines) -> exports.Table:
    units = _volume_columns(lines)
    return exports.Table(title, [first, _("Kesepakatan"), _("Nilai (Rp)"),
                                 *[_("Volume (%(unit)s)", unit=unit_label(u)) for u in units]],
                         [[line.label, line.deals, line.value, *[line.volumes.get(u, 0) for u in units]]
                          for line in lines])


def tables(fig: Figures, locale: str = "id") -> list[exports.Table]:
    period = fig.period
    result = [
        summary_table(fig),
        exports.Table(_("Permintaan per minggu"), [_("Minggu"), _("Mulai (Senin)"), _("Permintaan")],
                      [[monitoring.week_label(monday), monday, n] for monday, n in fig.per_week]),
        exports.Table(_("Tahapan permintaan"), [_("Tahap"), _("Permintaan")],
                      [[monitoring.stage_label(s), fig.funnel.reached[s]] for s in FUNNEL]
                      + [[monitoring.stage_label(s), fig.funnel.outcomes[s]] for s in OUTCOMES]),
        deal_lines_table(_("Kesepakatan per bulan"), _("Bulan"), fig.deals_by_month),
        deal_lines_table(_("Kesepakatan per komoditas"), _("Komoditas"), fig.deals_by_commodity),
        exports.Table(_("Permintaan vs kapasitas"),
                      [_("Komoditas"), _("Satuan"), _("Permintaan per bulan"), _("Kapasitas per bulan"),
                       _("Permintaan / kapasitas (%)")],
                      [[line.category.name(locale), unit_label(line.unit), round(line.asked_per_month, 2),
                        line.capacity_per_month, round(line.share * 100, 1) if line.share is not None else None]
                       for line in fig.demand]),
        exports.Table(_("Produk paling diminati"), [_("Produk"), _("Produsen"), _("Permintaan")],
                      [[p.name, p.producer, p.inquiries] for p in fig.top_products]),
        exports.Table(_("Penerusan belum dijawab"),
                      [_("Produsen"), _("Penerusan menunggu"), _("Menunggu sejak"), _("Umur (hari)")],
                      [[w.name, w.waiting, clock.in_wib(w.oldest).date(), w.age_days()] for w in fig.waiting]),
        exports.Table(_("Target perjanjian"),
                      [_("Perjanjian"), _("Komoditas"), _("Satuan"), _("Bulan"), _("Target per bulan"),
                       _("Volume disepakati"), _("Capaian (%)")],
                      [[t.agreement.code, t.category.name(locale) if t.category else "", unit_label(t.unit),
                        monitoring.month_label(m, locale), t.monthly_target, round(v, 2),
                        round(v / t.monthly_target * 100, 1) if t.monthly_target else None]
                       for t in fig.targets for m, v in t.by_month.items()]),
        deal_list(period, locale),
    ]
    return result


def deal_list(period: Period, locale: str = "id") -> exports.Table:
    """Every deal recorded in the period (at most MAX_DEAL_ROWS), oldest first."""
    categories = {c.id: c for c in catalog.categories()}
    low, high = period.bounds()
    rows = db.session.execute(
        select(Deal.created_at, Inquiry.reference, Inquiry.company, Producer.name, Inquiry.category_id, Deal.volume,
               Deal.unit, Deal.unit_price, Deal.value, Agreement.code)
        .join(Inquiry, Inquiry.id == Deal.inquiry_id)
        .join(Producer, Producer.id == Deal.producer_id)
        .outerjoin(Agreement, Agreement.id == Deal.agreement_id)
        .where(Deal.created_at >= low, Deal.created_at < high)
        .order_by(Deal.created_at, Deal.id)
        .limit(MAX_DEAL_ROWS)
    ).all()
    return exports.Table(_("Daftar kesepakatan"), [
        _("Dicatat"), _("Nomor permintaan"), _("Perusahaan pembeli"), _("Produsen"), _("Komoditas"), _("Volume"),
        _("Satuan"), _("Harga per satuan (Rp)"), _("Nilai (Rp)"), _("Perjanjian"),
    ], [[
        clock.in_wib(at).date(), reference, company, producer,
        categories[cid].name(locale) if cid in categories else "", volume, unit_label(unit), price, value, code or "",
    ] for at, reference, company, producer, cid, volume, unit, price, value, code in rows])


ChartRows = list[tuple[str, float, str]]  # (label, value, the value as shown)


def print_charts(fig: Figures, locale: str = "id") -> dict[str, ChartRows]:
    """The printable report's charts: inquiries per week, deal value per month, demand as a share of capacity."""
    from marketplace.core.formatting import number, rupiah

    return {
        "weekly": [(monitoring.week_label(monday), n, number(n)) for monday, n in fig.per_week],
        "deal_value": [(line.label, line.value, rupiah(line.value)) for line in fig.deals_by_month],
        "demand": [(line.category.name(locale), line.share * 100, f"{number(line.share * 100, 1)}%")
                   for line in fig.demand if line.share is not None],
    }


def workbook(period: Period, locale: str = "id") -> bytes:
    return exports.to_xlsx(tables(monitoring.figures(period, locale), locale))
