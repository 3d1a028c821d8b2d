"""The monitoring figures (city/monitoring.py), the dashboard, agreements with targets, and the MoU reports.

One KNOWN fixture, built once for the read-only class, with fixed timestamps (UTC in the database;
WIB = UTC+7 decides the day, week and month). The period asked for is 1 September – 31 October 2026.

    inquiry  arrives (WIB)        commodity / ask             status path                          first resp.  first forward
    I1       Tue 1 Sep 00:30      beras 1.000 kg monthly      in_review→forwarded→responded→negotiating→agreed   +2 h   +5 h (A)
    I2       Wed 2 Sep 12:00      beras 2 ton once            in_review→forwarded→responded→agreed                +4 h   +29 h (B, late)
    I3       Tue 8 Sep 08:00      telur 500 butir weekly      in_review→declined                                   +10 h  —
    I4       Wed 16 Sep 10:00     beras 300 kg once           spam                                                 —      —
    I5       Sat 10 Oct 07:00     telur 1.000 butir monthly   in_review→forwarded (B has not answered)             +1 h   +6 h (B)
    I6       Wed 21 Oct 02:00     beras 100 kg once           new                                                  —      —
  outside:
    I7       Mon 31 Aug 23:00     beras 400 kg (one hour before the period starts, in WIB)
    I8       Sun 1 Nov 00:30      telur (30 minutes after it ends); forwarded to A, unanswered

    contract  inquiry  producer  one delivery on  volume     value (Rp)    agreement
    K1        I1       A         20 Sep           800 kg     9.600.000     MOU-UJI
    K2        I2       B         5 Oct            1 ton      11.000.000    MOU-UJI
    K3        I1       A         25 Sep           200 kg     2.400.000     —
    K0        I7       A         31 Aug           400 kg     5.000.000     MOU-UJI   (August: outside, not counted)

Capacity (published products): beras 5.000 kg (A) + 2 ton (B) = 7.000 kg; telur 10.000 butir (B).
"""
from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.models import (
    Agreement,
    AgreementTarget,
    Allocation,
    AuditEvent,
    Contract,
    ContractLine,
    Inquiry,
    InquiryEvent,
    InquiryItem,
    Role,
)
from marketplace.city import monitoring
from marketplace.city.monitoring import Period
from tests.conftest import csrf_from, login
from tests.factories import ProducerFactory, ProductFactory, UserFactory, category
from tests.readonly import ReadOnly, wipe

PERIOD = Period(date(2026, 9, 1), date(2026, 10, 31))
QUERY = "?period=custom&start=2026-09-01&end=2026-10-31"
FORMULA = '=HYPERLINK("http://x")'


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def _inquiry(n, created, cat, quantity, unit, frequency, path, products, first_response_hours=None,
             company="PT Pembeli"):
    inquiry = Inquiry(
        reference=f"INQ-2026-{n:06d}", tracking_token=f"t{n}", form_token=f"f{n}", company=company,
        buyer_type="hotel", contact_name="Budi", email="budi@contoh.id", quantity=quantity, unit=unit,
        frequency=frequency, delivery_city="jakarta-pusat", category_id=category(cat).id,
        status=path[-1] if path else "new", created_at=created, updated_at=created,
        first_response_at=created + timedelta(hours=first_response_hours) if first_response_hours else None,
    )
    for step, status in enumerate(path, start=1):
        inquiry.events.append(InquiryEvent(kind="status", visibility="internal", to_status=status,
                                           created_at=created + timedelta(hours=step)))
    for product in products:
        inquiry.items.append(InquiryItem(product_id=product.id, producer_id=product.producer_id))
    db.session.add(inquiry)
    return inquiry


def _forward(inquiry, producer, hours, status="forwarded"):
    at = inquiry.created_at + timedelta(hours=hours)
    inquiry.allocations.append(Allocation(producer_id=producer.id, requested_qty=inquiry.quantity, status=status,
                                          created_at=at, updated_at=at))


def _contract(n, inquiry, producer, product, day, volume, unit, price, agreement=None):
    """A one-off contract of one producer line, delivered on `day` (its schedule: one month row)."""
    from marketplace.trade.contracts import schedule_lines

    contract = Contract(reference=f"KTR-2026-{n:06d}", inquiry=inquiry, frequency="once", periods=1, starts_on=day,
                        ends_on=day, agreement_id=agreement.id if agreement else None, agreement_chosen=True,
                        lines=[ContractLine(producer_id=producer.id, product=product, product_id=product.id,
                                            quantity=volume, unit=unit, price=price)])
    db.session.add(contract)
    schedule_lines(contract)


