"""The producer dashboard: what needs attention, the storefront, the listings and their photos.

Field officers (pendamping) use the same screens for the producers assigned to them;
every change is recorded under the officer's name.
"""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import select

from marketplace.core import clock, policies
from marketplace.extensions import db
from marketplace.core.forms import EmptyForm
from marketplace.models import Allocation, Photo, Producer, Product
from marketplace.listings.producer import forms
from marketplace.catalog import page_cache, queries as catalog
from marketplace.listings import dashboard, editing as listings, review as moderation, specs
from marketplace.trade import service as inquiries
from marketplace.trade.forms import DeliveryFields
from marketplace.listings.photos import ImageRejected
from marketplace.core.errors import flash_refusal, refusal_message, refuse
from marketplace.core.workflow import TransitionNotAllowed
from marketplace.listings.workflow import publication

bp = Blueprint("producer", __name__)

MAX_PHOTO_BYTES = 8 * 1024 * 1024
MAX_PHOTOS = 12
ACTING_KEY = "acting_producer_id"


@bp.before_request
@login_required
def _guard():
    if not policies.can_use_dashboard(current_user):
        abort(403)


def current_producer(required: bool = True) -> Producer | None:
    """The storefront being managed: the producer's own, or the one a field officer chose.

    `required`: without one, a field officer is sent to choose, anyone else gets a 404.
    """
    if "producer" in g:
        return g.producer
    producer = None
    if policies.acts_for_producers(current_user):
        acting = session.get(ACTING_KEY)
        if isinstance(acting, int) and policies.can_manage_producer(current_user, acting):
            producer = db.session.get(Producer, acting)
    elif (own := policies.own_producer_id(current_user)) is not None:
        producer = db.session.get(Producer, own)
    if producer is None and required:
        abort(redirect(url_for("producer.overview")) if policies.acts_for_producers(current_user) else 404)
    g.producer = producer
    return producer


def _own_product(product_id: int) -> Product:
    product = db.get_or_404(Product, product_id)
    if not policies.can_edit(current_user, product) or product.producer_id != current_producer().id:
        abort(404)  # someone else's listing does not exist, as far as this user can tell
    return product


@bp.get("/")
@page_cache.personal
def overview():
    if policies.acts_for_producers(current_user) and current_producer(required=False) is None:
        return render_template("producer/choose.html", producers=current_user.assigned_producers, form=EmptyForm())
    producer = current_producer()
    shown = dashboard.product_page(producer, per_page=dashboard.DASHBOARD_ROWS)
    return render_template(
        "producer/overview.html", producer=producer, rows=shown.rows, shown=shown,
        attention=dashboard.attention(producer, current_user, dashboard.attention_rows(producer)), form=EmptyForm(),
        **_capacity_this_month(producer, [row.product for row in shown.rows]),
    )


def _capacity_this_month(producer: Producer, recent: list[Product]) -> dict:
    """This calendar month, per listing: its monthly capacity, what active contracts commit, what is spare (in the
    listing's unit), as trade/capacity.py counts them. The listings contracts commit come first (the most committed
    share first), then the most recently changed, DASHBOARD_ROWS in all."""
    from marketplace.trade import capacity

    month = capacity.this_month()
    committed = {product_id: months[month] for product_id, months in
                 capacity.committed_of_producer(producer.id, [month]).items()}
    bound = db.session.scalars(select(Product).where(Product.id.in_(committed))).all()
    bound.sort(key=lambda p: (-(committed[p.id] / p.monthly_capacity if p.monthly_capacity else 1), p.id))
    products = list({p.id: p for p in bound[:dashboard.DASHBOARD_ROWS] + recent}.values())[:dashboard.DASHBOARD_ROWS]
    spare = capacity.spare(products, [month])
    return {
        "capacity_month": capacity.first_day(month),
        "capacity_rows": [(p, committed.get(p.id, 0.0), spare[p.id][month]) for p in products],
        "capacity_bound": len(committed),
    }


@bp.post("/act-for/<int:producer_id>")
def act_for(producer_id: int):
    if not policies.acts_for_producers(current_user) or not policies.can_manage_producer(current_user, producer_id):
        abort(404)
    if EmptyForm().validate_on_submit():
        session[ACTING_KEY] = producer_id
    return redirect(url_for("producer.overview"))


@bp.post("/act-for/clear")
def stop_acting():
    if EmptyForm().validate_on_submit():
        session.pop(ACTING_KEY, None)
    return redirect(url_for("producer.overview"))


# ---------------------------------------------------------------- storefront

