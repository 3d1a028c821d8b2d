"""Certificates that can be checked: the three states buyers read, the document behind a certificate (checked on
upload, served only to whom the policy allows), and a moderator's verification (audited, taken back by a change).
"""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import select

from marketplace.core import clock
from marketplace.extensions import db
from marketplace.listings import certificates
from marketplace.listings.certificates import EXPIRED, STATED, VERIFIED, certificate_state
from marketplace.models import AuditEvent, Certificate, CertificateDocument, Producer, Revision
from tests import htmlq
from tests.conftest import csrf_from, login
from tests.factories import CertificateDocumentFactory, CertificateFactory, ProductFactory


def _png(size=(60, 80), colour=(240, 240, 230), exif: bool = False) -> bytes:
    buffer = io.BytesIO()
    image = Image.new("RGB", size, colour)
    if exif:
        data = Image.Exif()
        data[0x010F] = "KameraRahasia"  # Make
        image.save(buffer, "JPEG", exif=data.tobytes())
    else:
        image.save(buffer, "PNG")
    return buffer.getvalue()


def _pdf() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (200, 280), (250, 250, 250)).save(buffer, "PDF")
    return buffer.getvalue()


def _active_pdf(kind: str) -> bytes:
    """A valid one-page PDF that runs JavaScript when opened, or carries another file."""
    from pypdf import PdfWriter
    from pypdf.generic import DictionaryObject, NameObject, TextStringObject

    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    if kind == "javascript":
        writer._root_object[NameObject("/OpenAction")] = DictionaryObject({
            NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert('hai');")})
    else:
        writer.add_attachment("muatan.exe", b"MZ...")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _client(app, user=None):
    client = app.test_client()
    if user is not None:
        assert login(client, user).status_code == 302
    return client


@pytest.fixture
def trio(accounts):
    """Producer A's listing naming three certificates: one verified, one only stated, one verified but expired."""
    store = accounts.producer_a_store
    today = clock.today()
    verified = CertificateFactory(producer=store, kind="halal", number="ID1811000001", issuer="BPJPH",
                                  valid_until=today + timedelta(days=200), status="verified")
    stated = CertificateFactory(producer=store, kind="pirt", number="2061872010123-25", issuer="",
                                valid_until=None)
    expired = CertificateFactory(producer=store, kind="nkv", number="NKV-18-0001", issuer="Dinas Peternakan",
                                 valid_until=today - timedelta(days=1), status="verified")
    product = ProductFactory(producer=store, name="Daging Sapi Segar")
    product.certificates.extend([verified, stated, expired])
    db.session.commit()
    return {"product": product, "verified": verified, "stated": stated, "expired": expired}


def _states(doc) -> dict[str, str]:
    """Each certificate badge's state, by the kind it names (the card, page or list it is on)."""
    return {node.attrs["data-cert-kind"]: node.attrs["data-cert-state"]
            for node in doc.iter() if "data-cert-state" in node.attrs}


# ---------------------------------------------------------------- the state

def test_the_state_puts_the_date_before_the_verification(ctx):
    today = clock.today()
    cert = Certificate(kind="halal", status="verified", valid_until=today)
    assert certificate_state(cert, today) == VERIFIED  # valid through its last day
    assert certificate_state(cert, today + timedelta(days=1)) == EXPIRED  # expired, whatever its verification
    assert certificate_state(Certificate(kind="halal", status="stated"), today) == STATED


def test_the_product_page_shows_three_distinct_states_and_never_an_expired_one_as_valid(client, trio):
    doc = htmlq.page(client.get(f"/products/{trio['product'].id}"))
    section = doc.by_id("sertifikat").parent
    assert _states(section) == {"halal": "verified", "pirt": "stated", "nkv": "expired"}
    text = section.text()
    assert "No. ID1811000001 · BPJPH" in text and "Dinas Peternakan" in text
    assert "(—)" not in text and "No. —" not in text
    expired = next(n for n in section.find_all("li") if "NKV" in n.text())
    assert "kedaluwarsa" in expired.text() and "terverifikasi" not in expired.text()
    assert "masa berlaku" not in expired.text()


def test_the_storefront_and_the_catalog_cards_show_the_same_states(client, trio):
    storefront = htmlq.page(client.get("/producers/usaha-a"))
    assert _states(storefront.by_id("sertifikat").parent) == {"halal": "verified", "pirt": "stated",
                                                               "nkv": "expired"}
    card = htmlq.page(client.get("/products")).find("article")
    assert _states(card) == {"halal": "verified", "pirt": "stated", "nkv": "expired"}


def test_a_badge_says_its_state_in_words_and_with_an_icon_not_by_colour_alone(client, trio):
    card = htmlq.page(client.get("/products")).find("article")
    badges = [n for n in card.iter() if "data-cert-state" in n.attrs]
    assert [b.text().split("·")[-1].strip() for b in badges] == ["terverifikasi", "kedaluwarsa",  # by kind
                                                                "dinyatakan produsen"]
    assert all(b.find("svg") is not None and b.attrs.get("title") for b in badges)


def test_the_api_gives_state_number_issuer_and_date_and_the_document_only_when_public(client, trio):
    document = CertificateDocumentFactory(producer=trio["verified"].producer)
    hidden = CertificateDocumentFactory(producer=trio["verified"].producer)
    trio["verified"].document_key, trio["verified"].document_public = document.key, True
    trio["stated"].document_key = hidden.key
    db.session.commit()
    (item,) = client.get("/api/v1/products").get_json()["items"]
    details = {d["kind"]: d for d in item["certificate_details"]}
    assert {k: d["state"] for k, d in details.items()} == {"halal": "verified", "pirt": "stated", "nkv": "expired"}
    assert (details["halal"]["number"], details["halal"]["issuer"]) == ("ID1811000001", "BPJPH")
    assert details["pirt"]["issuer"] is None and details["pirt"]["valid_until"] is None
    assert details["halal"]["document_url"].endswith(f"/media/certificates/{document.key}")
    assert details["pirt"]["document_url"] is None
    assert item["certificates"] == ["halal", "pirt"]  # the kinds valid today: the expired one is left out


def test_the_openapi_document_describes_the_states(client, ctx):
    schema = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]["Product"]
    states = schema["properties"]["certificate_details"]["items"]["properties"]["state"]["enum"]
    assert states == ["verified", "stated", "expired"]


# ---------------------------------------------------------------- the catalog filter

def test_the_certificate_filter_counts_only_valid_certificates_and_can_ask_for_verified_ones(client, trio):
    other = ProductFactory(name="Bakso")
    halal = CertificateFactory(producer=other.producer, kind="halal", status="stated")
    other.certificates.append(halal)
    db.session.commit()
    api = "/api/v1/products"
    assert client.get(api, query_string={"cert": "nkv"}).get_json()["total"] == 0  # expired: never counted
    assert client.get(api, query_string={"cert": "halal"}).get_json()["total"] == 2
    verified = client.get(api, query_string={"cert": "halal", "cert_verified": "1"}).get_json()
    assert [i["name"] for i in verified["items"]] == ["Daging Sapi Segar"]
    assert client.get(api, query_string={"cert_verified": "1"}).get_json()["total"] == 1
    doc = htmlq.page(client.get("/products", query_string={"cert_verified": "1"}))
    assert "Halal (1)" in doc.by_id("f-cert").text() and "PIRT (0)" in doc.by_id("f-cert").text()


def test_a_verification_refreshes_the_cached_cards(client, accounts, trio):
    from marketplace.listings import review

    assert _states(htmlq.page(client.get("/products")).find("article"))["pirt"] == "stated"  # cached now
    review.verify_certificate(trio["stated"], accounts.moderator)
    db.session.commit()
    assert _states(htmlq.page(client.get("/products")).find("article"))["pirt"] == "verified"


# ---------------------------------------------------------------- checking an upload

@pytest.mark.parametrize("data, code", [
    (b"<html><script>alert(1)</script></html>", "not_document"),  # HTML named .pdf or .png
    (b"%PDF-1.7\n% nothing a reader can parse here\n", "not_document"),  # a fake PDF
    (_active_pdf("javascript"), "active_content"),
    (_active_pdf("attachment"), "active_content"),
    (b"%PDF-1.4\n" + b"0" * (certificates.MAX_DOCUMENT_BYTES + 1), "too_large"),
    (b"", "empty"),
])
def test_an_upload_that_is_no_certificate_document_is_refused(ctx, data, code):
    with pytest.raises(certificates.DocumentRejected) as refused:
        certificates.check(data)
    assert refused.value.code == code


def test_a_pdf_is_re_written_and_an_image_re_encoded_without_its_exif(ctx):
    pdf = certificates.check(_pdf() + b"\n<script>trailing junk</script>")
    assert pdf.media_type == "application/pdf" and pdf.data.startswith(b"%PDF-") and b"<script>" not in pdf.data
    picture = certificates.check(_png(exif=True))
    assert picture.media_type == "image/webp"
    assert not Image.open(io.BytesIO(picture.data)).getexif()


def _storefront_post(client, **fields):
    doc = htmlq.page(client.get("/dashboard/storefront"))
    data = htmlq.form_data(doc.find("form", method="post", novalidate=True))
    data.update({"action": "save", **fields})
    return client.post("/dashboard/storefront", data=data, content_type="multipart/form-data")


@pytest.fixture
def draft_store(accounts):
    accounts.producer_a_store.status = "draft"
    db.session.commit()
    return accounts.producer_a_store


@pytest.mark.parametrize("upload, message", [
    ((io.BytesIO(b"GIF89a not really"), "sertifikat.pdf"), "bukan PDF"),
    ((io.BytesIO(b"%PDF-1.4 " + b"x" * (certificates.MAX_DOCUMENT_BYTES + 10)), "besar.pdf"), "lebih dari 5 MB"),
    ((io.BytesIO(_active_pdf("javascript")), "skrip.pdf"), "berisi skrip"),
])
def test_a_refused_upload_is_explained_beside_the_field_and_nothing_is_stored(app, accounts, draft_store,
                                                                               upload, message):
    client = _client(app, accounts.producer_a)
    response = _storefront_post(client, **{"certificates-0-kind": "halal", "certificates-0-number": "ID123",
                                           "certificates-0-document": upload})
    assert response.status_code == 200
    doc = htmlq.page(response)
    assert message in htmlq.error_for(doc, "certificates-0-document")
    assert htmlq.value(doc, "certificates-0-number") == "ID123"  # what was typed stays
    assert db.session.scalars(select(CertificateDocument)).all() == []
    assert db.session.scalars(select(Certificate)).all() == []


def test_a_certificate_needs_a_number_and_a_new_one_a_date_not_past(app, accounts, draft_store):
    client = _client(app, accounts.producer_a)
    yesterday = (clock.today() - timedelta(days=1)).isoformat()
    doc = htmlq.page(_storefront_post(client, **{"certificates-0-kind": "halal", "certificates-0-issuer": "BPJPH",
                                                 "certificates-0-valid_until": yesterday}))
    assert "Isi nomor sertifikat" in htmlq.error_for(doc, "certificates-0-number")
    assert "sudah lewat" in htmlq.error_for(doc, "certificates-0-valid_until")
    assert db.session.scalars(select(Certificate)).all() == []


def test_a_document_uploaded_with_a_certificate_is_kept_for_staff_and_owner_only(app, accounts, draft_store):
    owner = _client(app, accounts.producer_a)
    response = _storefront_post(owner, **{"certificates-0-kind": "halal", "certificates-0-number": "ID123",
                                          "certificates-0-document": (io.BytesIO(_pdf()), "halal.pdf")})
    assert response.status_code == 302
    cert = db.session.scalar(select(Certificate))
    assert cert.document_key and not cert.document_public and cert.status == "stated"
    url = f"/media/certificates/{cert.document_key}"
    for who in (None, accounts.producer_b):  # anonymous, a buyer (no account), another producer
        assert _client(app, who).get(url).status_code == 404
    for who in (accounts.producer_a, accounts.officer, accounts.moderator, accounts.facilitator, accounts.admin):
        response = _client(app, who).get(url)
        assert response.status_code == 200 and response.mimetype == "application/pdf", who.email
        assert response.headers["Cache-Control"] == "private, no-store"
    assert _client(app).get(f"/media/certificates/{'0' * 32}").status_code == 404
    assert _client(app).get("/media/certificates/..%2F..%2Fsecret").status_code == 404


def test_a_document_the_producer_makes_public_opens_for_anyone_once_the_storefront_is_public(app, accounts):
    store = accounts.producer_a_store
    document = CertificateDocumentFactory(producer=store)
    CertificateFactory(producer=store, document_key=document.key, document_public=True)
    db.session.commit()
    assert _client(app).get(f"/media/certificates/{document.key}").status_code == 200
    store.status = "suspended"
    db.session.commit()
    assert _client(app).get(f"/media/certificates/{document.key}").status_code == 404


def test_a_document_key_copied_from_another_storefront_names_nothing(app, accounts, draft_store):
    foreign = CertificateDocumentFactory(producer=accounts.producer_b_store)
    db.session.commit()
    client = _client(app, accounts.producer_a)
    _storefront_post(client, **{"certificates-0-kind": "halal", "certificates-0-number": "ID123",
                                "certificates-0-document_key": foreign.key, "certificates-0-document_public": "y"})
    cert = db.session.scalar(select(Certificate))
    assert (cert.document_key, cert.document_public) == (None, False)


# ---------------------------------------------------------------- verification

def _verify(app, accounts, store, cert, action="verify", **data):
    moderator = _client(app, accounts.moderator)
    token = csrf_from(moderator.get(f"/moderation/producers/{store.id}"))
    fields = {"csrf_token": token} if action == "verify" else {f"unverify-{cert.id}-csrf_token": token,
                                                                **{f"unverify-{cert.id}-{k}": v for k, v in data.items()}}
    return moderator.post(f"/moderation/producers/{store.id}/certificates/{cert.id}/{action}", data=fields)


def _actions(cert) -> list[tuple[str, str]]:
    return [(e.action, e.note) for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.object_type == "certificate", AuditEvent.object_id == cert.id)
        .order_by(AuditEvent.id))]