@pytest.fixture(scope="class")
def known(app):
    with app.app_context():
        a = ProducerFactory(name="Gapoktan Sumber Rejeki")
        b = ProducerFactory(name=FORMULA)  # text from users must stay text in the workbook
        p1 = ProductFactory(producer=a, name="Beras Pandan Wangi", monthly_capacity=5000, unit="kg")
        p2 = ProductFactory(producer=b, name="Beras Merah", monthly_capacity=2, unit="ton")
        p3 = ProductFactory(producer=b, name="Telur Ayam Ras", monthly_capacity=10000, unit="butir",
                            category=category("telur"))
        agreement = Agreement(code="MOU-UJI", kind="MoU", title="MoU uji", parties="Kota Metro; DKI Jakarta",
                              starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31))
        agreement.targets.append(AgreementTarget(category_id=category().id, volume_per_month=1, unit="ton"))
        db.session.add(agreement)
        db.session.flush()

        full = ["in_review", "forwarded", "responded", "negotiating", "agreed"]
        i1 = _inquiry(1, utc(2026, 8, 31, 17, 30), "beras-serealia", 1000, "kg", "monthly", full, [p1], 2)
        i2 = _inquiry(2, utc(2026, 9, 2, 5), "beras-serealia", 2, "ton", "once",
                      ["in_review", "forwarded", "responded", "agreed"], [p1, p2], 4, company=FORMULA)
        _inquiry(3, utc(2026, 9, 8, 1), "telur", 500, "butir", "weekly", ["in_review", "declined"], [p3], 10)
        _inquiry(4, utc(2026, 9, 16, 3), "beras-serealia", 300, "kg", "once", ["spam"], [p1])
        i5 = _inquiry(5, utc(2026, 10, 10, 0), "telur", 1000, "butir", "monthly", ["in_review", "forwarded"], [p3], 1)
        _inquiry(6, utc(2026, 10, 20, 19), "beras-serealia", 100, "kg", "once", [], [p1])
        i7 = _inquiry(7, utc(2026, 8, 31, 16), "beras-serealia", 400, "kg", "once", full, [p1, p2], 1)
        i8 = _inquiry(8, utc(2026, 10, 31, 17, 30), "telur", 50, "butir", "once", ["in_review", "forwarded"], [p3], 1)
        _forward(i1, a, 5, "accepted")
        _forward(i2, b, 29, "accepted")
        _forward(i5, b, 6)
        _forward(i7, a, 2, "accepted")
        _forward(i8, a, 3)
        _contract(1, i1, a, p1, date(2026, 9, 20), 800, "kg", 12000, agreement)
        _contract(2, i2, b, p2, date(2026, 10, 5), 1, "ton", 11_000_000, agreement)
        _contract(3, i1, a, p1, date(2026, 9, 25), 200, "kg", 12000)
        _contract(0, i7, a, p1, date(2026, 8, 31), 400, "kg", 12500, agreement)
        UserFactory(email="fasilitator@contoh.id", role=Role.FACILITATOR)
        UserFactory(email="admin@contoh.id", role=Role.ADMIN)
        UserFactory(email="kurator@contoh.id", role=Role.MODERATOR)
        UserFactory(email="a@contoh.id", role=Role.PRODUCER, producer=a)
        db.session.commit()
        ids = {"a": a.id, "b": b.id, "agreement": agreement.id}
    yield ids
    wipe(app)


def _user(email):
    from marketplace.models import User

    return db.session.scalar(select(User).where(User.email == email))


