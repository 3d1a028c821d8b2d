"""Locale choice: `?lang=xx` switches and is remembered in a cookie; Indonesian otherwise."""
from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlencode

from flask import Flask, current_app, g, has_request_context, request
from flask_babel import get_locale, get_translations

LANG_COOKIE = "lang"
ONE_YEAR = 365 * 24 * 3600


def select_locale() -> str:
    if not has_request_context():  # commands and background sending: Indonesian unless forced
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    languages = current_app.config["LANGUAGES"]
    asked = request.args.get("lang")
    if asked in languages:
        g.lang_chosen = asked
        return asked
    remembered = request.cookies.get(LANG_COOKIE)
    if remembered in languages:
        return remembered
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def remember_choice(response):
    chosen = g.get("lang_chosen")
    if chosen and request.cookies.get(LANG_COOKIE) != chosen:
        response.set_cookie(
            LANG_COOKIE, chosen, max_age=ONE_YEAR, samesite="Lax", httponly=True,
            secure=current_app.config["SESSION_COOKIE_SECURE"],
        )
    return response


def switch_url(lang: str) -> str:
    """The current page in another language."""
    args = request.args.to_dict(flat=False)
    args["lang"] = [lang]
    return request.path + "?" + urlencode(args, doseq=True)


def current_locale() -> str:
    return str(get_locale())


# Templates translate a fixed text ("Kategori", "Urutkan") dozens of times a page; Flask-Babel finds the
# catalogue again for each call (≈ 8 µs). The locale is part of the key and the text is translated under that
# same (current) locale, so force_locale (e-mails in the recipient's language) gets its own entries.
@lru_cache(maxsize=8192)
def _gettext(locale: str, message: str) -> str:
    return get_translations().ugettext(message)


@lru_cache(maxsize=8192)
def _ngettext(locale: str, singular: str, plural: str, n: int) -> str:
    return get_translations().ungettext(singular, plural, n)


def _install_template_gettext(app: Flask) -> None:
    app.jinja_env.install_gettext_callables(
        gettext=lambda message: _gettext(str(get_locale()), message),
        ngettext=lambda singular, plural, n: _ngettext(str(get_locale()), singular, plural, n),
        newstyle=True,
        pgettext=lambda context, message: get_translations().upgettext(context, message),
        npgettext=lambda context, singular, plural, n: get_translations().unpgettext(context, singular, plural, n),
    )


def init_app(app: Flask) -> None:
    _install_template_gettext(app)
    app.after_request(remember_choice)
    app.jinja_env.globals.update(lang_switch_url=switch_url, current_locale=current_locale)
