"""The contact-centre aggregate: commands decide, events record, `apply` is the only mutation."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, NamedTuple

from standardiste.domain import events as ev
from standardiste.domain.agents import (
    MISSED_REASON,
    AgentRuntime,
    Presence,
    State,
    check_login,
    check_logout,
    check_presence_change,
)
from standardiste.domain.clock import Clock
from standardiste.domain.errors import Conflict, IllegalTransition, InvalidRequest, NotFound
from standardiste.domain.events import Event
from standardiste.domain.interactions import FINAL, Interaction, SegmentKind, Status
from standardiste.domain.model import AcwMode, CentreDef, Channel, QueueDef
from standardiste.domain.routing import Router, TaskRef


class Timer(NamedTuple):
    """A deadline the runtime must call back: `Centre.fire(timer)` at monotonic `due`."""

    due: float
    action: str  # "offer_timeout" | "acw_timeout" | "overflow"
    interaction_id: str
    token: int


_tuple_new: Final = tuple.__new__


def _new_timer(due: float, action: str, interaction_id: str, token: int) -> Timer:
    """Build a Timer (compiled, NamedTuple's own __new__ would run as Python: a hot path)."""
    timer: Timer = _tuple_new(Timer, (due, action, interaction_id, token))
    return timer


@dataclass(slots=True)
class Result:
    """What a command produced: events to append and timers to arm."""

    events: list[Event] = field(default_factory=list)
    timers: list[Timer] = field(default_factory=list)

    def __init__(
        self, events: list[Event] | None = None, timers: list[Timer] | None = None
    ) -> None:
        self.events = [] if events is None else events
        self.timers = [] if timers is None else timers


# Value -> member tables: a dictionary read is several times cheaper than `Enum(value)`, and
# accepts a member as well as its string (a StrEnum member hashes and compares as its value).
_CHANNELS: Final = {c.value: c for c in Channel}
_PRESENCES: Final = {p.value: p for p in Presence}
_STATES: Final = {s.value: s for s in State}
_WAITING: Final = (Status.QUEUED, Status.OFFERED, Status.CREATED)
_TAKEN: Final = (Status.CONNECTED, Status.HELD, Status.ACW, Status.COMPLETED)
_TALKING: Final = (Status.CONNECTED, Status.HELD)


def round_ms(x: float) -> float:
    """Return `round(x, 3)`, bit for bit, mostly without its trip through a decimal string."""
    if x == 0.0:
        return x  # as round() does, a zero keeps its sign
    if 0.0 < x < 1e9:
        # The float y is within 2**-12 of the exact x * 1000: unless y is near a tie, the integer
        # nearest y is the one nearest x * 1000, and n / 1000 (both exact) is then rounded
        # correctly by the division, as round() rounds its decimal result.
        y = x * 1000.0
        n = int(y + 0.5)  # y > 0: truncation is the floor
        if abs(y - n) < 0.499:
            return n / 1000.0
    return round(x, 3)


class _Scope:
    """The context of one command: collects its events; nested commands share the outer one."""

    __slots__ = ("centre", "outer", "result")

    def __init__(self, centre: Centre, outer: bool) -> None:
        self.centre = centre
        self.outer = outer
        self.result = Result()

    def __enter__(self) -> Result:
        return self.result

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        if self.outer:
            centre = self.centre
            centre._result = None
            if centre._dirty:
                centre._flush()  # even on error: applied events must reach the router


class Centre:
    """Hold agents, interactions and queues; decide commands into events."""

    def __init__(
        self, definition: CentreDef, clock: Clock, *, retain_finished: bool = True
    ) -> None:
        """Build the projection; `retain_finished=False` forgets completed and abandoned items.

        Forgetting finished interactions bounds memory over a long run (the simulator's day of
        200,000 interactions); ids of forgotten interactions are then not checked for reuse.
        """
        self.definition = definition
        self.clock = clock
        self.agents = {a.id: AgentRuntime(a) for a in definition.agents.values()}
        self.interactions: dict[str, Interaction] = {}
        self.router = Router(definition.queues, definition.agents)
        self.retain_finished = retain_finished
        self.last_seq = 0
        self._queues = definition.queues
        self._result: Result | None = None
        self._events: list[Event] = []
        self._timers: list[Timer] = []
        self._outer = _Scope(self, True)
        self._inner = _Scope(self, False)
        self._ts = 0.0
        self._mono = 0.0
        self._order = 0
        self._head_order = 0
        self._attempts: dict[str, int] = {}
        self._queued_mono: dict[str, float] = {}
        # Finished interactions in the order they finished, for `forget_finished`.
        self._finished: deque[tuple[float, str]] = deque()
        # Agents whose availability changed since the router last heard of them (see _flush).
        self._dirty: dict[str, AgentRuntime] = {}

    # -- lookups --------------------------------------------------------------------------

    def agent(self, agent_id: str) -> AgentRuntime:
        """Return an agent or raise NotFound."""
        try:
            return self.agents[agent_id]
        except KeyError:
            raise NotFound("agent.not_found", f"unknown agent {agent_id!r}") from None

    def interaction(self, interaction_id: str) -> Interaction:
        """Return an interaction or raise NotFound."""
        try:
            return self.interactions[interaction_id]
        except KeyError:
            raise NotFound(
                "interaction.not_found", f"unknown interaction {interaction_id!r}"
            ) from None

    def queue(self, queue_id: str) -> QueueDef:
        """Return a queue definition or raise NotFound."""
        try:
            return self.definition.queues[queue_id]
        except KeyError:
            raise NotFound("queue.not_found", f"unknown queue {queue_id!r}") from None

    def waiting(self, queue_id: str) -> list[Interaction]:
        """Return the interactions waiting in a queue, oldest first."""
        # The router indexes what waits: no scan of every interaction ever held.
        items = [self.interactions[tid] for tid in self.router.waiting_in(queue_id)]
        return sorted(items, key=lambda i: i.order)

    # -- agent commands -------------------------------------------------------------------

    def login(self, agent_id: str, *, ts: float | None = None, mono: float | None = None) -> Result:
        """Log an agent in: they start in not ready ("login")."""
        with self._command(ts, mono) as result:
            agent = self.agent(agent_id)
            check_login(agent)
            self._emit(
                ev.AGENT_PRESENCE,
                {"agent_id": agent_id, "presence": "not_ready", "reason": "login"},
            )
            self._settle_agent(agent_id)
        return result

    def logout(
        self, agent_id: str, *, ts: float | None = None, mono: float | None = None
    ) -> Result:
        """Log an agent out, unless work is open."""
        with self._command(ts, mono) as result:
            agent = self.agent(agent_id)
            check_logout(agent)
            self._close_acw(agent)
            self._emit(
                ev.AGENT_PRESENCE, {"agent_id": agent_id, "presence": "logged_out", "reason": None}
            )
            self._settle_agent(agent_id)
        return result

    def set_presence(
        self,
        agent_id: str,
        presence: str,
        reason: str | None = None,
        *,
        ts: float | None = None,
        mono: float | None = None,
    ) -> Result:
        """Declare ready, not ready (reason) or an activity tab."""
        try:
            target = _PRESENCES[presence]
        except (KeyError, TypeError):
            raise InvalidRequest("agent.unknown_state", f"unknown state {presence!r}") from None
        with self._command(ts, mono) as result:
            agent = self.agent(agent_id)
            d = self.definition
            if check_presence_change(agent, target, reason, d.pause_reasons, d.activities):
                self._close_acw(agent)
                keep = reason if target in (Presence.NOT_READY, Presence.ACTIVITY) else None
                self._emit(
                    ev.AGENT_PRESENCE,
                    {"agent_id": agent_id, "presence": target, "reason": keep},
                )
            elif agent.acw:
                self._close_acw(agent)
            self._settle_agent(agent_id)
        return result

    # -- interaction commands -------------------------------------------------------------

    def create_interaction(
        self,
        interaction_id: str,
        channel: str,
        queue_id: str,
        attributes: Mapping[str, Any] | None = None,
        *,
        priority: int | None = None,
        ts: float | None = None,
        mono: float | None = None,
    ) -> Result:
        """Create an interaction and queue it."""
        with self._command(ts, mono) as result:
            queue = self.queue(queue_id)
            try:
                chan = _CHANNELS[channel]
            except (KeyError, TypeError):
                raise InvalidRequest(
                    "interaction.unknown_channel", f"unknown {channel!r}"
                ) from None
            if chan is not queue.channel:
                raise InvalidRequest(
                    "interaction.channel_mismatch",
                    f"queue {queue_id} takes {queue.channel.value}, not {chan.value}",
                )
            if interaction_id in self.interactions:
                raise Conflict("interaction.exists", f"interaction {interaction_id} exists")
            self._emit(
                ev.INTERACTION_CREATED,
                {
                    "interaction_id": interaction_id,
                    "channel": chan,
                    "queue_id": queue_id,
                    "priority": queue.priority if priority is None else priority,
                    "attributes": dict(attributes or {}),
                },
            )
            self._queue(interaction_id, queue_id, at_head=False, cause="new")
        return result

    def accept(
        self,
        interaction_id: str,
        agent_id: str,
        *,
        ts: float | None = None,
        mono: float | None = None,
    ) -> Result:
        """Connect an offered interaction to the agent it was offered to."""
        with self._command(ts, mono) as result:
            item = self.interaction(interaction_id)
            self.agent(agent_id)
            status = item.status
            if status is Status.OFFERED and item.agent_id != agent_id:
                raise Conflict(
                    "interaction.offered_to_other", "this interaction is offered to someone else"
                )
            if status in _TALKING and item.agent_id == agent_id:
                return result  # a repeated accept (double click, SIP retransmission): no change
            if status in _TAKEN:
                raise Conflict("interaction.taken", "another agent already took this interaction")
            item.check("accept")
            wait = self._ts - item.enqueued_ts
            self._emit(
                ev.INTERACTION_CONNECTED,
                {
                    "interaction_id": interaction_id,
                    "agent_id": agent_id,
                    "queue_id": item.queue_id,
                    "wait_s": round_ms(wait),
                },
            )
            self._settle_agent(agent_id)
        return result

    def decline(
        self,
        interaction_id: str,
        agent_id: str,
        cause: str = "declined",
        *,
        ts: float | None = None,
        mono: float | None = None,
    ) -> Result:
        """End an offer (declined, timed out or refused): re-queue at the head, agent missed."""
        with self._command(ts, mono) as result:
            item = self.interaction(interaction_id)
            item.check("decline")
            if item.agent_id != agent_id:
                raise Conflict("interaction.offered_to_other", "not offered to this agent")
            self._end_offer(item, agent_id, cause)
            self._settle_agent(agent_id)
            self._route_task(interaction_id)
        return result

    def hold(
        self, interaction_id: str, *, ts: float | None = None, mono: float | None = None
    ) -> Result:
        """Put a connected interaction on hold."""
        with self._command(ts, mono) as result:
            item = self.interaction(interaction_id)
            item.check("hold")
            self._emit(
                ev.INTERACTION_HELD, {"interaction_id": interaction_id, "agent_id": item.agent_id}
            )
        return result

    def resume(
        self, interaction_id: str, *, ts: float | None = None, mono: float | None = None
    ) -> Result:
        """Take an interaction off hold."""
        with self._command(ts, mono) as result:
            item = self.interaction(interaction_id)
            item.check("resume")
            self._emit(
                ev.INTERACTION_RESUMED,
                {"interaction_id": interaction_id, "agent_id": item.agent_id},
            )
        return result

    def end(
        self,
        interaction_id: str,
        by: str = "agent",
        *,
        ts: float | None = None,
        mono: float | None = None,
    ) -> Result:
        """End the conversation (hang-up, reply sent): after-call work or completion follows."""
        with self._command(ts, mono) as result:
            item = self.interaction(interaction_id)
            status = item.status
            if status is Status.ACW or status is Status.COMPLETED:
                return result  # BYE retransmitted or both sides hung up: already ended
            if status in _WAITING:
                self._abandon(item)
                return result
            item.check("end")
            agent_id = item.agent_id
            assert agent_id is not None
            queue = self.queue(item.queue_id)
            acw = queue.acw
            self._emit(
                ev.INTERACTION_ENDED,
                {
                    "interaction_id": interaction_id,
                    "agent_id": agent_id,
                    "by": by,
                    "acw": acw.mode,
                },
            )
            if acw.mode is AcwMode.NONE:
                self._emit(
                    ev.INTERACTION_COMPLETED,
                    {
                        "interaction_id": interaction_id,
                        "agent_id": agent_id,
                        "disposition": None,
                        "notes": None,
                    },
                )
            elif acw.mode is AcwMode.TIMEBOXED:
                self._timer(self._mono + acw.seconds, "acw_timeout", interaction_id, 0)
            self._settle_agent(agent_id)
        return result

    def complete(
        self,
        interaction_id: str,
        disposition: str | None = None,
        notes: str | None = None,
        *,
        ts: float | None = None,
        mono: float | None = None,
    ) -> Result:
        """Finish an interaction with its wrap-up code; ends it first if still connected."""
        with self._command(ts, mono) as result:
            item = self.interaction(interaction_id)
            if item.status is Status.COMPLETED:
                raise IllegalTransition("interaction.cannot_complete", "already completed")
            item.check("complete")
            queue = self.queue(item.queue_id)
            if queue.acw.disposition_required and not disposition:
                raise InvalidRequest(
                    "interaction.disposition_required", "this queue requires a wrap-up code"
                )
            agent_id = item.agent_id
            assert agent_id is not None
            if item.status in (Status.CONNECTED, Status.HELD):
                self._emit(
                    ev.INTERACTION_ENDED,
                    {
                        "interaction_id": interaction_id,
                        "agent_id": agent_id,
                        "by": "agent",
                        "acw": AcwMode.NONE,
                    },
                )
            self._emit(
                ev.INTERACTION_COMPLETED,
                {
                    "interaction_id": interaction_id,
                    "agent_id": agent_id,
                    "disposition": disposition,
                    "notes": notes,
                },
            )
            self._settle_agent(agent_id)
        return result

    def abandon(
        self, interaction_id: str, *, ts: float | None = None, mono: float | None = None
    ) -> Result:
        """Record that the customer left before being connected."""
        with self._command(ts, mono) as result:
            item = self.interaction(interaction_id)
            if item.status is Status.ABANDONED:
                return result
            item.check("abandon")
            self._abandon(item)
        return result

    def transfer(
        self,
        interaction_id: str,
        *,
        to_queue: str | None = None,
        to_agent: str | None = None,
        ts: float | None = None,
        mono: float | None = None,
    ) -> Result:
        """Hand an interaction to another queue or a named agent (blind transfer)."""
        with self._command(ts, mono) as result:
            item = self.interaction(interaction_id)
            item.check("transfer")
            if (to_queue is None) == (to_agent is None):
                raise InvalidRequest("transfer.target", "give exactly one of to_queue, to_agent")
            target_queue = item.queue_id
            if to_queue is not None:
                target_queue = to_queue
                if self.queue(to_queue).channel is not item.channel:
                    raise InvalidRequest("transfer.channel_mismatch", "queue of another channel")
            if to_agent is not None:
                target = self.agent(to_agent)
                if to_agent == item.agent_id or not target.can_take(item.channel):
                    raise Conflict("agent.unavailable", f"agent {to_agent} cannot take it now")
            from_agent = item.agent_id
            self._emit(
                ev.INTERACTION_TRANSFERRED,
                {
                    "interaction_id": interaction_id,
                    "agent_id": from_agent,
                    "from_queue": item.queue_id,
                    "to_queue": to_queue,
                    "to_agent": to_agent,
                },
            )
            if to_agent is not None:
                self._emit(
                    ev.INTERACTION_QUEUED,
                    {
                        "interaction_id": interaction_id,
                        "queue_id": target_queue,
                        "at_head": True,
                        "cause": "transfer",
                    },
                )
                self._offer(item, to_agent)
            else:
                self._queue(interaction_id, target_queue, at_head=False, cause="transfer")
            if from_agent is not None:
                self._settle_agent(from_agent)
        return result

    # -- timers ---------------------------------------------------------------------------

    def fire(self, timer: Timer, *, ts: float | None = None, mono: float | None = None) -> Result:
        """Act on a deadline; a stale timer (the situation moved on) does nothing."""
        with self._command(ts, mono) as result:
            item = self.interactions.get(timer.interaction_id)
            if item is None:
                return result
            if timer.action == "offer_timeout":
                if item.status is Status.OFFERED and self._attempts.get(item.id) == timer.token:
                    agent_id = item.agent_id
                    assert agent_id is not None
                    self._end_offer(item, agent_id, "timeout")
                    self._settle_agent(agent_id)
                    self._route_task(item.id)
            elif timer.action == "acw_timeout":
                if item.status is Status.ACW and item.agent_id is not None:
                    self._emit(
                        ev.INTERACTION_COMPLETED,
                        {
                            "interaction_id": item.id,
                            "agent_id": item.agent_id,
                            "disposition": None,
                            "notes": "acw timeout",
                        },
                    )
                    self._settle_agent(item.agent_id)
            elif (
                timer.action == "overflow"
                and item.status is Status.QUEUED
                and item.overflow_step == timer.token
            ):
                self._overflow(item)
        return result

    def pending_timers(self) -> list[Timer]:
        """Return the deadlines implied by the current state (after a rebuild from the log)."""
        now = self.clock.mono()
        timers: list[Timer] = []
        for item in self.interactions.values():
            if item.status is Status.OFFERED:
                timers.append(Timer(now, "offer_timeout", item.id, self._attempts.get(item.id, 0)))
            elif item.status is Status.ACW:
                if self.queue(item.queue_id).acw.mode is AcwMode.TIMEBOXED:
                    timers.append(Timer(now, "acw_timeout", item.id, 0))
            elif item.status is Status.QUEUED:
                rules = self.queue(item.queue_id).overflow
                if item.overflow_step < len(rules):
                    waited = self.clock.wall() - item.enqueued_ts
                    due = now + max(0.0, rules[item.overflow_step].after_s - waited)
                    timers.append(Timer(due, "overflow", item.id, item.overflow_step))
        return timers

    def route_all(self, *, ts: float | None = None, mono: float | None = None) -> Result:
        """Match every waiting task (after a rebuild, or when opening hours begin)."""
        with self._command(ts, mono) as result:
            for item in sorted(self.interactions.values(), key=lambda i: i.order):
                if item.status is Status.QUEUED:
                    self._route_task(item.id)
        return result

    # -- replay ---------------------------------------------------------------------------

    def replay(self, events: Iterable[Event]) -> None:
        """Apply committed events (rebuild of the projection)."""
        apply = self._apply
        for event in events:
            apply(event)
        self._flush()

    def apply(self, event: Event) -> None:
        """Apply one event to the state; the only place state changes."""
        self._apply(event)
        if self._result is None:
            self._flush()

    def _apply(self, event: Event) -> None:
        self._dispatch(event)
        if event.seq is not None:
            self.last_seq = event.seq

    def _dispatch(self, e: Event) -> None:
        """Hand an event to its apply handler (most frequent kinds first; others ignored)."""
        # An if-chain rather than a table: compiled with mypyc, each branch is a direct call.
        kind = e.kind
        if kind == ev.AGENT_STATE:
            self._apply_state(e)
        elif kind == ev.INTERACTION_QUEUED:
            self._apply_queued(e)
        elif kind == ev.INTERACTION_OFFERED:
            self._apply_offered(e)
        elif kind == ev.INTERACTION_CONNECTED:
            self._apply_connected(e)
        elif kind == ev.INTERACTION_ENDED:
            self._apply_ended(e)
        elif kind == ev.INTERACTION_COMPLETED:
            self._apply_completed(e)
        elif kind == ev.INTERACTION_CREATED:
            self._apply_created(e)
        elif kind == ev.AGENT_PRESENCE:
            self._apply_presence(e)
        elif kind == ev.INTERACTION_ABANDONED:
            self._apply_abandoned(e)
        elif kind == ev.INTERACTION_OFFER_ENDED:
            self._apply_offer_ended(e)
        elif kind == ev.INTERACTION_OVERFLOWED:
            self._apply_overflowed(e)
        elif kind == ev.INTERACTION_TRANSFERRED:
            self._apply_transferred(e)
        elif kind == ev.INTERACTION_HELD:
            self._apply_held(e)
        elif kind == ev.INTERACTION_RESUMED:
            self._apply_resumed(e)

    def _apply_presence(self, e: Event) -> None:
        d = e.data
        agent = self.agents.get(d["agent_id"])
        if agent is None:
            return
        presence = agent.presence = _PRESENCES[d["presence"]]
        agent.reason = d.get("reason")
        if presence is Presence.READY:
            idle_since = agent.idle_since
            for channel in agent.channels:
                idle_since[channel] = e.ts
        self._sync_router(agent)

    def _apply_state(self, e: Event) -> None:
        d = e.data
        agent = self.agents.get(d["agent_id"])
        if agent is None:
            return
        agent.state = _STATES[d["state"]]
        agent.state_reason = d.get("reason")
        agent.since_ts = e.ts
        agent.since_mono = self._mono if self._result is not None else None

    def _apply_created(self, e: Event) -> None:
        d = e.data
        iid = d["interaction_id"]
        self.interactions[iid] = Interaction(
            iid,
            _CHANNELS[d["channel"]],
            d["queue_id"],
            int(d.get("priority", 0)),
            e.ts,
            dict(d.get("attributes") or {}),
        )

    def _apply_queued(self, e: Event) -> None:
        d = e.data
        item = self.interactions[d["interaction_id"]]
        cause = d.get("cause", "new")
        queue_id = item.queue_id = d["queue_id"]
        item.status = Status.QUEUED
        item.agent_id = None
        if cause == "new" or cause == "transfer":
            # A new queue visit: the wait and the overflow schedule start again.
            item.enqueued_ts = e.ts
            item.tier = 0
            item.overflow_step = 0
        if d.get("at_head"):
            self._head_order -= 1
            item.order = self._head_order
        else:
            self._order += 1
            item.order = self._order
        tier = d.get("tier")
        if tier is not None:
            item.tier = int(tier)
        segments = item.segments
        last = segments[-1] if segments else None
        if not (
            last is not None
            and last.end is None
            and last.kind is SegmentKind.QUEUE
            and last.queue_id == queue_id
        ):
            item.open_segment(SegmentKind.QUEUE, e.ts)
        self.router.enqueue(
            item.id, TaskRef(queue_id, item.tier, item.priority, item.order, item.enqueued_ts)
        )

    def _apply_offered(self, e: Event) -> None:
        d = e.data
        item = self.interactions[d["interaction_id"]]
        agent = self.agents[d["agent_id"]]
        iid = item.id
        self.router.dequeue(iid)
        item.status = Status.OFFERED
        item.agent_id = agent.id
        attempts = self._attempts
        attempts[iid] = attempts.get(iid, 0) + 1
        item.open_segment(SegmentKind.ALERT, e.ts, agent.id)
        agent.add_offer(iid, item.channel)
        agent.idle_since[item.channel] = e.ts
        self._sync_router(agent)

    def _apply_offer_ended(self, e: Event) -> None:
        d = e.data
        item = self.interactions[d["interaction_id"]]
        agent = self.agents[d["agent_id"]]
        agent.drop_offer(item.id)
        item.agent_id = None
        item.close_segment(e.ts)
        self._sync_router(agent)

    def _apply_connected(self, e: Event) -> None:
        d = e.data
        item = self.interactions[d["interaction_id"]]
        agent = self.agents[d["agent_id"]]
        item.status = Status.CONNECTED
        item.agent_id = agent.id
        item.open_segment(SegmentKind.HANDLE, e.ts, agent.id)
        agent.drop_offer(item.id)
        agent.add_work(item.id, item.channel)
        self._sync_router(agent)

    def _apply_held(self, e: Event) -> None:
        item = self.interactions[e.data["interaction_id"]]
        item.status = Status.HELD
        item.open_segment(SegmentKind.HOLD, e.ts, item.agent_id)

    def _apply_resumed(self, e: Event) -> None:
        item = self.interactions[e.data["interaction_id"]]
        item.status = Status.CONNECTED
        item.open_segment(SegmentKind.HANDLE, e.ts, item.agent_id)

    def _apply_ended(self, e: Event) -> None:
        d = e.data
        item = self.interactions[d["interaction_id"]]
        agent = self.agents[d["agent_id"]]
        agent.drop_work(item.id)
        if d.get("acw", "none") != "none":
            item.status = Status.ACW
            item.open_segment(SegmentKind.ACW, e.ts, agent.id)
            agent.acw[item.id] = item.channel
        else:
            item.close_segment(e.ts)
        self._sync_router(agent)

    def _apply_completed(self, e: Event) -> None:
        d = e.data
        item = self.interactions[d["interaction_id"]]
        item.status = Status.COMPLETED
        item.disposition = d.get("disposition")
        item.notes = d.get("notes")
        item.close_segment(e.ts)
        agent = self.agents.get(d.get("agent_id") or "")
        if agent is not None:
            agent.drop_work(item.id)
            if item.id in agent.acw:
                del agent.acw[item.id]
            agent.idle_since[item.channel] = e.ts
            self._sync_router(agent)
        if not self.retain_finished:
            self._forget(item.id)
        else:
            self._finished.append((e.ts, item.id))

    def _apply_abandoned(self, e: Event) -> None:
        item = self.interactions[e.data["interaction_id"]]
        self.router.dequeue(item.id)
        item.status = Status.ABANDONED
        item.close_segment(e.ts)
        if item.agent_id is not None:
            agent = self.agents[item.agent_id]
            agent.drop_offer(item.id)
            self._sync_router(agent)
            item.agent_id = None
        if not self.retain_finished:
            self._forget(item.id)
        else:
            self._finished.append((e.ts, item.id))

    def _apply_overflowed(self, e: Event) -> None:
        item = self.interactions[e.data["interaction_id"]]
        item.overflow_step += 1

    def _apply_transferred(self, e: Event) -> None:
        item = self.interactions[e.data["interaction_id"]]
        self.router.dequeue(item.id)
        item.status = Status.TRANSFERRED
        item.close_segment(e.ts)
        if item.agent_id is not None:
            agent = self.agents[item.agent_id]
            agent.drop_work(item.id)
            agent.idle_since[item.channel] = e.ts
            self._sync_router(agent)
        item.agent_id = None

    def forget_finished(self, before: float) -> int:
        """Drop interactions that finished before `before` (wall clock); return how many.

        The log keeps them; the live projection only needs recent ones (desktop lists,
        follow-ups to the previous agent), and a node runs for weeks.
        """
        finished, interactions = self._finished, self.interactions
        count = 0
        while finished and finished[0][0] < before:
            interaction_id = finished.popleft()[1]
            item = interactions.get(interaction_id)
            if item is not None and item.status in FINAL:
                self._forget(interaction_id)
                count += 1
        return count

    def _forget(self, interaction_id: str) -> None:
        """Drop a finished interaction and its bookkeeping (retain_finished=False)."""
        del self.interactions[interaction_id]
        # `in` and del rather than pop(key, None): compiled, both are direct dictionary calls.
        if interaction_id in self._attempts:
            del self._attempts[interaction_id]
        if interaction_id in self._queued_mono:
            del self._queued_mono[interaction_id]

    # -- internals ------------------------------------------------------------------------

    def _command(self, ts: float | None, mono: float | None) -> _Scope:
        """Open the scope of one command; a nested call shares the outer command's result."""
        if self._result is not None:
            scope = self._inner
            scope.result = self._result
            return scope
        self._ts = self.clock.wall() if ts is None else ts
        self._mono = self.clock.mono() if mono is None else mono
        scope = self._outer
        result = scope.result = self._result = Result()
        self._events = result.events
        self._timers = result.timers
        return scope

    def _emit(self, kind: str, data: dict[str, Any]) -> Event:
        assert self._result is not None, "events are emitted inside a command"
        event = Event(kind, self._ts, data)
        # Live events carry no seq yet: dispatch straight to the handler `apply` would pick.
        self._dispatch(event)
        self._events.append(event)
        return event

    def _timer(self, due: float, action: str, interaction_id: str, token: int) -> None:
        self._timers.append(_new_timer(due, action, interaction_id, token))

    def _sync_router(self, agent: AgentRuntime) -> None:
        # Deferred: a command often changes an agent several times (ended then completed) and
        # only the last availability matters to the next routing decision.
        self._dirty[agent.id] = agent

    def _flush(self) -> None:
        """Tell the router the availability of every agent changed since the last flush."""
        router = self.router
        for agent_id, agent in self._dirty.items():
            if agent.presence is not Presence.READY or agent.acw:
                for channel in agent.channels:
                    router.set_available(agent_id, channel, None)
                continue
            idle_since = agent.idle_since
            for channel in agent.channels:
                idle = idle_since.get(channel, 0.0) if agent.can_take(channel) else None
                router.set_available(agent_id, channel, idle)
        self._dirty.clear()

    def _settle_agent(self, agent_id: str) -> None:
        """Route work to an agent who can take some, then record any change of state."""
        agent = self.agents[agent_id]
        self._record_state(agent)
        if agent.presence is not Presence.READY or agent.acw:
            return  # cannot take anything (what can_take checks first)
        router = self.router
        for channel in agent.channels:
            while agent.can_take(channel):
                task = router.best_task(agent_id, channel, self._ts)
                if task is None:
                    break
                # _offer records the agent's new state: nothing is left to record after.
                self._offer(self.interactions[task], agent_id)

    def _record_state(self, agent: AgentRuntime) -> None:
        state, reason = agent.derive()
        prev = agent.state
        if state is prev and reason == agent.state_reason:
            return
        since = agent.since_mono
        if since is not None:
            duration = self._mono - since
        elif agent.since_ts:
            duration = self._ts - agent.since_ts
        else:
            duration = 0.0
        self._emit(
            ev.AGENT_STATE,
            {
                "agent_id": agent.id,
                "state": state,
                "reason": reason,
                "prev_state": prev,
                "prev_reason": agent.state_reason,
                "prev_duration_s": round_ms(duration) if duration > 0.0 else 0.0,
                "channels": agent.busy_channels(),
                "team_id": agent.definition.team_id,
            },
        )

    def _queue(self, interaction_id: str, queue_id: str, *, at_head: bool, cause: str) -> None:
        self._emit(
            ev.INTERACTION_QUEUED,
            {
                "interaction_id": interaction_id,
                "queue_id": queue_id,
                "at_head": at_head,
                "cause": cause,
            },
        )
        self._queued_mono[interaction_id] = self._mono
        # The queue exists: applying the queued event has just indexed the task in it.
        rules = self._queues[queue_id].overflow
        if rules:
            self._timer(self._mono + rules[0].after_s, "overflow", interaction_id, 0)
        self._route_task(interaction_id)

    def _route_task(self, interaction_id: str) -> None:
        if self._dirty:
            self._flush()  # the choice of an agent reads their availability
        item = self.interactions[interaction_id]
        preferred = item.attributes.get("preferred_agent_id")
        if isinstance(preferred, str):
            agent = self.agents.get(preferred)
            # A follow-up (an e-mail reply in the same thread) goes back to the agent who knows
            # the case when they can take it now; otherwise it is routed like any other task.
            if agent is not None and agent.can_take(item.channel):
                self._offer(item, preferred)
                return
        agent_id = self.router.best_agent(interaction_id)
        if agent_id is not None:
            self._offer(self.interactions[interaction_id], agent_id)

    def _offer(self, item: Interaction, agent_id: str) -> None:
        iid = item.id
        timeout = self._queues[item.queue_id].offer_timeout_s
        self._emit(
            ev.INTERACTION_OFFERED,
            {
                "interaction_id": iid,
                "agent_id": agent_id,
                "queue_id": item.queue_id,
                "timeout_s": timeout,
                "channel": item.channel,
                "attributes": item.attributes,
            },
        )
        self._timers.append(
            _new_timer(self._mono + timeout, "offer_timeout", iid, self._attempts[iid])
        )
        self._record_state(self.agents[agent_id])

    def _end_offer(self, item: Interaction, agent_id: str, cause: str) -> None:
        self._emit(
            ev.INTERACTION_OFFER_ENDED,
            {"interaction_id": item.id, "agent_id": agent_id, "cause": cause},
        )
        self._emit(
            ev.INTERACTION_QUEUED,
            {
                "interaction_id": item.id,
                "queue_id": item.queue_id,
                "at_head": True,
                "cause": "requeued",
                "tier": item.tier,
            },
        )
        agent = self.agents[agent_id]
        if agent.presence is not Presence.LOGGED_OUT:
            self._emit(
                ev.AGENT_PRESENCE,
                {"agent_id": agent_id, "presence": "not_ready", "reason": MISSED_REASON},
            )

    def _abandon(self, item: Interaction) -> None:
        agent_id = item.agent_id
        self._emit(
            ev.INTERACTION_ABANDONED,
            {
                "interaction_id": item.id,
                "queue_id": item.queue_id,
                "agent_id": agent_id,
                "wait_s": round_ms(self._ts - item.enqueued_ts),
            },
        )
        if agent_id is not None:
            self._settle_agent(agent_id)

    def _close_acw(self, agent: AgentRuntime) -> None:
        """Leave after-call work by completing what it holds, if the queue allows."""
        for interaction_id in agent.acw:
            acw = self.queue(self.interactions[interaction_id].queue_id).acw
            if acw.mode is AcwMode.MANDATORY or acw.disposition_required:
                raise IllegalTransition(
                    "agent.acw_wrap_up_required",
                    "complete the after-call work with a wrap-up code first",
                    interaction_id=interaction_id,
                )
        for interaction_id in list(agent.acw):
            self._emit(
                ev.INTERACTION_COMPLETED,
                {
                    "interaction_id": interaction_id,
                    "agent_id": agent.id,
                    "disposition": None,
                    "notes": None,
                },
            )

    def _overflow(self, item: Interaction) -> None:
        queue = self.queue(item.queue_id)
        rule = queue.overflow[item.overflow_step]
        if rule.to_queue is not None:
            self._emit(
                ev.INTERACTION_OVERFLOWED,
                {
                    "interaction_id": item.id,
                    "from_queue": queue.id,
                    "to_queue": rule.to_queue,
                    "step": item.overflow_step,
                },
            )
            self.router.dequeue(item.id)
            self._emit(
                ev.INTERACTION_QUEUED,
                {
                    "interaction_id": item.id,
                    "queue_id": rule.to_queue,
                    "at_head": False,
                    "cause": "overflow",
                    "tier": 0,
                },
            )
        else:
            tier = min(item.tier + 1, self.router.tier_count(queue.id) - 1)
            self._emit(
                ev.INTERACTION_OVERFLOWED,
                {
                    "interaction_id": item.id,
                    "from_queue": queue.id,
                    "to_queue": queue.id,
                    "step": item.overflow_step,
                    "tier": tier,
                },
            )
            self.router.dequeue(item.id)
            self._emit(
                ev.INTERACTION_QUEUED,
                {
                    "interaction_id": item.id,
                    "queue_id": queue.id,
                    "at_head": False,
                    "cause": "overflow",
                    "tier": tier,
                },
            )
        rules = self.queue(item.queue_id).overflow
        if item.queue_id == queue.id and item.overflow_step < len(rules):
            started = self._queued_mono.get(item.id, self._mono)
            due = started + rules[item.overflow_step].after_s
            self._timer(max(due, self._mono), "overflow", item.id, item.overflow_step)
        self._route_task(item.id)
