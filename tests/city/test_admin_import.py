"""/admin/import: upload the inventory, preview what a dry run finds, confirm once, download the rejected rows."""
from __future__ import annotations

import csv
import io
import json
import os
import re
import time
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.city.uploads import describe
from marketplace.models import AuditEvent, OutboundMessage, Producer, Product, User
from tests.conftest import csrf_from, login
from tests.htmlq import parse

FIXTURES = Path(__file__).parents[1] / "fixtures"
EXPECT = json.loads((FIXTURES / "inventaris-umkm-metro.expect.json").read_text())
SAMPLE_CSV = (FIXTURES / "inventaris-umkm-metro.csv").read_bytes()
FORMULA = "=cmd|' /C calc'!A0"
HEADER = "No,Nama Usaha,NIB,Kecamatan,Produk,Kategori,Satuan,Kapasitas Produksi/Bulan,Harga Satuan (Rp),Minimal Order\n"


@pytest.fixture(autouse=True)
def import_dir(app, tmp_path, monkeypatch):
    folder = tmp_path / "imports"
    monkeypatch.setitem(app.config, "IMPORT_DIR", str(folder))
    return folder


@pytest.fixture
def admin(client, login_as):
    login_as("admin")
    return client


def _upload(client, name: str, data: bytes, publish: bool = False):
    token = csrf_from(client.get("/admin/import/"))
    form = {"csrf_token": token, "file": (io.BytesIO(data), name)}
    if publish:
        form["publish"] = "y"
    return client.post("/admin/import/", data=form, content_type="multipart/form-data")


def _preview(client, name: str, data: bytes, publish: bool = False):
    """Upload and follow to the preview; returns (preview URL, page HTML)."""
    response = _upload(client, name, data, publish)
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    url = response.headers["Location"]
    page = client.get(url)
    assert page.status_code == 200
    return url, page.get_data(as_text=True)


def _confirm(client, preview_url: str, html: str):
    action = re.search(r'<form method="post" action="([^"]+/confirm)"', html).group(1)
    return client.post(action, data={"csrf_token": csrf_from_html(html)})


def csrf_from_html(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def _state():
    db.session.expire_all()
    return tuple(db.session.scalar(select(func.count(model.id))) for model in (Producer, Product, User, OutboundMessage))


def _imports_recorded() -> int:
    return db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "inventory.imported"))


def _rejected_on_page(html: str) -> dict[int, str]:
    table = parse(html).by_id("rejected")
    if table is None:
        return {}
    rows = {}
    for tr in table.find("tbody").find_all("tr"):
        rows[int(tr.find("th").text())] = tr.find("td", class_="reason").text()
    return rows


# The .expect.json names the sample's rows by their "No"; the page shows the row the spreadsheet shows.
HEADER_ROW = {".csv": 1, ".xlsx": EXPECT["header_row_in_xlsx"]}


def _sheet_row(no, name: str = "x.csv") -> int:
    return int(no) + HEADER_ROW[Path(name).suffix]


def _expected_reasons(app, name: str = "x.csv") -> dict[int, str]:
    with app.test_request_context():  # the page's language: Indonesian
        return {_sheet_row(n, name): describe(reason)[0] for n, reason in EXPECT["rejected"].items()}


def _sample_xlsx() -> bytes:
    return (FIXTURES / "inventaris-umkm-metro.xlsx").read_bytes()


# ---------------------------------------------------------------- preview

@pytest.mark.parametrize("name", ["inventaris-umkm-metro.csv", "inventaris-umkm-metro.xlsx"])
def test_the_preview_lists_exactly_the_expected_rejected_rows_and_writes_nothing(app, admin, name):
    before = _state()
    _url, html = _preview(admin, name, (FIXTURES / name).read_bytes())
    assert _rejected_on_page(html) == _expected_reasons(app, name)
    counts = {dt.text(): dd.text() for dt, dd in zip(parse(html).find_all("dt"), parse(html).find_all("dd"))}
    assert counts["Etalase baru"] == str(EXPECT["producers_expected"])
    assert counts["Produk baru"] == str(len(EXPECT["valid"]))
    assert counts["Baris ditolak"] == str(len(EXPECT["rejected"]))
    warnings = parse(html).by_id("warnings").text()
    assert f"{_sheet_row(35, name)} Email tidak valid (diimpor tanpa email)" in warnings
    assert "Belum ada yang disimpan" in html
    assert _state() == before and _imports_recorded() == 0


