"""Behind a reverse proxy (PROXY_COUNT) the client's address comes from X-Forwarded-For; without it the header is ignored."""
from __future__ import annotations

import logging

import pytest

from marketplace import create_app
from tests.conftest import csrf_from


def _failed_sign_in_logged_from(app, caplog) -> str:
    client = app.test_client()
    token = csrf_from(client.get("/auth/login"))
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        client.post("/auth/login", data={"email": "x@contoh.id", "password": "salah-salah", "csrf_token": token},
                    headers={"X-Forwarded-For": "203.0.113.7"})
    message = next(r.getMessage() for r in caplog.records if "failed login" in r.getMessage())
    return message.rsplit(" from ", 1)[1]


@pytest.mark.parametrize("count, address", [(1, "203.0.113.7"), (0, "127.0.0.1")])
def test_the_client_address_is_taken_from_the_proxy_only_when_one_is_declared(app, database_url, caplog,
                                                                             count, address):
    behind = create_app("testing", SQLALCHEMY_DATABASE_URI=database_url, UPLOAD_DIR=app.config["UPLOAD_DIR"],
                        PROXY_COUNT=count)
    assert _failed_sign_in_logged_from(behind, caplog) == address
