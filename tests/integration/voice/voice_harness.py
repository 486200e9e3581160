"""Voice integration harness: an in-process node with SIP + media, SIPp runner, RTP phones."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sd_testing import sipp_port, wait_bound
from standardiste.app import Runtime
from standardiste.config import load_config
from standardiste.domain.events import Event
from standardiste.settings import Settings
from standardiste.wiring import wire_extensions

ROOT = Path(__file__).resolve().parents[3]
SCENARIOS = Path(__file__).parent / "scenarios"
HOST = "127.0.0.1"
_BLOCK = re.compile(r"^-{20,} ", re.M)
_RTP_SLICES = iter(range(31000, 31950, 50))


def sip_port() -> int:
    """Return a free UDP port in this area's SIP range 15600-15999 (media ports free too)."""
    return sipp_port(15600, 15999)


class Sipp:
    """One SIPp process; ``result()`` waits and returns (exit code, error log)."""

    def __init__(self, proc: asyncio.subprocess.Process, errors: Path, messages: Path) -> None:
        self.proc = proc
        self.errors = errors
        self.messages = messages

    async def result(self, within: float = 30) -> tuple[int, str]:
        try:
            rc = await asyncio.wait_for(self.proc.wait(), within)
        except TimeoutError:
            self.proc.kill()
            rc = await self.proc.wait()
        log = self.errors.read_text(errors="replace") if self.errors.exists() else ""
        return rc, log

    def trace(self) -> str:
        """Return SIPp's message trace."""
        return self.messages.read_text(errors="replace") if self.messages.exists() else ""

    def times(self, direction: str, first_line: str) -> list[float]:
        """Return the epoch times of messages ``direction`` ("sent"/"received") starting so."""
        out = []
        for block in _BLOCK.split(self.trace())[1:]:
            lines = block.splitlines()
            stamp = dt.datetime.strptime(lines[0].strip(), "%Y-%m-%d %H:%M:%S.%f")
            body = [ln.strip() for ln in lines[1:] if ln.strip()]
            if len(body) >= 2 and direction in body[0] and body[1].startswith(first_line):
                out.append(stamp.timestamp())
        return out


async def start_sipp(
    tmp: Path,
    scenario: str,
    port: int,
    remote: int | None = None,
    *,
    rtp_port: int = 9,
    duration_ms: int = 300,
    keys: dict[str, str] | None = None,
    service: str = "3001",
    calls: int = 1,
    extra: list[str] | None = None,
) -> Sipp:
    """Start SIPp with one of ./scenarios (a UAS when ``remote`` is None)."""
    name = f"{scenario}-{port}"
    errors, messages = tmp / f"{name}.err", tmp / f"{name}.msg"
    args = ["sipp", "-sf", str(SCENARIOS / f"{scenario}.xml"), "-i", HOST, "-p", str(port)]
    args += ["-m", str(calls), "-nostdin", "-timeout", "25", "-timeout_error", "-trace_err"]
    args += ["-error_file", str(errors), "-trace_msg", "-message_file", str(messages)]
    args += ["-mp", str(port + 2000), "-s", service, "-d", str(duration_ms)]
    args += ["-key", "rtp_port", str(rtp_port)]
    for k, v in (keys or {}).items():
        args += ["-key", k, v]
    args += extra or []
    if remote is not None:
        args.append(f"{HOST}:{remote}")
    proc = await asyncio.create_subprocess_exec(
        *args, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL, cwd=tmp
    )
    if remote is None:
        await wait_bound(port)  # a UAS must listen before anyone calls it
    return Sipp(proc, errors, messages)


class Node:
    """A running in-process node and the events it committed."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.events: list[Event] = []
        self._changed = asyncio.Event()
        runtime.service.subscribe(self._on_event)

    def _on_event(self, event: Event) -> None:
        self.events.append(event)
        self._changed.set()

    @property
    def sip_port(self) -> int:
        return int(self.runtime.voice.b2bua.port)

    def kinds(self, iid: str | None = None) -> list[str]:
        return [e.kind for e in self.events if iid is None or e.data.get("interaction_id") == iid]

    def first(self, kind: str, **match: Any) -> Event | None:
        return next(
            (
                e
                for e in self.events
                if e.kind == kind and all(e.data.get(k) == v for k, v in match.items())
            ),
            None,
        )

    async def wait(self, kind: str, within: float = 10, **match: Any) -> Event:
        """Wait until an event of ``kind`` (with ``match``ing data) is committed."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while (found := self.first(kind, **match)) is None:
            self._changed.clear()
            left = deadline - loop.time()
            if left <= 0:
                raise AssertionError(f"no {kind} {match}; got {[e.kind for e in self.events]}")
            try:
                await asyncio.wait_for(self._changed.wait(), left)
            except TimeoutError:
                pass
        return found

    async def ready(self, *agents: str) -> None:
        """Log agents in and make them ready."""
        for agent in agents:
            await self.runtime.service.login(agent)
            await self.runtime.service.set_presence(agent, "ready")


@asynccontextmanager
async def node(
    tmp: Path,
    *,
    static: dict[str, str] | None = None,
    offer_timeout: float | None = None,
    voice: dict[str, Any] | None = None,
) -> AsyncIterator[Node]:
    """Run the demo configuration in-process with SIP and media on test ports."""
    config_path = tmp / "demo.toml"
    shutil.copy(ROOT / "examples" / "demo.toml", config_path)
    config = load_config(config_path)
    raw = dict(config.voice)
    raw["static_contacts"] = static or {}
    raw.update(voice or {})
    queues = [
        q.model_copy(update={"offer_timeout": offer_timeout, "overflow": []})
        if offer_timeout
        else q.model_copy(update={"overflow": []})
        for q in config.queues
    ]
    config = config.model_copy(update={"voice": raw, "queues": queues})
    low = next(_RTP_SLICES)
    settings = Settings(
        config_path=config_path,
        db_url=f"sqlite:///{tmp / 'sd.db'}",
        data_dir=tmp / "data",
        sip=(HOST, sip_port()),
        rtp_ports=(low, low + 49),
    )
    runtime = Runtime(settings, config=config)
    wire_extensions(runtime)
    the_node = Node(runtime)
    await runtime.start()
    try:
        yield the_node
    finally:
        await runtime.close()