class TestFigures(ReadOnly):
    @pytest.fixture(autouse=True)
    def _ctx(self, app, known):
        with app.app_context():
            yield
            db.session.remove()

    def test_inquiries_per_iso_week_in_wib(self):
        # Mondays of the weeks touching 1 Sep (Tue) – 31 Oct (Sat): 31 Aug … 26 Oct, nine weeks.
        # I1 (1 Sep WIB, although 31 Aug in UTC) and I2 fall in the week of 31 Aug; I3 → 7 Sep; I4 → 14 Sep;
        # I5 (Sat 10 Oct) → 5 Oct; I6 (21 Oct 02:00 WIB) → 19 Oct. I7 and I8 lie outside.
        weeks = monitoring.inquiries_per_week(PERIOD)
        assert weeks == [(date(2026, 8, 31), 2), (date(2026, 9, 7), 1), (date(2026, 9, 14), 1),
                         (date(2026, 9, 21), 0), (date(2026, 9, 28), 0), (date(2026, 10, 5), 1),
                         (date(2026, 10, 12), 0), (date(2026, 10, 19), 1), (date(2026, 10, 26), 0)]
        assert monitoring.week_label(date(2026, 8, 31)) == "2026-W36"

    def test_status_funnel_counts_the_inquiries_that_reached_each_stage(self):
        # new: all 6; claimed (in_review): I1 I2 I3 I5 = 4; forwarded: I1 I2 I5 = 3; responded: I1 I2 = 2;
        # negotiating: I1 = 1; agreed: I1 I2 = 2 (negotiation may be skipped); declined I3, spam I4.
        funnel = monitoring.funnel(PERIOD)
        assert funnel.reached == {"new": 6, "in_review": 4, "forwarded": 3, "responded": 2, "negotiating": 1,
                                  "agreed": 2}
        assert funnel.outcomes == {"declined": 1, "spam": 1, "cancelled": 0}

    def test_median_time_to_first_response(self):
        # first responses 2, 4, 10 and 1 hours → sorted 1 2 4 10 → median (2 + 4) / 2 = 3 hours, of 4 inquiries.
        assert monitoring.first_response(PERIOD) == (pytest.approx(3.0, abs=0.01), 4)

    def test_median_time_to_forwarding(self):
        # first forwards after 5 (I1), 29 (I2, the late one) and 6 (I5) hours → median 6 hours, of 3 inquiries.
        assert monitoring.forwarding(PERIOD) == (pytest.approx(6.0, abs=0.01), 3)

    def test_contracts_by_month_and_by_commodity(self):
        # September: K1 800 kg 9.600.000 + K3 200 kg 2.400.000 → 2 contracts of one producer, 12.000.000, 1.000 kg.
        # October: K2 1 ton = 1.000 kg, 11.000.000. K0 (31 Aug) is outside.
        facts = monitoring.ContractFigures.read(PERIOD)
        by_month, by_commodity, by_both = monitoring.contract_lines(PERIOD, facts)
        assert [(line.key, line.contracts, line.producers, line.value, line.contracted) for line in by_month] == [
            ("2026-09", 2, 1, 12_000_000, {"kg": 1000}), ("2026-10", 1, 1, 11_000_000, {"kg": 1000})]
        assert [(line.key, line.contracts, line.producers, line.value, line.contracted) for line in by_commodity] == [
            ("beras-serealia", 3, 2, 23_000_000, {"kg": 2000})]
        assert [line.key for line in by_both] == ["2026-09/beras-serealia", "2026-10/beras-serealia"]

    def test_demand_per_month_against_capacity(self):
        # Two months in the period. Beras (spam I4 left out): 1.000 kg + 2 ton + 100 kg = 3.100 kg → 1.550 kg/month,
        # capacity 5.000 kg + 2 ton = 7.000 kg → 22,1 %.
        # Telur: 500 butir weekly × 52/12 = 2.166,67 + 1.000 monthly = 3.166,67 → 1.583,33 butir/month of 10.000.
        lines = {(line.category.slug, line.unit): line for line in monitoring.demand_vs_capacity(PERIOD)}
        assert set(lines) == {("beras-serealia", "kg"), ("telur", "butir")}
        beras, telur = lines[("beras-serealia", "kg")], lines[("telur", "butir")]
        assert (beras.asked_per_month, beras.capacity_per_month) == (pytest.approx(1550), 7000)
        assert beras.share == pytest.approx(1550 / 7000)
        assert (telur.asked_per_month, telur.capacity_per_month) == (pytest.approx(3166.6667 / 2), 10000)

    def test_most_asked_for_products(self):
        # Beras Pandan Wangi: I1 I2 I6 (I4 is spam) = 3; Telur: I3 I5 = 2; Beras Merah: I2 = 1.
        top = monitoring.top_products(PERIOD)
        assert [(p.name, p.inquiries) for p in top] == [
            ("Beras Pandan Wangi", 3), ("Telur Ayam Ras", 2), ("Beras Merah", 1)]

    def test_producers_with_unanswered_forwards_longest_waiting_first(self, known):
        # Today's state, whatever the period: B waits on I5 since 10 Oct, A on I8 since 1 Nov.
        waiting = monitoring.waiting_producers()
        assert [(w.producer_id, w.waiting) for w in waiting] == [(known["b"], 1), (known["a"], 1)]
        assert waiting[0].oldest == utc(2026, 10, 10, 6)
        assert waiting[0].age_days(utc(2026, 10, 20, 6)) == 10

    def test_agreement_target_progress_per_month(self):
        # Target 1 ton per month. Under MOU-UJI: September K1 800 kg = 0,8 ton (K3 has no agreement) → 80 %;
        # October K2 1 ton → 100 %. Average (0,8 + 1) / 2 = 90 %.
        [progress] = monitoring.target_progress(PERIOD)
        assert progress.agreement.code == "MOU-UJI" and progress.unit == "ton" and progress.monthly_target == 1
        assert progress.by_month == {"2026-09": pytest.approx(0.8), "2026-10": pytest.approx(1)}
        assert progress.average_share == pytest.approx(0.9)

    def test_a_period_outside_the_rows_counts_nothing(self):
        november = Period(date(2026, 11, 2), date(2026, 11, 30))
        fig = monitoring.figures(november)
        assert fig.received == 0 and fig.contract_count == 0 and fig.demand == [] and fig.top_products == []
        assert fig.median_first_response_hours is None and fig.funnel.reached["new"] == 0

    def test_the_boundary_days_are_wib_days(self):
        # 31 Aug alone (WIB): only I7 (23:00 WIB); I1 arrived at 00:30 WIB on 1 Sep.
        assert monitoring.figures(Period(date(2026, 8, 31), date(2026, 8, 31))).received == 1
        assert monitoring.figures(Period(date(2026, 11, 1), date(2026, 11, 1))).received == 1  # I8

    # ------------------------------------------------------------ pages

    def test_dashboard_shows_the_figures_for_the_chosen_period(self, app):
        client = app.test_client()
        login(client, _user("fasilitator@contoh.id"))
        page = client.get("/facilitator/dashboard" + QUERY)
        html = page.get_data(as_text=True)
        assert page.status_code == 200
        assert "Rp 23.000.000" in html  # total contract value
        assert "Beras Pandan Wangi" in html and "3 jam" in html and "6 jam" in html
        assert 'data-chart=\'{"datasets"' in html or "data-chart='" in html
        assert "<script>" not in html  # charts come from static/js/dashboard.js
        assert "<caption>" in html

    def test_the_dashboard_runs_a_bounded_number_of_queries(self, app):
        from sqlalchemy import event

        client = app.test_client()
        login(client, _user("fasilitator@contoh.id"))
        statements = []
        with app.app_context():
            engine = db.engine
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            assert client.get("/facilitator/dashboard" + QUERY).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        assert len(statements) <= 30, statements  # one or two per figure, never one per row

    def test_dashboard_period_excludes_rows_outside(self, app):
        client = app.test_client()
        login(client, _user("admin@contoh.id"))
        html = client.get("/facilitator/dashboard?period=custom&start=2026-11-02&end=2026-11-30").get_data(as_text=True)
        assert "Rp 23.000.000" not in html and "Beras Pandan Wangi" not in html

    @pytest.mark.parametrize("query", [
        "?period=custom&start=2026-10-31&end=2026-09-01",  # end before start
        "?period=custom&start=kemarin&end=2026-09-01",     # not a date
        "?period=custom&start=2026-01-01",                 # end missing
        "?period=custom&start=2000-01-01&end=2026-01-01",  # too long
        "?period=selamanya",                               # unknown preset
        "?period=custom&start=9999-99-99&end=0000-00-00",
    ])
    def test_bad_period_parameters_give_a_message_never_a_500(self, app, query):
        client = app.test_client()
        login(client, _user("fasilitator@contoh.id"))
        page = client.get("/facilitator/dashboard" + query)
        assert page.status_code == 200
        assert "Periode tidak dapat dipakai" in page.get_data(as_text=True)
        report = client.get("/admin/reports/report.xlsx" + query)
        assert report.status_code == 400 and "Periode tidak dapat dipakai" in report.get_data(as_text=True)

    def test_presets_are_accepted(self, app):
        client = app.test_client()
        login(client, _user("fasilitator@contoh.id"))
        for preset in ("month", "3m", "6m", "12m"):
            assert client.get(f"/facilitator/dashboard?period={preset}").status_code == 200

    @pytest.mark.parametrize("email", ["kurator@contoh.id", "a@contoh.id"])
    def test_non_staff_are_refused(self, app, email):
        client = app.test_client()
        login(client, _user(email))
        for url in ("/facilitator/dashboard", "/facilitator/agreements", "/admin/reports/",
                    "/admin/reports/print", "/admin/reports/report.xlsx"):
            assert client.get(url).status_code == 403, url

    def test_printable_report_has_the_figures_and_no_navigation(self, app):
        client = app.test_client()
        login(client, _user("admin@contoh.id"))
        page = client.get("/admin/reports/print" + QUERY)
        html = page.get_data(as_text=True)
        assert page.status_code == 200
        assert "Rp 23.000.000" in html and "MOU-UJI" in html and "/static/css/report-print." in html
        assert 'class="navbar' not in html and "<canvas" not in html
        assert "HYPERLINK" in html and '<a href="http://x"' not in html  # escaped text, not a link

    def test_printable_report_has_a_letterhead_charts_and_the_list_of_contracts(self, app):
        client = app.test_client()
        login(client, _user("admin@contoh.id"))
        html = client.get("/admin/reports/print" + QUERY).get_data(as_text=True)
        letterhead = html.split('<div class="letterhead')[1].split("</header>")[0]
        assert "Pemerintah Kota Metro" in letterhead and "BUMD" in letterhead
        # Charts drawn on the server (they print without a script); one bar per week of the period.
        weekly = html.split('id="c-weekly-title"')[1].split("</svg>")[0]
        assert weekly.count("<rect") == 9  # 2026-W36 … 2026-W44
        assert 'id="c-contracts-title"' in html
        deals = html.split('id="t-contract-list"')[1].split("</table>")[0]
        assert deals.count("<tr>") == 1 + 3  # header and the period's three contracts (one line each)
        assert "PT Pembeli" in deals and "=HYPERLINK(&#34;http://x&#34;)" in deals
        assert "size: A4" in client.get(re.search(r'href="(/static/css/report-print[^"]+)"', html).group(1)).get_data(as_text=True)

    def test_xlsx_report_one_sheet_per_table_numbers_as_numbers_text_as_text(self, app):
        client = app.test_client()
        login(client, _user("fasilitator@contoh.id"))
        response = client.get("/admin/reports/report.xlsx" + QUERY)
        assert response.status_code == 200
        assert "laporan-mou-2026-09-01_2026-10-31.xlsx" in response.headers["Content-Disposition"]
        book = load_workbook(io.BytesIO(response.data))
        assert book.sheetnames == [
            "Ringkasan", "Permintaan per minggu", "Tahapan permintaan", "Kontrak per bulan",
            "Kontrak per komoditas", "Kontrak per bulan & komoditas", "Permintaan vs kapasitas",
            "Produk paling diminati", "Penerusan belum dijawab", "Target perjanjian", "Daftar kontrak"]
        summary = {row[0]: row[1] for row in book["Ringkasan"].iter_rows(min_row=2, values_only=True)}
        assert summary["Permintaan masuk"] == 6
        assert summary["Nilai kontrak terjadwal dalam periode (Rp)"] == 23_000_000
        months = list(book["Kontrak per bulan"].iter_rows(values_only=True))
        assert months[0] == ("Bulan", "Kontrak", "Produsen", "Nilai (Rp)", "Dikontrak (kg)", "Dikirim (kg)")
        assert months[1][1:] == (2, 1, 12_000_000, 1000, 0) and isinstance(months[1][3], int)
        deals = list(book["Daftar kontrak"].iter_rows(min_row=2, values_only=True))
        assert len(deals) == 3 and {d[3] for d in deals} == {"PT Pembeli", FORMULA}
        formula_cells = [c for sheet in book for row in sheet.iter_rows() for c in row if c.data_type == "f"]
        assert formula_cells == []
        waiting = list(book["Penerusan belum dijawab"].iter_rows(min_row=2, values_only=True))
        assert waiting[0][0] == FORMULA and waiting[0][1] == 1

    def test_xlsx_columns_fit_their_content_and_the_header_row_stays_in_view(self, app):
        client = app.test_client()
        login(client, _user("fasilitator@contoh.id"))
        book = load_workbook(io.BytesIO(client.get("/admin/reports/report.xlsx" + QUERY).data))
        for sheet in book:
            assert sheet.freeze_panes == "A2", sheet.title
            for column in sheet.iter_cols(min_row=1, max_row=sheet.max_row):
                letter = column[0].column_letter
                longest = max(len(f"{c.value:,.2f}" if isinstance(c.value, float)
                                  else c.value.strftime("%Y-%m-%d") if hasattr(c.value, "strftime") else str(c.value))
                              for c in column if c.value is not None)
                width = sheet.column_dimensions[letter].width
                assert width >= min(longest, 58), (sheet.title, letter, width, longest)
        widths = {sheet.column_dimensions[c].width for sheet in book for c in "AB"}
        assert len(widths) > 3  # not every column 13 characters wide


