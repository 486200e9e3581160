"""Fold events into additive interval deltas (pure: no I/O; the store commits the deltas).

Conventions are those of `standardiste.domain.kpis`: each queue visit and everything about it
(outcome, wait, handle time) goes to the interval of its queue entry; agent time goes to the
intervals in which it was spent. The per-interaction `Track` is the only state carried from one
batch to the next; it is persisted with the deltas so a restart resumes exactly.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from standardiste.domain import events as ev
from standardiste.domain.events import Event
from standardiste.domain.kpis import answered_within, is_short_abandon
from standardiste.reports.buckets import INTERVAL_S, Calendar, interval_start
from standardiste.reports.schema import QUEUE_COUNTERS, TEAM_COUNTERS

QI = {name: i for i, name in enumerate(QUEUE_COUNTERS)}
TI = {name: i for i, name in enumerate(TEAM_COUNTERS)}
GRAINS = ("15m", "day")


@dataclass(frozen=True, slots=True)
class QueueInfo:
    """What the fold needs to know about a queue."""

    channel: str
    sl_seconds: float


@dataclass(frozen=True, slots=True)
class FoldSettings:
    """Thresholds and organisation the fold applies (frozen at aggregation time)."""

    queues: Mapping[str, QueueInfo]
    agent_team: Mapping[str, str]
    short_abandon_s: float = 5.0
    timezone: str = "Europe/Paris"
    # Agent time before this instant is not added (it survives in rows kept across a rebuild).
    state_horizon: float | None = None


@dataclass(slots=True)
class Track:
    """Where one interaction stands: its open queue visit and its running handling."""

    channel: str = ""
    phase: str = ""  # "" (between visits), "queued" or "handling"
    queue_id: str = ""
    start: float = 0.0
    b15: int = 0
    bday: int = 0
    team: str = ""
    talk_since: float | None = None
    hold_since: float | None = None
    acw_since: float | None = None
    talk_s: float = 0.0
    hold_s: float = 0.0
    acw_s: float = 0.0

    def to_json(self) -> str:
        """Serialise the track for the store (a list in field order: compact and fast)."""
        return json.dumps([getattr(self, name) for name in TRACK_FIELDS], separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Track:
        """Read a track back from the store."""
        return cls(*json.loads(text))

    def stop_clocks(self, ts: float) -> None:
        """Close running talk, hold and after-call work segments at `ts`."""
        if self.talk_since is not None:
            self.talk_s += max(0.0, ts - self.talk_since)
            self.talk_since = None
        if self.hold_since is not None:
            self.hold_s += max(0.0, ts - self.hold_since)
            self.hold_since = None
        if self.acw_since is not None:
            self.acw_s += max(0.0, ts - self.acw_since)
            self.acw_since = None


TRACK_FIELDS = tuple(f.name for f in fields(Track))


@dataclass(slots=True)
class Deltas:
    """Counter increments keyed like the aggregate tables' primary keys."""

    queue: dict[tuple[str, int, str], list[float]] = field(default_factory=dict)
    channel: dict[str, str] = field(default_factory=dict)
    team: dict[tuple[str, int, str], list[float]] = field(default_factory=dict)
    state: dict[tuple[str, int, str, str, str], float] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.queue or self.team or self.state)


