"""Signed, expiring, single-use links (confirm e-mail, reset password, invitation).

Single use: each token carries a fingerprint of the state it changes (the password hash,
or the e-mail being confirmed); once used, that state is different and the token fails.
"""
from __future__ import annotations

import hashlib

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from marketplace.extensions import db
from marketplace.models import User

MAX_AGE = {
    "confirm": 3 * 24 * 3600,
    "reset": 2 * 3600,
    "invite": 7 * 24 * 3600,
}


class TokenInvalid(ValueError):
    """Expired, tampered with, or already used."""


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"etalase-{purpose}")


def _fingerprint(user: User, purpose: str) -> str:
    state = user.email if purpose == "confirm" else (user.password_hash or "no-password")
    state += f"|{user.email_confirmed_at is not None}" if purpose == "confirm" else ""
    return hashlib.sha256(state.encode()).hexdigest()[:16]


def make(user: User, purpose: str) -> str:
    return _serializer(purpose).dumps({"u": user.id, "f": _fingerprint(user, purpose)})


def load(token: str, purpose: str) -> User:
    try:
        payload = _serializer(purpose).loads(token, max_age=MAX_AGE[purpose])
    except (SignatureExpired, BadSignature):
        raise TokenInvalid(purpose) from None
    if not isinstance(payload, dict):
        raise TokenInvalid(purpose)
    user = db.session.get(User, payload.get("u")) if isinstance(payload.get("u"), int) else None
    if user is None or not user.active or payload.get("f") != _fingerprint(user, purpose):
        raise TokenInvalid(purpose)
    return user
