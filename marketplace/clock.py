"""The date in Metro and Jakarta (WIB), which decides whether a certificate is still valid."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

WIB = ZoneInfo("Asia/Jakarta")


def today() -> date:
    return datetime.now(WIB).date()
