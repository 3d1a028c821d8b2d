"""The date and time in Metro and Jakarta (WIB): whether a certificate is still valid, whether an inquiry is late."""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WIB = ZoneInfo("Asia/Jakarta")


def now() -> datetime:
    return datetime.now(WIB)


def today() -> date:
    return now().date()


def day_start(day: date) -> datetime:
    """00:00 in Metro on `day`, as a UTC moment: what to compare stored times with (the database keeps UTC, and
    SQLite compares the written-out time, so a WIB moment there would shift every day by seven hours)."""
    return datetime.combine(day, time.min, tzinfo=WIB).astimezone(UTC)


def in_wib(moment: datetime) -> datetime:
    """A stored moment in Metro's time; SQLite hands back naive datetimes, which are UTC."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(WIB)


def one_working_day_after(moment: datetime) -> datetime:
    """The same time on the next working day (Monday to Friday, in WIB). Something that arrives on a
    Saturday or Sunday is counted from Monday 00:00, so it falls due on Tuesday 00:00. Public holidays
    are not known here and count as working days."""
    start = in_wib(moment)
    if start.weekday() >= 5:
        start = datetime.combine(start.date() + timedelta(days=7 - start.weekday()), time.min, tzinfo=WIB)
    due = start + timedelta(days=1)
    while due.weekday() >= 5:
        due += timedelta(days=1)
    return due
