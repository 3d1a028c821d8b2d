"""The MoU monitoring read from contracts (city/monitoring.py): a hand computation, on the dashboard, the printed
report and the XLSX.

    MoU MOU-BERAS: target 30 ton of rice (beras) a month.
    K1  active, under MOU-BERAS: 20 ton a month for 12 months from 1 November 2026 (to 31 October 2027)
        line A: 12 ton a month at Rp 12.500.000 per ton  → Rp 150.000.000 a month
        line B: 8.000 kg a month at Rp 13.000 per kg     → Rp 104.000.000 a month   (8 ton, in the listing's kg)
                                                           Rp 254.000.000 a month
        deliveries: A 12 ton accepted on 20 Nov 2026; B 8.000 kg rejected at receipt on 21 Nov 2026
    K2  cancelled, under MOU-BERAS: 10 ton a month from November 2026 (producer C), with a 5 ton delivery
        accepted: a cancelled contract never counts.

    month      target  contracted  achievement  delivered  contracts  producers  value
    Nov 2026   30 t    20 t        66,7 %       12 t       1          2          Rp 254.000.000
    Dec 2026   30 t    20 t        66,7 %       0          1          2          Rp 254.000.000
    Jan 2027   30 t    20 t        66,7 %       0          1          2          Rp 254.000.000   (across the year end)
    Nov 2027   30 t    0           0 %          0          0          0          Rp 0             (after the end)

The period asked for is 1 November 2026 – 30 November 2027 (13 months): 12 × 20 t = 240 t contracted,
12 × Rp 254.000.000 = Rp 3.048.000.000; on average 240 / 13 = 18,46 t a month, 240 / 390 = 61,5 % of the target.
"""
from __future__ import annotations

import io
import re
from html import unescape
from datetime import date

import pytest
from openpyxl import load_workbook

from marketplace.extensions import db
from marketplace.models import (
    Agreement,
    AgreementTarget,
    Contract,
    ContractLine,
    Delivery,
    Inquiry,
    Role,
)
from marketplace.city import monitoring
from marketplace.city.monitoring import Period
from marketplace.core.formatting import round_amount
from marketplace.trade.contracts import ends_on, schedule_lines
from tests.conftest import login
from tests.factories import ProducerFactory, ProductFactory, UserFactory, category
from tests.readonly import ReadOnly, wipe

PERIOD = Period(date(2026, 11, 1), date(2027, 11, 30))
QUERY = "?period=custom&start=2026-11-01&end=2027-11-30"
MONTH_VALUE = 12 * 12_500_000 + 8000 * 13_000
EXPECTED = {  # month: (contracted t, share %, delivered t, contracts, producers, value)
    "2026-11": (20, 66.7, 12, 1, 2, MONTH_VALUE),
    "2026-12": (20, 66.7, 0, 1, 2, MONTH_VALUE),
    "2027-01": (20, 66.7, 0, 1, 2, MONTH_VALUE),
    "2027-11": (0, 0.0, 0, 0, 0, 0),
}
LABELS = {"2026-11": "Nov 2026", "2026-12": "Des 2026", "2027-01": "Jan 2027", "2027-11": "Nov 2027"}


def _contract(inquiry, agreement, status, lines, n):
    start = date(2026, 11, 1)
    contract = Contract(reference=f"KTR-2026-{n:06d}", inquiry=inquiry, status=status, agreement_id=agreement.id,
                        agreement_chosen=True, frequency="monthly", periods=12, starts_on=start,
                        ends_on=ends_on("monthly", 12, start), lines=lines)
    db.session.add(contract)
    schedule_lines(contract)
    return contract


