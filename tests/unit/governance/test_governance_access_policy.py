"""Pure access policy: role x purpose x scope x period, MFA, reason, download switch."""

from __future__ import annotations

import pytest

from standardiste.governance.recordings import Principal, Recording, check_access
from standardiste.governance.register import Purpose

NOW = 1_790_000_000.0
REC = Recording(
    recording_id="r1", interaction_id="i1", purpose=Purpose.EVALUATION, trigger="campaign",
    agent_ids=("a1",), started_at=NOW - 3600, team_id="t1", site_id="s1", region_id="r-occ",
)  # fmt: skip
INCIVILITY = Recording(
    recording_id="r2", interaction_id="i2", purpose=Purpose.INCIVILITY_EVIDENCE, trigger="agent",
    agent_ids=("a1",), started_at=NOW - 3600, team_id="t1", site_id="s1", region_id="r-occ",
)  # fmt: skip
REASON = "évaluation campagne Q4"


def _p(role: str, level: str = "team", scope: str | None = "t1", agent: str | None = None,
       mfa: bool = True) -> Principal:  # fmt: skip
    return Principal(f"u-{role}", role, level, scope, agent, mfa)  # type: ignore[arg-type]


def _check(p: Principal, rec: Recording = REC, action: str = "play", reason: str | None = REASON,
           **kw: object) -> str:  # fmt: skip
    decision = check_access(
        p,
        rec,
        action,
        reason,
        now=kw.pop("now", NOW),  # type: ignore[arg-type]
        retention_days=180,
        **kw,
    )  # type: ignore[arg-type]
    return decision.code


@pytest.mark.parametrize(
    ("principal", "code"),
    [
        (_p("supervisor"), "granted"),
        (_p("evaluator", "site", "s1"), "granted"),
        (_p("supervisor", "region", "r-occ"), "granted"),
        (_p("supervisor", "national", None), "granted"),
        (_p("supervisor", "team", "t2"), "out-of-scope"),
        (_p("supervisor", "site", "s2"), "out-of-scope"),
        (_p("supervisor", "team", None), "out-of-scope"),
        (_p("quality"), "role-not-allowed-for-purpose"),
        (_p("dpo", "national", None), "role-not-allowed-for-purpose"),
        (_p("admin", "national", None), "role-not-allowed-for-purpose"),
        (_p("agent", agent="a2"), "role-not-allowed-for-purpose"),
        (_p("agent", agent="a1"), "party"),
        (_p("supervisor", mfa=False), "mfa-required"),
    ],
)
def test_role_purpose_scope_matrix(principal: Principal, code: str) -> None:
    assert _check(principal) == code


def test_supervisor_cannot_access_other_team_recordings() -> None:
    """R-TEST 11 (policy level)."""
    assert _check(_p("supervisor", "team", "t1")) == "granted"
    for level, scope in [("team", "t2"), ("site", "s9"), ("region", "r-idf")]:
        assert _check(_p("supervisor", level, scope)) == "out-of-scope"


def test_incivility_recording_not_visible_to_evaluator() -> None:
    """R-TEST 4 (second half): evaluators, quality and supervisors never; agent and officer yes."""
    for role in ("evaluator", "quality", "supervisor", "trainer", "dpo"):
        assert _check(_p(role, "national", None), INCIVILITY) == "role-not-allowed-for-purpose"
    assert _check(_p("incident_officer", "site", "s1"), INCIVILITY) == "granted"
    assert _check(_p("incident_officer", "site", "s2"), INCIVILITY) == "out-of-scope"
    assert _check(_p("agent", agent="a1"), INCIVILITY) == "party"


def test_reason_required_and_download_off_by_default() -> None:
    sup = _p("supervisor")
    assert _check(sup, reason=None) == "reason-required"
    assert _check(sup, reason="   ok  ") == "reason-required"
    for action in ("download", "export"):
        assert _check(sup, action=action) == "download-disabled"
        assert _check(_p("agent", agent="a1"), action=action) == "download-disabled"
        assert _check(sup, action=action, allow_download=True) == "granted"
    assert _check(sup, action="transcript_view") == "granted"
    assert _check(sup, action="delete") == "unknown-action"


def test_period_limits_access_unless_held() -> None:
    sup = _p("supervisor")
    end = REC.started_at + 180 * 86_400
    assert _check(sup, now=end - 1) == "granted"
    assert _check(sup, now=end) == "outside-period"
    assert _check(sup, now=end, held=True) == "granted"
