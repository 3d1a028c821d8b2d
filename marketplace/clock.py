"""The date in Metro and Jakarta (WIB), which decides whether a certificate is still valid."""
from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

WIB = ZoneInfo("Asia/Jakarta")


def today() -> date:
    return datetime.now(WIB).date()


def in_wib(moment: datetime) -> datetime:
    """A stored moment in Metro's time; SQLite hands back naive datetimes, which are UTC."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(WIB)
