"""Prometheus metrics, on a registry owned by the runtime (no global registry)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Gauge

if TYPE_CHECKING:
    from standardiste.app import Runtime


class Metrics:
    """Gauges read from the live projection when scraped."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.events = Gauge(
            "standardiste_events_appended", "Events committed to the log", registry=self.registry
        )
        self.batches = Gauge(
            "standardiste_event_batches", "Commits of the event log", registry=self.registry
        )
        self.commands = Gauge("standardiste_commands", "Commands accepted", registry=self.registry)
        self.rejected = Gauge(
            "standardiste_commands_rejected", "Commands refused", registry=self.registry
        )
        self.waiting = Gauge(
            "standardiste_queue_waiting", "Interactions waiting", ["queue"], registry=self.registry
        )
        self.agents = Gauge(
            "standardiste_agents", "Agents by state", ["state"], registry=self.registry
        )
        self.ws = Gauge(
            "standardiste_websocket_clients", "Connected WebSocket clients", registry=self.registry
        )
        self.sip_refused = Gauge(
            "standardiste_sip_overload_refused",
            "New calls answered 503 + Retry-After while overloaded",
            registry=self.registry,
        )
        self.loop_lag = Gauge(
            "standardiste_loop_lag_seconds", "Smoothed event-loop lag", registry=self.registry
        )

    def refresh(self, rt: Runtime) -> None:
        """Read the current figures."""
        svc = rt.service
        self.events.set(rt.log.appended)
        self.batches.set(rt.log.batches)
        self.commands.set(svc.commands)
        self.rejected.set(svc.rejected)
        # The router indexes what waits; scanning every interaction ever held would grow all day.
        for queue in rt.config.queues:
            self.waiting.labels(queue.id).set(len(svc.centre.router.waiting_in(queue.id)))
        states: dict[str, int] = {}
        for agent in svc.centre.agents.values():
            states[agent.state.value] = states.get(agent.state.value, 0) + 1
        for state, n in states.items():
            self.agents.labels(state).set(n)
        self.ws.set(rt.hub.clients)
        guard = rt.voice.b2bua.overload if rt.voice is not None else None
        if guard is not None:
            self.sip_refused.set(guard.refused)
            self.loop_lag.set(guard.gate.lag_s)