def test_a_moderator_verifies_from_the_review_page_and_it_is_audited(app, accounts):
    store = accounts.producer_a_store
    cert = CertificateFactory(producer=store, document_key=CertificateDocumentFactory(producer=store).key)
    db.session.commit()
    page = htmlq.page(_client(app, accounts.moderator).get(f"/moderation/producers/{store.id}"))
    assert "Tandai terverifikasi" in page.by_id("sertifikat").text()
    assert _verify(app, accounts, store, cert).status_code == 302
    db.session.refresh(cert)
    assert (cert.status, cert.verified_by_id) == ("verified", accounts.moderator.id) and cert.verified_at
    assert _actions(cert) == [("verification.verify", "")]
    history = _client(app, accounts.moderator).get(f"/moderation/producers/{store.id}").get_data(as_text=True)
    assert "Sertifikat ditandai terverifikasi" in history  # the storefront's history shows its certificates' too


def test_taking_a_verification_back_needs_a_reason_that_the_producer_reads(app, accounts):
    store = accounts.producer_a_store
    cert = CertificateFactory(producer=store, status="verified")
    db.session.commit()
    refused = _verify(app, accounts, store, cert, "unverify", reason="  ")
    assert refused.status_code == 400
    assert "Tulis alasannya" in htmlq.error_for(htmlq.page(refused), f"unverify-{cert.id}-reason")
    assert _verify(app, accounts, store, cert, "unverify", reason="Nomor tidak ada di situs BPJPH.").status_code == 302
    db.session.refresh(cert)
    assert cert.status == "stated" and cert.verified_by_id is None
    assert _actions(cert) == [("verification.unverify", "Nomor tidak ada di situs BPJPH.")]
    editor = _client(app, accounts.producer_a).get("/dashboard/storefront").get_data(as_text=True)
    assert "Nomor tidak ada di situs BPJPH." in editor


