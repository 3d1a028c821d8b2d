"""CSV downloads name their character set once: `text/csv; charset=utf-8`, not `charset=utf-8; charset=utf-8`."""
from __future__ import annotations

import pytest


@pytest.mark.parametrize("who, url", [
    ("admin", "/admin/audit/export.csv"),
    ("facilitator", "/facilitator/inquiries.csv"),
    ("facilitator", "/facilitator/deals.csv"),
])
def test_csv_downloads_say_utf_8_once(client, login_as, who, url):
    login_as(who)
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
