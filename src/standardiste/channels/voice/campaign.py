"""Campaign recording of bridged calls (R-REC-1, R-REC-4): select, draw, count, start."""

from __future__ import annotations

import datetime as dt
import logging
import random
import time
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from standardiste.governance.campaigns import select_campaign
from standardiste.media.plane import MediaPlane

from .recording import CallRecording
from .session import VoiceCall

log = logging.getLogger(__name__)


def _never(_: Any) -> bool:
    return False


class CampaignRecorder:
    """Start the campaign recording of a call when it is bridged to a selected agent."""

    def __init__(
        self,
        governance: Callable[[], Any],
        plane: MediaPlane,
        *,
        tz: ZoneInfo,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.time,
        staff_representative: Callable[[str], bool] = _never,
        private_line: Callable[[VoiceCall], bool] = _never,
        max_pause_s: float = 120.0,
    ) -> None:
        self._governance = governance
        self.plane = plane
        self.tz = tz
        # Seeded by the caller in tests and simulations; the draw is the sample of R-REC-4.
        self.rng = rng if rng is not None else random.Random()
        self.clock = clock
        self.staff_representative = staff_representative
        self.private_line = private_line
        self.max_pause_s = max_pause_s
        self.counts: dict[str, int] = {}  # campaign id -> recordings started (quota)

    async def _count(self, gov: Any, campaign_id: str) -> int:
        # The catalog survives restarts: seed the quota count from it once per campaign.
        if campaign_id not in self.counts:
            catalog = getattr(gov, "catalog", None)
            found = await catalog.find(campaign_id=campaign_id) if catalog is not None else []
            self.counts[campaign_id] = len(found)
        return self.counts[campaign_id]

    async def on_bridged(self, vc: VoiceCall) -> CallRecording | None:
        """Record the call if a campaign selects it; never let a failure break the call."""
        try:
            return await self._maybe_record(vc)
        except Exception:  # a recorder fault must not drop the caller (the call goes on)
            log.exception("campaign recording of %s failed", vc.interaction_id)
            return None

    async def _maybe_record(self, vc: VoiceCall) -> CallRecording | None:
        gov = self._governance()
        agent_id = vc.agent_id
        if gov is None or agent_id is None or vc.recording is not None:
            return None
        cfg = gov.config
        if not cfg.campaigns or not cfg.modules.campaign_recording.enabled:
            return None
        day = dt.datetime.fromtimestamp(self.clock(), self.tz).date()
        counts = {c.id: await self._count(gov, c.id) for c in cfg.campaigns if c.quota}
        campaign = select_campaign(
            cfg,
            day=day,
            agent_id=agent_id,
            team_id=gov.team_of(agent_id),
            staff_representative=self.staff_representative(agent_id),
            private_line=self.private_line(vc),
            draw=self.rng.random(),
            recorded_so_far=counts,
        )
        if campaign is None:
            return None
        rec = await CallRecording.start_campaign(
            gov, self.plane, vc, campaign, max_pause_s=self.max_pause_s
        )
        self.counts[campaign.id] = self.counts.get(campaign.id, 0) + 1
        if vc.recording is not None or vc.call.ended or vc.agent_id != agent_id or not vc.bridged:
            # The call moved on while governance opened the file (hang-up, transfer, or the
            # agent's own recording): nothing would stop this one, so seal it now.
            await rec.stop(actor="system")
            return None
        vc.recording = rec
        log.info("campaign %s records %s", campaign.id, vc.interaction_id)
        return rec
