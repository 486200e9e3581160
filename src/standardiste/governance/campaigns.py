"""Decide whether a call falls in a recording campaign (R-REC-1, R-REC-4)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from standardiste.governance.register import Campaign, GovernanceConfig


def select_campaign(
    cfg: GovernanceConfig,
    *,
    day: dt.date,
    agent_id: str,
    team_id: str | None,
    staff_representative: bool,
    private_line: bool,
    draw: float,
    recorded_so_far: Mapping[str, int],
) -> Campaign | None:
    """Return the campaign that records this call, or None; `draw` is uniform in [0, 1)."""
    if private_line or not cfg.modules.campaign_recording.enabled:
        # Private calls are never recorded: CNIL requires a line or key out of the recorder.
        return None
    for c in cfg.campaigns:
        if not c.active_on(day):
            continue
        if agent_id not in c.agents and (team_id is None or team_id not in c.teams):
            continue
        if staff_representative and not c.include_staff_representatives:
            continue
        if c.quota is not None and recorded_so_far.get(c.id, 0) >= c.quota:
            continue
        if c.record_all or (c.sample_rate is not None and draw < c.sample_rate):
            return c
        if c.sample_rate is None and c.quota is not None:
            return c
    return None
