"""The users known to the platform, built from the configuration."""

from __future__ import annotations

from dataclasses import dataclass

from standardiste.auth.principal import Principal
from standardiste.config import Config


@dataclass(frozen=True, slots=True)
class Account:
    """A user account: its principal and stored password hash."""

    principal: Principal
    password_hash: str | None


class Directory:
    """Look users up by id; agents are users with the agent role and a team scope."""

    def __init__(self, config: Config) -> None:
        self._accounts: dict[str, Account] = {}
        for agent in config.agents:
            principal = Principal(
                user_id=agent.id,
                role="agent",
                name=agent.name,
                agent_id=agent.id,
                scope_level="team",
                scope_id=agent.team,
            )
            self._accounts[agent.id] = Account(principal, agent.password_hash)
        for user in config.users:
            principal = Principal(
                user_id=user.id,
                role=user.role,
                name=user.name,
                scope_level=user.scope.level,
                scope_id=user.scope.id,
            )
            self._accounts[user.id] = Account(principal, user.password_hash)

    def get(self, user_id: str) -> Account | None:
        """Return an account or None."""
        return self._accounts.get(user_id)

    def __len__(self) -> int:
        return len(self._accounts)
