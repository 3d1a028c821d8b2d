"""`flask seed demo` (idempotent demo data and accounts) and `flask users create`, through Flask's CLI runner."""
from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select, text

from marketplace.extensions import db
from marketplace.models import Inquiry, Photo, Producer, Product, PublicationStatus, Role, User
from marketplace.seed import demo
from marketplace.seed.demo import DEMO_ACCOUNTS, render_photo
from tests.factories import ProducerFactory, UserFactory
from tests.readonly import ReadOnly, wipe

STRONG = "kata-sandi-yang-cukup-panjang"


def _story():
    from marketplace.models import Category
    from marketplace.trade import capacity

    request = db.session.scalar(select(Inquiry).where(Inquiry.reference == "INQ-CERITA-02"))
    rice = db.session.scalar(select(Product).join(Category).where(Category.slug == "beras-serealia",
                                                                  Product.name == "Beras Premium"))
    listings = db.session.scalars(select(Product).where(Product.category_id == rice.category_id,
                                                        Product.name == "Beras Premium")).all()
    spare = capacity.spare_over(listings, capacity.request_months(request)[:1])
    return str(request.status), request.unit, sorted(spare.values())


def _tier_problems() -> dict[str, list]:
    """Every demo listing whose tiers break a rule of listings/pricing.tier_problems (none should)."""
    from marketplace.listings import pricing

    found = {}
    for product in db.session.scalars(select(Product)):
        problems = pricing.tier_problems([(t.min_qty, t.price) for t in product.price_tiers], product.min_order_qty,
                                         product.monthly_capacity)
        if problems:
            found[f"{product.producer.name}: {product.name}"] = problems
    return found


def _tiny_photo(title, subtitle, color, variant=0) -> bytes:
    """A 16×12 picture in the commodity's colour: the seed stores real images, just small ones, to stay fast."""
    buffer = io.BytesIO()
    Image.new("RGB", (16, 12), color).save(buffer, "PNG")
    return buffer.getvalue()


def _certificate_states() -> dict[str, int]:
    """How many demo certificates a buyer reads as verified, stated, expired; and how many have a public document
    that a visitor can open."""
    from collections import Counter

    from marketplace.core import clock
    from marketplace.listings.certificates import certificate_state
    from marketplace.models import Certificate

    certificates = db.session.scalars(select(Certificate)).all()
    states = Counter(certificate_state(c, clock.today()) for c in certificates)
    states["documents"] = sum(1 for c in certificates if c.document_key)
    states["public_documents"] = sum(1 for c in certificates if c.document_key and c.document_public)
    return dict(states)


def _row_counts() -> dict[str, int]:
    return {t.name: db.session.scalar(select(func.count()).select_from(t)) for t in db.metadata.sorted_tables}


