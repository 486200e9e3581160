"""Time buckets: 15-minute intervals in epoch seconds and local calendar days, weeks, months."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

INTERVAL_S = 900
GRAINS = ("15m", "hour", "day", "week", "month")


def interval_start(ts: float) -> int:
    """Return the start of the 15-minute interval holding `ts`."""
    return int(ts // INTERVAL_S) * INTERVAL_S


class Calendar:
    """Map instants to local days (DST-aware) with a one-day cache: events arrive in order."""

    def __init__(self, timezone: str) -> None:
        self.tz = ZoneInfo(timezone)
        self._lo = 0.0
        self._hi = -1.0
        self._day = 0
        self._keys: dict[tuple[str, int], int] = {}

    def midnight(self, day: date) -> int:
        """Return the epoch of a local date's midnight."""
        return int(datetime.combine(day, time(), self.tz).timestamp())

    def local_date(self, ts: float) -> date:
        """Return the local date of an instant."""
        return datetime.fromtimestamp(ts, self.tz).date()

    def day_start(self, ts: float) -> int:
        """Return the epoch of the local midnight that starts the day of `ts`."""
        if self._lo <= ts < self._hi:
            return self._day
        day = self.local_date(ts)
        self._day = self.midnight(day)
        self._lo = float(self._day)
        self._hi = float(self.midnight(day + timedelta(days=1)))
        return self._day

    def next_day_start(self, ts: float) -> int:
        """Return the epoch of the local midnight after `ts`."""
        self.day_start(ts)
        return int(self._hi)

    def period_key(self, grain: str, bucket: int) -> int:
        """Return the start of the hour, day, week or month bucket holding a stored bucket."""
        if grain == "15m":
            return bucket
        if grain == "hour":
            # Whole-hour UTC offsets (every European zone): local hours are epoch hours.
            return bucket // 3600 * 3600
        cached = self._keys.get((grain, bucket))
        if cached is None:
            cached = self._keys[(grain, bucket)] = self._period_key(grain, bucket)
        return cached

    def _period_key(self, grain: str, bucket: int) -> int:
        day = self.local_date(bucket)
        if grain == "day":
            return self.midnight(day)
        if grain == "week":
            return self.midnight(day - timedelta(days=day.weekday()))
        if grain == "month":
            return self.midnight(day.replace(day=1))
        raise ValueError(f"unknown grain {grain!r}")

    def segments(self, grain: str, first: date, last: date) -> list[tuple[int, int, int]]:
        """Return (key, start, end) of each week or month overlapping local days first..last."""
        out = []
        day = first
        while day <= last:
            if grain == "week":
                key_day = day - timedelta(days=day.weekday())
                nxt = key_day + timedelta(days=7)
            else:
                key_day = day.replace(day=1)
                nxt = (key_day + timedelta(days=32)).replace(day=1)
            stop = min(nxt, last + timedelta(days=1))
            out.append((self.midnight(key_day), self.midnight(day), self.midnight(stop)))
            day = stop
        return out

    def label(self, grain: str, key: int) -> str:
        """Return a readable label of a period start (ISO local time or date)."""
        moment = datetime.fromtimestamp(key, self.tz)
        if grain in ("15m", "hour"):
            return moment.isoformat(timespec="minutes")
        if grain == "week":
            year, week, _ = moment.date().isocalendar()
            return f"{year}-W{week:02d}"
        if grain == "month":
            return moment.strftime("%Y-%m")
        return moment.date().isoformat()


def storage_grain(grain: str) -> str:
    """Return which stored grain a requested grain is summed from."""
    if grain not in GRAINS:
        raise ValueError(f"unknown grain {grain!r}")
    return "15m" if grain in ("15m", "hour") else "day"
