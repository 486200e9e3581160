"""Attach the voice channel to a node: media plane, registrar, B2BUA, adapter and API routes."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from standardiste.channels.sip.b2bua import B2BUA
from standardiste.channels.sip.overload import LoopLagMonitor
from standardiste.channels.sip.registrar import Registrar

from .adapter import VoiceAdapter
from .campaign import CampaignRecorder
from .channel import VoiceChannel
from .config import DEMO_SIP_PASSWORD, load_voice_config

if TYPE_CHECKING:
    from standardiste.app import Runtime

log = logging.getLogger(__name__)


def wire_voice(runtime: Runtime) -> VoiceChannel | None:
    """Build the voice channel when ``settings.sip`` is set; register it and its routes."""
    settings = runtime.settings
    if settings.sip is None:
        return None
    from standardiste.media.builtin import BuiltinMediaPlane
    from standardiste.web.api.calls import build_router

    cfg = load_voice_config(runtime.config.voice, {q.id for q in runtime.config.queues})
    host, port = settings.sip

    # Looked up twice per call: rebuilt only when the configuration object is replaced.
    cache: dict[str, object] = {}

    def agents() -> dict[str, str]:
        config = runtime.config
        if cache.get("config") is not config:
            by_agent = {a.id: a.extension for a in config.agents if a.extension}
            by_ext: dict[str, str] = {}
            for agent_id, ext in by_agent.items():
                by_ext.setdefault(ext, agent_id)  # first agent wins, as the config check says
            cache.update(config=config, by_agent=by_agent, by_ext=by_ext)
        return cache["by_agent"]  # type: ignore[return-value]

    def extensions() -> dict[str, str]:
        agents()
        return cache["by_ext"]  # type: ignore[return-value]

    async def secret(extension: str) -> str | None:
        if extension in cfg.passwords:
            return cfg.passwords[extension]
        if runtime.config.security.demo and extension in extensions():
            return DEMO_SIP_PASSWORD  # documented in docs/voice.md; refused outside demo mode
        return None

    def agent_of_extension(extension: str) -> str | None:
        return extensions().get(extension)

    def queue_hours(queue_id: str) -> dict[str, str]:
        return next((dict(q.hours) for q in runtime.config.queues if q.id == queue_id), {})

    plane = BuiltinMediaPlane(host=host, ports=settings.rtp_ports, workers=cfg.media_workers)
    registrar = Registrar(
        secret,
        realm=cfg.realm,
        algorithms=cfg.digest_algorithms,
        static=cfg.static_contacts,
    )
    adapter = VoiceAdapter(
        runtime.service,
        plane,
        registrar,
        cfg,
        extension_of=lambda agent_id: agents().get(agent_id),
        agent_of_extension=agent_of_extension,
        queue_hours=queue_hours,
        tz=ZoneInfo(runtime.config.centre.timezone),
    )
    representatives = {a.id for a in runtime.config.agents if a.staff_representative}
    private_numbers = {e.number for e in cfg.entries if e.private}
    adapter.campaigns = CampaignRecorder(
        lambda: runtime.governance,
        plane,
        tz=ZoneInfo(runtime.config.centre.timezone),
        staff_representative=lambda agent_id: agent_id in representatives,
        private_line=lambda vc: vc.entry in private_numbers,
        max_pause_s=cfg.recording_max_pause_s,
    )
    overload = (
        LoopLagMonitor(cfg.overload_lag_ms, retry_after_s=cfg.overload_retry_after_s)
        if cfg.overload_lag_ms > 0
        else None
    )
    b2bua = B2BUA(host, port, adapter, registrar=registrar, overload=overload)
    channel = VoiceChannel(plane, b2bua, adapter, runtime.service, lambda: runtime.governance)
    runtime.voice = channel
    runtime.extensions.append(channel)
    runtime.routers.append(build_router(channel))
    log.info("voice channel on %s:%d (RTP %d-%d)", host, port, *settings.rtp_ports)
    return channel