def test_a_rejected_row_shows_its_original_cells_with_the_culprit_marked(app, admin):
    _url, html = _preview(admin, "inventaris.csv", SAMPLE_CSV)
    row = next(tr for tr in parse(html).by_id("rejected").find("tbody").find_all("tr") if tr.find("th").text() == str(_sheet_row(4)))
    assert "Mawar Melati" in row.text() and "Keripik Pisang" in row.text()
    assert row.find("mark").text() == "Metro Tengah"  # the kecamatan that does not exist


def test_the_rejected_rows_of_a_preview_can_be_downloaded(app, admin):
    url, _html = _preview(admin, "inventaris.csv", SAMPLE_CSV)
    response = admin.get(url + "/ditolak.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert {int(r["row"]): r["reason"] for r in rows} == {_sheet_row(k): v for k, v in EXPECT["rejected"].items()}


# ---------------------------------------------------------------- confirm

def test_confirm_imports_the_expected_counts_and_records_who_did_it(app, admin, accounts):
    before = _state()
    url, html = _preview(admin, "inventaris.csv", SAMPLE_CSV, publish=True)
    response = _confirm(admin, url, html)
    assert response.status_code == 303 and response.headers["Location"].endswith("/done")
    done = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "Impor selesai" in done and "Unduh baris ditolak (CSV)" in done
    after = _state()
    assert after[0] - before[0] == EXPECT["producers_expected"]
    assert after[1] - before[1] == len(EXPECT["valid"])
    assert after[3] - before[3] > 0  # invitations queued for producers with an e-mail
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "inventory.imported"))
    assert event.actor_id == accounts.admin.id and event.note == "inventaris.csv"
    assert event.data["producers_created"] == EXPECT["producers_expected"] and event.data["publish"] is True
    assert admin.get("/products?q=tapis").get_data(as_text=True).count("product-card") >= 3  # published
    report = admin.get(response.headers["Location"].replace("/done", "/ditolak.csv")).get_data(as_text=True)
    assert {int(r["row"]) for r in csv.DictReader(io.StringIO(report.lstrip("\ufeff")))} == set(map(_sheet_row, EXPECT["rejected"]))


def test_a_second_confirm_of_the_same_preview_imports_nothing(app, admin):
    url, html = _preview(admin, "inventaris.xlsx", _sample_xlsx())
    first = _confirm(admin, url, html)
    imported = _state()
    second = _confirm(admin, url, html)
    assert second.status_code == 303 and second.headers["Location"] == first.headers["Location"]
    assert "sudah diimpor" in admin.get(second.headers["Location"]).get_data(as_text=True)
    assert _state() == imported and _imports_recorded() == 1


def test_two_confirms_at_the_same_moment_import_once(app, admin):
    import threading

    url, html = _preview(admin, "inventaris.csv", SAMPLE_CSV)
    twin = app.test_client()
    for cookie in admin._cookies.values():  # the same browser session, as two tabs (or a double click) share it
        twin.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)
    start, responses = threading.Barrier(2), []

    def click(client):
        start.wait()
        responses.append(_confirm(client, url, html))

    threads = [threading.Thread(target=click, args=(c,)) for c in (admin, twin)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.status_code for r in responses) == [303, 303]
    assert {r.headers["Location"] for r in responses} == {url + "/done"}
    assert _imports_recorded() == 1
    assert _state()[0] == EXPECT["producers_expected"] + 2  # and the two producers of the accounts fixture


def test_the_preview_of_a_confirmed_upload_leads_to_its_result(app, admin):
    url, html = _preview(admin, "inventaris.csv", SAMPLE_CSV)
    _confirm(admin, url, html)
    response = admin.get(url)
    assert response.status_code == 302 and response.headers["Location"].endswith("/done")


def test_importing_the_same_file_again_changes_nothing(app, admin):
    url, html = _preview(admin, "inventaris.csv", SAMPLE_CSV)
    _confirm(admin, url, html)
    imported = _state()
    url, html = _preview(admin, "inventaris-lagi.xlsx", _sample_xlsx())
    counts = {dt.text(): dd.text() for dt, dd in zip(parse(html).find_all("dt"), parse(html).find_all("dd"))}
    assert counts["Etalase baru"] == counts["Etalase diperbarui"] == counts["Produk baru"] == counts["Produk diperbarui"] == "0"
    assert "sudah ada di Etalase Metro" in html
    _confirm(admin, url, html)
    assert _state() == imported


