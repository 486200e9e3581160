"""What a retention run needs around `RetentionRunner`: reports first, compaction only if safe."""

from __future__ import annotations

import logging
from typing import Any
from zoneinfo import ZoneInfo

from standardiste.governance.common import DAY_S, WallClock
from standardiste.governance.compaction import local_midnight
from standardiste.governance.event_store import SqlStateEventStore
from standardiste.governance.register import Retention

log = logging.getLogger(__name__)


def find_aggregator(runtime: Any) -> Any:
    """Return the report aggregator wired in the runtime, or None."""
    aggregator = getattr(runtime, "reports", None)
    if aggregator is not None:
        return aggregator
    for component in getattr(runtime, "extensions", []):
        if hasattr(component, "catch_up") and hasattr(component, "on_event"):
            return component
    return None


async def reports_catch_up(runtime: Any) -> int:
    """Fold every committed event into the report aggregates before anything is compacted."""
    aggregator = find_aggregator(runtime)
    if aggregator is not None:
        return int(await aggregator.catch_up())
    # No aggregator follows the log in this process: fold with a short-lived one (the cursor
    # is transactional, so this is the same work the server's aggregator would do).
    from standardiste.reports.aggregator import ReportAggregator

    temporary = ReportAggregator(runtime.engine, runtime.config)
    try:
        return await temporary.catch_up()
    finally:
        await temporary.wait_closed()


async def compactable(
    states: SqlStateEventStore, retention: Retention, clock: WallClock, tz: ZoneInfo
) -> bool:
    """Tell whether every raw event compaction would delete is already in the reports."""
    watermark = local_midnight(clock.wall() - retention.state_events_days * DAY_S, tz)
    behind = await states.oldest_unfolded_before(watermark)
    if behind is not None:
        log.warning("compaction postponed: report aggregates have not folded seq %d", behind)
        return False
    return True
