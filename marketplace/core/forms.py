"""Form pieces shared by every blueprint: the base classes every form derives from, and the one way to read an id,
a number, a page or a date from what a visitor typed or put in a URL's query string.

Every form of the app derives from `Form` (a FlaskForm) or, for a row inside a `FieldList(FormField(...))`,
from `SubForm`; both clean every text field (`CleanText`), so a new form cannot forget it
(tests/core/test_input_fuzz.py checks that every form class of the app does). Query strings are read through a
`QueryForm`: a value it cannot take is left out (the page shows what it would show without it), never an error.
"""
from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Collection, Mapping
from datetime import date

import wtforms
from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import ImmutableMultiDict
from wtforms import BooleanField, DateField, FieldList, FormField, IntegerField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, ValidationError

from marketplace.core.security import MAX_ID
from marketplace.accounts.users import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, password_problems
from marketplace.core.text import parse_number

_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def drop_control_characters(value):
    """NUL, ESC and the like never belong in typed text (PostgreSQL even refuses NUL); tabs and line breaks stay."""
    return _CONTROL_CHARACTERS.sub("", value) if isinstance(value, str) else value


class CleanText:
    """Form mix-in: every field passes what was typed through drop_control_characters.

    Passwords are left exactly as typed: they are only ever hashed, and whatever a password manager pastes
    must keep working. The rows of a FieldList/FormField are SubForms, which clean themselves.
    """

    class Meta:
        def bind_field(self, form, unbound_field, options):
            if not issubclass(unbound_field.field_class, (FormField, FieldList, PasswordField)):
                options = {**options, "filters": [*unbound_field.kwargs.get("filters", ()), drop_control_characters]}
            return unbound_field.bind(form=form, **options)


class Form(CleanText, FlaskForm):
    """The base of every form of the app (CSRF token included)."""


class SubForm(CleanText, wtforms.Form):
    """The base of every row form inside a FieldList(FormField(...)): the outer form carries the CSRF token."""


class EmptyForm(Form):
    """For one-button POST actions: carries only the CSRF token."""


class QueryForm(Form):
    """A page's query string (microblog's SearchForm): typed, bounded values, no CSRF token.

    `QueryForm()` reads request.args; `.value(name)` is the field's value, or its default when what was sent
    does not fit (a filter that cannot be applied is left out, as if it had not been given).
    """

    class Meta:
        csrf = False

    def __init__(self, formdata=None, **kwargs):
        super().__init__(request.args if formdata is None else formdata, **kwargs)
        self.validate()

    def value(self, name: str):
        field = self[name]
        return field.default if field.errors else field.data


def read_from(query: Mapping[str, str]) -> None:
    """From here on, this request's GET forms read `query` (as a form read it before: the page cache renders a
    page from its normalised query string, so that what it keeps depends on its key alone)."""
    request.args = ImmutableMultiDict(sorted(query.items()))


# ---------------------------------------------------------------- ids, whole numbers, numbers, dates

_NOT_AN_ID = _l("Pilihan tidak dikenal.")


class WholeNumber(IntegerField):
    """A whole number between `minimum` and `maximum`; anything else (letters, '²', 20 digits) is refused beside the
    field, what was typed stays in it. `clamp=True` (page sizes, page numbers) takes the nearest bound instead."""

    def __init__(self, label=None, validators=None, minimum: int = 0, maximum: int | None = None,
                 clamp: bool = False, **kwargs):
        kwargs.setdefault("render_kw", {}).setdefault("inputmode", "numeric")
        super().__init__(label, validators, **kwargs)
        self.minimum, self.maximum, self.clamp = minimum, maximum, clamp

    def _bounds(self) -> tuple[int, int]:
        maximum = self.maximum() if callable(self.maximum) else self.maximum
        return self.minimum, MAX_ID if maximum is None else maximum

    def process_formdata(self, valuelist):
        if not valuelist or not str(valuelist[0]).strip():
            self.data = None
            return
        text = str(valuelist[0]).strip()
        if not re.fullmatch(r"[+-]?[0-9]+", text):  # ASCII digits only: int('²') fails, int('١٢') would not
            self.data = None
            raise ValueError(_l("Tulis bilangan bulat, misalnya 12."))
        # Past 18 digits a number is beyond every bound (and int() refuses 4,300 digits): take it as ±10**18.
        value = int(text) if len(text.lstrip("+-").lstrip("0")) <= 18 else (-1 if text[0] == "-" else 1) * 10**18
        low, high = self._bounds()
        if self.clamp:
            value = min(max(value, low), high)
        self.data = value

    def pre_validate(self, form):
        low, high = self._bounds()
        if self.data is not None and not low <= self.data <= high:
            raise ValidationError(_l("Isi angka antara %(low)s dan %(high)s.", low=low, high=high))


class IdField(WholeNumber):
    """The id of a row (1 … the largest id the database holds); hidden by default."""

    widget = wtforms.widgets.HiddenInput()

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, minimum=1, maximum=MAX_ID, **kwargs)

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_NOT_AN_ID) from None

    def pre_validate(self, form):
        if self.data is not None and not 1 <= self.data <= MAX_ID:
            raise ValidationError(_NOT_AN_ID)


