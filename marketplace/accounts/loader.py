"""Flask-Login's user loader: a session is valid only while its session version matches."""
from __future__ import annotations

from marketplace.extensions import db
from marketplace.models import User


def load_user(session_id: str) -> User | None:
    try:
        user_id, version = (int(part) for part in session_id.split(":", 1))
    except ValueError:
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.active or user.session_version != version:
        return None
    return user