@pytest.fixture(scope="class")
def year(app):
    with app.app_context():
        a, b, c = (ProducerFactory(name=name) for name in ("Gapoktan Sido Makmur", "KWT Mekar", "Tani Batal"))
        rice_a = ProductFactory(producer=a, name="Beras Premium A", unit="ton", monthly_capacity=15)
        rice_b = ProductFactory(producer=b, name="Beras Premium B", unit="kg", monthly_capacity=10_000)
        rice_c = ProductFactory(producer=c, name="Beras Premium C", unit="ton", monthly_capacity=20)
        agreement = Agreement(code="MOU-BERAS", kind="MoU", title="MoU beras", parties="Kota Metro; Food Station",
                              starts_on=date(2026, 1, 1), ends_on=date(2028, 12, 31))
        agreement.targets.append(AgreementTarget(category_id=category().id, volume_per_month=30, unit="ton"))
        db.session.add(agreement)
        inquiry = Inquiry(reference="INQ-2026-000001", tracking_token="t1", form_token="f1", company="PT Food Station",
                          buyer_type="distributor", contact_name="Budi", email="budi@contoh.id", quantity=20,
                          unit="ton", frequency="monthly", periods=12, starts_on=date(2026, 11, 1),
                          delivery_city="jakarta-timur", category_id=category().id, status="agreed",
                          agreement_id=None)
        db.session.add(inquiry)
        db.session.flush()
        k1 = _contract(inquiry, agreement, "active", [
            ContractLine(producer_id=a.id, product=rice_a, product_id=rice_a.id, quantity=12, unit="ton",
                         price=12_500_000),
            ContractLine(producer_id=b.id, product=rice_b, product_id=rice_b.id, quantity=8000, unit="kg",
                         price=13_000),
        ], 1)
        k2 = _contract(inquiry, agreement, "cancelled", [
            ContractLine(producer_id=c.id, product=rice_c, product_id=rice_c.id, quantity=10, unit="ton",
                         price=10_000_000),
        ], 2)
        line_a, line_b = k1.lines
        line_a.deliveries.append(Delivery(delivered_on=date(2026, 11, 20), quantity=12, unit="ton",
                                          status="accepted"))
        line_b.deliveries.append(Delivery(delivered_on=date(2026, 11, 21), quantity=8000, unit="kg",
                                          status="rejected", note="Kadar air terlalu tinggi"))
        k2.lines[0].deliveries.append(Delivery(delivered_on=date(2026, 11, 22), quantity=5, unit="ton",
                                               status="accepted"))
        UserFactory(email="fasilitator@contoh.id", role=Role.FACILITATOR)
        db.session.commit()
    yield
    wipe(app)


def _user(email):
    from sqlalchemy import select

    from marketplace.models import User

    return db.session.scalar(select(User).where(User.email == email))