class IdList(wtforms.Field):
    """Every id sent under one name (`?id=3&id=7`), in the order sent, each once; values that are no id are
    dropped (`.dropped` counts them), never an error. At most `limit` are read: a URL of a thousand ids is cut."""

    def __init__(self, label=None, validators=None, limit: int = 50, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.limit = limit
        self.dropped = 0

    def process_formdata(self, valuelist):
        ids: list[int] = []
        self.dropped = 0
        for raw in valuelist[: self.limit]:
            text = str(raw).strip()
            if re.fullmatch(r"[0-9]{1,18}", text) and 1 <= int(text) <= MAX_ID:
                if int(text) not in ids:
                    ids.append(int(text))
            else:
                self.dropped += 1
        self.data = ids

    def process_data(self, value):
        self.data = list(value or [])

    def _value(self):
        return ""


# Every number a user types is below this: more than any price, quantity or capacity, and far from float's limits.
MAX_NUMBER = 1e12


class NumberText(StringField):
    """A number typed the Indonesian way ('12.500', '2,5'); `.number` holds the value, always finite and within
    [minimum, maximum] ('inf', 'nan', '1e999' and 400 digits are refused beside the field)."""

    number: float | None = None
    parse = staticmethod(parse_number)  # the text → a float, or None when it is no number

    def __init__(self, *args, minimum: float = 0, maximum: float = MAX_NUMBER, allow_zero: bool = True, **kwargs):
        kwargs.setdefault("render_kw", {}).setdefault("inputmode", "decimal")
        super().__init__(*args, **kwargs)
        self.minimum, self.maximum, self.allow_zero = minimum, maximum, allow_zero

    def pre_validate(self, form):
        self.number = None
        if not (self.data or "").strip():
            return
        value = self.parse(self.data)
        if value is None or not math.isfinite(value) or value > self.maximum:
            raise ValidationError(_l("Tulis angka, misalnya 12.500 atau 2,5."))
        if value < self.minimum or (value == 0 and not self.allow_zero):
            raise ValidationError(_l("Angka harus lebih besar dari nol."))
        self.number = value


EARLIEST, LATEST = date(1900, 1, 1), date(2200, 12, 31)


class DayField(DateField):
    """A date (2026-06-30) between 1900 and 2200: no year 1 or 9999 reaches date arithmetic or the database."""

    def pre_validate(self, form):
        if self.data is not None and not EARLIEST <= self.data <= LATEST:
            raise ValidationError(_l("Pilih tanggal antara tahun 1900 dan 2200."))


def _plain_number(text) -> float | None:
    """'12.5', '2,5', '1e3' → a float: a number as a browser's number input or a program writes it (the dot is the
    decimal point, never a thousands separator); None for anything else, Unicode digits and '1_000' included."""
    text = str(text).strip()
    if not text.isascii() or "_" in text:
        return None
    try:
        return float(text.replace(",", "."))
    except ValueError:
        return None


class PlainNumber(NumberText):
    """A number in a query string ('12.5', '2,5'), bounded as NumberText is: a link the site writes reads back the
    same, and an API client's 12.125 is not taken for twelve thousand."""

    parse = staticmethod(_plain_number)


def search_words(value):
    """Typed search words: control characters dropped (PostgreSQL refuses NUL), whitespace collapsed, 100 at most."""
    if not isinstance(value, str):
        return value
    printable = "".join(ch for ch in value if ch.isspace() or unicodedata.category(ch) != "Cc")
    return " ".join(printable.split())[:100]


class SearchText(StringField):
    """Words typed into a search box: control characters dropped, spaces collapsed, 100 characters at most."""

    def __init__(self, *args, **kwargs):
        # Added to the filters the form binds it with (CleanText's), not only when none are given: a setdefault here
        # never applied, since every form of the app binds its fields with filters.
        kwargs["filters"] = [search_words, *kwargs.get("filters", ())]
        super().__init__(*args, **kwargs)


# ---------------------------------------------------------------- query-string values: a choice, a flag

class Choice(StringField):
    """One of `choices`, exactly as sent ('halal\\x00' is no 'halal', cleaned or not), or None when nothing (or an
    empty text) is sent; anything else is refused, so a QueryForm leaves it out. `choices=None` declares values only
    known when the form is built (the category slugs): the form sets them on the bound field before it validates."""

    def __init__(self, label=None, validators=None, choices: Collection[str] | None = None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.choices = choices

    def process_formdata(self, valuelist):
        if valuelist:
            self.data = valuelist[0] or None

    def pre_validate(self, form):
        if self.choices is None:
            raise TypeError(f"{self.name}: its choices are set when the form is built")
        sent = self.raw_data[0] if self.raw_data else self.data
        if sent and sent not in self.choices:
            raise ValidationError(_NOT_AN_ID)


class Flag(BooleanField):
    """A yes/no switch of a query string: on for '1', 'true' or 'on' (a checkbox's value), off for anything else."""

    true_values = ("1", "true", "on")

    def process_formdata(self, valuelist):
        self.data = bool(valuelist) and valuelist[0] in self.true_values


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
        from marketplace.core.formatting import normalise_phone

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
