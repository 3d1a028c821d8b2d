"""The city's import goes through review like every other change (issue 13, item 3).

A sheet that changes a live storefront or listing makes a pending revision; `--publish` approves
what the import vetted, in the import's name, and never lifts a suspension or an archive; a
storefront someone registered themselves is a conflict the admin resolves; what the sheet does
not carry (tiers, photos, certificate numbers, descriptions) is kept; every change is shown as
old → new at the row number Excel shows; and the same file twice changes nothing.
"""
from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.models import AuditEvent, OutboundMessage, Producer, Product, Revision, User
from marketplace.listings import review as moderation
from marketplace.listings.workflow import publication
from tests.conftest import csrf_from
from tests.factories import CertificateFactory, PhotoFactory, ProducerFactory, ProductFactory, category
from tests.htmlq import parse

NIB = "1234567890123"
TITLE = "Inventaris UMKM Kota Metro 2026\nDinas Koperasi dan UKM\n"  # a title block above the header (lines 1-2)
HEADER = ("No,Nama Usaha,Nama Pemilik,NIB,Kecamatan,Kelurahan,Alamat,No. HP/WA,Email,Produk,Kategori,Satuan,"
          "Kapasitas Produksi/Bulan,Harga Satuan (Rp),Minimal Order,Sertifikat,Kualitas/Grade\n")


def _row(no=1, name="Gapoktan Sumber Rejeki", product="Beras Pandan Wangi", capacity="5000", price="12000",
         email="kontak@contoh.id", nib=NIB, certificates="Halal"):
    return (f"{no},{name},Sri Rahayu,{nib},Metro Pusat,Imopuro,Jl. Imam Bonjol No. 1,081234567890,{email},"
            f"{product},Beras & Serealia,kg,{capacity},{price},100,\"{certificates}\",Premium\n")


def _sheet(tmp_path, *rows, name="inventaris.csv") -> bytes:
    data = (TITLE + HEADER + "".join(rows)).encode()
    (tmp_path / name).write_bytes(data)
    return data


def _run(app, *args):
    result = app.test_cli_runner().invoke(args=["import-umkm", *map(str, args)])
    db.session.expire_all()
    return result


@pytest.fixture
def live(accounts):
    """A published storefront and listing, as the demo has them: three tiers, a photo, a numbered certificate."""
    producer = ProducerFactory(name="Gapoktan Sumber Rejeki", slug="gapoktan-sumber-rejeki", nib=NIB,
                               owner_name="Sri Rahayu", kelurahan="Imopuro", address="Jl. Imam Bonjol No. 1",
                               phone="+6281234567890", email="kontak@contoh.id", description="Beras organik sejak 1998.")
    certificate = CertificateFactory(producer=producer, kind="halal", number="ID18110000012345")
    product = ProductFactory(producer=producer, name="Beras Pandan Wangi", category=category("beras-serealia"),
                             unit="kg", min_order_qty=100, monthly_capacity=5000, grade="Premium",
                             description="Pulen dan wangi.", price=[(100, 12000), (1000, 11500), (5000, 11000)])
    product.certificates = [certificate]
    db.session.commit()
    PhotoFactory(product=product, key="a" * 32)
    return product


def _api_capacity(client) -> float:
    return client.get("/api/v1/products?q=pandan").get_json()["items"][0]["monthly_capacity"]


def _audit_count() -> int:
    return db.session.scalar(select(func.count(AuditEvent.id)))


def _mail_count() -> int:
    return db.session.scalar(select(func.count(OutboundMessage.id)))


def _revision_count() -> int:
    return db.session.scalar(select(func.count(Revision.id)))


# ---------------------------------------------------------------- a live listing changes only through review

def test_a_changed_sheet_leaves_the_public_pages_and_api_unchanged_until_a_moderator_approves(app, client, accounts,
                                                                                              live, tmp_path):
    _sheet(tmp_path, _row(capacity="7000", price="12500"))
    result = _run(app, tmp_path / "inventaris.csv")
    assert result.exit_code == 0, result.output
    product = db.session.get(Product, live.id)
    assert product.monthly_capacity == 5000 and product.price_min == 11000
    assert [(t.min_qty, t.price) for t in product.price_tiers] == [(100, 12000), (1000, 11500), (5000, 11000)]
    assert "5 ton" in client.get(f"/products/{live.id}").get_data(as_text=True)
    assert _api_capacity(client) == 5000
    revision = db.session.scalar(select(Revision).where(Revision.object_type == "product"))
    assert revision.status == "pending"

    moderation.approve(product, accounts.moderator)
    db.session.commit()
    db.session.expire_all()
    assert "7 ton" in client.get(f"/products/{live.id}").get_data(as_text=True)
    assert _api_capacity(client) == 7000
    product = db.session.get(Product, live.id)
    assert [(t.min_qty, t.price) for t in product.price_tiers] == [(100, 12500), (1000, 11500), (5000, 11000)]


