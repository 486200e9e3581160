"""Audit every change of the governance configuration, also edits of the file between runs.

The last audited configuration is kept in the `kv` table, so a node started on an edited file
audits the difference (actor `system:config-file`) before serving (R-AUDIT, R-TEST 17).
"""

from __future__ import annotations

import asyncio
import json
import logging

from pydantic import ValidationError
from sqlalchemy import Engine, select

from standardiste.governance.audit import AuditLog
from standardiste.governance.changes import config_changes
from standardiste.governance.common import canonical_json
from standardiste.governance.event_store import KV_NAMESPACE, upsert
from standardiste.governance.register import GovernanceConfig
from standardiste.store.schema import kv

log = logging.getLogger(__name__)

SNAPSHOT_KEY = "config_snapshot"
FILE_ACTOR = "system:config-file"
CHANGE_ACTIONS = (
    "config.monitoring_module_enabled",
    "config.monitoring_module_disabled",
    "config.default_changed",
    "recording.retention_changed",
    "recording.campaign.created",
    "recording.campaign.changed",
    "recording.campaign.ended",
)


class ConfigAudit:
    """Compare configurations with the last audited one and append the differences."""

    def __init__(self, engine: Engine, audit: AuditLog) -> None:
        self._engine, self._audit = engine, audit

    async def record_startup(self, current: GovernanceConfig) -> int:
        """Audit what changed in the file since the last run; return how many entries."""
        previous = await asyncio.to_thread(self._load)
        return await self.record_change(
            previous,
            current,
            actor=FILE_ACTOR,
            justification="configuration file read at startup",
        )

    async def record_change(
        self,
        old: GovernanceConfig,
        new: GovernanceConfig,
        *,
        actor: str,
        justification: str | None,
    ) -> int:
        """Append one audit entry per change, then remember `new` as audited."""
        records = config_changes(old, new, justification)
        for rec in records:
            await self._audit.append(
                rec.action, actor=actor, subject=rec.subject, details=rec.details
            )
        if records or old != new:
            await asyncio.to_thread(self._save, new)
        return len(records)

    def _load(self) -> GovernanceConfig:
        with self._engine.connect() as conn:
            raw = conn.execute(
                select(kv.c.value).where(kv.c.namespace == KV_NAMESPACE, kv.c.key == SNAPSHOT_KEY)
            ).scalar_one_or_none()
        if raw is None:
            return GovernanceConfig()  # a fresh install starts from the defaults
        try:
            return GovernanceConfig.model_validate(json.loads(raw))
        except (ValidationError, ValueError):
            log.warning("stored governance snapshot unreadable; comparing with the defaults")
            return GovernanceConfig()

    def _save(self, cfg: GovernanceConfig) -> None:
        value = canonical_json(cfg.model_dump(mode="json"))
        with self._engine.begin() as conn:
            upsert(conn, kv, {"namespace": KV_NAMESPACE, "key": SNAPSHOT_KEY, "value": value},
                   ("namespace", "key"))  # fmt: skip
