"""The storefront and listing editors."""
from __future__ import annotations

import re
from datetime import date

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, MultipleFileField
from wtforms import (
    BooleanField,
    EmailField,
    FieldList,
    FormField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TelField,
    TextAreaField,
    URLField,
)
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from marketplace.core.forms import (MAX_NUMBER, DayField, Form, IdField, NumberText, PhoneNumber, QueryForm, SubForm,
                                   WholeNumber)
from marketplace.core.units import is_mass
from marketplace.listings import certificates as certificate_documents
from marketplace.listings import fields, specs
from marketplace.core import clock
from marketplace.core.formatting import quantity
from marketplace.core.vocab import ANIMAL_HEALTH_CERTIFICATES, CERTIFICATES, DELIVERY_TERMS, PRICE_BASIS, STORAGE, UNITS
from marketplace.listings import pricing

_REQUIRED = _l("Wajib diisi.")
MONTHS = [
    (1, _l("Januari")), (2, _l("Februari")), (3, _l("Maret")), (4, _l("April")), (5, _l("Mei")), (6, _l("Juni")),
    (7, _l("Juli")), (8, _l("Agustus")), (9, _l("September")), (10, _l("Oktober")), (11, _l("November")),
    (12, _l("Desember")),
]


class ProductsArgs(QueryForm):
    """The producer's list of listings: which page."""

    page = WholeNumber(minimum=1, maximum=100_000, clamp=True, default=1)


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def add_row(rows: FieldList) -> bool:
    """One more empty row ("Tambah baris harga", "Tambah sertifikat"), unless the list is full."""
    if rows.max_entries and len(rows.entries) >= rows.max_entries:
        return False
    rows.append_entry()
    return True


def _row_complete(form, field):
    """A price row needs both its quantity and its price; the empty half carries the message."""
    if getattr(form, "ignore_prices", False) or (field.data or "").strip():
        return
    other = form.price if field is form.min_qty else form.min_qty
    if (other.data or "").strip():
        raise ValidationError(_l("Setiap baris harga perlu jumlah dan harga."))


class TierForm(SubForm):
    min_qty = NumberText(_l("Mulai dari jumlah"), validators=[_row_complete], allow_zero=False)
    price = NumberText(_l("Harga per satuan (Rp)"), validators=[_row_complete], allow_zero=False)
    ignore_prices = False  # set by ProductForm when the price is "on request"


# ---------------------------------------------------------------- specifications per commodity

def _within(spec: specs.Spec):
    """A specification's number inside its declared bounds; the message says which."""
    from marketplace.core.formatting import number

    def check(form, field):
        value = field.number
        if value is None:
            return
        low, high = spec.minimum, spec.maximum
        too_low = low is not None and (value < low or (spec.above_zero and value == low))
        if too_low or (high is not None and value > high):
            if spec.above_zero:
                raise ValidationError(_l("Isi angka lebih dari %(low)s, paling banyak %(high)s.",
                                         low=number(low), high=number(high)))
            raise ValidationError(_l("Isi angka dari %(low)s sampai %(high)s.", low=number(low), high=number(high)))
    return check


def spec_field(spec: specs.Spec):
    """The form field of one declared specification (all are optional)."""
    label = _l("%(label)s (%(unit)s)", label=spec.label, unit=spec.unit) if spec.unit else spec.label
    if spec.type is list:
        return MultiCheckboxField(label, coerce=int, choices=MONTHS, validators=[Optional()], description=spec.help)
    if spec.choices is not None:
        return SelectField(label, choices=[("", "—"), *spec.choices.items()], default="", description=spec.help)
    if spec.type in (float, int):
        return NumberText(label, validators=[Optional(), _within(spec)], minimum=-MAX_NUMBER, description=spec.help)
    validators = [Optional(), Length(max=spec.max_length)]
    if spec.pattern:
        validators.append(Regexp(f"(?:{spec.pattern})\\Z", message=spec.pattern_message))
    return StringField(label, validators=validators, description=spec.help)


