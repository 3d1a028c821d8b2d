"""The producer dashboard: what needs attention, the storefront, the listings and their photos.

Field officers (pendamping) use the same screens for the producers assigned to them;
every change is recorded under the officer's name.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from marketplace.core import policies
from marketplace.extensions import db
from marketplace.core.forms import EmptyForm
from marketplace.models import Allocation, Photo, Producer, Product
from marketplace.listings.producer import forms
from marketplace.catalog import queries as catalog
from marketplace.listings import dashboard, editing as listings, review as moderation
from marketplace.trade import service as inquiries
from marketplace.listings.photos import ImageRejected
from marketplace.core.errors import flash_refusal, refuse
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


def _category_choices():
    locale = str(get_locale())
    return [(c.id, c.name(locale)) for c in catalog.categories()]


@bp.get("/")
def overview():
    if policies.acts_for_producers(current_user) and current_producer(required=False) is None:
        return render_template("producer/choose.html", producers=current_user.assigned_producers, form=EmptyForm())
    producer = current_producer()
    rows = dashboard.product_rows(producer)
    return render_template(
        "producer/overview.html", producer=producer, rows=rows,
        attention=dashboard.attention(producer, current_user, rows), form=EmptyForm(),
        **_capacity_this_month([row.product for row in rows]),
    )


def _capacity_this_month(products: list[Product]) -> dict:
    """Per listing, this calendar month: its monthly capacity, what active contracts commit, what is spare (in the
    listing's unit), as trade/capacity.py counts them."""
    from marketplace.trade import capacity

    month = capacity.this_month()
    committed = capacity.committed([p.id for p in products], [month])
    spare = capacity.spare(products, [month])
    return {
        "capacity_month": capacity.first_day(month),
        "capacity_rows": [(p, committed.get(p.id, {}).get(month, 0.0), spare[p.id][month]) for p in products],
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
        return render_template("producer/storefront.html", form=form, producer=producer)
    if form.validate_on_submit():
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
    return render_template("producer/storefront.html", form=form, producer=producer,
                           revision=listings.open_revision(producer))


# ---------------------------------------------------------------- products

@bp.get("/products")
def products():
    producer = current_producer()
    return render_template("producer/products.html", producer=producer, rows=dashboard.product_rows(producer),
                           form=EmptyForm())


def _product_form(producer: Producer) -> forms.ProductForm:
    return forms.ProductForm(certificates=producer.certificates, categories=_category_choices())


def _handle_product_form(producer: Producer, product: Product | None):
    form = _product_form(producer)
    action = request.form.get("action", "save")
    if request.method == "POST" and action == "add_tier":
        forms.add_row(form.tiers)
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

@bp.get("/inquiries")
def inquiries_list():
    producer = current_producer()
    allocations = inquiries.allocations_for(producer)
    return render_template(
        "producer/inquiries.html", producer=producer, allocations=allocations,
        offer_forms={a.id: _answer_form(a.id, "accept") for a in allocations},
        decline_forms={a.id: _answer_form(a.id, "decline") for a in allocations},
    )


def _answer_form(allocation_id: int, action: str):
    """One form per forwarded inquiry on the page, prefixed so field ids stay unique."""
    form_class = forms.OfferForm if action == "accept" else forms.DeclineForm
    return form_class(prefix=f"{action}-{allocation_id}")


def _own_allocation(allocation_id: int) -> Allocation:
    allocation = db.get_or_404(Allocation, allocation_id)
    if allocation.producer_id != current_producer().id or not policies.can_manage_producer(current_user, allocation.producer_id):
        abort(404)
    return allocation


@bp.post("/inquiries/<int:allocation_id>/<any(accept, decline):action>")
def answer_inquiry(allocation_id: int, action: str):
    allocation = _own_allocation(allocation_id)
    form = _answer_form(allocation_id, action)
    if not form.validate_on_submit():
        flash(_("Lengkapi jawaban Anda: %(problems)s",
                problems="; ".join(f"{form[name].label.text}: {' '.join(map(str, errors))}" for name, errors in form.errors.items())),
              "error")
        return redirect(url_for("producer.inquiries_list") + f"#alokasi-{allocation_id}")
    try:
        if action == "accept":
            inquiries.answer(allocation, current_user, True, form.offered_qty.number, int(round(form.price.number)),
                             form.lead_time_days.data, (form.note.data or "").strip())
        else:
            inquiries.answer(allocation, current_user, False, note=form.note.data.strip())
    except TransitionNotAllowed as error:
        return refuse(error, "answer", url_for("producer.inquiries_list"))
    db.session.commit()
    flash(_("Penawaran Anda terkirim ke fasilitator BUMD.") if action == "accept"
          else _("Jawaban Anda terkirim ke fasilitator BUMD."), "success")
    return redirect(url_for("producer.inquiries_list"))