# ---------------------------------------------------------------- broken files

def _xlsx_on_the_wrong_sheet() -> bytes:
    workbook = Workbook()
    workbook.active.title = "Petunjuk"
    workbook.active.append(["Isi data di lembar berikutnya."])
    sheet = workbook.create_sheet("Data")
    sheet.append(["No", "Nama Usaha", "NIB", "Kecamatan", "Produk"])
    sheet.append([1, "KWT Satu", "1234567890123", "Metro Pusat", "Beras"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"


@pytest.mark.parametrize("name, data, message", [
    ("foto.xlsx", PNG, "bukan buku kerja XLSX"),
    ("foto.csv", PNG, "bukan berkas teks CSV"),
    ("tanpa-kolom.csv", b"Nama Usaha,NIB,Produk\nKWT Satu,1234567890123,Beras\n", "Kolom wajib tidak ditemukan: Kecamatan"),
    ("lain.csv", b"a,b,c\n1,2,3\n", "baris judul kolom"),
    ("kosong.csv", b"", "Berkas ini kosong"),
    ("lembar-salah.xlsx", _xlsx_on_the_wrong_sheet(), "lembar (sheet) pertama"),
    ("inventaris.pdf", b"%PDF-1.4", "Berkas harus CSV atau XLSX"),
])
def test_a_broken_file_gets_a_message_next_to_the_field_and_nothing_is_written(app, admin, import_dir, name, data,
                                                                               message):
    before = _state()
    response = _upload(admin, name, data)
    assert response.status_code == 400
    error = parse(response.get_data(as_text=True)).by_id("file-error")
    assert error is not None and message in error.text()
    assert _state() == before and _imports_recorded() == 0
    assert not import_dir.exists() or not any(import_dir.iterdir())


def test_a_file_with_more_rows_than_the_page_takes_points_to_the_command(app, admin, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_MAX_ROWS", 10)
    response = _upload(admin, "inventaris.csv", SAMPLE_CSV)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "inventaris.csv: Berkas ini berisi 61 baris" in parse(page).by_id("file-error").text()
    assert "gunakan perintah di bawah" in parse(page).by_id("file-error").text()
    assert "flask --app wsgi import-umkm inventaris.xlsx --dry-run --report ditolak.csv" in page


def test_a_file_name_with_control_characters_or_a_path_is_kept_as_a_plain_name(app, admin):
    url, html = _preview(admin, "../../etc/inven\x00taris\x1b.csv", SAMPLE_CSV)
    assert "inventaris.csv" in html and "../" not in parse(html).find("strong").text()
    _confirm(admin, url, html)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "inventory.imported"))
    assert event.note == "inventaris.csv"


def test_the_upload_page_shows_the_command_for_large_files(admin):
    page = admin.get("/admin/import/").get_data(as_text=True)
    assert "10.000" in page and "flask --app wsgi import-umkm inventaris.xlsx --dry-run --report" in page and "--publish" in page


# ---------------------------------------------------------------- formula-like text

def test_formula_like_text_stays_text_in_the_database_the_pages_and_the_report(app, admin):
    data = (HEADER + f'1,"{FORMULA}",1234567890123,Metro Pusat,Beras,Beras & Serealia,kg,1000,12000,100\n'
            f'2,"{FORMULA}",12345,Metro Pusat,"@SUM(1+1)",Beras & Serealia,kg,1000,12000,100\n').encode()
    url, html = _preview(admin, "formula.csv", data)
    assert "=cmd|&#39; /C calc&#39;!A0" in html and FORMULA not in html  # escaped, not raw
    assert _rejected_on_page(html) == {3: "NIB bukan 13 angka"}  # the header is row 1
    done_url = _confirm(admin, url, html).headers["Location"]
    producer = db.session.scalar(select(Producer).where(Producer.nib == "1234567890123"))
    assert producer.name == FORMULA
    done = admin.get(done_url).get_data(as_text=True)
    assert "=cmd|&#39; /C calc&#39;!A0" in done and FORMULA not in done
    report = admin.get(done_url.replace("/done", "/ditolak.csv")).get_data(as_text=True).lstrip("\ufeff")
    (row,) = list(csv.reader(io.StringIO(report)))[1:]
    assert row[:2] == ["3", "NIB is not 13 digits"]
    assert "'" + FORMULA in row and "'@SUM(1+1)" in row and FORMULA not in row


# ---------------------------------------------------------------- who may

@pytest.mark.parametrize("role", ["producer_a", "officer", "moderator", "facilitator"])
def test_only_admins_may_import(app, client, login_as, role):
    login_as(role)
    token = csrf_from(client.get("/auth/reset"))
    fake = "A" * 43
    for method, url in [("GET", "/admin/import/"), ("POST", "/admin/import/"), ("GET", f"/admin/import/{fake}"),
                        ("POST", f"/admin/import/{fake}/confirm"), ("GET", f"/admin/import/{fake}/done"),
                        ("GET", f"/admin/import/{fake}/ditolak.csv")]:
        data = {"csrf_token": token} if method == "POST" else None
        assert client.open(url, method=method, data=data).status_code == 403, (method, url)


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get("/admin/import/")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_another_admin_cannot_open_or_confirm_someone_elses_preview(app, admin, accounts):
    from tests.factories import UserFactory
    from marketplace.models import Role

    url, html = _preview(admin, "inventaris.csv", SAMPLE_CSV)
    other_admin = UserFactory(email="admin2@contoh.id", role=Role.ADMIN)
    other = app.test_client()
    assert login(other, other_admin).status_code == 302
    assert other.get(url).status_code == 302  # back to the upload page: no such preview for this account
    token = csrf_from(other.get("/admin/import/"))
    other.post(url + "/confirm", data={"csrf_token": token})
    assert _imports_recorded() == 0
    assert _confirm(admin, url, html).status_code == 303 and _imports_recorded() == 1


def test_an_old_preview_expires(app, admin, import_dir):
    url, html = _preview(admin, "inventaris.csv", SAMPLE_CSV)
    old = time.time() - 3 * 3600
    for path in import_dir.iterdir():
        os.utime(path, (old, old))
    response = admin.get(url)
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/import/")
    assert not any(import_dir.iterdir())
    _confirm(admin, url, html)
    assert _imports_recorded() == 0


# ---------------------------------------------------------------- a few thousand rows

def generate_inventory(rows: int) -> bytes:
    """The sample's rows again and again, each round with other names, NIBs and e-mails (rejected rows stay rejected)."""
    header, *body = list(csv.reader(io.StringIO(SAMPLE_CSV.decode("utf-8-sig"))))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for n in range(1, rows + 1):
        source, round_ = list(body[(n - 1) % len(body)]), (n - 1) // len(body)
        source[0] = str(n)
        if source[1] and not source[1].startswith("="):
            source[1] = f"{source[1]} {round_}"
        if len(source[3]) == 13 and source[3].isdigit():
            source[3] = f"{(int(source[3]) + round_ * 7919) % 10**13:013d}"
        if "@" in source[8] and not source[8].startswith("bukan"):
            source[8] = source[8].replace("@", f"+{round_}@")
        writer.writerow(source)
    return out.getvalue().encode("utf-8")


def test_three_thousand_rows_are_previewed_and_imported_within_seconds(app, admin, capsys):
    data = generate_inventory(3000)
    before = _state()
    started = time.perf_counter()
    url, html = _preview(admin, "inventaris-besar.csv", data)
    previewed = time.perf_counter()
    response = _confirm(admin, url, html)
    imported = time.perf_counter()
    assert response.status_code == 303
    counts = {dt.text(): dd.text() for dt, dd in zip(parse(html).find_all("dt"), parse(html).find_all("dd"))}
    after = _state()
    assert f"{after[0] - before[0]:,}".replace(",", ".") == counts["Etalase baru"]
    assert f"{after[1] - before[1]:,}".replace(",", ".") == counts["Produk baru"]
    assert after[1] - before[1] > 2000
    assert "Menampilkan 500 pertama dari 2.066." in html  # the long lists are cut; every rejected row is shown
    assert len(_rejected_on_page(html)) == int(counts["Baris ditolak"])
    with capsys.disabled():
        print(f"\n3,000 rows on {db.engine.dialect.name}: upload + preview {previewed - started:.1f} s, "
              f"confirm {imported - previewed:.1f} s")
