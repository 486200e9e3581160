"""Make governance live in a node: audit chain, recordings, retention schedule, config audit.

`wire_governance(runtime)` is called for every node (demo or not). It sets
`runtime.governance` (a `Governance`) and appends it to `runtime.extensions`; its routes are
the feature modules `web.api.governance` and `web.pages.governance`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from standardiste.auth.totp import TotpStore
from standardiste.governance.api_support import PlaybackTickets
from standardiste.governance.audit import AuditLog
from standardiste.governance.catalog import MediaStore, RecordingCatalog
from standardiste.governance.config_audit import ConfigAudit
from standardiste.governance.crypto import KeyRing
from standardiste.governance.errors import KeyConfigError
from standardiste.governance.event_store import SqlStateEventStore, SqlSubjectEvents
from standardiste.governance.keyfile import load_keyring
from standardiste.governance.live import LiveRecordings
from standardiste.governance.recording_service import RecordingService
from standardiste.governance.register import GovernanceConfig
from standardiste.governance.retention import RetentionReport, RetentionRunner
from standardiste.governance.retention_job import compactable, reports_catch_up
from standardiste.governance.schedule import RetentionSchedule

if TYPE_CHECKING:
    from standardiste.app import Runtime

log = logging.getLogger(__name__)


class NoKeys(KeyRing):
    """Stands in when no master key is configured: every use fails with a clear error."""

    def __init__(self) -> None:
        self._keks: dict[str, bytes] = {}
        self.active = ""

    def wrap(self, dek: bytes, context: str) -> str:
        """Refuse: no KEK."""
        raise KeyConfigError("no master key: set STANDARDISTE_KEK or the key file")

    def unwrap(self, wrapped: str, context: str) -> bytes:
        """Refuse: no KEK."""
        raise KeyConfigError("no master key: set STANDARDISTE_KEK or the key file")


class Governance:
    """Every governance component of a node; a runtime extension with start/close."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        demo = runtime.config.security.demo
        data_dir = runtime.settings.data_dir
        self.tz = ZoneInfo(runtime.config.centre.timezone)
        keys = load_keyring(data_dir, os.environ, demo=demo)
        self.keys_configured = keys is not None
        self.keys: KeyRing = keys if keys is not None else NoKeys()
        self.audit = AuditLog(runtime.engine, runtime.clock)
        self.catalog = RecordingCatalog(runtime.engine)
        self.media = MediaStore(data_dir / "recordings")
        self.service = RecordingService(
            catalog=self.catalog,
            media=self.media,
            keys=self.keys,
            audit=self.audit,
            clock=runtime.clock,
            config=runtime.config.governance,
            tz=self.tz,
        )
        self.recordings = LiveRecordings(self.service)
        self.states = SqlStateEventStore(runtime.engine)
        self.subjects = SqlSubjectEvents(runtime.engine)
        self.totp = TotpStore(runtime.engine, keys, runtime.clock, demo=demo)
        self.config_audit = ConfigAudit(runtime.engine, self.audit)
        self.schedule = RetentionSchedule(self.run_retention, runtime.clock, self.tz)
        self.exports_dir = data_dir / "exports"
        self.exports: dict[str, tuple[str, Path]] = {}  # export id -> (user id, archive)
        self.tickets = PlaybackTickets()
        self._apply: Callable[..., Awaitable[None]] | None = None

    def bind_apply(self, apply: Callable[..., Awaitable[None]]) -> None:
        """Remember the runtime's own `apply_config`, which governance wraps."""
        self._apply = apply

    @property
    def config(self) -> GovernanceConfig:
        """Return the governance section of the configuration in force."""
        return self.runtime.config.governance

    async def start(self) -> None:
        """Load the audit head (tables come from migrations), audit config drift, schedule."""
        await self.audit.start(create=False)
        self.media.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        await self.config_audit.record_startup(self.config)
        await self.schedule.start()

    async def close(self) -> None:
        """Stop the schedule, seal active recordings, stop the audit writer."""
        await self.schedule.close()
        await self.schedule.wait_closed()
        await self.recordings.close()
        await self.audit.close()

    async def wait_closed(self) -> None:
        """Wait for the audit writer."""
        await self.audit.wait_closed()

    def team_of(self, agent_id: str) -> str | None:
        """Return the team of an agent in the configuration in force."""
        agent = self.runtime.definition.agents.get(agent_id)
        return agent.team_id if agent is not None else None

    def org_of(self, agent_id: str) -> dict[str, str | None]:
        """Return the team, site and region of an agent (to fill `start_recording`)."""
        team = self.team_of(agent_id)
        if team is None:
            return {"team_id": None, "site_id": None, "region_id": None}
        scope = self.runtime.definition.organisation.scope_of_team(team)
        return {"team_id": team, "site_id": scope["site"] or None,
                "region_id": scope["region"] or None}  # fmt: skip

    def runner(self) -> RetentionRunner:
        """Build a retention runner over the configuration in force."""
        return RetentionRunner(
            recordings=self.service,
            audit=self.audit,
            clock=self.runtime.clock,
            retention=self.config.retention,
            states=self.states,
            team_of=self.team_of,
            tz=self.tz,
        )

    async def run_retention(self) -> RetentionReport:
        """Fold pending events into the reports, then apply every retention rule once."""
        await reports_catch_up(self.runtime)
        runner = self.runner()
        if not await compactable(self.states, self.config.retention, self.runtime.clock, self.tz):
            runner.states = None  # reports are behind: purge and prune only, compact next time
        return await runner.run()

    async def apply_config(self, config: Any, *, actor: str, justification: str | None) -> None:
        """Apply a new configuration through the runtime, auditing governance changes."""
        old = self.config
        assert self._apply is not None, "wire_governance binds the runtime's apply_config"
        await self._apply(config, actor=actor)
        self.service.config = config.governance
        await self.config_audit.record_change(
            old, config.governance, actor=actor, justification=justification
        )

    async def record_view(self, viewer: str, agent_id: str, indicator: str) -> None:
        """Audit a manager's view of an individual indicator (R-STATE-5, visible to the agent)."""
        await self.audit.append(
            "state_history.viewed",
            actor=viewer,
            subject=f"agent:{agent_id}",
            details={"indicator": indicator},
        )


def wire_governance(runtime: Runtime) -> Governance:
    """Build the governance components, register them on the runtime and return them."""
    governance = Governance(runtime)
    runtime.governance = governance
    # Every configuration change goes through the governance audit (R-AUDIT, R-TEST 17), also
    # when it comes from the generic PUT /api/v1/config route.
    governance.bind_apply(runtime.apply_config)

    async def audited_apply(config: Any, *, actor: str) -> None:
        await governance.apply_config(config, actor=actor, justification=None)

    runtime.apply_config = audited_apply  # type: ignore[method-assign]
    runtime.extensions.append(governance)
    return governance