def _cells(html: str, table_id: str) -> dict[str, list[str]]:
    """A figure table's body rows by their first cell, each cell's text."""
    table = html.split(f'id="{table_id}"')[1].split("</table>")[0]
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", table, re.S):
        cells = [unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        if cells:
            rows[cells[0]] = cells
    return rows


def _shown(month: str) -> list[str]:
    contracted, share, delivered, contracts, producers, value = EXPECTED[month]
    number = lambda v: f"{v:,.1f}".replace(",", " ").replace(".", ",").replace(" ", ".").removesuffix(",0")  # noqa: E731
    return [LABELS[month], "30 ton", f"{contracted} ton", f"{number(share)}%", f"{delivered} ton", str(contracts),
            str(producers), f"Rp {value:,}".replace(",", ".")]


class TestContractMonitoring(ReadOnly):
    @pytest.fixture(autouse=True)
    def _ctx(self, app, year):
        with app.app_context():
            yield
            db.session.remove()

    def test_the_target_per_month_by_hand(self):
        [progress] = monitoring.target_progress(PERIOD)
        assert (progress.agreement.code, progress.unit, progress.monthly_target) == ("MOU-BERAS", "ton", 30)
        months = {row.month: row for row in progress.months}
        assert len(months) == 13
        for month, (contracted, share, delivered, contracts, producers, value) in EXPECTED.items():
            row = months[month]
            assert row.target == 30
            assert row.contracted == pytest.approx(contracted), month
            assert round(row.share * 100, 1) == share, month
            assert row.delivered == pytest.approx(delivered), month  # the rejected 8 t and K2's 5 t never count
            assert (row.contracts, row.producers, row.value) == (contracts, producers, value), month
        assert progress.total == pytest.approx(240) and progress.value == 12 * MONTH_VALUE
        assert round(progress.average_share * 100, 1) == 61.5
        assert round_amount(progress.average, "ton") == 18.46

    def test_contracts_per_month_and_commodity_count_a_contract_once(self):
        fig = monitoring.figures(PERIOD)
        assert (fig.contract_count, fig.producer_count, fig.contract_value) == (1, 2, 12 * MONTH_VALUE)
        by_month = {line.key: line for line in fig.contracts_by_month}
        november = by_month["2026-11"]
        assert (november.contracts, november.producers, november.value) == (1, 2, MONTH_VALUE)
        assert november.contracted == {"kg": pytest.approx(20_000)} and november.delivered == {"kg": pytest.approx(12_000)}
        assert by_month["2027-10"].contracts == 1 and by_month["2027-11"].contracts == 0
        [rice] = fig.contracts_by_commodity
        assert (rice.key, rice.contracts, rice.producers, rice.value) == ("beras-serealia", 1, 2, 12 * MONTH_VALUE)
        both = {line.key: line for line in fig.contracts_by_month_commodity}
        assert len(both) == 12 and both["2027-01/beras-serealia"].contracted == {"kg": pytest.approx(20_000)}

    def test_the_dashboard_shows_the_month_table(self, app):
        client = app.test_client()
        login(client, _user("fasilitator@contoh.id"))
        html = client.get("/facilitator/dashboard" + QUERY).get_data(as_text=True)
        rows = _cells(html, "t-target-0")
        for month in EXPECTED:
            assert rows[LABELS[month]] == _shown(month), month
        assert "Rp 3.048.000.000" in html
        both = _cells(html, "t-contracts-both")
        rice = category().name("id")
        assert both[f"Nov 2026 · {rice}"][1:] == ["1", "2", "20 ton", "12 ton", f"Rp {MONTH_VALUE:,}".replace(",", ".")]
        assert both[f"Jan 2027 · {rice}"][1:5] == ["1", "2", "20 ton", "—"]

    def test_the_printed_report_shows_the_same_figures(self, app):
        client = app.test_client()
        login(client, _user("fasilitator@contoh.id"))
        html = client.get("/admin/reports/print" + QUERY).get_data(as_text=True)
        rows = _cells(html, "t-target-0")
        for month in EXPECTED:
            assert rows[LABELS[month]] == _shown(month), month
        contracts = html.split('id="t-contract-list"')[1].split("</table>")[0]
        assert contracts.count("KTR-2026-000001") == 2 and "KTR-2026-000002" not in contracts  # one row per line

    def test_the_xlsx_has_the_same_figures(self, app):
        client = app.test_client()
        login(client, _user("fasilitator@contoh.id"))
        book = load_workbook(io.BytesIO(client.get("/admin/reports/report.xlsx" + QUERY).data))
        targets = {row[3]: row for row in book["Target perjanjian"].iter_rows(min_row=2, values_only=True)}
        for month, (contracted, share, delivered, contracts, producers, value) in EXPECTED.items():
            assert targets[LABELS[month]] == ("MOU-BERAS", category().name("id"), "ton", LABELS[month], 30, contracted,
                                              share, delivered, contracts, producers, value), month
        months = {row[0]: row for row in book["Kontrak per bulan"].iter_rows(min_row=2, values_only=True)}
        assert months["Nov 2026"] == ("Nov 2026", 1, 2, MONTH_VALUE, 20_000, 12_000)
        summary = {row[0]: row[1] for row in book["Ringkasan"].iter_rows(min_row=2, values_only=True)}
        assert summary["Kontrak berjalan dalam periode"] == 1
        lines = list(book["Daftar kontrak"].iter_rows(min_row=2, values_only=True))
        assert [(row[0], row[5]) for row in lines] == [("KTR-2026-000001", "Gapoktan Sido Makmur"),
                                                      ("KTR-2026-000001", "KWT Mekar")]
        assert [row[13] for row in lines] == [12 * 150_000_000, 12 * 104_000_000]

    def test_the_contract_export_has_one_row_per_line_with_its_contract(self, app):
        client = app.test_client()
        login(client, _user("fasilitator@contoh.id"))
        response = client.get("/facilitator/deals.xlsx")
        assert response.status_code == 200 and "kontrak-" in response.headers["Content-Disposition"]
        rows = list(load_workbook(io.BytesIO(response.data)).active.iter_rows(min_row=2, values_only=True))
        assert [(row[0], row[1], row[8], row[9]) for row in rows] == [
            ("KTR-2026-000001", "Aktif", 12, "ton"), ("KTR-2026-000001", "Aktif", 8000, "kg"),
            ("KTR-2026-000002", "Dibatalkan", 10, "ton")]
        assert client.get("/facilitator/deals.csv").get_data(as_text=True).count("KTR-2026-000001") == 2


@pytest.mark.parametrize("value, unit, shown", [
    (1606.6667, "butir", "1.607 butir"),  # pieces are whole
    (18.461538, "ton", "18,46 ton"),
    (12_345.6, "kg", "12,3 ton"),
    (412.75, "kg", "413 kg"),
    (2.26, "kg", "2,3 kg"),
])
def test_worked_out_figures_are_rounded_sensibly(ctx, value, unit, shown):
    from marketplace.core.formatting import rounded_quantity

    assert rounded_quantity(value, unit) == shown