@pytest.fixture(scope="class")
def seeded(app):
    """Run `seed demo` twice on an empty database; keep what a test needs to look at, then wipe."""
    runner = app.test_cli_runner()
    uploads = Path(app.config["UPLOAD_DIR"])
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(demo, "render_photo", _tiny_photo)
        first = runner.invoke(args=["seed", "demo"])
        with app.app_context():
            after_first = _row_counts()
            files_after_first = {p.name for p in uploads.iterdir()}
            result = {
                "first": first,
                "after_first": after_first,
                "producers": db.session.scalar(select(func.count(Producer.id))),
                "products": db.session.scalar(select(func.count(Product.id))),
                "photos": db.session.scalar(select(func.count(Photo.id))),
                "unpublished": db.session.scalar(select(func.count(Product.id)).where(
                    Product.status != PublicationStatus.PUBLISHED)) + db.session.scalar(
                    select(func.count(Producer.id)).where(Producer.status != PublicationStatus.PUBLISHED)),
                "photo_files_missing": [
                    key for key in db.session.scalars(select(Photo.key))
                    if not {f"{key}-sm.webp", f"{key}-lg.webp"} <= files_after_first
                ],
                "passwords_work": {
                    a.email: bool((u := db.session.scalar(select(User).where(User.email == a.email)))
                                  and u.check_password(a.password) and u.role == a.role)
                    for a in DEMO_ACCOUNTS
                },
                "history": tuple(db.session.scalar(text(f"SELECT COUNT(*) FROM {t}"))
                                 for t in ("inquiry", "contract", "agreement_target")),
                "story": _story(),
                "lines": [(line.quantity, line.unit) for line in db.session.scalar(
                    select(Inquiry).where(Inquiry.reference == "INQ-CERITA-03")).lines],
                "tracking_tokens": dict(db.session.execute(select(Inquiry.reference, Inquiry.tracking_token)).all()),
                "certificate_states": _certificate_states(),
                "tier_problems": _tier_problems(),
                "english": sorted(db.session.scalars(select(Product.name_en).where(Product.name_en != ""))),
                "english_storefronts": db.session.scalar(
                    select(func.count(Producer.id)).where(Producer.description_en != "")),
                "producer_account_store": db.session.scalar(
                    select(Producer.nib).join(User, User.producer_id == Producer.id)
                    .where(User.email == DEMO_ACCOUNTS[0].email)),
            }
        client = app.test_client()
        result["api_products"] = client.get("/api/v1/products").get_json()["total"]
        result["api_producers"] = client.get("/api/v1/producers").get_json()["total"]
        result["search_tapis"] = client.get("/api/v1/products?q=tapis").get_json()["total"]
        result["search_english"] = [p["name_en"] for p in client.get("/api/v1/products?q=bottles").get_json()["items"]]
        second = runner.invoke(args=["seed", "demo"])
        with app.app_context():
            result["second"] = second
            result["after_second"] = _row_counts()
            result["tracking_tokens_after_second"] = dict(
                db.session.execute(select(Inquiry.reference, Inquiry.tracking_token)).all())
            result["files_after_second"] = {p.name for p in uploads.iterdir()}
            result["files_after_first"] = files_after_first
    yield result
    wipe(app)


# ------------------------------------------------------------------ seed demo

