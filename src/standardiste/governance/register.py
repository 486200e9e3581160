"""Processing register: monitoring modules, processing sheets, campaigns, retention (R-GOV, R-REC).

Mounted by the core configuration as the `[governance]` TOML table. Every monitoring module is
off by default and can only be enabled with a complete processing sheet (R-GOV-1); purposes
come from a closed list (R-GOV-2). Semantic errors name the TOML key path.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from standardiste.governance.errors import PurposeError
from standardiste.governance.pause_reasons import check_pause_reasons

__all__ = ["check_pause_reasons"]  # re-exported: the core config validates its pause reasons


class Purpose(StrEnum):
    """The closed list of purposes (CNIL guidance); there is deliberately no "other"."""

    TRAINING = "training"
    EVALUATION = "evaluation"
    SERVICE_QUALITY = "service_quality"
    INCIVILITY_EVIDENCE = "incivility_evidence"
    LEGAL_OBLIGATION = "legal_obligation"
    CONTRACT_PROOF = "contract_proof"


class LegalBasis(StrEnum):
    """GDPR Art. 6(1) bases usable at work; consent is excluded (WP249: not freely given)."""

    PUBLIC_TASK = "public_task"
    LEGAL_OBLIGATION = "legal_obligation"
    LEGITIMATE_INTERESTS = "legitimate_interests"
    CONTRACT = "contract"


MODULES = (
    "agent_recording",
    "campaign_recording",
    "state_history_extended",
    "individual_statistics",
    "wallboard_detail",
)
_NOT_AGENT = frozenset(Purpose) - {Purpose.INCIVILITY_EVIDENCE}
MODULE_PURPOSES: dict[str, frozenset[Purpose]] = {
    "agent_recording": frozenset({Purpose.INCIVILITY_EVIDENCE}),
    "campaign_recording": _NOT_AGENT,
    "state_history_extended": _NOT_AGENT,
    "individual_statistics": _NOT_AGENT,
    "wallboard_detail": _NOT_AGENT,
}
MAX_RECORDING_DAYS = 180
MAX_ANALYSIS_DAYS = 365
MAX_STATE_EVENT_DAYS = 7
MIN_AUDIT_DAYS = 365


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Consultation(_Strict):
    """Consultation of the staff body (CSE / CSA / F3SCT) before deployment (L2312-38)."""

    body: str = Field(min_length=1)
    date: dt.date
    reference: str = Field(min_length=1)


class Signoff(_Strict):
    """DPO sign-off of the processing sheet."""

    name: str = Field(min_length=1)
    date: dt.date


class ProcessingSheet(_Strict):
    """Fields of a processing sheet; all optional until the module is enabled."""

    controller: str | None = None
    purposes: tuple[Purpose, ...] = ()
    legal_basis: LegalBasis | None = None
    legal_reference: str | None = None
    justification: str | None = None
    dpia_reference: str | None = None
    consultation: Consultation | None = None
    dpo_signoff: Signoff | None = None
    notice_fr: str | None = None
    notice_en: str | None = None
    recipients: tuple[str, ...] = ()
    indicators: tuple[str, ...] = ()


class Module(_Strict):
    """A monitoring module: off by default."""

    enabled: bool = False
    sheet: ProcessingSheet = ProcessingSheet()


class Modules(_Strict):
    """The five monitoring modules."""

    agent_recording: Module = Module()
    campaign_recording: Module = Module()
    state_history_extended: Module = Module()
    individual_statistics: Module = Module()
    wallboard_detail: Module = Module()

    def get(self, name: str) -> Module:
        """Return a module by name."""
        module = getattr(self, name)
        assert isinstance(module, Module)
        return module


class Campaign(_Strict):
    """A bounded recording campaign (R-REC-1); dates are local calendar days, end inclusive."""

    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    purpose: Purpose
    start: dt.date
    end: dt.date | None = None
    notice_date: dt.date | None = None
    sample_rate: float | None = Field(default=None, gt=0, le=1)
    quota: int | None = Field(default=None, ge=1)
    record_all: bool = False
    legal_reference: str | None = None
    teams: tuple[str, ...] = ()
    agents: tuple[str, ...] = ()
    include_staff_representatives: bool = False

    def active_on(self, day: dt.date) -> bool:
        """Tell whether the campaign covers this local day."""
        return self.start <= day <= (self.end or self.start)


class Retention(_Strict):
    """Retention periods in days (R-REC-6, R-STATE-3, R-SEC-2)."""

    recordings_days: int = Field(default=MAX_RECORDING_DAYS, ge=1)
    recordings_legal_basis: str | None = None
    analysis_docs_days: int = Field(default=MAX_ANALYSIS_DAYS, ge=1, le=MAX_ANALYSIS_DAYS)
    state_events_days: int = Field(default=MAX_STATE_EVENT_DAYS, ge=1)
    audit_days: int = Field(default=MIN_AUDIT_DAYS, ge=MIN_AUDIT_DAYS)


class GovernanceConfig(_Strict):
    """The `[governance]` table: register, campaigns, retention, download switch."""

    controller: str | None = None
    dpo_contact: str | None = None
    modules: Modules = Modules()
    campaigns: tuple[Campaign, ...] = ()
    retention: Retention = Retention()
    allow_download: bool = False

    @model_validator(mode="after")
    def _semantic_checks(self) -> GovernanceConfig:
        errors = check_register(self)
        if errors:
            raise ValueError("\n".join(errors))
        return self

    def sheet(self, module: str) -> ProcessingSheet:
        """Return a module's sheet with the global controller filled in."""
        sheet = self.modules.get(module).sheet
        if sheet.controller is None and self.controller:
            return sheet.model_copy(update={"controller": self.controller})
        return sheet