class SpecForm(SubForm):
    """One commodity's specifications (made for each commodity below, from listings/specs.py)."""

    commodity: str = ""
    declared: tuple[specs.Spec, ...] = ()

    def values(self) -> dict:
        """What was typed, as the declaration stores it: empty fields left out."""
        values = {}
        for spec in self.declared:
            f = self[spec.name]
            if spec.type in (float, int):
                value = f.number if f.number is not None else None
                value = int(value) if spec.type is int and value is not None else value
            elif spec.type is list:
                value = sorted(f.data or [])
            else:
                value = (f.data or "").strip()
            if value not in (None, "", []):
                values[spec.name] = value
        return values

    def typed(self) -> bool:
        """Whether anything was typed or chosen in these fields."""
        return any(v.strip() for f in self for v in (f.raw_data or []) if isinstance(v, str))

    def kept(self) -> list[tuple[str, str]]:
        """(input name, value) of what was typed, to carry through a page that shows another commodity's fields."""
        return [(f.name, v) for f in self for v in (f.raw_data or []) if isinstance(v, str) and v.strip()]

    def fill(self, values: dict) -> None:
        from marketplace.core.formatting import form_number

        for spec in self.declared:
            if spec.name not in values:
                continue
            value = values[spec.name]
            self[spec.name].data = form_number(value) if spec.type in (float, int) else value

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if valid:  # the SNI class claimed against the figures given
            from marketplace.core.formatting import number

            values = self.values()
            for name, limit in specs.rice_class_problems(values):
                self[name].errors.append(_l("Beras %(kelas)s (SNI 6128:2020): paling banyak %(limit)s %%.",
                                            kelas=specs.RICE_CLASSES[values["rice_class"]], limit=number(limit)))
                valid = False
            self._errors = None
        return valid


class SpecsField(FormField):
    """A commodity's sub-form inside the listing form: checked only when it is the listing's category's."""

    def validate(self, form, extra_validators=()):
        if form.active_commodity() != self.form.commodity:
            return True
        return super().validate(form, extra_validators)


def _spec_form(commodity: str, declared: tuple[specs.Spec, ...]) -> type[SpecForm]:
    attributes = {spec.name: spec_field(spec) for spec in declared}
    name = "SpecForm_" + commodity.replace("-", "_")
    return type(name, (SpecForm,), {**attributes, "commodity": commodity, "declared": declared,
                                    "__module__": __name__})


SPEC_FORMS = {commodity: _spec_form(commodity, declared) for commodity, declared in specs.COMMODITIES.items()}


def _spec_field_name(commodity: str) -> str:
    return "specs_" + commodity.replace("-", "_")