class TestSeedDemo(ReadOnly):
    """`seed demo` runs twice for the whole class (see `seeded`); the tests look at what it left."""

    def test_demo_tracking_links_are_random_like_real_ones_and_a_second_seed_keeps_them(self, seeded):
        tokens = list(seeded["tracking_tokens"].values())
        assert tokens and len(set(tokens)) == len(tokens)
        assert all(len(token) >= 40 and not token.startswith("demo-") for token in tokens)
        assert seeded["tracking_tokens_after_second"] == seeded["tracking_tokens"]

    def test_the_demo_shows_verified_stated_and_expired_certificates(self, seeded):
        states = seeded["certificate_states"]
        assert states["verified"] >= 5 and states["stated"] >= 5 and states["expired"] == 1
        assert states["public_documents"] >= 5 and states["documents"] > states["public_documents"]

    def test_seed_demo_succeeds(self, seeded):
        assert seeded["first"].exit_code == 0, seeded["first"].output
        assert seeded["first"].exception is None

    def test_seed_demo_creates_42_producers_and_43_products(self, seeded):
        assert (seeded["producers"], seeded["products"]) == (42, 43)

    def test_seed_demo_reports_what_it_created(self, seeded):
        assert "42 new producers, 43 new products, 45 new photos" in seeded["first"].output

    def test_every_demo_product_has_stored_pictures(self, seeded):
        assert seeded["photos"] == 45
        assert seeded["photo_files_missing"] == []

    def test_no_demo_tier_breaks_the_tier_rules(self, seeded):
        """Poktan Cahaya Tani's premium rice once had a tier from 30,6 t with 16,6 t a month of capacity."""
        assert seeded["tier_problems"] == {}

    def test_a_few_demo_listings_and_a_storefront_have_english_text_and_search_finds_it(self, seeded):
        assert seeded["english"] == ["Lampung Chilli Sambal in Bottles", "Metro Batik Cloth", "Siger Emas Premium Rice"]
        assert seeded["english_storefronts"] == 1
        assert seeded["search_english"] == ["Lampung Chilli Sambal in Bottles"]

    def test_the_demo_catalog_is_published_and_searchable(self, seeded):
        assert seeded["unpublished"] == 0
        assert (seeded["api_products"], seeded["api_producers"]) == (43, 42)
        assert seeded["search_tapis"] == 4  # Kain Tapis Lampung of rows 2, 3, 12 and 57

    @pytest.mark.parametrize("account", DEMO_ACCOUNTS, ids=lambda a: a.role.value)
    def test_seed_demo_prints_each_demo_account_with_its_password(self, seeded, account):
        line = next((ln for ln in seeded["first"].output.splitlines() if account.email in ln), "")
        assert account.role.value in line and account.password in line

    def test_the_printed_accounts_cover_producer_moderator_facilitator_and_admin(self, seeded):
        printed = {a.role for a in DEMO_ACCOUNTS if a.email in seeded["first"].output}
        assert {Role.PRODUCER, Role.MODERATOR, Role.FACILITATOR, Role.ADMIN} <= printed

    def test_the_printed_passwords_sign_in(self, seeded):
        assert seeded["passwords_work"] == {a.email: True for a in DEMO_ACCOUNTS}

    def test_the_demo_producer_account_owns_the_storefront_with_two_products(self, seeded):
        assert seeded["producer_account_store"] == demo.DEMO_PRODUCER_NIB

    def test_seed_demo_gives_the_dashboard_six_months_of_inquiries_contracts_and_targets(self, seeded):
        inquiries, contracts, targets = seeded["history"]
        assert (inquiries, targets) == (143, 3) and contracts > 20
        assert "143 new demo inquiries" in seeded["first"].output

    def test_the_demo_has_a_request_for_two_listings_with_a_line_each(self, seeded):
        assert seeded["lines"] == [(3, "ton"), (2000, "kg")]

    def test_the_demo_tells_the_pooling_story(self, seeded):
        """Food Station's 20 t a month of premium rice waits in the queue; no premium-rice listing has 20 t a month
        to spare in its first month (one is partly taken by a running contract), together they have."""
        status, unit, spare = seeded["story"]
        assert (status, unit) == ("new", "ton")
        assert spare and max(spare) < 20_000 <= sum(spare)
        assert "new demo inquiries" not in seeded["second"].output

    def test_a_second_run_changes_no_row_counts(self, seeded):
        assert seeded["second"].exit_code == 0, seeded["second"].output
        assert seeded["after_second"] == seeded["after_first"]

    def test_a_second_run_creates_nothing_new(self, seeded):
        assert "0 new producers, 0 new products, 0 new photos" in seeded["second"].output
        assert seeded["files_after_second"] == seeded["files_after_first"]

    def test_a_second_run_prints_the_accounts_again(self, seeded):
        assert all(a.password in seeded["second"].output for a in DEMO_ACCOUNTS)


def test_the_demo_pictures_are_real_1200_by_900_images():
    picture = Image.open(io.BytesIO(render_photo("Beras Premium", "Gapoktan · Metro", (196, 164, 92))))
    assert (picture.format, picture.size) == ("PNG", (1200, 900))


# ------------------------------------------------------------------ users create

def create(app, *args: str):
    return app.test_cli_runner().invoke(args=["users", "create", *args])


def accounts_with(email: str) -> int:
    return db.session.scalar(select(func.count(User.id)).where(func.lower(User.email) == email.lower()))


def test_users_create_makes_an_account_that_signs_in(app, ctx):
    result = create(app, "--email", "Operator@Metrokota.go.id", "--password", STRONG, "--role", "admin",
                    "--name", "Operator")
    assert result.exit_code == 0, result.output
    assert "Created admin account operator@metrokota.go.id" in result.output
    user = db.session.scalar(select(User).where(User.email == "operator@metrokota.go.id"))
    assert user.role == Role.ADMIN and user.name == "Operator" and user.check_password(STRONG)


