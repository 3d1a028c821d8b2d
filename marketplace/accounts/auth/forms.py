"""Sign-in, registration, password reset and invitation forms."""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectField, StringField, TelField
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from marketplace.core.forms import Form, PhoneNumber, new_password_fields
from marketplace.core.vocab import KECAMATAN

_REQUIRED = _l("Wajib diisi.")


class LoginForm(Form):
    email = EmailField(_l("Email"), validators=[DataRequired(_REQUIRED), Length(max=254)],
                       render_kw={"autocomplete": "username", "inputmode": "email"})
    password = PasswordField(_l("Kata sandi"), validators=[DataRequired(_REQUIRED), Length(max=4096)],
                             render_kw={"autocomplete": "current-password"})
    remember = BooleanField(_l("Ingat saya di perangkat ini"))
    next = HiddenField()


class RegisterForm(Form):
    business_name = StringField(_l("Nama usaha"), validators=[DataRequired(_REQUIRED), Length(max=160)],
                                render_kw={"autocomplete": "organization"})
    name = StringField(_l("Nama pemilik"), validators=[DataRequired(_REQUIRED), Length(max=120)],
                       render_kw={"autocomplete": "name"})
    nib = StringField(_l("NIB (Nomor Induk Berusaha)"), validators=[DataRequired(_REQUIRED)],
                      description=_l("13 angka, dari OSS."), render_kw={"inputmode": "numeric", "autocomplete": "off"})
    kecamatan = SelectField(_l("Kecamatan"), choices=[("", "—")] + list(KECAMATAN.items()),
                            validators=[DataRequired(_l("Pilih kecamatan."))])
    kelurahan = StringField(_l("Kelurahan"), validators=[DataRequired(_REQUIRED), Length(max=60)])
    phone = TelField(_l("Nomor HP/WhatsApp"), validators=[Optional(), Length(max=30), PhoneNumber()],
                     render_kw={"autocomplete": "tel", "inputmode": "tel"})
    email = EmailField(_l("Email"), validators=[DataRequired(_REQUIRED), Email(_l("Alamat email tidak valid.")), Length(max=254)],
                       render_kw={"autocomplete": "email", "inputmode": "email"})
    password, confirm = new_password_fields("email")
    agree = BooleanField(_l("Saya menyatakan data usaha ini benar dan bersedia produk saya dikurasi Dekranasda."),
                         validators=[DataRequired(_l("Centang untuk melanjutkan."))])

    def validate_nib(self, field):
        field.data = re.sub(r"[\s.-]", "", field.data or "")
        if not re.fullmatch(r"\d{13}", field.data):
            raise ValidationError(_l("NIB terdiri dari 13 angka."))
        from marketplace.catalog.queries import nib_taken

        if nib_taken(field.data):
            raise ValidationError(_l("NIB ini sudah terdaftar. Jika ini usaha Anda, hubungi pendamping atau admin Pemkot."))


class ResetRequestForm(Form):
    email = EmailField(_l("Email"), validators=[DataRequired(_REQUIRED), Length(max=254)],
                       render_kw={"autocomplete": "email", "inputmode": "email"})


class _AccountPasswordForm(Form):
    """A new password for a known account, checked against that account's e-mail as well."""

    def __init__(self, *args, account_email: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.account_email = account_email


class SetPasswordForm(_AccountPasswordForm):
    password, confirm = new_password_fields()


class ChangePasswordForm(_AccountPasswordForm):
    current = PasswordField(_l("Kata sandi sekarang"), validators=[DataRequired(_REQUIRED)],
                            render_kw={"autocomplete": "current-password"})
    password, confirm = new_password_fields()
