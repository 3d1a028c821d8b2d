"""`flask import-umkm`: the sample inventory gives exactly what its .expect.json says, and twice is once."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.models import OutboundMessage, Producer, Product

FIXTURES = Path(__file__).parents[1] / "fixtures"
EXPECT = json.loads((FIXTURES / "inventaris-umkm-metro.expect.json").read_text())
# The .expect.json names the sample's rows by their "No"; the import reports the row Excel shows.
HEADER_ROW = {"inventaris-umkm-metro.csv": 1, "inventaris-umkm-metro.xlsx": EXPECT["header_row_in_xlsx"]}


def _run(app, *args):
    result = app.test_cli_runner().invoke(args=["import-umkm", *map(str, args)])
    db.session.expire_all()
    return result


def _counts():
    return (db.session.scalar(select(func.count(Producer.id))), db.session.scalar(select(func.count(Product.id))))


@pytest.mark.parametrize("name", ["inventaris-umkm-metro.csv", "inventaris-umkm-metro.xlsx"])
def test_the_sample_inventory_imports_as_expected(app, ctx, tmp_path, name):
    report = tmp_path / "ditolak.csv"
    result = _run(app, FIXTURES / name, "--report", report, "--publish")
    assert result.exit_code == 0, result.output
    assert _counts() == (EXPECT["producers_expected"], len(EXPECT["valid"]))
    with report.open(encoding="utf-8") as f:
        rows = {int(r["row"]): r["reason"] for r in csv.DictReader(f)}
    assert rows == {int(k) + HEADER_ROW[name]: v for k, v in EXPECT["rejected"].items()}
    assert f"row {35 + HEADER_ROW[name]}: warning — malformed email" in result.output
    nib = db.session.scalar(select(Producer).where(Producer.name == "KWT Mawar Melati"))
    assert sorted(p.name for p in nib.products) == ["Daging Sapi Segar", "Kain Tapis Lampung"]  # row 61 joins row 3


def test_running_the_same_file_twice_changes_nothing(app, ctx):
    _run(app, FIXTURES / "inventaris-umkm-metro.xlsx")
    first = (_counts(), db.session.scalar(select(func.count(OutboundMessage.id))))
    result = _run(app, FIXTURES / "inventaris-umkm-metro.csv")
    assert "producers created 0, updated 0; products created 0, updated 0" in result.output
    assert (_counts(), db.session.scalar(select(func.count(OutboundMessage.id)))) == first


def test_a_dry_run_writes_nothing(app, ctx):
    result = _run(app, FIXTURES / "inventaris-umkm-metro.csv", "--dry-run")
    assert result.exit_code == 0 and "Dry run" in result.output and "producers created 42" in result.output
    assert _counts() == (0, 0)


@pytest.mark.parametrize("content, suffix", [(b"\x00\x01 bukan spreadsheet", ".xlsx"), (b"a,b,c\n1,2,3\n", ".csv"),
                                            (b"apa saja", ".pdf")])
def test_a_broken_file_ends_with_a_clear_message_and_writes_nothing(app, ctx, tmp_path, content, suffix):
    path = tmp_path / f"rusak{suffix}"
    path.write_bytes(content)
    result = _run(app, path)
    assert result.exit_code != 0 and "Nothing was imported" in result.output
    assert _counts() == (0, 0)


def test_the_same_nib_under_another_name_is_a_conflict(app, ctx, tmp_path):
    path = tmp_path / "konflik.csv"
    header = "No,Nama Usaha,NIB,Kecamatan,Produk,Kategori,Satuan,Kapasitas Produksi/Bulan,Harga Satuan (Rp),Minimal Order\n"
    path.write_text(header + "1,KWT Satu,1234567890123,Metro Pusat,Beras,Beras & Serealia,kg,1000,12000,100\n"
                             "2,KWT Lain,1234567890123,Metro Pusat,Telur,Telur,butir,1000,2000,100\n")
    result = _run(app, path)
    assert "row 3: rejected — NIB 1234567890123 belongs to another business (KWT Satu)" in result.output
    assert _counts() == (1, 1)


def test_without_publish_imports_wait_for_review_and_with_it_they_are_public(app, client, ctx):
    _run(app, FIXTURES / "inventaris-umkm-metro.csv")
    assert client.get("/products?q=tapis").get_data(as_text=True).count("product-card") == 0
    _run(app, FIXTURES / "inventaris-umkm-metro.csv", "--publish")
    assert client.get("/products?q=tapis").get_data(as_text=True).count("product-card") >= 3


def test_formula_text_stays_text(app, client, ctx, tmp_path):
    report = tmp_path / "r.csv"
    _run(app, FIXTURES / "inventaris-umkm-metro.csv", "--publish", "--report", report)
    producer = db.session.scalar(select(Producer).where(Producer.nib == "6055490315112"))
    assert producer.name == '=HYPERLINK("http://evil.example","klik")'
    page = client.get(f"/producers/{producer.slug}").get_data(as_text=True)
    assert "=HYPERLINK(&#34;http://evil.example&#34;,&#34;klik&#34;)" in page or "=HYPERLINK(&quot;" in page
    assert "<a href=\"http://evil.example\"" not in page


def test_imported_producers_with_an_email_are_invited(app, ctx):
    _run(app, FIXTURES / "inventaris-umkm-metro.csv")
    invitations = db.session.scalars(select(OutboundMessage).where(OutboundMessage.template == "invitation")).all()
    assert invitations and all("/auth/invite/" in m.body_text for m in invitations)
    assert "bukan-email@" not in {m.to_address for m in invitations}
