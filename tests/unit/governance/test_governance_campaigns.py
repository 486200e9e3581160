"""Campaign selection: period, named teams/agents, sampling, quota, exemptions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from standardiste.governance.campaigns import select_campaign
from standardiste.governance.register import GovernanceConfig

DAY = dt.date(2026, 10, 1)


def _sel(cfg: GovernanceConfig, **kw: Any) -> str | None:
    args: dict[str, Any] = {"day": DAY, "agent_id": "a1", "team_id": "t1",
                            "staff_representative": False, "private_line": False,
                            "draw": 0.01, "recorded_so_far": {}}  # fmt: skip
    args.update(kw)
    c = select_campaign(cfg, **args)
    return c.id if c else None


def test_private_line_and_representative_not_recorded(gov_config: GovernanceConfig) -> None:
    """R-TEST 6 (selection level)."""
    assert _sel(gov_config) == "q4"
    assert _sel(gov_config, private_line=True) is None
    assert _sel(gov_config, staff_representative=True) is None
    data = gov_config.model_dump(mode="json")
    data["campaigns"][0]["include_staff_representatives"] = True
    assert _sel(GovernanceConfig.model_validate(data), staff_representative=True) == "q4"


def test_sampling_period_scope_and_quota(gov_config: GovernanceConfig) -> None:
    assert _sel(gov_config, draw=0.0999) == "q4"
    assert _sel(gov_config, draw=0.1) is None
    assert _sel(gov_config, day=dt.date(2026, 9, 20)) is None
    assert _sel(gov_config, day=dt.date(2027, 7, 1)) is None
    assert _sel(gov_config, team_id="t2") is None
    data = gov_config.model_dump(mode="json")
    data["campaigns"][0].update(sample_rate=None, quota=2, teams=[], agents=["a7"])
    cfg = GovernanceConfig.model_validate(data)
    assert _sel(cfg, agent_id="a7", draw=0.99, recorded_so_far={"q4": 1}) == "q4"
    assert _sel(cfg, agent_id="a7", recorded_so_far={"q4": 2}) is None
    assert _sel(cfg, agent_id="a1") is None
    assert _sel(GovernanceConfig()) is None
