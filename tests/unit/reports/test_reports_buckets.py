"""Local calendar: days across DST changes, weeks from Monday, months."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from standardiste.reports.buckets import Calendar, interval_start, storage_grain

TZ = ZoneInfo("Europe/Paris")


def test_days_of_23_and_25_hours() -> None:
    cal = Calendar("Europe/Paris")
    spring = cal.midnight(date(2026, 3, 29))
    assert cal.next_day_start(spring + 10) - spring == 23 * 3600
    autumn = cal.midnight(date(2026, 10, 25))
    assert cal.next_day_start(autumn + 10) - autumn == 25 * 3600
    assert cal.day_start(autumn + 24.5 * 3600) == autumn


def test_periods_roll_up_to_week_and_month() -> None:
    cal = Calendar("Europe/Paris")
    ts = int(datetime(2026, 11, 26, 14, 37, tzinfo=TZ).timestamp())  # a Thursday
    assert cal.period_key("week", interval_start(ts)) == cal.midnight(date(2026, 11, 23))
    assert cal.period_key("month", ts) == cal.midnight(date(2026, 11, 1))
    assert cal.label("week", cal.midnight(date(2026, 11, 23))) == "2026-W48"
    assert cal.period_key("hour", interval_start(ts)) % 3600 == 0
    assert storage_grain("hour") == "15m" and storage_grain("month") == "day"
