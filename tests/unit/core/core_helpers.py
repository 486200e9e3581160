"""Builders for small contact centres used by the domain tests."""

from __future__ import annotations

from standardiste.domain.centre import Centre
from standardiste.domain.clock import FakeClock
from standardiste.domain.model import (
    AcwMode,
    AcwPolicy,
    AgentDef,
    CentreDef,
    Channel,
    Overflow,
    QueueDef,
)


def make_centre(
    agents: dict[str, dict[str, int]] | None = None,
    queues: list[QueueDef] | None = None,
) -> Centre:
    """Return a centre with a voice, an e-mail and a mail queue by default."""
    queues = queues or [
        QueueDef(
            "voice",
            Channel.VOICE,
            {"tax": 2},
            offer_timeout_s=10,
            acw=AcwPolicy(AcwMode.TIMEBOXED, 30),
        ),
        QueueDef("email", Channel.EMAIL, {"email": 1}, offer_timeout_s=60),
        QueueDef(
            "mail",
            Channel.MAIL,
            {"postal": 1},
            offer_timeout_s=60,
            acw=AcwPolicy(AcwMode.MANDATORY, 0, disposition_required=True),
        ),
    ]
    agents = (
        agents
        if agents is not None
        else {
            "a1": {"tax": 3, "email": 1, "postal": 1},
            "a2": {"tax": 2, "email": 2},
        }
    )
    defs = {aid: AgentDef(aid, "team1", skills) for aid, skills in agents.items()}
    return Centre(CentreDef({q.id: q for q in queues}, defs), FakeClock())


def ready(centre: Centre, *agent_ids: str) -> None:
    """Log agents in and make them ready."""
    for aid in agent_ids:
        centre.login(aid)
        centre.set_presence(aid, "ready")


def kinds(result: object) -> list[str]:
    """Return the event kinds of a command result."""
    return [e.kind for e in result.events]  # type: ignore[attr-defined]


__all__ = [
    "Overflow",
    "QueueDef",
    "Channel",
    "AcwPolicy",
    "AcwMode",
    "make_centre",
    "ready",
    "kinds",
]