@bp.route("/storefront", methods=["GET", "POST"])
def storefront():
    producer = current_producer()
    form = forms.StorefrontForm()
    action = request.form.get("action", "save")
    if request.method == "POST" and action == "add_certificate":
        forms.add_row(form.certificates)
        return _storefront_page(form, producer)
    if form.validate_on_submit():
        for row in form.uploads():  # checked by the form; kept under a new key, named by the row from here on
            row.document_key.data = listings.store_certificate_document(producer, row.checked, current_user)
        waits = listings.save_storefront(producer, form.values(), current_user)
        if action == "submit":
            try:
                listings.submit(producer, current_user)
            except (TransitionNotAllowed, ValueError) as error:
                db.session.commit()
                if isinstance(error, TransitionNotAllowed):
                    flash_refusal(error, "dashboard")
                return redirect(url_for("producer.storefront"))
            db.session.commit()
            flash(_("Etalase dikirim untuk ditinjau kurator."), "success")
            return redirect(url_for("producer.overview"))
        db.session.commit()
        flash(_("Perubahan etalase disimpan sebagai draf. Kirim untuk ditinjau agar tampil untuk pembeli.")
              if waits or producer.status != "published" else _("Etalase disimpan."), "success")
        return redirect(url_for("producer.storefront"))
    if request.method == "GET":
        form.fill(listings.producer_values(producer))
    return _storefront_page(form, producer)


def _storefront_page(form, producer: Producer):
    """The editor, with each stated certificate's verification as buyers read it now and why a moderator took a
    verification back, if one did."""
    live = {c.id: c for c in producer.certificates}
    return render_template("producer/storefront.html", form=form, producer=producer,
                           revision=listings.open_revision(producer), live_certificates=live,
                           unverified_reasons={i: r for i, c in live.items()
                                               if (r := moderation.last_unverified_reason(c))})


# ---------------------------------------------------------------- products

@bp.get("/products")
def products():
    producer = current_producer()
    shown = dashboard.product_page(producer, forms.ProductsArgs().value("page") or 1)
    return render_template("producer/products.html", producer=producer, rows=shown.rows, shown=shown,
                           form=EmptyForm())


def _product_form(producer: Producer) -> forms.ProductForm:
    categories = catalog.categories()
    locale = str(get_locale())
    return forms.ProductForm(certificates=producer.certificates, categories=[(c.id, c.name(locale)) for c in categories],
                             commodities=specs.commodity_map(categories))


def _handle_product_form(producer: Producer, product: Product | None):
    form = _product_form(producer)
    action = request.form.get("action", "save")
    if request.method == "POST" and action == "add_tier":
        forms.add_row(form.tiers)
        return None, form
    if request.method == "POST" and (action == "show_specs" or form.specs_switched()):
        # The chosen category's specification fields, before anything is saved (no script needed).
        form.specs_notice = action != "show_specs"
        return None, form
    if form.validate_on_submit():
        product, waits = listings.save_product(producer, product, form.values(), current_user)
        if action == "submit":
            try:
                listings.submit(product, current_user)
            except TransitionNotAllowed as error:
                db.session.commit()  # the edit is kept even when it cannot be sent yet
                flash_refusal(error, "dashboard")
                return redirect(url_for("producer.edit_product", product_id=product.id)), form
            db.session.commit()
            flash(_("“%(name)s” dikirim untuk ditinjau. Menunggu peninjauan.", name=product.name), "success")
            return redirect(url_for("producer.products")), form
        db.session.commit()
        if waits:
            flash(_("Perubahan disimpan sebagai draf. Versi yang tampil untuk pembeli belum berubah sampai Anda mengirimnya dan kurator menyetujui."), "success")
        else:
            flash(_("“%(name)s” disimpan sebagai draf.", name=product.name), "success")
        return redirect(url_for("producer.edit_product", product_id=product.id)), form
    return None, form


@bp.route("/products/new", methods=["GET", "POST"])
def new_product():
    producer = current_producer()
    response, form = _handle_product_form(producer, None)
    if response is not None:
        return response
    return render_template("producer/product_form.html", form=form, producer=producer, product=None)


@bp.route("/products/<int:product_id>/edit", methods=["GET", "POST"])
def edit_product(product_id: int):
    product = _own_product(product_id)
    producer = current_producer()
    response, form = _handle_product_form(producer, product)
    if response is not None:
        return response
    if request.method == "GET":
        form.fill(listings.product_values(product))
    return render_template(
        "producer/product_form.html", form=form, producer=producer, product=product,
        photos=listings.working_photos(product), photo_form=forms.PhotoForm(), button_form=EmptyForm(),
        revision=listings.open_revision(product), actions=listings.available_actions(product, current_user),
        assessment=(assessment := moderation.latest_assessment(product)),
        to_improve=moderation.weakest_criteria(assessment) if assessment else [],
    )


