"""SIP integration harness: SIPp runner, a recording pass-through handler, free ports."""

from __future__ import annotations

import asyncio
import socket
from collections import defaultdict
from pathlib import Path
from typing import Any

from sd_testing import sipp_port, wait_bound
from standardiste.channels.sip.call import Call
from standardiste.channels.sip.passthrough import PassThroughHandler

SCENARIOS = Path(__file__).parent / "scenarios"
HOST = "127.0.0.1"


def free_port(kind: int = socket.SOCK_DGRAM) -> int:
    """Return a free port in the SIP test range 15100-15999 (media ports free too)."""
    return sipp_port(15100, 15999, kind)


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
        """Return the message trace (every SIP message SIPp sent and received)."""
        return self.messages.read_text(errors="replace") if self.messages.exists() else ""


async def start_sipp(
    tmp: Path,
    scenario: str,
    port: int,
    remote: int | None = None,
    *,
    calls: int = 1,
    keys: dict[str, str] | None = None,
    extra: list[str] | None = None,
    service: str = "entry",
) -> Sipp:
    """Start SIPp with a scenario from ./scenarios (a UAS when ``remote`` is None)."""
    name = f"{scenario}-{port}"
    errors, messages = tmp / f"{name}.err", tmp / f"{name}.msg"
    args = [
        "sipp",
        "-sf",
        str(SCENARIOS / f"{scenario}.xml"),
        "-i",
        HOST,
        "-p",
        str(port),
        "-m",
        str(calls),
        "-nostdin",
        "-timeout",
        "20",
        "-timeout_error",
        "-trace_err",
        "-error_file",
        str(errors),
        "-trace_msg",
        "-message_file",
        str(messages),
        "-mp",
        str(port + 2000),
        "-s",
        service,
    ]
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


class RecordingHandler(PassThroughHandler):
    """Pass-through bridge that records every hook with its event."""

    def __init__(self) -> None:
        super().__init__(lambda call: self.target)
        self.target: str | None = None
        self.events: list[tuple[str, Any]] = []
        self.calls: list[Call] = []
        self._signals: dict[str, asyncio.Event] = defaultdict(asyncio.Event)

    def _record(self, name: str, event: Any) -> None:
        self.events.append((name, event))
        self._signals[name].set()

    async def wait_for(self, name: str, within: float = 10) -> Any:
        await asyncio.wait_for(self._signals[name].wait(), within)
        return next(e for n, e in self.events if n == name)

    def names(self) -> list[str]:
        return [n for n, _ in self.events]

    async def on_incoming_call(self, call: Call) -> None:
        self.calls.append(call)
        self._record("incoming", call)
        await super().on_incoming_call(call)

    async def on_agent_ringing(self, call: Call, ev: Any) -> None:
        self._record("ringing", ev)
        await super().on_agent_ringing(call, ev)

    async def on_agent_answered(self, call: Call, ev: Any) -> None:
        self._record("answered", ev)
        await super().on_agent_answered(call, ev)

    async def on_agent_failed(self, call: Call, ev: Any) -> None:
        self._record("failed", ev)
        await super().on_agent_failed(call, ev)

    async def on_hangup(self, call: Call, ev: Any) -> None:
        self._record("hangup", ev)

    async def on_hold(self, call: Call, ev: Any) -> None:
        self._record("hold", ev)

    async def on_resume(self, call: Call, ev: Any) -> None:
        self._record("resume", ev)

    async def on_dtmf(self, call: Call, ev: Any) -> None:
        self._record("dtmf", ev)
