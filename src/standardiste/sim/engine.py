"""Discrete-event simulation in virtual time, driving the production `domain.Centre`.

The simulator owns only what the real world does: customers arrive, wait, hang up; agents
accept offers, talk, wrap up, pause and go home. Every routing decision and every state change
is made by `domain.centre.Centre` (the code that runs in production), under a FakeClock.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from typing import Final

import numpy as np

from standardiste.domain import events as ev
from standardiste.domain.agents import Presence
from standardiste.domain.centre import Centre, Result, Timer
from standardiste.domain.clock import FakeClock
from standardiste.domain.events import Event
from standardiste.domain.interactions import Status
from standardiste.sim.build import agent_ids, centre_definition
from standardiste.sim.collector import Collector
from standardiste.sim.scenario import END_OF_SHIFT, Scenario
from standardiste.sim.variates import Stream, poisson_arrivals

# Heap entry kinds (ints compare fast; the seq number keeps equal times in FIFO order).
# Final: compiled, a constant is inlined instead of read from the module's namespace.
END: Final = 0
WRAP: Final = 1
ABANDON: Final = 2
TIMER: Final = 3
LOGIN: Final = 4
PAUSE: Final = 5
READY: Final = 6
SHIFT_END: Final = 7
WAITING: Final = frozenset({Status.QUEUED, Status.OFFERED})
TALKING: Final = frozenset({Status.CONNECTED, Status.HELD})
_heappush: Final = heapq.heappush
_heappop: Final = heapq.heappop
Progress = Callable[[float], None]


class Simulation:
    """One replication of a scenario."""

    def __init__(
        self,
        scenario: Scenario,
        rng: np.random.Generator,
        *,
        observer: Callable[[Event], None] | None = None,
        progress: Progress | None = None,
        retain_finished: bool = True,
    ) -> None:
        self.scenario = scenario
        self.rng = rng
        self.clock = FakeClock()
        self.t0 = self.clock.wall()
        # retain_finished=False: a long day does not keep 200,000 finished interactions around.
        self.centre = Centre(
            centre_definition(scenario), self.clock, retain_finished=retain_finished
        )
        self.collector = Collector(
            [q.id for q in scenario.queues],
            {q.id: q.target_s for q in scenario.queues},
            scenario.intervals,
            scenario.interval_s,
            self.t0,
            scenario.warmup_s,
            scenario.short_abandon_s,
        )
        self._observer = observer
        self._progress = progress
        self._heap: list[tuple[float, int, int, object]] = []
        self._seq = 0
        self._now = 0.0
        self._wall = self.t0
        self._mono = 0.0
        self._handle = {q.id: Stream(q.handle, rng) for q in scenario.queues}
        self._wrap = {q.id: Stream(q.wrap, rng) for q in scenario.queues if q.wrap}
        self._patience = {q.id: Stream(q.patience, rng) for q in scenario.queues if q.patience}
        self.interactions = 0

    def _push(self, due: float, kind: int, ref: object) -> None:
        self._seq += 1
        _heappush(self._heap, (due, self._seq, kind, ref))

    def run(self) -> Collector:
        """Simulate the day and return the counts."""
        times, queues = self._arrivals()
        self._schedule_agents()
        stop = self.scenario.horizon_s + self.scenario.drain_s
        heap, centre = self._heap, self.centre
        n, i, tick = len(times), 0, max(len(times) // 100, 1)
        while True:
            if i < n and (not heap or times[i] < heap[0][0]):
                t = times[i]
                if t > stop:
                    break
                self._set_time(t)
                spec = queues[i]
                iid = f"s{i}"
                self._apply(
                    centre.create_interaction(iid, spec[1], spec[0], ts=self._wall, mono=self._mono)
                )
                patience = self._patience.get(spec[0])
                if patience is not None and self.centre.interactions[iid].status in WAITING:
                    self._push(t + patience.next(), ABANDON, iid)
                i += 1
                if self._progress is not None and i % tick == 0:
                    self._progress(i / n)
                continue
            if not heap or heap[0][0] > stop:
                break
            due, _, kind, ref = _heappop(heap)
            self._set_time(due)
            self._fire(kind, ref)
        self.interactions = i
        self._set_time(min(stop, max(self._now, self.scenario.horizon_s)))
        self._close_agent_spans()
        return self.collector

    def _arrivals(self) -> tuple[list[float], list[tuple[str, str]]]:
        """Draw every arrival of the day, merged over queues in time order."""
        times: list[float] = []
        labels: list[tuple[str, str]] = []
        for q in self.scenario.queues:
            ts = poisson_arrivals(self.rng, q.arrivals, self.scenario.interval_s)
            times.extend(ts)
            labels.extend([(q.id, q.channel.value)] * len(ts))
        if len(self.scenario.queues) == 1:
            return times, labels  # one queue's arrivals come sorted
        order: list[int] = np.argsort(np.asarray(times), kind="stable").tolist()
        return [times[k] for k in order], [labels[k] for k in order]

    def _schedule_agents(self) -> None:
        for group in self.scenario.agents:
            start, end = group.shift or (0.0, None)
            for index, agent_id in enumerate(agent_ids(group)):
                self._push(start, LOGIN, agent_id)
                if end is not None:
                    self._push(end, SHIFT_END, agent_id)
                for b in group.breaks:
                    # Stagger a break over its duration so that the team does not leave at once.
                    at = b.start + b.duration * index / group.count
                    self._push(at, PAUSE, (agent_id, b.reason))
                    self._push(at + b.duration, READY, agent_id)

    def _set_time(self, t: float) -> None:
        self._now = t
        self.clock.set(t)
        # The clock's readings, handed to the frequent commands (saves two calls each).
        self._wall = self.clock.wall()
        self._mono = self.clock.mono()

    def _fire(self, kind: int, ref: object) -> None:
        centre = self.centre
        if kind <= ABANDON:
            # A finished interaction may be forgotten by the centre (retain_finished=False).
            assert isinstance(ref, str)
            item = centre.interactions.get(ref)
            if item is None:
                return
            if kind == END:
                if item.status in TALKING:
                    self._apply(centre.end(ref, ts=self._wall, mono=self._mono))
            elif kind == WRAP:
                if item.status is Status.ACW:
                    self._apply(centre.complete(ref, ts=self._wall, mono=self._mono))
            elif item.status in WAITING:
                self._apply(centre.abandon(ref, ts=self._wall, mono=self._mono))
        elif kind == TIMER:
            assert isinstance(ref, Timer)
            self._apply(centre.fire(ref))
        else:
            self._agent_action(kind, ref)

    def _agent_action(self, kind: int, ref: object) -> None:
        centre = self.centre
        if kind == PAUSE:
            assert isinstance(ref, tuple)
            agent_id, reason = ref
            if centre.agents[agent_id].presence is Presence.READY:
                self._apply(centre.set_presence(agent_id, "not_ready", reason))
            return
        assert isinstance(ref, str)
        agent = centre.agents[ref]
        if kind == LOGIN:
            self._apply(centre.login(ref))
            self._apply(centre.set_presence(ref, "ready"))
        elif kind == READY:
            if agent.presence is Presence.NOT_READY and agent.reason != END_OF_SHIFT:
                self._apply(centre.set_presence(ref, "ready"))
        elif kind == SHIFT_END and agent.presence is not Presence.LOGGED_OUT:
            # Stop taking work; the logout follows once the last item is finished (_apply).
            self._apply(centre.set_presence(ref, "not_ready", END_OF_SHIFT))

    def _apply(self, result: Result) -> None:
        """Observe a command's events and act as the agents and customers would."""
        centre = self.centre
        collector = self.collector
        follow: list[tuple[str, str]] | None = None  # made when needed: most commands need none
        extra = self._observer
        for e in result.events:
            # Count the event, show it to the observer, then react as the simulated people.
            kind = e.kind
            if kind == ev.AGENT_STATE:
                collector.fold_state(e)
                if extra is not None:
                    extra(e)
                if e.data["reason"] == END_OF_SHIFT:
                    if follow is None:
                        follow = []
                    follow.append(("logout", e.data["agent_id"]))
            elif kind == ev.INTERACTION_OFFERED:
                if extra is not None:
                    extra(e)
                if follow is None:
                    follow = []
                follow.append(("accept", e.data["interaction_id"]))
            elif kind == ev.INTERACTION_CONNECTED:
                collector.fold_connected(e)
                if extra is not None:
                    extra(e)
                d = e.data
                self._push(self._now + self._handle[d["queue_id"]].next(), END, d["interaction_id"])
            elif kind == ev.INTERACTION_ENDED:
                if extra is not None:
                    extra(e)
                d = e.data
                if d.get("acw", "none") != "none":
                    qid = centre.interactions[d["interaction_id"]].queue_id
                    self._push(self._now + self._wrap[qid].next(), WRAP, d["interaction_id"])
            else:
                if kind == ev.INTERACTION_CREATED:
                    collector.fold_created(e)
                elif kind == ev.INTERACTION_COMPLETED:
                    collector.fold_completed(e)
                elif kind == ev.INTERACTION_ABANDONED:
                    collector.fold_abandoned(e)
                if extra is not None:
                    extra(e)
        for timer in result.timers:
            # Simulated agents accept every offer at once, so its no-answer timer is stale.
            if timer.action != "offer_timeout":
                self._push(timer.due, TIMER, timer)
        if follow is None:
            return
        for action, ref in follow:
            if action == "accept":
                item = centre.interactions[ref]
                if item.status is Status.OFFERED and item.agent_id is not None:
                    self._apply(centre.accept(ref, item.agent_id, ts=self._wall, mono=self._mono))
            elif centre.agents[ref].presence is not Presence.LOGGED_OUT:
                self._apply(centre.logout(ref))

    def _close_agent_spans(self) -> None:
        """Count the time of every agent still logged in up to the end of the run."""
        end = self.clock.wall() - self.t0
        for agent in self.centre.agents.values():
            if agent.presence is not Presence.LOGGED_OUT:
                self.collector._spread(agent.since_ts - self.t0, end, agent.state.value)
