"""The shipped server: `standardiste serve --sip ... --rtp-ports ...` with a baresip agent phone."""

from __future__ import annotations

import asyncio
import re
import sys
import tomllib
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import tomli_w
from voice_baresip import Baresip
from voice_harness import ROOT, start_sipp
from voice_ports import HOST, rtp_slice, sip_port

from standardiste.channels.voice.config import DEMO_SIP_PASSWORD

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from sd_testing import LiveServer  # noqa: E402


def _config(tmp: Path) -> Path:
    """Write the demo configuration with an MD5-only realm (baresip 1.0 knows no SHA-256)."""
    raw = tomllib.loads((ROOT / "examples" / "demo.toml").read_text(encoding="utf-8"))
    raw["voice"]["digest_algorithms"] = ["MD5"]
    path = tmp / "voice.toml"
    path.write_bytes(tomli_w.dumps(raw).encode())
    return path


async def _until(probe: Callable[[], Awaitable[Any]], within: float = 10) -> Any:
    """Poll ``probe`` until it returns something truthy."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while loop.time() < deadline:
        if found := await probe():
            return found
        await asyncio.sleep(0.1)
    raise AssertionError("condition not reached in time")


async def test_serve_with_sip_flags_routes_a_call_to_a_registered_softphone(
    tmp_path: Path,
) -> None:
    sip, (rtp_low, rtp_high) = sip_port(), rtp_slice(50)
    flags = ["--sip", f"{HOST}:{sip}", "--rtp-ports", f"{rtp_low}-{rtp_high}"]
    server = LiveServer(tmp_path, _config(tmp_path), extra=flags)
    await asyncio.to_thread(server.start)
    phone = Baresip(tmp_path, sip, "1001", DEMO_SIP_PASSWORD)
    try:
        auth = await asyncio.to_thread(server.login, "agent1")
        async with httpx.AsyncClient(base_url=server.url, headers=auth) as http:
            await phone.start()

            async def registered() -> dict[str, Any] | None:
                body = (await http.get("/api/v1/agents/agent1/phone")).json()
                return body if body["registered"] else None

            status = await _until(registered)
            assert status["contact"].endswith(f"@{HOST}:{phone.sip_port}")
            ready = await http.put("/api/v1/agents/agent1/state", json={"state": "ready"})
            assert ready.status_code == 200, ready.text

            caller = await start_sipp(tmp_path, "uac_wait_bye", sip_port(), sip)
            incoming = await phone.wait_event("CALL_INCOMING")
            assert "0612345678" in incoming["peeruri"]
            await phone.command("accept")
            await phone.wait_event("CALL_ESTABLISHED")

            async def working() -> list[dict[str, Any]]:
                return list((await http.get("/api/v1/agents/agent1")).json()["work"])

            (item,) = await _until(working)
            assert item["channel"] == "voice" and item["status"] == "connected"
            assert item["attributes"]["caller"] == "0612345678"
            iid = item["id"]
            assert (await http.post(f"/api/v1/calls/{iid}/hold")).status_code == 200
            assert (await http.post(f"/api/v1/calls/{iid}/resume")).status_code == 200

            await phone.command("hangup")  # BYE from the softphone; the caller gets its BYE
            rc, err = await caller.result()
            assert rc == 0, err

            async def after_call() -> dict[str, Any] | None:
                body = (await http.get(f"/api/v1/interactions/{iid}")).json()
                return body if body["status"] == "acw" else None

            ended = await _until(after_call)  # the demo queue's time-boxed after-call work
            kinds = [s["kind"] for s in ended["segments"]]
            assert kinds == ["queue", "alert", "handle", "hold", "handle", "acw"], kinds
        # the caller's media endpoint came from the --rtp-ports range (SDP answer of the 200 OK)
        answered = re.search(r"SIP/2.0 200 OK.*?m=audio (\d+)", caller.trace(), re.S)
        assert answered is not None and rtp_low <= int(answered.group(1)) <= rtp_high
        log = (tmp_path / f"server-{server.port}.log").read_text()
        assert f"voice channel on {HOST}:{sip} (RTP {rtp_low}-{rtp_high})" in log
    finally:
        await phone.stop()
        await asyncio.to_thread(server.stop)
    assert server.proc is not None and server.proc.returncode == 0
