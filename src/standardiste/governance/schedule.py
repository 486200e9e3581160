"""Run the retention rules once a day at a fixed local time, inside the server."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from zoneinfo import ZoneInfo

from standardiste.governance.common import WallClock
from standardiste.governance.retention import RetentionReport

log = logging.getLogger(__name__)

RUN_AT = dt.time(3, 15)  # local time: after midnight compaction boundaries, before opening
_MAX_SLEEP_S = 60.0  # re-read the wall clock often: it may jump (NTP, DST, fake clocks)


def next_run(now: float, tz: ZoneInfo, at: dt.time = RUN_AT) -> float:
    """Return the epoch of the next `at` local time strictly after `now`."""
    local = dt.datetime.fromtimestamp(now, tz)
    candidate = dt.datetime.combine(local.date(), at, tz)
    if candidate.timestamp() <= now:
        candidate = dt.datetime.combine(local.date() + dt.timedelta(days=1), at, tz)
    return candidate.timestamp()


class RetentionSchedule:
    """A daily task; `start`/`close`/`wait_closed` like every listener of the node."""

    def __init__(
        self,
        run: Callable[[], Awaitable[RetentionReport]],
        clock: WallClock,
        tz: ZoneInfo,
        *,
        at: dt.time = RUN_AT,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._run, self._clock, self._tz, self._at, self._sleep = run, clock, tz, at, sleep
        self._task: asyncio.Task[None] | None = None
        self.next_at: float | None = None
        self.last_report: RetentionReport | None = None
        self.last_run_at: float | None = None
        self.last_error: str | None = None

    async def start(self) -> None:
        """Start waiting for the next run."""
        self.next_at = next_run(self._clock.wall(), self._tz, self._at)
        self._task = asyncio.create_task(self._loop(), name="retention-schedule")

    async def close(self) -> None:
        """Stop the schedule (a run in progress is cancelled between statements)."""
        if self._task is not None:
            self._task.cancel()

    async def wait_closed(self) -> None:
        """Wait until the task has ended."""
        if self._task is not None:
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    async def run_now(self) -> RetentionReport:
        """Run the retention rules now and remember the outcome."""
        self.last_run_at = self._clock.wall()
        try:
            report = await self._run()
        except Exception as err:
            self.last_error = f"{type(err).__name__}: {err}"
            raise
        self.last_report, self.last_error = report, None
        return report

    async def _loop(self) -> None:
        while True:
            assert self.next_at is not None
            remaining = self.next_at - self._clock.wall()
            if remaining > 0:
                await self._sleep(min(remaining, _MAX_SLEEP_S))
                continue
            try:
                report = await self.run_now()
                log.info(
                    "retention: purged %d recordings, deleted %d state events",
                    len(report.purged),
                    report.state_events_deleted,
                )
            except Exception:
                log.exception("scheduled retention run failed")
            self.next_at = next_run(self._clock.wall(), self._tz, self._at)