def test_users_create_ties_a_producer_account_to_its_storefront(app, ctx):
    store = ProducerFactory(slug="kwt-mawar-melati")
    result = create(app, "--email", "sri@contoh.id", "--password", STRONG, "--role", "producer",
                    "--producer", "kwt-mawar-melati")
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(User.producer_id).where(User.email == "sri@contoh.id")) == store.id


@pytest.mark.parametrize("email", ["ada@contoh.id", "ADA@contoh.id", " ada@contoh.id "])
def test_users_create_refuses_an_email_already_taken(app, ctx, email):
    UserFactory(email="ada@contoh.id")
    result = create(app, "--email", email, "--password", STRONG, "--role", "facilitator")
    assert result.exit_code != 0
    assert "already exists" in result.output
    assert accounts_with("ada@contoh.id") == 1


def test_users_create_refuses_an_unknown_role(app, ctx):
    result = create(app, "--email", "baru@contoh.id", "--password", STRONG, "--role", "superuser")
    assert result.exit_code != 0
    assert "superuser" in result.output and "producer" in result.output and "admin" in result.output
    assert accounts_with("baru@contoh.id") == 0


def test_users_create_refuses_a_producer_without_a_storefront(app, ctx):
    result = create(app, "--email", "baru@contoh.id", "--password", STRONG, "--role", "producer")
    assert result.exit_code != 0
    assert "--producer SLUG" in result.output
    assert accounts_with("baru@contoh.id") == 0


def test_users_create_refuses_a_producer_with_an_unknown_storefront(app, ctx):
    result = create(app, "--email", "baru@contoh.id", "--password", STRONG, "--role", "producer",
                    "--producer", "tidak-ada")
    assert result.exit_code != 0
    assert "no producer with slug 'tidak-ada'" in result.output
    assert accounts_with("baru@contoh.id") == 0


def test_users_create_refuses_a_storefront_for_a_staff_role(app, ctx):
    ProducerFactory(slug="kwt-mawar-melati")
    result = create(app, "--email", "baru@contoh.id", "--password", STRONG, "--role", "moderator",
                    "--producer", "kwt-mawar-melati")
    assert result.exit_code != 0 and "only for producer accounts" in result.output
    assert accounts_with("baru@contoh.id") == 0


@pytest.mark.parametrize("password", ["pendek", "password123", "12345678"])
def test_users_create_refuses_a_weak_password(app, ctx, password):
    result = create(app, "--email", "baru@contoh.id", "--password", password, "--role", "admin")
    assert result.exit_code != 0 and "password" in result.output
    assert accounts_with("baru@contoh.id") == 0


@pytest.mark.parametrize("email", ["bukan-email", "a@", "@contoh.id", "a b@contoh.id"])
def test_users_create_refuses_an_invalid_email(app, ctx, email):
    result = create(app, "--email", email, "--password", STRONG, "--role", "admin")
    assert result.exit_code != 0 and "invalid e-mail" in result.output
    assert db.session.scalar(select(func.count(User.id))) == 0


def test_a_refused_account_leaves_no_trace(app, ctx):
    create(app, "--email", "baru@contoh.id", "--password", STRONG, "--role", "producer", "--producer", "x")
    assert db.session.execute(text("SELECT count(*) FROM audit_event")).scalar() == 0


def test_users_scope_with_an_unknown_category_lists_the_slugs_to_choose_from(app, ctx):
    UserFactory(email="kurator@contoh.id", role=Role.MODERATOR)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["users", "scope", "--moderator", "kurator@contoh.id",
                                                "--category", "kerajinan"])
    assert result.exit_code != 0
    assert "kerajinan-wastra" in result.output and "beras-serealia" in result.output
    help_text = " ".join(app.test_cli_runner().invoke(args=["users", "scope", "--help"]).output.split())
    assert "lists them all" in help_text

