"""Read the aggregates: roll intervals up to periods and groups, compute KPIs (blocking calls)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Engine, and_, func, select

from standardiste.config import Config
from standardiste.domain.kpis import (
    AgentCounters,
    QueueCounters,
    agent_kpis,
    queue_kpis,
)
from standardiste.reports.buckets import Calendar, storage_grain
from standardiste.reports.errors import BadReportRequest
from standardiste.reports.privacy import Node, Tree, suppressed_cells
from standardiste.reports.schema import QUEUE_COUNTERS, rpt_queue, rpt_state, rpt_team
from standardiste.reports.settings import OrgTree, k_anonymity, sl_variant

QUEUE_LEVELS = ("queue", "site", "region", "national")
AGENT_LEVELS = ("team", "site", "region", "national")


@dataclass(frozen=True, slots=True)
class Period:
    """A half-open span of time [start, end) in epoch seconds, on local-day boundaries."""

    start: int
    end: int
    first_day: date
    last_day: date


class ReportReader:
    """Answer report queries from the aggregate tables."""

    def __init__(self, engine: Engine, config: Config) -> None:
        self.engine = engine
        self.config = config
        self.calendar = Calendar(config.centre.timezone)
        self.org = OrgTree.from_config(config)
        self.variant = sl_variant(config)
        self.k = k_anonymity(config)
        self._tree_nodes = self._tree()
        self._hidden = suppressed_cells(self._tree_nodes, self.k)

    # -- periods ----------------------------------------------------------------------------

    def period(self, first: date, last: date) -> Period:
        """Return the period covering local days first..last inclusive."""
        if last < first:
            raise BadReportRequest("report.bad_period", "the period ends before it starts")
        if (last - first).days > 400:
            raise BadReportRequest("report.period_too_long", "at most 400 days per report")
        end = self.calendar.midnight(last + timedelta(days=1))
        return Period(self.calendar.midnight(first), end, first, last)

    def today(self, now: float) -> Period:
        """Return the period of the local day holding `now` (the wallboard's "since midnight")."""
        day = self.calendar.local_date(now)
        return self.period(day, day)

    # -- queues -----------------------------------------------------------------------------

    def queue_counters(
        self, grain: str, period: Period, queue_ids: Iterable[str] | None = None
    ) -> dict[tuple[int, str], QueueCounters]:
        """Return counters per (period start, queue) for a grain."""
        t = rpt_queue
        cond = [
            t.c.grain == storage_grain(grain),
            t.c.bucket >= period.start,
            t.c.bucket < period.end,
        ]
        if queue_ids is not None:
            cond.append(t.c.queue_id.in_(list(queue_ids)))
        out: dict[tuple[int, str], QueueCounters] = {}
        if grain in ("week", "month"):
            # Sum the day rows in the database, one query per week or month: a national month
            # is then a handful of rows for Python, whatever the number of days and queues.
            sums = [func.sum(t.c[n]) for n in QUEUE_COUNTERS]
            with self.engine.connect() as conn:
                for seg_key, start, end in self.calendar.segments(grain, period.first_day,
                                                                  period.last_day):  # fmt: skip
                    seg = [*cond[:1], t.c.bucket >= start, t.c.bucket < end, *cond[3:]]
                    query = select(t.c.queue_id, *sums).where(and_(*seg)).group_by(t.c.queue_id)
                    for row in conn.execute(query):
                        out[(seg_key, row[0])] = QueueCounters(*(v or 0.0 for v in row[1:]))
            return out
        cols = [t.c.bucket, t.c.queue_id, *(t.c[n] for n in QUEUE_COUNTERS)]
        with self.engine.connect() as conn:
            for row in conn.execute(select(*cols).where(and_(*cond))):
                key = (self.calendar.period_key(grain, row[0]), row[1])
                counters = QueueCounters(*row[2:])
                if key in out:
                    out[key].add(counters)
                else:
                    out[key] = counters
        return out

    def queue_report(
        self,
        level: str,
        grain: str,
        period: Period,
        queue_ids: Iterable[str] | None = None,
    ) -> list[dict[str, Any]]:
        """Return one row per period, group and channel ("all" sums the channels)."""
        if level not in QUEUE_LEVELS:
            raise BadReportRequest("report.bad_level", f"unknown level {level!r}")
        rows: dict[tuple[int, str, str], QueueCounters] = {}
        for (key, queue_id), counters in self.queue_counters(grain, period, queue_ids).items():
            group = self.org.group_of_queue(queue_id, level)
            if group is None:
                continue
            channel = self.org.queue_channel.get(queue_id, "")
            channels = (channel,) if level == "queue" else (channel, "all")
            for ch in channels:
                rows.setdefault((key, group, ch), QueueCounters()).add(counters)
        return [
            {
                "period": self.calendar.label(grain, key),
                "period_start": key,
                "level": level,
                "group": group,
                "channel": ch,
                **queue_kpis(rows[(key, group, ch)], self.variant),
            }
            for key, group, ch in sorted(rows)
        ]

    # -- agent groups -----------------------------------------------------------------------

    def _tree(self) -> Tree:
        parent: dict[Node, Node | None] = {("national", "national"): None}
        for team in self.org.team_size:
            site = self.org.team_site.get(team, "")
            region = self.org.site_region.get(site, "")
            parent[("team", team)] = ("site", site)
            parent[("site", site)] = ("region", region)
            parent[("region", region)] = ("national", "national")
        return Tree(parent, self.org.team_size)

    def hidden(self, level: str, group: str) -> bool:
        """Tell whether the figures of an agent group are suppressed (R-STATS-1)."""
        node = (level, group)
        # A group missing from the configured tree has no known size: never publish it.
        return node in self._hidden or node not in self._tree_nodes.parent

    def team_counters(self, grain: str, period: Period) -> dict[tuple[int, str], AgentCounters]:
        """Return agent-group counters per (period start, team)."""
        out: dict[tuple[int, str], AgentCounters] = {}
        sgrain = storage_grain(grain)
        s, t = rpt_state, rpt_team
        if grain in ("week", "month"):
            return self._team_sums(grain, period)
        with self.engine.connect() as conn:
            for bucket, team, state, reason, seconds in conn.execute(
                select(s.c.bucket, s.c.team_id, s.c.state, s.c.reason, s.c.seconds).where(
                    s.c.grain == sgrain, s.c.bucket >= period.start, s.c.bucket < period.end
                )
            ):
                key = (self.calendar.period_key(grain, bucket), team)
                out.setdefault(key, AgentCounters()).add_state(state, reason, seconds)
            for bucket, team, handled, talk, hold, acw, transfers in conn.execute(
                select(
                    t.c.bucket,
                    t.c.team_id,
                    t.c.handled,
                    t.c.talk_s,
                    t.c.hold_s,
                    t.c.acw_s,
                    t.c.transfers,
                ).where(t.c.grain == sgrain, t.c.bucket >= period.start, t.c.bucket < period.end)
            ):
                c = out.setdefault((self.calendar.period_key(grain, bucket), team), AgentCounters())
                c.handled += handled
                c.talk_s += talk
                c.hold_s += hold
                c.acw_s += acw
                c.transfers += transfers
        return out

    def _team_sums(self, grain: str, period: Period) -> dict[tuple[int, str], AgentCounters]:
        """Sum day rows per week or month in the database (the national-month hot path)."""
        out: dict[tuple[int, str], AgentCounters] = {}
        s, t = rpt_state, rpt_team
        with self.engine.connect() as conn:
            for key, start, end in self.calendar.segments(grain, period.first_day, period.last_day):
                state_rows = conn.execute(
                    select(s.c.team_id, s.c.state, s.c.reason, func.sum(s.c.seconds))
                    .where(s.c.grain == "day", s.c.bucket >= start, s.c.bucket < end)
                    .group_by(s.c.team_id, s.c.state, s.c.reason)
                )
                for team, state, reason, seconds in state_rows:
                    out.setdefault((key, team), AgentCounters()).add_state(state, reason, seconds)
                team_rows = conn.execute(
                    select(
                        t.c.team_id, func.sum(t.c.handled), func.sum(t.c.talk_s),
                        func.sum(t.c.hold_s), func.sum(t.c.acw_s), func.sum(t.c.transfers),
                    )
                    .where(t.c.grain == "day", t.c.bucket >= start, t.c.bucket < end)
                    .group_by(t.c.team_id)
                )  # fmt: skip
                for team, handled, talk, hold, acw, transfers in team_rows:
                    c = out.setdefault((key, team), AgentCounters())
                    c.handled, c.talk_s, c.hold_s = handled or 0.0, talk or 0.0, hold or 0.0
                    c.acw_s, c.transfers = acw or 0.0, transfers or 0.0
        return out

    def agent_report(
        self,
        level: str,
        grain: str,
        period: Period,
        visible: Callable[[str, str], bool] = lambda level, group: True,
    ) -> list[dict[str, Any]]:
        """Return one row per period and agent group; hidden groups carry no figures."""
        if level not in AGENT_LEVELS:
            raise BadReportRequest("report.bad_level", f"unknown level {level!r}")
        groups: dict[tuple[int, str], AgentCounters] = {}
        for (key, team), counters in self.team_counters(grain, period).items():
            group = self.org.group_of_team(team, level)
            groups.setdefault((key, group), AgentCounters()).add(counters)
        rows = []
        for key, group in sorted(groups):
            if not visible(level, group):
                continue
            row: dict[str, Any] = {
                "period": self.calendar.label(grain, key),
                "period_start": key,
                "level": level,
                "group": group,
            }
            if self.hidden(level, group):
                row["suppressed"] = True
            else:
                row["suppressed"] = False
                row.update(agent_kpis(groups[(key, group)]))
            rows.append(row)
        return rows