def test_publish_approves_the_revision_in_the_imports_name_with_an_audit_row(app, client, live, tmp_path):
    _sheet(tmp_path, _row(capacity="7000"))
    result = _run(app, tmp_path / "inventaris.csv", "--publish")
    assert result.exit_code == 0, result.output
    assert _api_capacity(client) == 7000
    revision = db.session.scalar(select(Revision).where(Revision.object_type == "product"))
    assert revision.status == "approved"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "revision.approve"))
    assert event is not None and "import" in event.note.lower() and "inventaris.csv" in event.note


def test_tiers_photos_certificate_numbers_and_descriptions_survive_an_import(app, client, live, tmp_path):
    _sheet(tmp_path, _row(capacity="6000", price="12500", certificates="Halal, PIRT"))
    assert _run(app, tmp_path / "inventaris.csv", "--publish").exit_code == 0
    product = db.session.get(Product, live.id)
    assert product.monthly_capacity == 6000
    assert [(t.min_qty, t.price) for t in product.price_tiers] == [(100, 12500), (1000, 11500), (5000, 11000)]
    assert [(p.key, p.live) for p in product.photos] == [("a" * 32, True)]
    assert product.description == "Pulen dan wangi."
    producer = product.producer
    assert producer.description == "Beras organik sejak 1998."
    assert {(c.kind, c.number) for c in producer.certificates} == {("halal", "ID18110000012345"), ("pirt", "")}
    assert "ID18110000012345" in client.get(f"/products/{live.id}").get_data(as_text=True)


def test_publish_leaves_a_suspended_listing_suspended_and_an_archived_one_archived(app, accounts, live, tmp_path):
    publication.apply("suspend", live, accounts.moderator, "Sertifikat halal kedaluwarsa")
    other = ProductFactory(producer=live.producer, name="Beras Merah", unit="kg", min_order_qty=100,
                           monthly_capacity=100, category=category("beras-serealia"))
    owner = User(email="pemilik@contoh.id", role="producer", producer=live.producer, name="Sri")
    db.session.add(owner)
    db.session.flush()
    publication.apply("archive", other, owner)
    db.session.commit()
    _sheet(tmp_path, _row(capacity="7000"), _row(no=2, product="Beras Merah", capacity="900"))
    result = _run(app, tmp_path / "inventaris.csv", "--publish")
    assert result.exit_code == 0, result.output
    assert db.session.get(Product, live.id).status == "suspended"
    assert db.session.get(Product, other.id).status == "archived"
    assert re.search(r"row 4: .*Beras Pandan Wangi.*stays suspended", result.output), result.output
    assert re.search(r"row 5: .*Beras Merah.*stays archived", result.output), result.output
    assert not db.session.scalar(select(AuditEvent).where(AuditEvent.to_status == "published"))


def test_the_preview_says_a_suspended_listing_stays_suspended(app, accounts, live, admin_client, tmp_path):
    publication.apply("suspend", live, accounts.moderator, "Sertifikat halal kedaluwarsa")
    db.session.commit()
    _url, html = _preview(admin_client, _sheet(tmp_path, _row(capacity="7000")), publish=True)
    row = _change_row(html, "Beras Pandan Wangi")
    assert "Tetap ditangguhkan" in row.text()


# ---------------------------------------------------------------- old → new at Excel's row numbers

def test_the_preview_shows_old_and_new_values_at_the_row_excel_shows(app, live, admin_client, tmp_path):
    _url, html = _preview(admin_client, _sheet(tmp_path, _row(capacity="7000", price="12500"),
                                               _row(no=2, nib="12345", product="Telur")))
    row = _change_row(html, "Beras Pandan Wangi")
    assert row.find("th").text() == "4"  # lines 1-2 title, 3 header, 4 the row
    text = row.text()
    assert "5 ton → 7 ton" in text and "Rp 12.000 → Rp 12.500" in text
    assert "Menunggu peninjauan" in text
    rejected = parse(html).by_id("rejected").find("tbody").find("tr")
    assert rejected.find("th").text() == "5"


def test_the_command_reports_old_and_new_values_at_the_row_excel_shows(app, live, tmp_path):
    _sheet(tmp_path, _row(capacity="7000", price="12500"), _row(no=2, nib="12345", product="Telur"))
    report = tmp_path / "ditolak.csv"
    result = _run(app, tmp_path / "inventaris.csv", "--report", report)
    assert "row 4: product Beras Pandan Wangi" in result.output
    assert "monthly_capacity 5000 → 7000" in result.output and "price 12000 → 12500" in result.output
    assert "row 5: rejected — NIB is not 13 digits" in result.output
    assert report.read_text(encoding="utf-8").splitlines()[1].startswith("5,NIB is not 13 digits")