# ---------------------------------------------------------------- agreements (these write)

def test_facilitator_creates_an_agreement_with_targets(client, accounts, login_as):
    login_as("facilitator")
    page = client.get("/facilitator/agreements/new")
    assert page.status_code == 200
    beras = category().id
    data = {"csrf_token": csrf_from(page), "code": "PKS-01", "kind": "PKS", "title": "PKS beras",
            "parties": "Food Station\nGapoktan", "starts_on": "2026-01-01", "ends_on": "2026-12-31",
            "targets-0-category_id": str(beras), "targets-0-volume": "2,5", "targets-0-unit": "ton",
            "action": "save"}
    response = client.post("/facilitator/agreements/new", data=data)
    assert response.status_code == 302
    agreement = db.session.scalar(select(Agreement).where(Agreement.code == "PKS-01"))
    assert [(t.category_id, t.volume_per_month, t.unit) for t in agreement.targets] == [(beras, 2.5, "ton")]
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "agreement.created")) == 1
    # the same form sent again (a double click) creates nothing new: the code is taken
    again = client.post("/facilitator/agreements/new", data=data)
    assert again.status_code == 400 and "sudah dipakai" in again.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Agreement.id))) == 1
    listing = client.get("/facilitator/agreements").get_data(as_text=True)
    assert "PKS-01" in listing and "2,5 ton" in listing


