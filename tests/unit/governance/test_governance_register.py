"""Processing register: modules off by default, complete sheets, campaigns, retention."""

from __future__ import annotations

import datetime as dt
import tomllib
from typing import Any

import pytest
from pydantic import ValidationError

from standardiste.governance.audit import AuditLog
from standardiste.governance.changes import config_changes
from standardiste.governance.errors import PurposeError
from standardiste.governance.notices import render_agent_notice, render_processing_record
from standardiste.governance.register import (
    GovernanceConfig,
    Purpose,
    check_pause_reasons,
    require_recording_purpose,
)

SHEET = """
controller = "DGFiP - Centre de contact de Toulouse"
legal_basis = "public_task"
dpia_reference = "AIPD-2026-07"
consultation = { body = "F3SCT", date = 2026-03-02, reference = "PV F3SCT 2026-03" }
dpo_signoff = { name = "Claire Martin", date = 2026-03-20 }
notice_fr = "Vous pouvez déclencher l'enregistrement d'un appel conflictuel."
notice_en = "You may start recording a hostile call."
recipients = ["incident_officer"]
"""


def _toml(text: str) -> dict[str, Any]:
    return tomllib.loads(text)


def _cfg(extra: str = "", agent: bool = True, campaign: bool = True) -> dict[str, Any]:
    text = 'dpo_contact = "dpd@dgfip.example"\n'
    if agent:
        text += "[modules.agent_recording]\nenabled = true\n[modules.agent_recording.sheet]\n"
        text += SHEET + 'purposes = ["incivility_evidence"]\n'
    if campaign:
        text += "[modules.campaign_recording]\nenabled = true\n[modules.campaign_recording.sheet]\n"
        text += SHEET + 'purposes = ["evaluation", "training"]\n'
    return _toml(text + extra)


CAMPAIGN = """
[[campaigns]]
id = "eval-q4"
purpose = "evaluation"
start = 2026-10-05
end = 2026-10-16
notice_date = 2026-09-21
sample_rate = 0.05
teams = ["particuliers-1"]
"""


