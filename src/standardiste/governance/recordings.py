"""Recording access policy: role x purpose x scope x period, MFA and declared reason (R-ACL)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from standardiste.governance.catalog import Recording
from standardiste.governance.common import DAY_S
from standardiste.governance.register import Purpose

__all__ = ["Decision", "Principal", "Recording", "check_access"]

ScopeLevel = Literal["team", "site", "region", "national"]
ACTIONS = frozenset({"play", "download", "export", "transcript_view"})
_COPY_ACTIONS = frozenset({"download", "export"})
MIN_REASON_CHARS = 5

ROLE_AGENT = "agent"
ROLE_SUPERVISOR = "supervisor"
ROLE_EVALUATOR = "evaluator"
ROLE_QUALITY = "quality"
ROLE_TRAINER = "trainer"
ROLE_INCIDENT_OFFICER = "incident_officer"
ROLE_LEGAL_OFFICER = "legal_officer"
ROLE_DPO = "dpo"
ROLE_ADMIN = "admin"

# Who may open a recording of each purpose, besides the agents who are party to it.
# incivility_evidence is deliberately closed to evaluation and quality roles (R-REC-2);
# dpo and admin see registers and logs, never content.
DEFAULT_PURPOSE_ROLES: Mapping[Purpose, frozenset[str]] = {
    Purpose.TRAINING: frozenset({ROLE_SUPERVISOR, ROLE_TRAINER, ROLE_EVALUATOR}),
    Purpose.EVALUATION: frozenset({ROLE_SUPERVISOR, ROLE_EVALUATOR}),
    Purpose.SERVICE_QUALITY: frozenset({ROLE_SUPERVISOR, ROLE_QUALITY, ROLE_EVALUATOR}),
    Purpose.INCIVILITY_EVIDENCE: frozenset({ROLE_INCIDENT_OFFICER}),
    Purpose.LEGAL_OBLIGATION: frozenset({ROLE_LEGAL_OFFICER}),
    Purpose.CONTRACT_PROOF: frozenset({ROLE_LEGAL_OFFICER}),
}
HOLD_ROLES = frozenset({ROLE_LEGAL_OFFICER})


@dataclass(frozen=True)
class Principal:
    """The authenticated user as the governance layer sees it."""

    user_id: str
    role: str
    scope_level: ScopeLevel
    scope_id: str | None = None
    agent_id: str | None = None
    mfa: bool = False


@dataclass(frozen=True)
class Decision:
    """Outcome of an access check; `code` is a stable slug for the audit log and the API."""

    allowed: bool
    code: str
    message: str = ""


def in_scope(principal: Principal, rec: Recording) -> bool:
    """Tell whether the recording's team/site/region falls in the principal's scope."""
    if principal.scope_level == "national":
        return True
    unit = {"team": rec.team_id, "site": rec.site_id, "region": rec.region_id}
    return principal.scope_id is not None and unit[principal.scope_level] == principal.scope_id


def check_access(
    principal: Principal,
    recording: Recording,
    action: str,
    reason: str | None,
    *,
    now: float,
    retention_days: int,
    held: bool = False,
    allow_download: bool = False,
    purpose_roles: Mapping[Purpose, frozenset[str]] = DEFAULT_PURPOSE_ROLES,
) -> Decision:
    """Decide one access to one recording; pure, so every branch is unit-tested."""
    if action not in ACTIONS:
        return Decision(False, "unknown-action", f"unknown action {action!r}")
    if not principal.mfa:
        return Decision(False, "mfa-required", "recording access requires a second factor")
    if not reason or len(reason.strip()) < MIN_REASON_CHARS:
        return Decision(False, "reason-required", "declare the reason for this access")
    if action in _COPY_ACTIONS and not allow_download:
        return Decision(False, "download-disabled", "download and export are disabled")
    party = principal.agent_id is not None and principal.agent_id in recording.agent_ids
    if party and principal.role == ROLE_AGENT:
        # Art. 15: an agent may always hear recordings they are part of, whatever the purpose.
        return Decision(True, "party")
    if principal.role not in purpose_roles.get(recording.purpose, frozenset()):
        return Decision(
            False,
            "role-not-allowed-for-purpose",
            f"role {principal.role!r} may not access {recording.purpose.value} recordings",
        )
    if not in_scope(principal, recording):
        return Decision(False, "out-of-scope", "recording is outside your organisational scope")
    if now >= recording.started_at + retention_days * DAY_S and not held:
        return Decision(False, "outside-period", "recording is past its retention period")
    return Decision(True, "granted")
