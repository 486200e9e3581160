"""Synthetic demo traffic: interactions arrive and robot agents work them, so screens have life.

Agent `agent1` is left to the human at the keyboard; the others are driven by this generator.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random

from standardiste.config import Config
from standardiste.domain.errors import DomainError
from standardiste.domain.events import INTERACTION_OFFERED, Event
from standardiste.service import CentreService

log = logging.getLogger(__name__)

HUMAN = "agent1"


class TrafficGenerator:
    """Create interactions at random and let robot agents accept, handle and complete them."""

    def __init__(
        self, service: CentreService, config: Config, *, seed: int = 7, rate_per_min: float = 12.0
    ) -> None:
        self._svc = service
        self._cfg = config
        self._rng = random.Random(seed)
        self._rate = rate_per_min
        self._tasks: set[asyncio.Task[None]] = set()
        self._unsubscribe = lambda: None
        self._robots = [a.id for a in config.agents if a.id != HUMAN]

    async def start(self) -> None:
        """Log the robots in, make them ready and start arrivals."""
        for agent_id in self._robots:
            agent = self._svc.centre.agent(agent_id)
            with contextlib.suppress(DomainError):
                if agent.presence.value == "logged_out":
                    await self._svc.login(agent_id)
                await self._svc.set_presence(agent_id, "ready")
        self._unsubscribe = self._svc.subscribe(self._on_event)
        self._spawn(self._arrivals())

    async def close(self) -> None:
        """Stop arrivals and robots."""
        self._unsubscribe()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def wait_closed(self) -> None:
        """Return when stopped."""

    def _spawn(self, coro: object) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)  # type: ignore[arg-type]
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _on_event(self, event: Event) -> None:
        if event.kind == INTERACTION_OFFERED and event.data["agent_id"] in self._robots:
            self._spawn(self._work(event.data["interaction_id"], event.data["agent_id"]))

    async def _arrivals(self) -> None:
        queues = self._cfg.queues
        while True:
            await asyncio.sleep(self._rng.expovariate(self._rate / 60.0))
            queue = self._rng.choice(queues)
            attrs = {"caller": f"+3356{self._rng.randrange(10**6, 10**7)}", "synthetic": True}
            if queue.channel.value != "voice":
                attrs = {
                    "from": f"contribuable{self._rng.randrange(1000)}@example.org",
                    "subject": "Demande de renseignement",
                    "synthetic": True,
                }
            try:
                await self._svc.create_interaction(queue.channel.value, queue.id, attrs)
            except DomainError as err:
                log.debug("demo arrival refused: %s", err)

    async def _work(self, interaction_id: str, agent_id: str) -> None:
        rng = self._rng
        try:
            await asyncio.sleep(rng.uniform(1, 4))
            await self._svc.accept(interaction_id, agent_id)
            await asyncio.sleep(rng.uniform(20, 90))
            await self._svc.end(interaction_id)
            item = self._svc.centre.interaction(interaction_id)
            if item.status.value == "acw":
                await asyncio.sleep(rng.uniform(3, 10))
                await self._svc.complete(interaction_id, rng.choice(self._cfg.centre.dispositions))
            await asyncio.sleep(rng.uniform(0, 5))
            agent = self._svc.centre.agent(agent_id)
            if agent.presence.value != "ready" and not agent.work and not agent.offers:
                await self._svc.set_presence(agent_id, "ready")
        except DomainError as err:
            log.debug("robot %s: %s", agent_id, err)