# ---------------------------------------------------------------- the same file twice

@pytest.mark.parametrize("publish", [False, True])
def test_importing_the_same_changed_file_again_changes_nothing(app, live, tmp_path, publish):
    _sheet(tmp_path, _row(capacity="7000", price="12500", certificates="Halal, PIRT"), _row(no=2, product="Jagung"))
    flags = ["--publish"] if publish else []
    assert _run(app, tmp_path / "inventaris.csv", *flags).exit_code == 0
    before = (_revision_count(), _audit_count(), _mail_count())
    result = _run(app, tmp_path / "inventaris.csv", *flags)
    assert "producers created 0, updated 0; products created 0, updated 0" in result.output, result.output
    assert (_revision_count(), _audit_count(), _mail_count()) == before


# ---------------------------------------------------------------- a storefront someone registered themselves

@pytest.fixture
def squatter(app, ctx):
    """A stranger registers with the NIB and exact name of a business the city has not imported yet."""
    from marketplace.accounts.users import register_producer

    with app.test_request_context():
        user = register_producer(email="orang.lain@contoh.id", password="kata-sandi-yang-panjang", name="Orang Lain",
                                 business_name="Gapoktan Sumber Rejeki", nib=NIB, kecamatan="metro-pusat",
                                 kelurahan="Imopuro", phone=None)
        user.producer.website = "https://penipu.example"
        user.producer.description = "Hubungi kami di luar Etalase."
        db.session.commit()
    return user


def _storefront() -> Producer:
    db.session.expire_all()
    return db.session.scalar(select(Producer).where(Producer.nib == NIB))


def _invitations_to(address: str) -> int:
    return db.session.scalar(select(func.count(OutboundMessage.id)).where(
        OutboundMessage.template == "invitation", OutboundMessage.to_address == address))


def test_a_self_registered_storefront_is_a_conflict_the_command_leaves_unresolved(app, squatter, tmp_path):
    _sheet(tmp_path, _row(email="pemilik.asli@contoh.id"))
    result = _run(app, tmp_path / "inventaris.csv", "--publish")
    assert result.exit_code == 0, result.output
    assert f"row 4: conflict — NIB {NIB}" in result.output and "orang.lain@contoh.id" in result.output
    producer = _storefront()
    assert producer.status == "draft" and producer.accounts[0].email == "orang.lain@contoh.id"
    assert producer.products == [] and _invitations_to("pemilik.asli@contoh.id") == 0
    assert "conflicts 1" in result.output


def test_the_preview_shows_the_conflict_and_publishes_nothing_from_the_draft(app, squatter, admin_client, tmp_path):
    url, html = _preview(admin_client, _sheet(tmp_path, _row(email="pemilik.asli@contoh.id")), publish=True)
    conflict = parse(html).by_id("conflicts")
    assert conflict is not None and "orang.lain@contoh.id" in conflict.text() and NIB in conflict.text()
    assert "pemilik.asli@contoh.id" in conflict.text()
    _confirm(admin_client, html)  # no choice made: the conflict stays
    producer = _storefront()
    assert producer.status == "draft" and producer.products == []
    assert app.test_client().get(f"/producers/{producer.slug}").status_code == 404  # for buyers


def test_confirming_the_registered_account_imports_the_row_for_review_only(app, client, squatter, admin_client,
                                                                             tmp_path):
    url, html = _preview(admin_client, _sheet(tmp_path, _row(email="pemilik.asli@contoh.id")), publish=True)
    done = _confirm(admin_client, html, {f"resolve_{NIB}": "owner"})
    assert done.status_code == 303
    producer = _storefront()
    assert [a.email for a in producer.accounts] == ["orang.lain@contoh.id"]
    assert producer.status == "pending"  # the city vouches for the owner, not for the text they wrote
    assert [p.status for p in producer.products] == ["pending"]
    assert app.test_client().get(f"/producers/{producer.slug}").status_code == 404  # for buyers
    assert _invitations_to("pemilik.asli@contoh.id") == 0
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "producer.import_owner_confirmed"))
    page = admin_client.get(done.headers["Location"]).get_data(as_text=True)
    assert "menunggu peninjauan" in page.lower() and "/moderation/" in page