class Folder:
    """Apply events one by one; `take()` hands over the deltas and the changed tracks."""

    def __init__(self, settings: FoldSettings, tracks: dict[str, Track] | None = None) -> None:
        self.settings = settings
        self.calendar = Calendar(settings.timezone)
        self.tracks: dict[str, Track] = tracks if tracks is not None else {}
        self.deltas = Deltas()
        self.dirty: set[str] = set()
        self._handlers = {
            ev.AGENT_STATE: self._state,
            ev.INTERACTION_CREATED: self._created,
            ev.INTERACTION_QUEUED: self._queued,
            ev.INTERACTION_CONNECTED: self._connected,
            ev.INTERACTION_HELD: self._held,
            ev.INTERACTION_RESUMED: self._resumed,
            ev.INTERACTION_ENDED: self._ended,
            ev.INTERACTION_COMPLETED: self._completed,
            ev.INTERACTION_ABANDONED: self._abandoned,
            ev.INTERACTION_OVERFLOWED: self._overflowed,
            ev.INTERACTION_TRANSFERRED: self._transferred,
        }

    def apply(self, event: Event) -> None:
        """Fold one event (other kinds are ignored)."""
        self.apply_raw(event.kind, event.ts, event.data)

    def apply_raw(self, kind: str, ts: float, data: dict[str, Any]) -> None:
        """Fold one event given as its parts (the rebuild path skips building Event objects)."""
        handler = self._handlers.get(kind)
        if handler is not None:
            handler(ts, data)

    def take(self) -> tuple[Deltas, dict[str, Track | None]]:
        """Return the deltas and the tracks changed since the last call (None = deleted)."""
        deltas, self.deltas = self.deltas, Deltas()
        changed = {i: self.tracks.get(i) for i in self.dirty}
        self.dirty = set()
        return deltas, changed

    # -- increments -------------------------------------------------------------------------

    def _q(self, t: Track, name: str, value: float = 1.0) -> None:
        idx = QI[name]
        for key in (("15m", t.b15, t.queue_id), ("day", t.bday, t.queue_id)):
            row = self.deltas.queue.get(key)
            if row is None:
                row = self.deltas.queue[key] = [0.0] * len(QI)
            row[idx] += value
        if t.queue_id not in self.deltas.channel:
            # A queue gone from the configuration gets no channel: taking the contact's would
            # make the stored label depend on which contact a batch happened to start with.
            info = self.settings.queues.get(t.queue_id)
            self.deltas.channel[t.queue_id] = info.channel if info else ""

    def _t(self, t: Track, name: str, value: float = 1.0) -> None:
        if not t.team:
            return
        idx = TI[name]
        for key in (("15m", t.b15, t.team), ("day", t.bday, t.team)):
            row = self.deltas.team.get(key)
            if row is None:
                row = self.deltas.team[key] = [0.0] * len(TI)
            row[idx] += value

    def _s(self, key: tuple[str, int, str, str, str], seconds: float) -> None:
        self.deltas.state[key] = self.deltas.state.get(key, 0.0) + seconds

    # -- agent time -------------------------------------------------------------------------

    def _state(self, ts: float, d: dict[str, Any]) -> None:
        prev = d.get("prev_state")
        duration = d.get("prev_duration_s")
        team = d.get("team_id") or self.settings.agent_team.get(d.get("agent_id") or "", "")
        if not prev or prev == "logged_out" or not duration or not team:
            return
        reason = d.get("prev_reason") or ""
        start = ts - float(duration)
        horizon = self.settings.state_horizon
        if horizon is not None:
            start = max(start, horizon)
        cursor = start
        while cursor < ts:
            b15 = interval_start(cursor)
            stop = min(ts, b15 + INTERVAL_S)
            self._s(("15m", b15, team, prev, reason), stop - cursor)
            cursor = stop
        cursor = start
        while cursor < ts:
            day = self.calendar.day_start(cursor)
            stop = min(ts, float(self.calendar.next_day_start(cursor)))
            self._s(("day", day, team, prev, reason), stop - cursor)
            cursor = stop

    # -- interactions -----------------------------------------------------------------------

    def _track(self, d: dict[str, Any]) -> Track:
        iid = d["interaction_id"]
        t = self.tracks.get(iid)
        if t is None:
            t = self.tracks[iid] = Track()
        self.dirty.add(iid)
        return t

    def _drop(self, d: dict[str, Any]) -> None:
        iid = d["interaction_id"]
        self.tracks.pop(iid, None)
        self.dirty.add(iid)

    def _created(self, ts: float, d: dict[str, Any]) -> None:
        self._track(d).channel = d.get("channel") or ""

    def _queued(self, ts: float, d: dict[str, Any]) -> None:
        t = self._track(d)
        queue_id = d["queue_id"]
        cause = d.get("cause") or "new"
        if t.phase == "queued" and t.queue_id == queue_id and cause not in ("new", "transfer"):
            return  # re-queued after a missed offer, or a skill relaxation: the same visit
        if t.phase == "queued":
            self._q(t, "overflow_out" if cause == "overflow" else "transfer_out")
        elif t.phase == "handling":
            self._end_handling(t, ts, transferred=True)
        info = self.settings.queues.get(queue_id)
        if not t.channel and info is not None:
            t.channel = info.channel
        t.phase, t.queue_id, t.start = "queued", queue_id, ts
        t.b15, t.bday = interval_start(ts), self.calendar.day_start(ts)
        self._q(t, "offered")
        if cause == "overflow":
            self._q(t, "overflow_in")
        elif cause == "transfer":
            self._q(t, "transfer_in")

    def _connected(self, ts: float, d: dict[str, Any]) -> None:
        t = self._track(d)
        if t.phase != "queued":
            return
        wait = max(0.0, ts - t.start)
        info = self.settings.queues.get(t.queue_id)
        t.phase = "handling"
        t.team = self.settings.agent_team.get(d.get("agent_id") or "", "")
        t.talk_since, t.hold_since, t.acw_since = ts, None, None
        t.talk_s = t.hold_s = t.acw_s = 0.0
        self._q(t, "answered")
        self._q(t, "wait_answered_s", wait)
        if info is not None and answered_within(wait, info.sl_seconds):
            self._q(t, "answered_in_sl")
        self._t(t, "answered")

    def _held(self, ts: float, d: dict[str, Any]) -> None:
        t = self._track(d)
        if t.phase == "handling":
            t.stop_clocks(ts)
            t.hold_since = ts

    def _resumed(self, ts: float, d: dict[str, Any]) -> None:
        t = self._track(d)
        if t.phase == "handling":
            t.stop_clocks(ts)
            t.talk_since = ts

    def _ended(self, ts: float, d: dict[str, Any]) -> None:
        t = self._track(d)
        if t.phase == "handling":
            t.stop_clocks(ts)
            if (d.get("acw") or "none") != "none":
                t.acw_since = ts

    def _completed(self, ts: float, d: dict[str, Any]) -> None:
        t = self._track(d)
        if t.phase == "handling":
            self._end_handling(t, ts, transferred=False)
        self._drop(d)

    def _abandoned(self, ts: float, d: dict[str, Any]) -> None:
        t = self._track(d)
        if t.phase == "queued":
            wait = max(0.0, ts - t.start)
            short = is_short_abandon(wait, self.settings.short_abandon_s)
            self._q(t, "short_abandoned" if short else "abandoned")
            self._q(t, "wait_abandoned_s", wait)
            info = self.settings.queues.get(t.queue_id)
            if info is not None and wait <= info.sl_seconds:
                self._q(t, "abandoned_in_sl")
        self._drop(d)

    def _overflowed(self, ts: float, d: dict[str, Any]) -> None:
        t = self._track(d)
        if t.phase != "queued":
            return
        if d.get("to_queue") and d.get("to_queue") != d.get("from_queue"):
            self._q(t, "overflow_out")
            t.phase = ""
        else:
            self._q(t, "overflow_relaxed")

    def _transferred(self, ts: float, d: dict[str, Any]) -> None:
        t = self._track(d)
        if t.phase == "queued":
            self._q(t, "transfer_out")
            t.phase = ""
        elif t.phase == "handling":
            self._end_handling(t, ts, transferred=True)

    def _end_handling(self, t: Track, ts: float, *, transferred: bool) -> None:
        t.stop_clocks(ts)
        for name, value in (("talk_s", t.talk_s), ("hold_s", t.hold_s), ("acw_s", t.acw_s)):
            self._q(t, name, value)
            self._t(t, name, value)
        self._q(t, "handled")
        self._t(t, "handled")
        if transferred:
            self._q(t, "transfers")
            self._t(t, "transfers")
        t.phase = ""
