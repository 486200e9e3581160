"""CentreService: run domain commands one at a time, commit their events, arm their timers."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Engine

from standardiste.domain.centre import Centre, Result, Timer
from standardiste.domain.clock import Clock
from standardiste.domain.errors import DomainError
from standardiste.domain.events import Event
from standardiste.domain.interactions import Status
from standardiste.domain.model import CentreDef, Channel
from standardiste.store.log import EventLog, read_events

log = logging.getLogger(__name__)

Listener = Callable[[Event], None]


class StoreUnavailable(DomainError):
    """The event log could not commit; nothing was acknowledged."""

    status = 503


class CentreService:
    """The single entry point that changes the contact centre."""

    def __init__(
        self,
        definition: CentreDef,
        clock: Clock,
        log_: EventLog,
        engine: Engine,
        *,
        keep_finished_s: float = 86_400.0,
    ) -> None:
        self.definition = definition
        self.clock = clock
        self.log = log_
        self.engine = engine
        # Finished interactions leave the live projection after this (the log keeps them).
        self.keep_finished_s = keep_finished_s
        self.centre = Centre(definition, clock)
        self._listeners: list[Listener] = []
        self._handles: set[asyncio.TimerHandle] = set()
        self._prune_handle: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self.commands = 0
        self.rejected = 0

    # -- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        """Rebuild the projection from the log, recover open work and arm timers."""
        await self._rebuild()
        await self._recover()
        self._prune_later()

    def _prune_later(self) -> None:
        """Forget finished interactions older than `keep_finished_s`, now and every few minutes."""
        if self._prune_handle is not None:
            self._handles.discard(self._prune_handle)
        dropped = self.centre.forget_finished(self.clock.wall() - self.keep_finished_s)
        if dropped:
            log.info("%d finished interactions left the live projection", dropped)
        period = min(300.0, self.keep_finished_s / 4)
        self._prune_handle = asyncio.get_running_loop().call_later(period, self._prune_later)
        self._handles.add(self._prune_handle)

    async def close(self) -> None:
        """Cancel timers and wait for timer-driven commands in flight."""
        for handle in self._handles:
            handle.cancel()
        self._handles.clear()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def wait_closed(self) -> None:
        """Return when everything is stopped (nothing else to wait for)."""

    async def reconfigure(self, definition: CentreDef) -> None:
        """Rebuild the projection under new definitions (open work is kept as logged)."""
        for handle in self._handles:
            handle.cancel()
        self._handles.clear()
        self.definition = definition
        await self._rebuild()
        for timer in self.centre.pending_timers():
            self._arm(timer)
        self._prune_later()
        await self._execute(self.centre.route_all)

    async def _rebuild(self) -> None:
        centre = Centre(self.definition, self.clock)
        events = await asyncio.to_thread(lambda: list(read_events(self.engine)))
        centre.replay(events)
        centre.forget_finished(self.clock.wall() - self.keep_finished_s)
        self.centre = centre
        log.info("projection rebuilt from %d events (last seq %d)", len(events), centre.last_seq)

    async def _recover(self) -> None:
        # Calls do not survive a restart (their SIP dialogs and media are gone): close them.
        # E-mails and letters stay queued or offered exactly as the log left them.
        for item in list(self.centre.interactions.values()):
            if item.channel is not Channel.VOICE or item.status in (Status.COMPLETED,):
                continue
            if item.status in (Status.QUEUED, Status.OFFERED, Status.CREATED):
                await self._execute(self.centre.abandon, item.id)
            elif item.status in (Status.CONNECTED, Status.HELD):
                await self._execute(self.centre.end, item.id, "restart")
        for timer in self.centre.pending_timers():
            self._arm(timer)
        await self._execute(self.centre.route_all)

    # -- plumbing -------------------------------------------------------------------------

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call `listener(event)` after each commit; return the unsubscribe function."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    async def _execute(
        self, command: Callable[..., Result], *args: Any, extra: Sequence[Event] = (), **kw: Any
    ) -> Result:
        try:
            result = command(*args, **kw)
        except DomainError:
            self.rejected += 1
            raise
        self.commands += 1
        batch = [*extra, *result.events]
        try:
            await self.log.append(batch)
        except Exception as err:
            # The projection already holds events the log refused: rebuild it from what is
            # committed so memory never runs ahead of the source of truth.
            await self._rebuild()
            raise StoreUnavailable("store.unavailable", "the event log is unavailable") from err
        for timer in result.timers:
            self._arm(timer)
        self._publish(batch)
        return result

    def _publish(self, batch: Sequence[Event]) -> None:
        for event in batch:
            for listener in list(self._listeners):
                try:
                    listener(event)
                except Exception:  # a faulty listener must not break the others
                    log.exception("listener failed on %s", event.kind)

    def _arm(self, timer: Timer) -> None:
        loop = asyncio.get_running_loop()
        delay = max(0.0, timer.due - self.clock.mono())
        handle: asyncio.TimerHandle | None = None

        def fire() -> None:
            if handle is not None:
                self._handles.discard(handle)
            task = asyncio.create_task(self._fire(timer))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

        handle = loop.call_later(delay, fire)
        self._handles.add(handle)

    async def _fire(self, timer: Timer) -> None:
        try:
            await self._execute(self.centre.fire, timer)
        except DomainError as err:
            log.warning("timer %s on %s: %s", timer.action, timer.interaction_id, err)

    # -- commands -------------------------------------------------------------------------

    async def login(self, agent_id: str) -> Result:
        """Log an agent in."""
        return await self._execute(self.centre.login, agent_id)

    async def logout(self, agent_id: str) -> Result:
        """Log an agent out."""
        return await self._execute(self.centre.logout, agent_id)

    async def set_presence(self, agent_id: str, presence: str, reason: str | None = None) -> Result:
        """Declare ready, not ready (reason) or an activity."""
        return await self._execute(self.centre.set_presence, agent_id, presence, reason)

    async def create_interaction(
        self,
        channel: str,
        queue_id: str,
        attributes: Mapping[str, Any] | None = None,
        *,
        interaction_id: str | None = None,
        priority: int | None = None,
        events: Sequence[Event] = (),
        ts: float | None = None,
        mono: float | None = None,
    ) -> str:
        """Create and queue an interaction, committed atomically with `events`."""
        interaction_id = interaction_id or uuid.uuid4().hex
        await self._execute(
            self.centre.create_interaction,
            interaction_id,
            channel,
            queue_id,
            attributes,
            priority=priority,
            extra=events,
            ts=ts,
            mono=mono,
        )
        return interaction_id

    async def accept(self, interaction_id: str, agent_id: str, **kw: Any) -> Result:
        """Connect an offered interaction to its agent."""
        return await self._execute(self.centre.accept, interaction_id, agent_id, **kw)

    async def decline(
        self, interaction_id: str, agent_id: str, cause: str = "declined", **kw: Any
    ) -> Result:
        """End an offer: declined, timed out or refused."""
        return await self._execute(self.centre.decline, interaction_id, agent_id, cause, **kw)

    async def hold(self, interaction_id: str, **kw: Any) -> Result:
        """Put an interaction on hold."""
        return await self._execute(self.centre.hold, interaction_id, **kw)

    async def resume(self, interaction_id: str, **kw: Any) -> Result:
        """Take an interaction off hold."""
        return await self._execute(self.centre.resume, interaction_id, **kw)

    async def end(self, interaction_id: str, by: str = "agent", **kw: Any) -> Result:
        """End the conversation (hang-up, reply sent)."""
        return await self._execute(self.centre.end, interaction_id, by, **kw)

    async def complete(
        self,
        interaction_id: str,
        disposition: str | None = None,
        notes: str | None = None,
        **kw: Any,
    ) -> Result:
        """Complete an interaction with its wrap-up code."""
        return await self._execute(self.centre.complete, interaction_id, disposition, notes, **kw)

    async def abandon(self, interaction_id: str, **kw: Any) -> Result:
        """Record the customer leaving before connection."""
        return await self._execute(self.centre.abandon, interaction_id, **kw)

    async def transfer(
        self,
        interaction_id: str,
        *,
        to_queue: str | None = None,
        to_agent: str | None = None,
        **kw: Any,
    ) -> Result:
        """Transfer to a queue or an agent."""
        return await self._execute(
            self.centre.transfer, interaction_id, to_queue=to_queue, to_agent=to_agent, **kw
        )

    async def record(self, events: Sequence[Event]) -> None:
        """Append channel events (atomic batch) and publish them."""
        await self.log.append(list(events))
        self._publish(events)
