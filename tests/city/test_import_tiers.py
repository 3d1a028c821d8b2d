"""The city's import writes no price tier the producer's form would refuse (listings/pricing.tier_problems): a tier
that starts above the monthly capacity is left out, and a sheet price dearer than a larger order's is not taken;
each refusal is a message on the row, as the import's other row messages are."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace.city import importer
from marketplace.city.uploads import REASONS
from marketplace.extensions import db
from marketplace.listings import pricing
from marketplace.models import Product
from tests.factories import ProducerFactory, ProductFactory, category

NIB = "1234567890123"
HEADER = ("No,Nama Usaha,Nama Pemilik,NIB,Kecamatan,Kelurahan,Alamat,No. HP/WA,Email,Produk,Kategori,Satuan,"
          "Kapasitas Produksi/Bulan,Harga Satuan (Rp),Minimal Order,Sertifikat,Kualitas/Grade\n")


def _import(tmp_path, capacity: str, price: str, moq: str):
    row = (f"1,Gapoktan Sumber Rejeki,Sri Rahayu,{NIB},Metro Pusat,Imopuro,Jl. Imam Bonjol No. 1,081234567890,"
           f"kontak@contoh.id,Beras Pandan Wangi,Beras & Serealia,kg,{capacity},{price},{moq},,Premium\n")
    path = tmp_path / "inventaris.csv"
    path.write_text(HEADER + row)
    result = importer.import_file(path)
    db.session.commit()
    db.session.expire_all()
    product = db.session.scalar(select(Product).where(Product.name == "Beras Pandan Wangi"))
    return result, product


def _tiers(product) -> list[tuple[float, int]]:
    return [(t.min_qty, t.price) for t in product.price_tiers]


@pytest.fixture
def draft(ctx):
    """A listing buyers have not seen yet (the import changes it in place), with two tiers."""
    producer = ProducerFactory(name="Gapoktan Sumber Rejeki", nib=NIB, status="draft")
    return ProductFactory(producer=producer, name="Beras Pandan Wangi", status="draft", category=category(),
                          min_order_qty=100, monthly_capacity=5000, price=[(100, 12000), (1000, 11500)])


def test_a_new_listing_whose_only_tier_starts_above_its_capacity_is_imported_without_a_price(ctx, tmp_path):
    result, product = _import(tmp_path, capacity="80", price="12000", moq="100")
    assert product.price_on_request and _tiers(product) == [] and product.price_moq is None
    assert (2, importer.TIER_ABOVE_CAPACITY) in result.warnings
    assert str(REASONS[importer.TIER_ABOVE_CAPACITY][0]).startswith("Baris harga dimulai di atas kapasitas")


def test_a_new_listing_within_its_capacity_gets_its_tier_at_the_moq(ctx, tmp_path):
    result, product = _import(tmp_path, capacity="5000", price="12000", moq="100")
    assert _tiers(product) == [(100, 12000)] and product.price_moq == 12000
    assert result.warnings == []


def test_a_sheet_price_that_would_make_a_larger_order_dearer_is_not_taken(draft, tmp_path):
    result, product = _import(tmp_path, capacity="5000", price="11800", moq="100")
    assert _tiers(product) == [(100, 11800), (1000, 11500)] and result.warnings == []  # still above 11.500: taken
    result, product = _import(tmp_path, capacity="5000", price="11000", moq="100")
    assert _tiers(product) == [(100, 11800), (1000, 11500)]  # 11.000 would make 1 t dearer per kg than 100 kg
    assert (2, importer.TIER_RISING) in result.warnings


def test_a_lower_capacity_leaves_out_the_tiers_it_no_longer_reaches(draft, tmp_path):
    result, product = _import(tmp_path, capacity="500", price="12000", moq="100")
    assert product.monthly_capacity == 500 and _tiers(product) == [(100, 12000)]
    assert (2, importer.TIER_ABOVE_CAPACITY) in result.warnings
    assert pricing.tier_problems(_tiers(product), product.min_order_qty, product.monthly_capacity) == []
