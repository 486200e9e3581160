"""Who is asking: a user with a role and a scope in the organisation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ROLES = ("agent", "supervisor", "analyst", "admin", "dpo", "incident_officer")


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated user; `scope_level` is team, site, region or national."""

    user_id: str
    role: str
    name: str = ""
    agent_id: str | None = None
    scope_level: str = "national"
    scope_id: str | None = None
    mfa: bool = False

    def as_dict(self) -> dict[str, Any]:
        """Return the public view of the principal."""
        return {
            "id": self.user_id,
            "role": self.role,
            "name": self.name,
            "agent_id": self.agent_id,
            "scope": {"level": self.scope_level, "id": self.scope_id},
        }
