"""Form pieces shared by every blueprint."""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FieldList, FormField, PasswordField
from wtforms.validators import DataRequired, EqualTo, ValidationError

from marketplace.services.accounts import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, password_problems


class EmptyForm(FlaskForm):
    """For one-button POST actions: carries only the CSRF token."""


_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def drop_control_characters(value):
    """NUL, ESC and the like never belong in typed text (PostgreSQL even refuses NUL); tabs and line breaks stay."""
    return _CONTROL_CHARACTERS.sub("", value) if isinstance(value, str) else value


class CleanText:
    """Form mix-in: every text field passes what was typed through drop_control_characters.

    Passwords are left exactly as typed: they are only ever hashed, and whatever a password
    manager pastes must keep working.
    """

    class Meta:
        def bind_field(self, form, unbound_field, options):
            if not issubclass(unbound_field.field_class, (FormField, FieldList, PasswordField)):
                options = {**options, "filters": [*unbound_field.kwargs.get("filters", ()), drop_control_characters]}
            return unbound_field.bind(form=form, **options)


class StrongPassword:
    """Length and common-password rules, with messages in the user's language."""

    def __init__(self, email_field: str | None = None):
        self.email_field = email_field

    def __call__(self, form, field):
        # The address typed into the same form, or the account's own (forms for a known account set it).
        email = form[self.email_field].data if self.email_field and self.email_field in form else None
        email = email or getattr(form, "account_email", None)
        problems = password_problems(field.data or "", email)
        if "too_short" in problems:
            raise ValidationError(_l("Kata sandi minimal %(n)s karakter.", n=MIN_PASSWORD_LENGTH))
        if "too_long" in problems:
            raise ValidationError(_l("Kata sandi maksimal %(n)s karakter.", n=MAX_PASSWORD_LENGTH))
        if "too_common" in problems:
            raise ValidationError(_l("Kata sandi ini terlalu umum dan mudah ditebak. Pilih yang lain — kalimat panjang juga boleh."))


class PhoneNumber:
    """An Indonesian phone number in any usual writing; stored as +62… (E.164)."""

    def __call__(self, form, field):
        if not field.data:
            return
        from marketplace.formatting import normalise_phone

        phone = normalise_phone(field.data)
        if phone is None:
            raise ValidationError(_l("Nomor HP tidak valid. Contoh: 0812-3456-7890."))
        field.data = phone


def new_password_fields(email_field: str | None = None):
    """A new password and its repetition."""
    password = PasswordField(
        _l("Kata sandi baru"),
        validators=[DataRequired(message=_l("Isi kata sandi.")), StrongPassword(email_field)],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Ulangi kata sandi"),
        validators=[DataRequired(message=_l("Ulangi kata sandi.")),
                    EqualTo("password", message=_l("Kedua kata sandi tidak sama."))],
        render_kw={"autocomplete": "new-password"},
    )
    return password, confirm