def _check_sheet(cfg: GovernanceConfig, name: str) -> list[str]:
    sheet = cfg.sheet(name)
    at = f"governance.modules.{name}.sheet"
    required = {
        "controller": sheet.controller,
        "purposes": sheet.purposes,
        "legal_basis": sheet.legal_basis,
        "dpia_reference": sheet.dpia_reference,
        "consultation": sheet.consultation,
        "dpo_signoff": sheet.dpo_signoff,
        "notice_fr": sheet.notice_fr,
    }
    errors = [
        f"{at}.{key}: required to enable the module (R-GOV-1)"
        for key, value in required.items()
        if not value or (isinstance(value, str) and not value.strip())
    ]
    for p in sheet.purposes:
        if p not in MODULE_PURPOSES[name]:
            why = "agent-triggered recording only" if p is Purpose.INCIVILITY_EVIDENCE else ""
            errors.append(f"{at}.purposes: {p.value!r} not allowed for {name} {why}".rstrip())
    if Purpose.LEGAL_OBLIGATION in sheet.purposes and not sheet.legal_reference:
        errors.append(f"{at}.legal_reference: required for purpose 'legal_obligation'")
    if Purpose.CONTRACT_PROOF in sheet.purposes and not sheet.justification:
        errors.append(f"{at}.justification: required for purpose 'contract_proof'")
    if name == "individual_statistics" and not sheet.indicators:
        errors.append(f"{at}.indicators: list each individual indicator shown (R-STATE-5)")
    if (
        sheet.consultation
        and sheet.dpo_signoff
        and sheet.dpo_signoff.date < sheet.consultation.date
    ):
        errors.append(f"{at}.dpo_signoff.date: must not precede the staff-body consultation")
    return errors


def _check_campaign(cfg: GovernanceConfig, i: int, c: Campaign) -> list[str]:
    at = f"governance.campaigns[{i}]"
    errors = []
    module = cfg.modules.campaign_recording
    if not module.enabled:
        errors.append(f"{at}: module governance.modules.campaign_recording is not enabled")
    elif c.purpose not in module.sheet.purposes:
        errors.append(f"{at}.purpose: {c.purpose.value!r} is not in the module's sheet purposes")
    if c.purpose is Purpose.INCIVILITY_EVIDENCE:
        errors.append(f"{at}.purpose: 'incivility_evidence' is agent-triggered only (R-REC-2)")
    if c.end is None:
        errors.append(f"{at}.end: a campaign needs a bounded period (R-REC-1)")
    elif c.end < c.start:
        errors.append(f"{at}.end: before start")
    if c.notice_date is None or c.notice_date >= c.start:
        errors.append(f"{at}.notice_date: agents must be notified before the start (R-REC-1)")
    record_all = c.record_all or c.sample_rate == 1
    if record_all and not (c.purpose is Purpose.LEGAL_OBLIGATION and c.legal_reference):
        errors.append(
            f"{at}.record_all: recording every call needs purpose 'legal_obligation' "
            "and a legal_reference (R-REC-1)"
        )
    if not record_all and c.sample_rate is None and c.quota is None:
        errors.append(f"{at}.sample_rate: set a sample_rate or a quota (R-REC-1)")
    if not c.teams and not c.agents:
        errors.append(f"{at}.teams: name the teams or agents in the campaign (R-REC-1)")
    return errors


def check_register(cfg: GovernanceConfig) -> list[str]:
    """Return every semantic error of the register, each prefixed with its key path."""
    errors: list[str] = []
    for name in MODULES:
        if cfg.modules.get(name).enabled:
            errors += _check_sheet(cfg, name)
    ids = [c.id for c in cfg.campaigns]
    for i, campaign in enumerate(cfg.campaigns):
        errors += _check_campaign(cfg, i, campaign)
        if ids.index(campaign.id) != i:
            errors.append(f"governance.campaigns[{i}].id: duplicate id {campaign.id!r}")
    r = cfg.retention
    if r.recordings_days > MAX_RECORDING_DAYS and not r.recordings_legal_basis:
        errors.append(
            f"governance.retention.recordings_days: above {MAX_RECORDING_DAYS} needs "
            "recordings_legal_basis (R-REC-6)"
        )
    if (
        r.state_events_days > MAX_STATE_EVENT_DAYS
        and not cfg.modules.state_history_extended.enabled
    ):
        errors.append(
            f"governance.retention.state_events_days: above {MAX_STATE_EVENT_DAYS} needs the "
            "state_history_extended module and its processing sheet (R-STATE-3)"
        )
    return errors


def require_recording_purpose(
    cfg: GovernanceConfig, purpose: Purpose, *, campaign_id: str | None, day: dt.date
) -> None:
    """Refuse to start a recording whose purpose no enabled module or active campaign covers."""
    if purpose is Purpose.INCIVILITY_EVIDENCE:
        if not cfg.modules.agent_recording.enabled:
            raise PurposeError("agent-triggered recording is not enabled", purpose=purpose.value)
        return
    campaign = next((c for c in cfg.campaigns if c.id == campaign_id), None)
    if campaign is None or not cfg.modules.campaign_recording.enabled:
        raise PurposeError("no enabled campaign for this recording", campaign=campaign_id)
    if campaign.purpose is not purpose or not campaign.active_on(day):
        raise PurposeError(
            "campaign purpose or period does not match", campaign=campaign_id, purpose=purpose.value
        )
