"""Fakes for the e-mail tests: the service contract, a relay transport, a poller."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from standardiste.channels.email.errors import RelayError
from standardiste.domain.events import Event


@dataclass
class FakeInteraction:
    id: str
    queue_id: str
    attributes: dict[str, Any]
    status: str = "queued"
    agent_id: str | None = None


@dataclass
class FakeCentre:
    interactions: dict[str, FakeInteraction] = field(default_factory=dict)


class FakeService:
    """In-memory stand-in for CentreService's contract (create_interaction, record, end)."""

    def __init__(self) -> None:
        self.centre = FakeCentre()
        self.events: list[Event] = []
        self.ended: list[tuple[str, str]] = []

    async def create_interaction(
        self, channel: str, queue_id: str, attributes: Mapping[str, Any], *,
        interaction_id: str | None = None, priority: int | None = None,
        events: Sequence[Event] = (),
    ) -> str:  # fmt: skip
        assert channel == "email" and interaction_id
        assert interaction_id not in self.centre.interactions
        self.centre.interactions[interaction_id] = FakeInteraction(
            interaction_id, queue_id, dict(attributes)
        )
        self.events.extend(events)
        return interaction_id

    async def record(self, events: Sequence[Event]) -> None:
        self.events.extend(events)

    async def end(self, interaction_id: str, by: str = "agent") -> None:
        self.ended.append((interaction_id, by))
        self.centre.interactions[interaction_id].status = "acw"

    def kinds(self) -> list[str]:
        return [e.kind for e in self.events]


class FakeTransport:
    """Relay stand-in: fails `fail_times` times (transient or permanent), then accepts."""

    def __init__(self, fail_times: int = 0, permanent: bool = False) -> None:
        self.fail_times = fail_times
        self.permanent = permanent
        self.sent: list[tuple[str, tuple[str, ...], bytes]] = []
        self.calls = 0

    async def send(self, mail_from: str, rcpt_tos: tuple[str, ...], raw: bytes) -> str:
        self.calls += 1
        if self.calls <= self.fail_times:
            raise RelayError(
                "relay says no", permanent=self.permanent, code=550 if self.permanent else None
            )
        self.sent.append((mail_from, rcpt_tos, raw))
        return "250 2.0.0 Ok"


async def wait_until(predicate: Callable[[], object], limit_s: float = 5.0) -> None:
    """Poll `predicate` until true (the code under test has no hook to await)."""
    async with asyncio.timeout(limit_s):
        while not predicate():  # noqa: ASYNC110 - polling a condition owned by the code under test
            await asyncio.sleep(0.005)