def test_a_certificate_without_a_number_cannot_be_verified_and_the_moderator_is_told(app, accounts):
    store = accounts.producer_a_store
    cert = CertificateFactory(producer=store, number="")
    db.session.commit()
    response = _verify(app, accounts, store, cert)
    assert response.status_code == 302
    db.session.refresh(cert)
    assert cert.status == "stated"


def test_the_queue_lists_certificates_waiting_for_a_check(app, accounts):
    CertificateFactory(producer=accounts.producer_a_store, number="ID-TUNGGU-1")
    db.session.commit()
    queue = _client(app, accounts.moderator).get("/moderation/").get_data(as_text=True)
    assert "Sertifikat menunggu verifikasi" in queue and "ID-TUNGGU-1" in queue


def test_a_change_on_a_storefront_edited_in_place_takes_the_verification_back(app, accounts, draft_store):
    cert = CertificateFactory(producer=draft_store, number="ID-LAMA", status="verified")
    keep = CertificateFactory(producer=draft_store, kind="pirt", number="P-IRT-1", status="verified")
    db.session.commit()
    client = _client(app, accounts.producer_a)
    assert _storefront_post(client, **{"certificates-0-number": "ID-BARU"}).status_code == 302
    db.session.expire_all()
    assert (db.session.get(Certificate, cert.id).status, db.session.get(Certificate, keep.id).status) == (
        "stated", "verified")
    assert _actions(cert) == [("verification.reset", "number")]
    assert _actions(keep) == []


