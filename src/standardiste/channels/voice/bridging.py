"""Media moves of a voice call: music while waiting, bridge on answer, release on transfer/end."""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING

from standardiste.media.errors import MediaError
from standardiste.media.plane import MediaPlane
from standardiste.media.prompts import MUSIC_ON_HOLD

from .session import VoiceCall

if TYPE_CHECKING:
    from .campaign import CampaignRecorder

log = logging.getLogger(__name__)


class CallMedia:
    """Media-plane steps shared by the adapter's hooks and the API actions."""

    def __init__(self, plane: MediaPlane) -> None:
        self.plane = plane
        self.campaigns: CampaignRecorder | None = None  # set by the wiring when governance runs

    async def music(self, vc: VoiceCall) -> None:
        """Loop the music on hold to the caller."""
        await self.plane.play(vc.caller_ep.id, [MUSIC_ON_HOLD], loop=True)

    async def bridge(self, vc: VoiceCall) -> None:
        """Stop the caller's prompts and relay both ways with the agent's phone."""
        assert vc.agent_ep is not None
        vc.bridged = True
        if vc.task is not None:
            vc.task.cancel()  # no announcement may follow the bridge
        await self.plane.stop_play(vc.caller_ep.id)
        await self.plane.bridge(vc.caller_ep.id, vc.agent_ep.id)
        if self.campaigns is not None:
            await self.campaigns.on_bridged(vc)

    async def release_agent(self, vc: VoiceCall, *, bye: bool) -> None:
        """Drop the agent's leg and endpoint (transfer) and put the caller back on music."""
        # State first, synchronously: the centre's next event (a new offer) may follow at once.
        leg, ep, was_bridged = vc.agent_leg, vc.agent_ep, vc.bridged
        vc.agent_leg, vc.agent_ep, vc.agent_id, vc.bridged = None, None, None, False
        if leg is not None:
            vc.superseded.add(id(leg))
            if vc.call.agent is leg:
                vc.call.agent = None  # its BYE must not end the caller's call
            if leg.state == "connected" and bye and not leg.detached:
                leg.detached = True
                await leg.bye()
            elif leg.state in ("init", "early"):
                leg.cancel("cancelled")
        if vc.recording is not None:
            await self.stop_recording_media(vc)
        with contextlib.suppress(MediaError):
            if ep is not None:
                if was_bridged:
                    await self.plane.unbridge(vc.caller_ep.id, ep.id)
                await self.plane.release(ep.id)
            if not vc.call.ended:
                await self.music(vc)

    async def stop_recording_media(self, vc: VoiceCall) -> None:
        """Stop and seal a running recording (the agent leg goes away)."""
        rec, vc.recording = vc.recording, None
        if rec is not None:
            try:
                await rec.stop(actor="system")
            except Exception:  # the call must still be torn down; the sink finalises the file
                log.exception("could not stop recording of %s", vc.interaction_id)

    async def teardown(self, vc: VoiceCall) -> None:
        """Free every media resource of an ended call."""
        if vc.recording is not None:
            await self.stop_recording_media(vc)
        for ep in (vc.agent_ep, vc.caller_ep):
            if ep is not None:
                try:
                    await self.plane.release(ep.id)
                except MediaError as err:
                    log.debug("release %s: %s", ep.id, err)
        vc.agent_ep = None