def test_inviting_the_sheets_email_takes_the_storefront_from_the_registered_account(app, client, squatter,
                                                                                   admin_client, tmp_path):
    url, html = _preview(admin_client, _sheet(tmp_path, _row(email="pemilik.asli@contoh.id")), publish=True)
    _confirm(admin_client, html, {f"resolve_{NIB}": "invite"})
    producer = _storefront()
    assert [a.email for a in producer.accounts] == ["pemilik.asli@contoh.id"]
    assert db.session.get(User, squatter.id).producer_id is None
    assert _invitations_to("pemilik.asli@contoh.id") == 1
    assert producer.website in (None, "") and "luar Etalase" not in producer.description
    assert producer.status == "pending"
    assert app.test_client().get(f"/producers/{producer.slug}").status_code == 404  # for buyers
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "producer.import_owner_replaced"))
    assert event is not None and event.object_id == producer.id and "orang.lain@contoh.id" in event.note


def test_the_command_resolves_a_conflict_when_told(app, squatter, tmp_path):
    _sheet(tmp_path, _row(email="pemilik.asli@contoh.id"))
    result = _run(app, tmp_path / "inventaris.csv", "--resolve", f"{NIB}=invite")
    assert result.exit_code == 0, result.output
    assert [a.email for a in _storefront().accounts] == ["pemilik.asli@contoh.id"]
    assert "conflicts 0" in result.output


# ---------------------------------------------------------------- the admin page

@pytest.fixture
def admin_client(app, client, login_as, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_DIR", str(tmp_path / "imports"))
    login_as("admin")
    return client


def _preview(client, data: bytes, publish: bool = False, name: str = "inventaris.csv"):
    form = {"csrf_token": csrf_from(client.get("/admin/import/")), "file": (io.BytesIO(data), name)}
    if publish:
        form["publish"] = "y"
    response = client.post("/admin/import/", data=form, content_type="multipart/form-data")
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    url = response.headers["Location"]
    return url, client.get(url).get_data(as_text=True)


def _confirm(client, html: str, choices: dict | None = None):
    action = re.search(r'<form method="post" action="([^"]+/confirm)"', html).group(1)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    response = client.post(action, data={"csrf_token": token, **(choices or {})})
    db.session.expire_all()
    return response


def _change_row(html: str, name: str):
    for tr in parse(html).find_all("tr"):
        if name in tr.text() and tr.find("th") is not None:
            return tr
    raise AssertionError(f"no row for {name}")


# ---------------------------------------------------------------- the demo catalog, as the issue found it

def _catalog() -> dict:
    db.session.expire_all()
    return {p.id: (str(p.status), p.price_min, p.monthly_capacity, [(t.min_qty, t.price) for t in p.price_tiers],
                   sorted(ph.key for ph in p.photos)) for p in db.session.scalars(select(Product))}


def test_importing_the_demo_sheet_leaves_the_demo_catalog_as_buyers_see_it(app, ctx, monkeypatch):
    from marketplace.seed import demo
    from tests.seed.test_seed_demo import _tiny_photo

    monkeypatch.setattr(demo, "render_photo", _tiny_photo)
    assert app.test_cli_runner().invoke(args=["seed", "demo"]).exit_code == 0
    before, api_before = _catalog(), app.test_client().get("/api/v1/products").get_json()
    assert len(before) == 43
    result = _run(app, demo.INVENTORY)
    assert result.exit_code == 0, result.output
    assert _catalog() == before and app.test_client().get("/api/v1/products").get_json() == api_before
    assert not db.session.scalar(select(AuditEvent).where(AuditEvent.to_status.is_not(None),
                                                          AuditEvent.action.like("publication.%")))
    pending = db.session.scalars(select(Revision)).all()
    assert all(r.status == "pending" for r in pending)  # whatever the sheet says differently waits for a moderator


def test_the_import_acts_in_the_workflows_only_as_itself(accounts):
    """The "import" actor may send for review and approve; an admin's own account gains nothing by it."""
    from marketplace.core.policies import InventoryImport
    from marketplace.core.workflow import TransitionNotAllowed

    draft = ProductFactory(producer=accounts.producer_a_store, status="draft")
    with pytest.raises(TransitionNotAllowed):
        publication.apply("submit", draft, accounts.admin)
    publication.apply("submit", draft, InventoryImport(accounts.admin), "inventory import (x.csv)")
    publication.apply("approve", draft, InventoryImport(None), "inventory import (x.csv)")
    for name in ("suspend", "archive"):
        with pytest.raises(TransitionNotAllowed):
            publication.apply(name, draft, InventoryImport(accounts.admin), "x")
    from marketplace.core.policies import is_inventory_import

    assert not is_inventory_import(InventoryImport(accounts.producer_a))  # only an admin runs it on the page