class ProductForm(Form):
    category_id = SelectField(_l("Kategori"), coerce=int, validators=[DataRequired(_l("Pilih kategori."))])
    name = StringField(_l("Nama produk"), validators=[DataRequired(_REQUIRED), Length(max=160)])
    description = TextAreaField(_l("Deskripsi"), validators=[Optional(), Length(max=5000)],
                                description=_l("Asal bahan, cara produksi, keunggulan. Singkat dan jelas."))
    name_en = StringField(_l("Nama produk (bahasa Inggris)"), validators=[Optional(), Length(max=160)],
                          description=_l("Opsional. Tampil di halaman berbahasa Inggris; kosong: nama dalam bahasa "
                                         "Indonesia yang tampil."))
    description_en = TextAreaField(_l("Deskripsi (bahasa Inggris)"), validators=[Optional(), Length(max=5000)],
                                   description=_l("Opsional, untuk pembeli yang membaca halaman berbahasa Inggris."))
    unit = SelectField(_l("Satuan"), choices=[(k, v) for k, v in UNITS.items()])
    kg_per_unit = NumberText(_l("Berat per satuan (kg)"), validators=[Optional()], allow_zero=False,
                             description=_l("Untuk satuan hitungan (karung, ekor, ikat …): berapa kg satu satuan, "
                                            "agar pesanan dalam kg atau ton bisa dibandingkan. Kosongkan untuk kg, "
                                            "kuintal dan ton."))
    price_on_request = BooleanField(_l("Harga sesuai permintaan (tidak dicantumkan)"))
    tiers = FieldList(FormField(TierForm), min_entries=3, max_entries=10, label=_l("Harga bertingkat"))
    price_basis = SelectField(_l("Dasar harga"), choices=[(k, v) for k, v in PRICE_BASIS.items()], default="loco",
                              description=_l("Di mana harga ini berlaku: diambil di Metro, atau sampai di Jakarta "
                                             "dengan atau tanpa ongkos kirim."))
    min_order_qty = NumberText(_l("Minimal pemesanan"), validators=[DataRequired(_REQUIRED)], allow_zero=False)
    monthly_capacity = NumberText(_l("Kapasitas produksi per bulan"), validators=[DataRequired(_REQUIRED)],
                                  allow_zero=False, description=_l("Dalam satuan produk, jumlah yang sanggup Anda penuhi tiap bulan."))
    lead_time_days = WholeNumber(_l("Waktu penyiapan (hari)"), validators=[Optional()], minimum=0, maximum=365)
    grade = StringField(_l("Kualitas / grade"), validators=[Optional(), Length(max=40)])
    shelf_life_days = WholeNumber(_l("Masa simpan (hari)"), validators=[Optional()], minimum=0, maximum=3650)
    packaging = StringField(_l("Kemasan"), validators=[Optional(), Length(max=200)])
    storage = SelectField(_l("Penyimpanan dan pengiriman"), choices=[(k, v) for k, v in STORAGE.items()])
    available_months = MultiCheckboxField(_l("Bulan tersedia"), coerce=int, choices=MONTHS,
                                          description=_l("Untuk hasil panen musiman. Kosongkan jika tersedia sepanjang tahun."))
    delivery_terms = TextAreaField(_l("Pengiriman ke Jakarta"), validators=[Optional(), Length(max=2000)])
    certificate_ids = MultiCheckboxField(_l("Sertifikat yang berlaku untuk produk ini"), coerce=int, choices=[])
    # The commodity whose specification fields the page showed (one sub-form per commodity is added below).
    specs_for = HiddenField()
    specs_notice = False  # set when the page is shown again because the category changed

    def __init__(self, *args, certificates=(), categories=(), commodities=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._certificates = {c.id: c for c in certificates}
        self.certificate_ids.choices = [(c.id, f"{CERTIFICATES.get(c.kind, c.kind)} {c.number}".strip()) for c in certificates]
        self.category_id.choices = [(0, "—")] + list(categories)
        self._commodities = dict(commodities or {})  # category id → commodity (specs.commodity_map)
        self.shown_for = self.specs_for.data or ""  # what the page that was sent showed
        self.specs_for.data = self.active_commodity() or ""

    # -------------------------------------------------------- specifications

    def active_commodity(self) -> str | None:
        """The commodity of the category chosen (the one whose specifications are checked and stored)."""
        return self._commodities.get(self.category_id.data)

    def spec_form(self, commodity: str | None) -> SpecForm | None:
        return self[_spec_field_name(commodity)].form if commodity in SPEC_FORMS else None

    def active_specs(self) -> SpecForm | None:
        """The sub-form the page shows: the chosen category's specifications."""
        return self.spec_form(self.active_commodity())

    def specs_switched(self) -> bool:
        """The category was changed after specifications of another one were filled in: the page is shown again
        with the new category's fields (those typed for the old one are kept in the page, not checked against the
        new category and not stored), instead of saving."""
        if not self.is_submitted() or self.active_commodity() == self.shown_for:
            return False
        old = self.spec_form(self.shown_for)
        return old is not None and old.typed()

    def kept_specs(self) -> list[tuple[str, str]]:
        """What was typed in the other commodities' fields, carried along as hidden inputs."""
        active = self.active_commodity()
        return [pair for commodity in SPEC_FORMS if commodity != active for pair in self.spec_form(commodity).kept()]

    def validate(self, extra_validators=None) -> bool:
        for entry in self.tiers.entries:
            entry.form.ignore_prices = bool(self.price_on_request.data)
        valid = super().validate(extra_validators)
        if not self.price_on_request.data and not [m for m in self.tiers.errors if not isinstance(m, dict)]:
            messages = self._tier_messages()
            self.tiers.errors += messages
            valid = valid and not messages
        return valid

    def _tier_messages(self) -> list[str]:
        """The tiers against each other, the MOQ and the monthly capacity (pricing.tier_problems: the rules and why),
        once each field could be read; one message per problem, naming the row it is about."""
        tiers = [(e.form.min_qty.number, e.form.price.number) for e in self.tiers.entries
                 if e.form.min_qty.number is not None and e.form.price.number is not None]
        unit = self.unit.data or ""
        messages = []
        for problem, qty in pricing.tier_problems(tiers, self.min_order_qty.number, self.monthly_capacity.number):
            shown = quantity(qty, unit)
            if problem == pricing.ORDER:
                continue  # said by validate_tiers
            if problem == pricing.RISING:
                messages.append(gettext("Harga mulai %(quantity)s lebih tinggi dari baris sebelumnya: harga untuk "
                                        "pesanan yang lebih besar tidak boleh naik.", quantity=shown))
            elif problem == pricing.CAPACITY:
                messages.append(gettext("Baris harga mulai %(quantity)s melebihi kapasitas produksi per bulan "
                                        "(%(capacity)s): pesanan sebesar itu tidak bisa Anda penuhi.", quantity=shown,
                                        capacity=quantity(self.monthly_capacity.number, unit)))
            elif problem == pricing.MOQ:
                messages.append(gettext("Baris harga pertama harus mulai dari minimal pemesanan (%(moq)s), bukan "
                                        "%(quantity)s: itulah harga yang dilihat pembeli di katalog.", quantity=shown,
                                        moq=quantity(self.min_order_qty.number, unit)))
        return messages

    def validate_tiers(self, field):
        """Across the rows; a problem within one row is shown at that row's field (TierForm)."""
        if self.price_on_request.data:
            return
        typed = [e for e in field.entries if (e.form.min_qty.data or "").strip() or (e.form.price.data or "").strip()]
        if not typed:
            raise ValidationError(_l("Isi setidaknya satu harga, atau pilih “Harga sesuai permintaan”."))
        quantities = [e.form.min_qty.number for e in field.entries if e.form.min_qty.number is not None]
        if len(quantities) != len(set(quantities)):
            raise ValidationError(_l("Jumlah pada setiap baris harga harus berbeda."))

    def validate_kg_per_unit(self, field):
        if field.number is not None and is_mass(self.unit.data or ""):
            raise ValidationError(_l("Satuan ini sudah satuan berat; kosongkan isian ini."))
        if field.number is not None and field.number > 100_000:
            raise ValidationError(_l("Paling banyak 100.000 kg per satuan."))

    def validate_certificate_ids(self, field):
        if self.storage.data == "live":
            kinds = {self._certificates[i].kind for i in field.data or [] if i in self._certificates}
            if not kinds & set(ANIMAL_HEALTH_CERTIFICATES):
                raise ValidationError(_l("Hewan hidup wajib disertai sertifikat kesehatan (SKKH atau NKV). Tambahkan di etalase, lalu centang di sini."))

    def values(self) -> dict:
        """What the listings service stores (the fields as declared in marketplace/listings/fields.py)."""
        months = sum(1 << (m - 1) for m in self.available_months.data or [])
        return fields.form_values(
            fields.PRODUCT, self,
            tiers=[] if self.price_on_request.data else [
                [e.form.min_qty.number, int(round(e.form.price.number))]
                for e in self.tiers.entries if e.form.min_qty.number is not None and e.form.price.number is not None
            ],
            available_months=months or (1 << 12) - 1,
            specs=self.active_specs().values() if self.active_specs() is not None else {},
        )

    def fill(self, values: dict) -> None:
        """Show stored values (on GET)."""
        from marketplace.core.formatting import number

        fields.fill_form(fields.PRODUCT, self, values, skip=("available_months", "tiers"))
        self.specs_for.data = self.shown_for = self.active_commodity() or ""
        if self.active_specs() is not None:
            self.active_specs().fill(values.get("specs") or {})
        mask = values.get("available_months", (1 << 12) - 1)
        self.available_months.data = [] if mask == (1 << 12) - 1 else [m for m in range(1, 13) if mask & (1 << (m - 1))]
        tiers = values.get("tiers") or []
        while len(self.tiers.entries) < max(len(tiers), 3) and add_row(self.tiers):
            pass
        for entry, (qty, price) in zip(self.tiers.entries, tiers):
            entry.form.min_qty.data = number(qty)
            entry.form.price.data = number(price)


for _commodity, _form_class in SPEC_FORMS.items():
    setattr(ProductForm, _spec_field_name(_commodity), SpecsField(_form_class, label=_commodity))


class PhotoForm(Form):
    photos = MultipleFileField(_l("Tambah foto"), render_kw={"accept": "image/jpeg,image/png,image/webp"},
                               description=_l("JPEG, PNG atau WebP, maksimal 8 MB per foto. Bisa langsung dari kamera."))


def _url(form, field):
    if field.data and not re.match(r"^https?://[^\s/$.?#].[^\s]*$", field.data, re.IGNORECASE):
        raise ValidationError(_l("Alamat situs harus diawali http:// atau https://"))


_DOCUMENT_KEY = re.compile(r"^[0-9a-f]{32}$")


class CertificateForm(SubForm):
    """One certificate: what a moderator checks (kind, number, issuer, expiry, document) and whether buyers may open
    the document. The upload is checked here (listings/certificates.check), so its message stands beside it; the
    view stores what passed."""

    id = IdField()
    kind = SelectField(_l("Jenis"), choices=[(k, v) for k, v in CERTIFICATES.items()])
    number = StringField(_l("Nomor"), validators=[Length(max=80)])  # required once the row states something
    issuer = StringField(_l("Penerbit"), validators=[Optional(), Length(max=120)],
                         description=_l("Misalnya BPJPH, Dinas Kesehatan Kota Metro, BPOM."))
    valid_until = DayField(_l("Berlaku sampai"), validators=[Optional()],
                            description=_l("Kosongkan jika tidak ada masa berlaku."))
    document = FileField(_l("Dokumen sertifikat"), render_kw={"accept": certificate_documents.ACCEPT},
                         description=_l("PDF, atau foto/pindaian JPEG, PNG, WebP; maksimal 5 MB. Kurator memeriksanya "
                                        "sebelum menandai sertifikat terverifikasi."))
    document_key = HiddenField()  # the document already stored (checked against the storefront when applied)
    document_public = BooleanField(_l("Pembeli boleh melihat dokumen ini"),
                                   description=_l("Jika tidak dicentang, dokumen hanya dilihat kurator dan "
                                                  "fasilitator."))
    remove_document = BooleanField(_l("Hapus dokumen"))
    remove = BooleanField(_l("Hapus"))
    checked: certificate_documents.CheckedDocument | None = None  # the upload, once it passed

    def upload(self):
        data = self.document.data
        return data if data is not None and getattr(data, "filename", "") else None

    def stored_key(self) -> str | None:
        key = (self.document_key.data or "").strip()
        return key if _DOCUMENT_KEY.match(key) else None

    def entered(self) -> bool:
        """Whether this row states a certificate (an empty new row is left out)."""
        return bool(self.id.data or (self.number.data or "").strip() or (self.issuer.data or "").strip()
                    or self.valid_until.data or self.upload() or self.stored_key())

    def validate_number(self, field):
        if not self.remove.data and self.entered() and not (field.data or "").strip():
            raise ValidationError(_l("Isi nomor sertifikat: tanpa nomor, kurator tidak dapat memeriksanya. Centang "
                                     "“Hapus” jika sertifikat ini tidak ada."))

    def validate_valid_until(self, field):
        if field.data and not self.id.data and not self.remove.data and field.data < clock.today():
            raise ValidationError(_l("Tanggal ini sudah lewat: sertifikat yang ditambahkan harus masih berlaku."))

    def validate_document(self, field):
        upload = self.upload()
        if upload is None or self.remove.data:
            return
        data = upload.read(certificate_documents.MAX_DOCUMENT_BYTES + 1)
        try:
            self.checked = certificate_documents.check(data)
        except certificate_documents.DocumentRejected as error:
            raise ValidationError(certificate_documents.rejection_message(error.code)) from None


class StorefrontForm(Form):
    name = StringField(_l("Nama usaha"), validators=[DataRequired(_REQUIRED), Length(max=160)])
    owner_name = StringField(_l("Nama pemilik"), validators=[DataRequired(_REQUIRED), Length(max=120)])
    description = TextAreaField(_l("Tentang usaha"), validators=[Optional(), Length(max=5000)],
                                description=_l("Sejarah usaha, bahan baku, cara produksi, pelanggan saat ini."))
    description_en = TextAreaField(_l("Tentang usaha (bahasa Inggris)"), validators=[Optional(), Length(max=5000)],
                                   description=_l("Opsional. Tampil di halaman berbahasa Inggris; kosong: teks dalam "
                                                  "bahasa Indonesia yang tampil."))
    kelurahan = StringField(_l("Kelurahan"), validators=[DataRequired(_REQUIRED), Length(max=60)])
    address = StringField(_l("Alamat"), validators=[Optional(), Length(max=300)])
    phone = TelField(_l("Nomor HP/WhatsApp"), validators=[Optional(), Length(max=30), PhoneNumber()], render_kw={"inputmode": "tel"})
    email = EmailField(_l("Email usaha"), validators=[Optional(), Email(_l("Alamat email tidak valid.")), Length(max=254)])
    website = URLField(_l("Situs web atau toko daring"), validators=[Optional(), Length(max=255), _url])
    founded_year = WholeNumber(_l("Tahun berdiri"), validators=[Optional()], minimum=1900,
                               maximum=lambda: date.today().year)
    workforce = WholeNumber(_l("Jumlah tenaga kerja"), validators=[Optional()], minimum=0, maximum=100000)
    certificates = FieldList(FormField(CertificateForm), min_entries=1, max_entries=20)


    def uploads(self) -> list[CertificateForm]:
        """The rows whose upload passed its checks, for the view to store before reading `values`."""
        return [e.form for e in self.certificates.entries if e.form.checked is not None and not e.form.remove.data]

    def values(self) -> dict:
        certificates = []
        for entry in self.certificates.entries:
            f = entry.form
            if f.remove.data or not f.entered():
                continue
            key = None if f.remove_document.data else f.stored_key()
            certificates.append({
                "id": f.id.data,
                "kind": f.kind.data, "number": (f.number.data or "").strip(), "issuer": (f.issuer.data or "").strip(),
                "valid_until": f.valid_until.data.isoformat() if f.valid_until.data else None,
                "document_key": key, "document_public": bool(f.document_public.data) and key is not None,
            })
        return fields.form_values(fields.PRODUCER, self, certificates=certificates,
                                  email=(self.email.data or "").strip().lower() or None)

    def fill(self, values: dict) -> None:
        fields.fill_form(fields.PRODUCER, self, values, skip=("certificates",))
        certificates = values.get("certificates") or []
        while len(self.certificates.entries) < len(certificates) + 1 and add_row(self.certificates):
            pass
        for entry, cert in zip(self.certificates.entries, certificates):
            entry.form.id.data = cert.get("id")
            entry.form.kind.data = cert["kind"]
            entry.form.number.data = cert.get("number")
            entry.form.issuer.data = cert.get("issuer")
            entry.form.valid_until.data = date.fromisoformat(cert["valid_until"]) if cert.get("valid_until") else None
            entry.form.document_key.data = cert.get("document_key") or ""
            entry.form.document_public.data = bool(cert.get("document_public"))


class OfferForm(Form):
    """An offer for one forwarded share, sent or revised: a quantity per period in a unit that converts with the
    share's, a price per that unit, a lead time, a validity date and the delivery terms. What the producer may
    still send once confirmed (more than asked, below the minimum order, above spare capacity) comes back beside
    the quantity with the "send anyway" box (listings/producer/views.py)."""

    offered_qty = NumberText(_l("Jumlah per periode yang sanggup Anda penuhi"), validators=[DataRequired(_REQUIRED)],
                             allow_zero=False)
    unit = SelectField(_l("Satuan"), choices=[])
    price = NumberText(_l("Harga per satuan (Rp)"), validators=[DataRequired(_REQUIRED)], allow_zero=False)
    lead_time_days = WholeNumber(_l("Waktu penyiapan (hari)"), validators=[Optional()], minimum=0, maximum=365)
    valid_until = DayField(_l("Penawaran berlaku sampai"), validators=[Optional()])
    terms = RadioField(_l("Syarat pengiriman"), choices=[(k, v) for k, v in DELIVERY_TERMS.items()], default="loco")
    note = TextAreaField(_l("Catatan untuk fasilitator"), validators=[Optional(), Length(max=2000)])
    send_anyway = BooleanField(_l("Kirim tetap"))

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.unit.choices = [(u, UNITS.get(u, u)) for u in units]

    def validate_valid_until(self, field):
        if field.data and field.data < clock.today():
            raise ValidationError(_l("Tanggal sudah lewat."))

    def values(self) -> dict:
        """What trade/service.answer and revise_offer take."""
        return {"offered_qty": self.offered_qty.number, "price": int(round(self.price.number)),
                "lead_time_days": self.lead_time_days.data, "note": (self.note.data or "").strip(),
                "unit": self.unit.data, "valid_until": self.valid_until.data, "terms": self.terms.data or None}


class WithdrawOfferForm(Form):
    """Taking an offer back is a second step: the box says what happens, and nothing happens without it."""

    reason = TextAreaField(_l("Alasan (opsional)"), validators=[Optional(), Length(max=1000)])
    confirmed = BooleanField(_l("Ya, tarik penawaran ini. Fasilitator akan diberi tahu."),
                             validators=[DataRequired(_l("Centang untuk memastikan penawaran ditarik."))])


class DeclineForm(Form):
    note = TextAreaField(_l("Alasan menolak"), validators=[DataRequired(_l("Tulis alasannya.")), Length(max=2000)])