def test_editing_an_agreement_changes_and_removes_targets(client, accounts, login_as):
    agreement = Agreement(code="MOU-A", kind="MoU", title="Lama", parties="")
    agreement.targets.append(AgreementTarget(category_id=category().id, volume_per_month=10, unit="ton"))
    agreement.targets.append(AgreementTarget(category_id=category("telur").id, volume_per_month=5000, unit="butir"))
    db.session.add(agreement)
    db.session.commit()
    login_as("admin")
    page = client.get(f"/facilitator/agreements/{agreement.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'value="10"' in html and 'value="5000"' in html
    response = client.post(f"/facilitator/agreements/{agreement.id}", data={
        "csrf_token": csrf_from(page), "code": "MOU-A", "kind": "MoU", "title": "Baru", "parties": "",
        "targets-0-category_id": str(category().id), "targets-0-volume": "12", "targets-0-unit": "ton",
        "targets-1-category_id": str(category("telur").id), "targets-1-volume": "5000", "targets-1-unit": "butir",
        "targets-1-remove": "y", "action": "save"})
    assert response.status_code == 302
    db.session.expire_all()
    agreement = db.session.get(Agreement, agreement.id)
    assert agreement.title == "Baru"
    assert [(t.volume_per_month, t.unit) for t in agreement.targets] == [(12, "ton")]


def test_agreement_form_shows_mistakes_next_to_the_fields(client, accounts, login_as):
    login_as("facilitator")
    page = client.get("/facilitator/agreements/new")
    response = client.post("/facilitator/agreements/new", data={
        "csrf_token": csrf_from(page), "code": "", "kind": "MoU", "title": "Judul saya", "starts_on": "2026-05-01",
        "ends_on": "2026-01-01", "targets-0-category_id": str(category().id), "targets-0-volume": "banyak",
        "targets-0-unit": "kg", "action": "save"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Judul saya" in html and "banyak" in html  # what was typed comes back
    assert "Wajib diisi." in html and "sesudah tanggal mulai" in html and "Tulis angka" in html
    assert db.session.scalar(select(func.count(Agreement.id))) == 0


def test_agreement_pages_refuse_other_roles(client, accounts, login_as):
    login_as("moderator")
    assert client.get("/facilitator/agreements/new").status_code == 403
    token = csrf_from(client.get("/auth/change-password"))
    assert client.post("/facilitator/agreements/new", data={"csrf_token": token, "code": "X"}).status_code == 403
    assert db.session.scalar(select(func.count(Agreement.id))) == 0
