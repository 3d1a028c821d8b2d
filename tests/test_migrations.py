"""Alembic upgrade and downgrade keep every row, on SQLite and PostgreSQL."""
from __future__ import annotations

import os

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from marketplace import create_app
from marketplace.extensions import db
from marketplace.catalog.search import managed_by_models
from tests.conftest import _postgres_database
from tests.factories import CertificateFactory, ProductFactory, UserFactory

SURVIVING_TABLES = ("producer", "product", "price_tier", "photo", "certificate", "product_certificate",
                    "user_account", "category")


@pytest.fixture
def fresh_app(tmp_path):
    """An app on a database of its own, so migrating down and up disturbs no other test."""
    base = os.environ.get("TEST_DATABASE_URL")
    urls = _postgres_database(base) if base else iter(["sqlite:///" + str(tmp_path / "migrate.db")])
    url = next(urls)
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url, UPLOAD_DIR=str(tmp_path / "uploads"))
    with app.app_context():
        upgrade()
        yield app
        db.session.remove()
        db.engine.dispose()
    for _ in urls:  # lets the generator drop the PostgreSQL database
        pass


def _counts() -> dict[str, int]:
    return {t: db.session.execute(text(f'SELECT COUNT(*) FROM "{t}"')).scalar() for t in SURVIVING_TABLES}


def test_downgrade_to_the_first_revision_and_back_keeps_every_row(fresh_app):
    certificate = CertificateFactory()
    product = ProductFactory(producer=certificate.producer, price=[(10, 15000), (100, 14000)])
    product.certificates.append(certificate)
    UserFactory(role="producer", producer=product.producer)
    db.session.commit()
    producer_id = product.producer_id
    before = _counts()
    assert before["price_tier"] == 2 and before["product_certificate"] == 1

    db.session.remove()
    downgrade(revision="0001")
    assert "revision" not in inspect(db.engine).get_table_names()
    upgrade()

    assert _counts() == before
    user = db.session.execute(text("SELECT producer_id FROM user_account")).scalar()
    assert user == producer_id  # a rebuilt table must not null the references to it


def test_migrating_leaves_the_apps_log_lines_on(fresh_app):
    """Alembic's logging set-up runs inside our process (tests, `flask db upgrade`); it must not silence the
    app's own logger, which carries the failed-sign-in warnings."""
    logger = fresh_app.logger
    downgrade(revision="0005")
    upgrade()
    assert not logger.disabled


def test_the_migrations_build_exactly_what_the_models_describe(fresh_app):
    """A model change without its migration (or the other way round) shows up here, not in production."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_object": managed_by_models})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_recorded_deals_become_one_contract_per_inquiry_counted_in_their_month(fresh_app):
    producer_id = ProductFactory().producer_id
    db.session.remove()
    downgrade(revision="0012")
    now = "2026-05-04 10:00:00"
    with db.engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO inquiry (id, reference, tracking_token, form_token, status, company, buyer_type, contact_name,"
            " email, company_id_number, quantity, unit, frequency, periods, delivery_city, message, locale,"
            " created_at, updated_at) VALUES (7, 'INQ-2026-000007', 't7', 'f7', 'closed', 'PT Uji', 'hotel', 'A',"
            " 'a@b.id', '', 2, 'ton', 'monthly', 1, 'jakarta-pusat', '', 'id', :now, :now)"), {"now": now})
        for n, (volume, price) in enumerate(((1200, 12_800), (800, 13_000)), start=1):
            connection.execute(text(
                "INSERT INTO deal (id, inquiry_id, producer_id, volume, unit, unit_price, value, starts_on, schedule,"
                " created_at, updated_at) VALUES (:id, 7, :producer, :volume, 'kg', :price, :value, '2026-06-15',"
                " 'Mingguan', :now, :now)"),
                {"id": n, "producer": producer_id, "volume": volume, "price": price, "value": volume * price, "now": now})
    upgrade()
    assert "deal" not in inspect(db.engine).get_table_names()
    contracts = db.session.execute(text("SELECT id, status, frequency, starts_on FROM contract")).all()
    assert len(contracts) == 1 and contracts[0].status == "completed" and contracts[0].frequency == "once"
    months = db.session.execute(text("SELECT month, quantity, value FROM contract_month ORDER BY quantity")).all()
    assert [(str(m.month)[:10], m.quantity, m.value) for m in months] == [
        ("2026-06-01", 800, 10_400_000), ("2026-06-01", 1200, 15_360_000)]


def test_an_index_added_to_an_analysed_sqlite_database_gets_its_statistics(fresh_app):
    """seed scale analyses the database; an index added after that without statistics looks to SQLite's planner
    like a very selective one, and the catalog's first page was planned around 0019's index (750 ms at 1M)."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL plans from the table's column statistics, which a new index does not change")
    ProductFactory.create_batch(3)
    db.session.commit()
    downgrade(revision="0018")
    db.session.execute(text("ANALYZE"))
    db.session.commit()
    upgrade()
    indexes = set(db.session.scalars(text("SELECT idx FROM sqlite_stat1 WHERE tbl = 'producer'")))
    assert "ix_producer_directory" in indexes