def test_a_change_waiting_in_a_revision_takes_the_verification_back_only_when_approved(app, accounts):
    from marketplace.listings import editing, review

    store = accounts.producer_a_store  # published: the edit waits in a revision
    cert = CertificateFactory(producer=store, number="ID-LAMA", valid_until=clock.today() + timedelta(days=90),
                              status="verified")
    ProductFactory(producer=store)
    db.session.commit()
    client = _client(app, accounts.producer_a)
    later = (clock.today() + timedelta(days=400)).isoformat()
    assert _storefront_post(client, **{"certificates-0-valid_until": later}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Certificate, cert.id).status == "verified"  # buyers still read the checked one
    store = db.session.get(Producer, store.id)
    editing.submit(store, accounts.producer_a)
    review.approve(store, accounts.moderator)
    db.session.commit()
    cert = db.session.get(Certificate, cert.id)
    assert (cert.status, str(cert.valid_until)) == ("stated", later)
    assert _actions(cert) == [("verification.reset", "valid_until")]
    revision = db.session.scalar(select(Revision).where(Revision.object_type == "producer"))
    assert revision.status == "approved"


def test_approving_a_change_that_leaves_a_certificate_as_it_was_keeps_its_verification(app, accounts):
    from marketplace.listings import editing, review

    store = accounts.producer_a_store
    cert = CertificateFactory(producer=store, status="verified")
    ProductFactory(producer=store)
    db.session.commit()
    _storefront_post(_client(app, accounts.producer_a), description="Usaha keluarga sejak 2001.")
    store = db.session.get(Producer, store.id)
    editing.submit(store, accounts.producer_a)
    review.approve(store, accounts.moderator)
    db.session.commit()
    assert db.session.get(Certificate, cert.id).status == "verified"


def test_a_replaced_document_is_deleted_once_the_change_is_saved(app, accounts, draft_store):
    old = CertificateDocumentFactory(producer=draft_store)
    CertificateFactory(producer=draft_store, document_key=old.key)
    db.session.commit()
    old_id, old_key = old.id, old.key
    path = certificates.path_for(old.key, old.media_type)
    assert path.exists()
    client = _client(app, accounts.producer_a)
    response = _storefront_post(client, **{"certificates-0-document": (io.BytesIO(_png()), "scan.png")})
    assert response.status_code == 302
    db.session.expire_all()
    cert = db.session.scalar(select(Certificate))
    assert cert.document_key != old_key and certificates.path_for(cert.document_key, "image/webp").exists()
    assert not path.exists() and db.session.get(CertificateDocument, old_id) is None
