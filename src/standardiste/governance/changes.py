"""Turn a governance configuration change into the audit entries R-AUDIT asks for."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from standardiste.governance.register import MODULES, GovernanceConfig


@dataclass(frozen=True)
class AuditRecord:
    """An audit entry to append: action, subject and details."""

    action: str
    subject: str
    details: dict[str, Any]


def _flatten(value: Any, prefix: str) -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(_flatten(item, f"{prefix}.{key}"))
        return out
    return {prefix: value}


def config_changes(
    old: GovernanceConfig, new: GovernanceConfig, justification: str | None
) -> list[AuditRecord]:
    """List the module switches and setting changes between two configurations."""
    records: list[AuditRecord] = []
    for name in MODULES:
        was, now = old.modules.get(name).enabled, new.modules.get(name).enabled
        if was != now:
            action = "config.monitoring_module_" + ("enabled" if now else "disabled")
            sheet = new.sheet(name)
            details: dict[str, Any] = {"module": name, "justification": justification}
            if now:
                details["dpia_reference"] = sheet.dpia_reference
                details["purposes"] = [p.value for p in sheet.purposes]
            records.append(AuditRecord(action, f"module:{name}", details))
    old_c = {c.id: c for c in old.campaigns}
    new_c = {c.id: c for c in new.campaigns}
    for cid in sorted(old_c.keys() | new_c.keys()):
        if cid not in old_c:
            action = "recording.campaign.created"
        elif cid not in new_c:
            action = "recording.campaign.ended"
        elif old_c[cid] != new_c[cid]:
            action = "recording.campaign.changed"
        else:
            continue
        current = new_c.get(cid)
        details = {"campaign": current.model_dump(mode="json") if current else None,
                   "justification": justification}  # fmt: skip
        records.append(AuditRecord(action, f"campaign:{cid}", details))
    skip = {"modules", "campaigns"}
    before = _flatten(old.model_dump(mode="json", exclude=skip), "governance")
    after = _flatten(new.model_dump(mode="json", exclude=skip), "governance")
    for key in sorted(before.keys() | after.keys()):
        if before.get(key) != after.get(key):
            action = (
                "recording.retention_changed"
                if key.startswith("governance.retention.recordings")
                else "config.default_changed"
            )
            details = {"key": key, "old": before.get(key), "new": after.get(key),
                       "justification": justification}  # fmt: skip
            records.append(AuditRecord(action, key, details))
    return records
