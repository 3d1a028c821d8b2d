"""/admin/reports: choose a period; a printable page (no navigation) or an XLSX workbook of the same figures.

Who: the city's admins and the BUMD facilitators (policies.can_read_reports), since both sit in the MoU meetings.
"""
from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, render_template, request
from flask_babel import get_locale
from flask_login import current_user, login_required

from marketplace.core import policies
from marketplace.trade.facilitator.forms import DEFAULT_PRESET, PeriodForm
from marketplace.city import monitoring, workbook as reports

bp = Blueprint("reports", __name__)


@bp.before_request
@login_required
def _guard():
    if not policies.can_read_reports(current_user):
        abort(403)


def _period():
    form = PeriodForm(request.args)
    if not request.args.get("period"):
        form.period.data = DEFAULT_PRESET
    period, valid = form.resolve()
    return form, period, valid


@bp.get("/")
def index():
    form, period, valid = _period()
    return render_template("reports/index.html", form=form, period=period, valid=valid), 200 if valid else 400


@bp.get("/print")
def printable():
    form, period, valid = _period()
    if not valid:
        return render_template("reports/index.html", form=form, period=period, valid=valid), 400
    locale = str(get_locale())
    fig = monitoring.figures(period, locale)
    return render_template("reports/print.html", fig=fig, locale=locale, charts=reports.print_charts(fig, locale),
                           contracts=reports.contract_list(period, locale), issuer=current_app.config["REPORT_ISSUER"],
                           facilitator=current_app.config["REPORT_FACILITATOR"],
                           week_label=monitoring.week_label, month_label=monitoring.month_label,
                           stage_label=monitoring.stage_label)


@bp.get("/report.xlsx")
def workbook():
    form, period, valid = _period()
    if not valid:
        return render_template("reports/index.html", form=form, period=period, valid=valid), 400
    body = reports.workbook(period, str(get_locale()))
    return Response(body, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", headers={
        "Content-Disposition": f'attachment; filename="laporan-mou-{period.slug}.xlsx"',
        "Cache-Control": "private, no-store",
    })
