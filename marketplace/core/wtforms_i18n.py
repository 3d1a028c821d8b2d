"""WTForms' own messages ("Not a valid choice.") in the page's language.

WTForms ships no Indonesian catalogue (its locale folder has none for `id`), so the built-in messages the app's
forms can show are translated here, through the app's own catalogue: Indonesian msgids, English in `en`.
Flask-WTF looks for the translations of the current request in `request.wtforms_translations` (filled from
WTForms' catalogues otherwise); this module puts its own there.
"""
from __future__ import annotations

from flask import Flask, request
from flask_babel import lazy_gettext as _l

# WTForms' English message → the app's (Indonesian) msgid. Only those the app's fields and validators can show:
# choices, dates, whole numbers, lengths, number ranges, required and AnyOf without a message of their own.
MESSAGES = {
    "Not a valid choice.": _l("Pilihan tidak valid."),
    "Invalid Choice: could not coerce.": _l("Pilihan tidak valid."),
    "Not a valid date value.": _l("Tanggal tidak valid."),
    "Not a valid integer value.": _l("Tulis bilangan bulat."),
    "This field is required.": _l("Wajib diisi."),
    "Field must be between %(min)d and %(max)d characters long.": _l("Isian harus %(min)d sampai %(max)d karakter."),
    "Number must be at least %(min)s.": _l("Angka paling kecil %(min)s."),
    "Number must be at most %(max)s.": _l("Angka paling besar %(max)s."),
    "Number must be between %(min)s and %(max)s.": _l("Angka harus antara %(min)s dan %(max)s."),
    "Invalid value, must be one of: %(values)s.": _l("Nilai tidak valid, harus salah satu dari: %(values)s."),
}
# Messages WTForms asks for with ngettext, by their singular form (Indonesian has one form for both).
PLURAL_MESSAGES = {
    "Field cannot be longer than %(max)d character.": _l("Isian paling panjang %(max)d karakter."),
    "Field must be at least %(min)d character long.": _l("Isian paling sedikit %(min)d karakter."),
    "Field must be exactly %(max)d character long.": _l("Isian harus tepat %(max)d karakter."),
}


class AppTranslations:
    """The gettext interface Flask-WTF calls (ugettext/ungettext); anything not listed stays as WTForms wrote it."""

    def ugettext(self, string: str) -> str:
        message = MESSAGES.get(string)
        return str(message) if message is not None else string

    def ungettext(self, singular: str, plural: str, n: int) -> str:
        message = PLURAL_MESSAGES.get(singular)
        if message is not None:
            return str(message)
        return singular if n == 1 else plural

    gettext, ngettext = ugettext, ungettext


_TRANSLATIONS = AppTranslations()


def init_app(app: Flask) -> None:
    @app.before_request
    def _wtforms_translations() -> None:
        request.wtforms_translations = _TRANSLATIONS
