"""An in-process demo node on this set's ports (SIP 16000-16499, RTP 32000-32999)."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from voice_harness import ROOT, Node
from voice_ports import HOST, rtp_slice, sip_port

from standardiste.app import Runtime
from standardiste.config import load_config
from standardiste.settings import Settings
from standardiste.wiring import wire_extensions


@asynccontextmanager
async def demo_node(tmp: Path, *, voice: dict[str, Any] | None = None) -> AsyncIterator[Node]:
    """Run examples/demo.toml in-process through ``wire_extensions`` with ``[voice]`` updated."""
    config_path = tmp / "demo.toml"
    shutil.copy(ROOT / "examples" / "demo.toml", config_path)
    config = load_config(config_path)
    raw = {**config.voice, **(voice or {})}
    queues = [q.model_copy(update={"overflow": []}) for q in config.queues]
    config = config.model_copy(update={"voice": raw, "queues": queues})
    settings = Settings(
        config_path=config_path,
        db_url=f"sqlite:///{tmp / 'sd.db'}",
        data_dir=tmp / "data",
        sip=(HOST, sip_port()),
        rtp_ports=rtp_slice(50),
    )
    runtime = Runtime(settings, config=config)
    wire_extensions(runtime)
    node = Node(runtime)
    await runtime.start()
    try:
        yield node
    finally:
        await runtime.close()
