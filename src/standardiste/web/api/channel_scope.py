"""Supervisor scope for the e-mail and postal-mail APIs: a work item's queues and agents."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from fastapi import Request

from standardiste.web.deps import get_runtime


class ScopeLike(Protocol):
    """The part of `standardiste.auth.scope.ScopePolicy` these checks use."""

    def queue_visible(self, principal: Any, queue_id: str) -> bool: ...

    def agent_visible(self, principal: Any, agent_id: str) -> bool: ...


def runtime_scope(request: Request) -> ScopeLike:
    """Return the scope policy of the running centre."""
    scope: ScopeLike = get_runtime(request).scope
    return scope


def items_in_scope(
    scope: ScopeLike, principal: Any, queues: Iterable[str | None], items: Iterable[Any]
) -> bool:
    """Tell whether a supervisor may see work on these queues or by these items' agents."""
    # Same rule as the interactions API: a queue of their sites or regions, or an agent of
    # their teams (a mail transferred to another site stays visible to the agent's own
    # supervisor).
    if getattr(principal, "role", None) == "analyst":
        return False  # aggregates only
    work = [i for i in items if i is not None]
    wanted = {q for q in queues if q} | {getattr(i, "queue_id", None) or "" for i in work}
    if any(scope.queue_visible(principal, q) for q in wanted if q):
        return True
    agents = {getattr(i, "agent_id", None) for i in work}
    return any(scope.agent_visible(principal, a) for a in agents if a)
