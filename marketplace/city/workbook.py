"""The MoU report as an XLSX workbook: one sheet per table of the dashboard, plus the period's contracts.

Numbers are written as numbers; text typed by users (company, producer and product names) goes
through exports.to_xlsx, which stores every string as text, never as a formula.
"""
from __future__ import annotations

from flask_babel import gettext as _

from marketplace.core.formatting import round_amount, unit_label
from marketplace.core import clock
from marketplace.core import exports
from marketplace.city import monitoring
from marketplace.city.monitoring import FUNNEL, OUTCOMES, Figures, Period

MAX_CONTRACT_ROWS = 10_000


def _hours(value: float | None) -> float | None:
    return round(value, 1) if value is not None else None


def _volume_columns(lines) -> list[str]:
    units = {unit for line in lines for unit in (*line.contracted, *line.delivered)}
    return sorted(units, key=lambda u: (u != "kg", u))


def summary_table(fig: Figures) -> exports.Table:
    return exports.Table(_("Ringkasan"), [_("Angka"), _("Nilai")], [
        [_("Periode mulai"), fig.period.start],
        [_("Periode akhir"), fig.period.end],
        [_("Permintaan masuk"), fig.received],
        [_("Median jam sampai respons pertama"), _hours(fig.median_first_response_hours)],
        [_("Permintaan yang sudah direspons"), fig.responded],
        [_("Median jam sampai diteruskan ke produsen"), _hours(fig.median_forward_hours)],
        [_("Permintaan yang diteruskan"), fig.forwarded],
        [_("Kontrak berjalan dalam periode"), fig.contract_count],
        [_("Produsen dalam kontrak"), fig.producer_count],
        [_("Nilai kontrak terjadwal dalam periode (Rp)"), fig.contract_value],
    ])


def contract_lines_table(title: str, first: str, lines) -> exports.Table:
    """Contracts, producers and value per line, then the volumes contracted and delivered, a column per unit."""
    units = _volume_columns(lines)
    return exports.Table(title, [
        first, _("Kontrak"), _("Produsen"), _("Nilai (Rp)"),
        *[_("Dikontrak (%(unit)s)", unit=unit_label(u)) for u in units],
        *[_("Dikirim (%(unit)s)", unit=unit_label(u)) for u in units],
    ], [[line.label, line.contracts, line.producers, line.value,
         *[round_amount(line.contracted.get(u, 0), u) for u in units],
         *[round_amount(line.delivered.get(u, 0), u) for u in units]] for line in lines])


def target_table(fig: Figures, locale: str = "id") -> exports.Table:
    """Per agreement target and month: the target, contracted, achievement, delivered, contracts, producers, value."""
    return exports.Table(_("Target perjanjian"), [
        _("Perjanjian"), _("Komoditas"), _("Satuan"), _("Bulan"), _("Target per bulan"), _("Dikontrak"),
        _("Capaian (%)"), _("Dikirim"), _("Kontrak"), _("Produsen"), _("Nilai (Rp)"),
    ], [[t.agreement.code, t.category.name(locale) if t.category else "", unit_label(t.unit),
         monitoring.month_label(row.month, locale), round_amount(row.target, t.unit),
         round_amount(row.contracted, t.unit), round(row.share * 100, 1) if row.share is not None else None,
         round_amount(row.delivered, t.unit), row.contracts, row.producers, row.value]
        for t in fig.targets for row in t.months])


def tables(fig: Figures, locale: str = "id") -> list[exports.Table]:
    period = fig.period
    result = [
        summary_table(fig),
        exports.Table(_("Permintaan per minggu"), [_("Minggu"), _("Mulai (Senin)"), _("Permintaan")],
                      [[monitoring.week_label(monday), monday, n] for monday, n in fig.per_week]),
        exports.Table(_("Tahapan permintaan"), [_("Tahap"), _("Permintaan")],
                      [[monitoring.stage_label(s), fig.funnel.reached[s]] for s in FUNNEL]
                      + [[monitoring.stage_label(s), fig.funnel.outcomes[s]] for s in OUTCOMES]),
        contract_lines_table(_("Kontrak per bulan"), _("Bulan"), fig.contracts_by_month),
        contract_lines_table(_("Kontrak per komoditas"), _("Komoditas"), fig.contracts_by_commodity),
        contract_lines_table(_("Kontrak per bulan & komoditas"), _("Bulan · komoditas"),
                             fig.contracts_by_month_commodity),
        exports.Table(_("Permintaan vs kapasitas"),
                      [_("Komoditas"), _("Satuan"), _("Permintaan per bulan"), _("Kapasitas per bulan"),
                       _("Permintaan / kapasitas (%)")],
                      [[line.category.name(locale), unit_label(line.unit),
                        round_amount(line.asked_per_month, line.unit), round_amount(line.capacity_per_month, line.unit),
                        round(line.share * 100, 1) if line.share is not None else None]
                       for line in fig.demand]),
        exports.Table(_("Produk paling diminati"), [_("Produk"), _("Produsen"), _("Permintaan")],
                      [[p.name, p.producer, p.inquiries] for p in fig.top_products]),
        exports.Table(_("Penerusan belum dijawab"),
                      [_("Produsen"), _("Penerusan menunggu"), _("Menunggu sejak"), _("Umur (hari)")],
                      [[w.name, w.waiting, clock.in_wib(w.oldest).date(), w.age_days()] for w in fig.waiting]),
        target_table(fig, locale),
        contract_list(period, locale),
    ]
    return result


def contract_list(period: Period, locale: str = "id") -> exports.Table:
    """Every contract line of the contracts counted in the period's months (at most MAX_CONTRACT_ROWS)."""
    first, last = monitoring.month_span(period)
    return exports.contract_table(first, last, counted_only=True, limit=MAX_CONTRACT_ROWS,
                                  title=_("Daftar kontrak"), locale=locale)


ChartRows = list[tuple[str, float, str]]  # (label, value, the value as shown)


def print_charts(fig: Figures, locale: str = "id") -> dict[str, ChartRows]:
    """The printable report's charts: inquiries per week, contract value per month, demand as a share of capacity."""
    from marketplace.core.formatting import number, rupiah

    return {
        "weekly": [(monitoring.week_label(monday), n, number(n)) for monday, n in fig.per_week],
        "contract_value": [(line.label, line.value, rupiah(line.value)) for line in fig.contracts_by_month],
        "demand": [(line.category.name(locale), line.share * 100, f"{number(line.share * 100, 1)}%")
                   for line in fig.demand if line.share is not None],
    }


def workbook(period: Period, locale: str = "id") -> bytes:
    return exports.to_xlsx(tables(monitoring.figures(period, locale), locale))