def _errors(data: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as exc:
        GovernanceConfig.model_validate(data)
    return str(exc.value)


def test_modules_off_by_default_and_no_processing() -> None:
    cfg = GovernanceConfig()
    assert not any(cfg.modules.get(m).enabled for m in type(cfg.modules).model_fields)
    assert cfg.retention.recordings_days == 180 and cfg.retention.state_events_days == 7
    assert cfg.retention.audit_days == 365 and not cfg.allow_download
    assert "Aucun module" in render_processing_record(cfg)


def test_enabling_requires_complete_sheet_with_key_paths() -> None:
    data = _toml("[modules.individual_statistics]\nenabled = true\n")
    msg = _errors(data)
    for key in (
        "controller",
        "purposes",
        "legal_basis",
        "dpia_reference",
        "consultation",
        "dpo_signoff",
        "notice_fr",
        "indicators",
    ):
        assert f"governance.modules.individual_statistics.sheet.{key}" in msg, key
    # The same sheet, complete, passes; a global controller fills the sheet's.
    data = _cfg(agent=True, campaign=False)
    del data["modules"]["agent_recording"]["sheet"]["controller"]
    assert "controller" in _errors(data)
    data["controller"] = "DGFiP"
    assert GovernanceConfig.model_validate(data).sheet("agent_recording").controller == "DGFiP"


def test_purpose_list_is_closed() -> None:
    data = _cfg(campaign=False)
    data["modules"]["agent_recording"]["sheet"]["purposes"] = ["incivility_evidence", "other"]
    msg = _errors(data)
    assert "modules.agent_recording.sheet.purposes.1" in msg and "training" in msg
    data["modules"]["agent_recording"]["sheet"]["purposes"] = ["evaluation"]
    assert "'evaluation' not allowed for agent_recording" in _errors(data)
    data = _cfg(agent=False)
    data["modules"]["campaign_recording"]["sheet"]["purposes"] = ["incivility_evidence"]
    assert "agent-triggered recording only" in _errors(data)


def test_purpose_specific_requirements_and_consent_refused() -> None:
    data = _cfg(agent=False)
    sheet = data["modules"]["campaign_recording"]["sheet"]
    sheet["purposes"] = ["legal_obligation", "contract_proof"]
    msg = _errors(data)
    assert "campaign_recording.sheet.legal_reference" in msg
    assert "campaign_recording.sheet.justification" in msg
    sheet.update(legal_reference="Code X art. 1", justification="no other proof")
    GovernanceConfig.model_validate(data)
    sheet["legal_basis"] = "consent"
    assert "legal_basis" in _errors(data)
    sheet["legal_basis"] = "public_task"
    sheet["dpo_signoff"] = {"name": "C. Martin", "date": dt.date(2026, 1, 1)}
    assert "must not precede the staff-body consultation" in _errors(data)


def test_campaign_recording_requires_bounded_period_and_notice() -> None:
    """R-TEST 2."""
    GovernanceConfig.model_validate(_cfg(CAMPAIGN))
    no_end = CAMPAIGN.replace("end = 2026-10-16\n", "")
    assert "governance.campaigns[0].end: a campaign needs a bounded period" in _errors(_cfg(no_end))
    no_notice = CAMPAIGN.replace("notice_date = 2026-09-21\n", "")
    assert "governance.campaigns[0].notice_date" in _errors(_cfg(no_notice))
    late_notice = CAMPAIGN.replace("notice_date = 2026-09-21", "notice_date = 2026-10-05")
    assert "governance.campaigns[0].notice_date" in _errors(_cfg(late_notice))
    no_rate = CAMPAIGN.replace("sample_rate = 0.05\n", "")
    assert "set a sample_rate or a quota" in _errors(_cfg(no_rate))
    quota = no_rate + "quota = 40\n"
    GovernanceConfig.model_validate(_cfg(quota))
    no_team = CAMPAIGN.replace('teams = ["particuliers-1"]\n', "")
    assert "name the teams or agents" in _errors(_cfg(no_team))
    assert "campaign_recording is not enabled" in _errors(_cfg(CAMPAIGN, campaign=False))
    wrong = CAMPAIGN.replace('purpose = "evaluation"', 'purpose = "service_quality"')
    assert "not in the module's sheet purposes" in _errors(_cfg(wrong))
    assert "duplicate id" in _errors(_cfg(CAMPAIGN + CAMPAIGN))


def test_record_all_mode_rejected_without_legal_reference() -> None:
    """R-TEST 3."""
    record_all = CAMPAIGN.replace("sample_rate = 0.05", "record_all = true")
    assert "governance.campaigns[0].record_all" in _errors(_cfg(record_all))
    all_by_rate = CAMPAIGN.replace("sample_rate = 0.05", "sample_rate = 1.0")
    assert "governance.campaigns[0].record_all" in _errors(_cfg(all_by_rate))
    data = _cfg(record_all.replace('"evaluation"', '"legal_obligation"'))
    data["modules"]["campaign_recording"]["sheet"].update(
        purposes=["legal_obligation"], legal_reference="Code de la sécurité intérieure L.1"
    )
    assert "record_all" in _errors(data)  # the campaign itself lacks the legal reference
    data["campaigns"][0]["legal_reference"] = "Code de la sécurité intérieure L.1"
    assert GovernanceConfig.model_validate(data).campaigns[0].record_all


def test_no_recording_without_declared_purpose() -> None:
    """R-TEST 1: a recording needs an enabled module and a matching active campaign."""
    day = dt.date(2026, 10, 6)
    off = GovernanceConfig()
    with pytest.raises(PurposeError) as exc:
        require_recording_purpose(off, Purpose.INCIVILITY_EVIDENCE, campaign_id=None, day=day)
    assert exc.value.error_id == "purpose-not-enabled"
    with pytest.raises(PurposeError):
        require_recording_purpose(off, Purpose.EVALUATION, campaign_id="eval-q4", day=day)
    cfg = GovernanceConfig.model_validate(_cfg(CAMPAIGN))
    require_recording_purpose(cfg, Purpose.INCIVILITY_EVIDENCE, campaign_id=None, day=day)
    require_recording_purpose(cfg, Purpose.EVALUATION, campaign_id="eval-q4", day=day)
    for purpose, cid, when in [
        (Purpose.EVALUATION, None, day),
        (Purpose.TRAINING, "eval-q4", day),
        (Purpose.EVALUATION, "eval-q4", dt.date(2026, 10, 17)),
        (Purpose.EVALUATION, "eval-q4", dt.date(2026, 10, 4)),
    ]:
        with pytest.raises(PurposeError):
            require_recording_purpose(cfg, purpose, campaign_id=cid, day=when)


def test_retention_cannot_be_raised_without_legal_basis() -> None:
    """R-TEST 8 (second half)."""
    assert "governance.retention.recordings_days" in _errors(
        {"retention": {"recordings_days": 181}}
    )
    cfg = GovernanceConfig.model_validate({"retention": {"recordings_days": 30}})
    assert cfg.retention.recordings_days == 30
    ok = {"retention": {"recordings_days": 365, "recordings_legal_basis": "Code X art. 2"}}
    assert GovernanceConfig.model_validate(ok).retention.recordings_days == 365
    assert "state_events_days" in _errors({"retention": {"state_events_days": 31}})
    assert "audit_days" in _errors({"retention": {"audit_days": 90}})
    assert "analysis_docs_days" in _errors({"retention": {"analysis_docs_days": 400}})


@pytest.mark.parametrize(
    "reason",
    ["Toilettes", "pause WC", "Médical", "rdv médecin", "santé", "Malade", "health break",
     "toilet_break", "Sick", "pregnancy", "enceinte", "allaitement", "prière",
     "réunion syndicale", "union meeting", "bio break", "infirmerie", "Therapy"],
)  # fmt: skip
def test_sensitive_pause_codes_rejected(reason: str) -> None:
    """R-TEST 16."""
    errors = check_pause_reasons(["break", reason], path="agents.pause_reasons")
    assert len(errors) == 1 and errors[0].startswith("agents.pause_reasons[1]:")


def test_coarse_pause_codes_accepted() -> None:
    ok = [
        "break",
        "Pause déjeuner",
        "training",
        "formation",
        "réunion",
        "technical",
        "incident technique",
        "meeting",
        "personal",
        "plaisanterie",
        "illustration",
    ]
    assert check_pause_reasons(ok) == []


def test_record_and_notice_rendered_from_config() -> None:
    cfg = GovernanceConfig.model_validate(_cfg(CAMPAIGN))
    record = render_processing_record(cfg)
    assert "AIPD-2026-07" in record and "F3SCT du 2026-03-02 (PV F3SCT 2026-03)" in record
    assert "Claire Martin, 2026-03-20" in record and "incivility_evidence" in record
    assert "180 jours" in record and "dpd@dgfip.example" in record
    notice = render_agent_notice(cfg)
    assert "appel conflictuel" in notice and "eval-q4" in notice and "particuliers-1" in notice
    assert "7 jours" in notice
    en = render_agent_notice(cfg, lang="en")
    assert "hostile call" in en and "Retention: 180 days" in en


async def test_default_change_is_audited_and_listed_on_transparency_page(
    audit: AuditLog,
) -> None:
    """R-TEST 17 (register side): every change yields an audit entry; the notice shows it."""
    old = GovernanceConfig.model_validate(_cfg(agent=True, campaign=True))
    data = _cfg(CAMPAIGN, agent=False)
    data["retention"] = {"recordings_days": 90, "state_events_days": 5}
    new = GovernanceConfig.model_validate(data)
    records = config_changes(old, new, "décision du 2026-09-20")
    got = {(r.action, r.subject) for r in records}
    assert got == {
        ("config.monitoring_module_disabled", "module:agent_recording"),
        ("recording.campaign.created", "campaign:eval-q4"),
        ("recording.retention_changed", "governance.retention.recordings_days"),
        ("config.default_changed", "governance.retention.state_events_days"),
    }
    for r in records:
        await audit.append(r.action, actor="admin", subject=r.subject, details=r.details)
    logged = await audit.query(actions=["config.default_changed"])
    assert logged[0].details == {
        "key": "governance.retention.state_events_days",
        "old": 7,
        "new": 5,
        "justification": "décision du 2026-09-20",
    }
    assert "5 jours" in render_agent_notice(new)
    assert "Durée de conservation : 90 jours" in render_processing_record(new)
    assert config_changes(new, new, None) == []