@bp.post("/products/<int:product_id>/<any(submit, withdraw, archive, restore):action>")
def product_action(product_id: int, action: str):
    product = _own_product(product_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        if action == "submit":
            listings.submit(product, current_user)
        elif action == "withdraw":
            listings.withdraw(product, current_user)
        else:
            publication.apply(action, product, current_user)
    except TransitionNotAllowed as error:
        return refuse(error, "dashboard", url_for("producer.products"))
    except ValueError:
        db.session.rollback()
        flash(_("Tidak ada perubahan untuk dikirim."), "error")
        return redirect(url_for("producer.products"))
    db.session.commit()
    flash({
        "submit": _("“%(name)s” dikirim untuk ditinjau.", name=product.name),
        "withdraw": _("“%(name)s” ditarik kembali menjadi draf.", name=product.name),
        "archive": _("“%(name)s” diarsipkan dan tidak tampil lagi.", name=product.name),
        "restore": _("“%(name)s” dikembalikan sebagai draf.", name=product.name),
    }[action], "success")
    return redirect(url_for("producer.products"))


# ---------------------------------------------------------------- photos

@bp.post("/products/<int:product_id>/photos")
def upload_photos(product_id: int):
    product = _own_product(product_id)
    form = forms.PhotoForm()
    back = redirect(url_for("producer.edit_product", product_id=product.id) + "#foto")
    if not form.validate_on_submit():
        flash(_("Unggahan gagal. Coba lagi."), "error")
        return back
    files = [f for f in request.files.getlist(form.photos.name) if f and f.filename]
    if not files:
        flash(_("Pilih foto yang akan diunggah."), "error")
        return back
    if len(listings.working_photos(product)) + len(files) > MAX_PHOTOS:
        flash(_("Paling banyak %(n)s foto per produk.", n=MAX_PHOTOS), "error")
        return back
    uploads = []
    for file in files:
        data = file.read(MAX_PHOTO_BYTES + 1)
        if len(data) > MAX_PHOTO_BYTES:
            flash(_("Foto “%(name)s” lebih dari 8 MB. Perkecil lalu coba lagi.", name=file.filename[:80]), "error")
            return back
        uploads.append(data)
    try:
        added = listings.add_photos(product, uploads, current_user)
    except ImageRejected as error:
        db.session.rollback()
        message = _("Foto terlalu besar resolusinya.") if str(error) == "too_large" else \
            _("Berkas ini bukan foto JPEG, PNG atau WebP.")
        flash(message, "error")
        return back
    db.session.commit()
    flash(ngettext("%(num)s foto ditambahkan.", "%(num)s foto ditambahkan.", len(added)), "success")
    return back


def _own_photo(product: Product, photo_id: int) -> Photo:
    photo = db.get_or_404(Photo, photo_id)
    if photo.product_id != product.id:
        abort(404)
    return photo


@bp.post("/products/<int:product_id>/photos/<int:photo_id>/<any(delete, first, up, down):action>")
def photo_action(product_id: int, photo_id: int, action: str):
    product = _own_product(product_id)
    photo = _own_photo(product, photo_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if action == "delete":
        listings.remove_photo(product, photo, current_user)
        message = _("Foto dihapus.")
    else:
        listings.move_photo(product, photo, action, current_user)
        message = _("Foto dijadikan sampul.") if action == "first" else _("Urutan foto diubah.")
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("producer.edit_product", product_id=product.id) + "#foto")



# ---------------------------------------------------------------- forwarded inquiries

# Each forwarded share on the page has its forms, prefixed by share so field ids stay unique: the offer (sent or
# revised: the same form), the decline, and taking an offer back.
_PREFIX = {"offer": "accept", "decline": "decline", "withdraw": "withdraw"}


def _offer_form(allocation: Allocation, submitted: bool = False) -> forms.OfferForm:
    """The offer form of one share: what was typed when it was the one sent, else the current offer or the
    defaults (the forwarded quantity in the forwarded unit, valid for two weeks)."""
    choices = inquiries.offer_units(allocation)
    prefix = f"{_PREFIX['offer']}-{allocation.id}"
    if submitted:
        form = forms.OfferForm(prefix=prefix, units=choices)
        if not form.unit.data:  # not sent: the unit it was asked in
            form.unit.data = allocation.unit or allocation.inquiry.unit
        return form
    from marketplace.core.formatting import number

    offered = str(allocation.status) == "accepted"
    data = {
        "offered_qty": number(allocation.offered_qty if offered else allocation.requested_qty, 3),
        "unit": (allocation.offered_unit if offered else None) or allocation.unit or allocation.inquiry.unit,
        "price": number(allocation.offered_price) if offered else "",
        "lead_time_days": allocation.lead_time_days if offered else None,
        "valid_until": (allocation.offer_valid_until if offered else None)
        or clock.today() + timedelta(days=inquiries.OFFER_VALIDITY_DAYS),
        "terms": (allocation.terms if offered else None) or "loco",
        "note": allocation.note if offered else "",
    }
    return forms.OfferForm(formdata=None, prefix=prefix, units=choices, data=data)


def _other_form(allocation: Allocation, kind: str, submitted: bool = False):
    form_class = forms.DeclineForm if kind == "decline" else forms.WithdrawOfferForm
    prefix = f"{_PREFIX[kind]}-{allocation.id}"
    return form_class(prefix=prefix) if submitted else form_class(formdata=None, prefix=prefix)


def _inquiries_page(shown: tuple[int, str, object] | None = None, warnings=(), status: int = 200):
    """The forwarded shares with their forms; `shown` is (share id, kind, form) of a form sent back with its
    errors or warnings: that share's form is open, with what was typed."""
    producer = current_producer()
    allocations = inquiries.allocations_for(producer)
    offer_forms, decline_forms, withdraw_forms = {}, {}, {}
    for a in allocations:
        offer_forms[a.id] = _offer_form(a)
        decline_forms[a.id] = _other_form(a, "decline")
        withdraw_forms[a.id] = _other_form(a, "withdraw")
    if shown is not None:
        share_id, kind, form = shown
        {"offer": offer_forms, "decline": decline_forms, "withdraw": withdraw_forms}[kind][share_id] = form
    locked = {a.id: refusal_message(TransitionNotAllowed(code), "offer")
              for a in allocations if (code := inquiries.offer_refusal(a, current_user))}
    # The share whose inquiry became a contract with a line of this producer: a link to that line.
    contract_lines = {a.id: line for a in allocations
                      if (line := next((line for c in a.inquiry.contracts for line in c.lines
                                        if line.producer_id == a.producer_id), None))}
    return render_template(
        "producer/inquiries.html", producer=producer, allocations=allocations, offer_forms=offer_forms,
        decline_forms=decline_forms, withdraw_forms=withdraw_forms, locked=locked, shown=shown,
        warnings=list(warnings), contract_lines=contract_lines,
    ), status


@bp.get("/inquiries")
def inquiries_list():
    return _inquiries_page()


def _own_allocation(allocation_id: int) -> Allocation:
    allocation = db.get_or_404(Allocation, allocation_id)
    if allocation.producer_id != current_producer().id or not policies.can_manage_producer(current_user, allocation.producer_id):
        abort(404)
    return allocation


OFFER_WARNINGS = {
    "above_asked": lambda limit: _("Lebih dari yang diminta (%(limit)s).", limit=limit),
    "below_moq": lambda limit: _("Kurang dari minimal pemesanan Anda (%(limit)s).", limit=limit),
    "above_spare": lambda limit: _("Lebih dari kapasitas Anda yang masih tersedia pada bulan yang diminta "
                                   "(%(limit)s).", limit=limit),
}


@bp.post("/inquiries/<int:allocation_id>/<any(accept, revise, decline, withdraw):action>")
def answer_inquiry(allocation_id: int, action: str):
    """Send an offer, revise it, decline, or take the offer back. A form with errors (or with warnings not yet
    confirmed) shows the page again, status 400, with that share's form open and what was typed kept."""
    from marketplace.core.formatting import quantity

    allocation = _own_allocation(allocation_id)
    kind = {"accept": "offer", "revise": "offer"}.get(action, action)
    form = _offer_form(allocation, submitted=True) if kind == "offer" else _other_form(allocation, kind, submitted=True)
    if not form.validate_on_submit():
        if form.errors.keys() == {"csrf_token"}:
            abort(400)
        return _inquiries_page((allocation_id, kind, form), status=400)
    try:
        if kind == "offer":
            values = form.values()
            warnings = inquiries.offer_warnings(allocation, values["offered_qty"], values["unit"])
            if warnings and not form.send_anyway.data:
                form.offered_qty.errors = [OFFER_WARNINGS[w.code](quantity(w.limit, w.unit)) for w in warnings]
                return _inquiries_page((allocation_id, kind, form), warnings=[w.code for w in warnings], status=400)
            if action == "accept":
                inquiries.answer(allocation, current_user, True, **values)
            else:
                inquiries.revise_offer(allocation, current_user, **values)
        elif kind == "decline":
            inquiries.answer(allocation, current_user, False, note=form.note.data.strip())
        else:
            inquiries.withdraw_offer(allocation, current_user, (form.reason.data or "").strip())
    except TransitionNotAllowed as error:
        return refuse(error, "answer" if action in ("accept", "decline") else "offer",
                      url_for("producer.inquiries_list") + f"#alokasi-{allocation_id}")
    db.session.commit()
    flash({"accept": _("Penawaran Anda terkirim ke fasilitator BUMD."),
           "revise": _("Penawaran Anda diubah; fasilitator BUMD melihat versi barunya."),
           "decline": _("Jawaban Anda terkirim ke fasilitator BUMD."),
           "withdraw": _("Penawaran Anda ditarik.")}[action], "success")
    return redirect(url_for("producer.inquiries_list") + f"#alokasi-{allocation_id}")


# ---------------------------------------------------------------- contracts and their deliveries

def _own_lines(producer: Producer) -> list:
    """The producer's own contract lines, newest contract first (another producer's line of the same contract is
    not shown)."""
    from sqlalchemy.orm import selectinload

    from marketplace.models import Contract, ContractLine, Inquiry

    return list(db.session.scalars(
        select(ContractLine).join(ContractLine.contract).where(ContractLine.producer_id == producer.id)
        .options(selectinload(ContractLine.contract).selectinload(Contract.inquiry)
                 .selectinload(Inquiry.allocations),
                 selectinload(ContractLine.months), selectinload(ContractLine.deliveries),
                 selectinload(ContractLine.product))
        .order_by(Contract.starts_on.desc(), ContractLine.id.desc())))


def _buyer_released(line) -> bool:
    """Whether the buyer's contact was released to this producer for the contract's inquiry."""
    return any(a.producer_id == line.producer_id and policies.can_see_buyer_contact(current_user, a)
               for a in line.contract.inquiry.allocations)


def _delivery_form(line, submitted: bool = False) -> DeliveryFields:
    prefix = f"delivery-{line.id}"
    if submitted:
        return DeliveryFields(prefix=prefix)
    return DeliveryFields(formdata=None, prefix=prefix, data={"delivered_on": clock.today(), "outcome": "accepted"})


def _contracts_page(shown: tuple[int, DeliveryFields] | None = None, status: int = 200):
    """The producer's contract lines, each with a delivery form when its contract is active; `shown` is (line id,
    form) of a form sent back with its errors: that line's form is open, with what was typed."""
    from marketplace.trade import contracts

    producer = current_producer()
    lines = _own_lines(producer)
    delivery_forms = {line.id: _delivery_form(line) for line in lines if contracts.is_active(line.contract)}
    if shown is not None:
        delivery_forms[shown[0]] = shown[1]
    return render_template(
        "producer/contracts.html", producer=producer, lines=lines, delivery_forms=delivery_forms,
        shown_line=shown[0] if shown else None, released={line.id: _buyer_released(line) for line in lines},
        delivered=contracts.delivered, recorded=contracts.recorded_deliveries,
    ), status


@bp.get("/contracts")
def contracts_list():
    return _contracts_page()


@bp.post("/contracts/lines/<int:line_id>/deliveries")
def record_delivery(line_id: int):
    """A delivery of the producer's own line, recorded by the producer (or its field officer)."""
    from marketplace.models import ContractLine
    from marketplace.trade import contracts

    line = db.get_or_404(ContractLine, line_id)
    if line.producer_id != current_producer().id or not policies.can_record_delivery(current_user, line):
        abort(404)  # another producer's line does not exist, as far as this user can tell
    form = _delivery_form(line, submitted=True)
    if not form.validate_on_submit():
        return _contracts_page((line.id, form), status=400)
    try:
        contracts.record_delivery(line, **form.values(), actor=current_user)
    except TransitionNotAllowed as error:
        return refuse(error, "contract", url_for("producer.contracts_list") + f"#baris-{line.id}")
    db.session.commit()
    flash(_("Pengiriman dicatat."), "success")
    return redirect(url_for("producer.contracts_list") + f"#baris-{line.id}")
