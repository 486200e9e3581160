"""baresip as a registered agent softphone, driven over ctrl_tcp (netstring-framed JSON).

baresip 1.0 reports every user-agent event on the control socket (``{"event": true, "type":
"CALL_INCOMING", ...}``); commands (``accept``, ``hangup``) get ``{"response": true, ...}``. The
``sndfile`` module writes what the phone hears and what it sends to WAV files, so a test can check
the audio at the softphone's own decoder.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import wave
from pathlib import Path
from typing import Any

import numpy as np
from voice_ports import HOST, rtp_slice, sip_port, tcp_port


def _tone(path: Path, hz: float, seconds: float) -> None:
    # longer than any test: baresip hangs up when its aufile source reaches the end
    cmd = ["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", str(path)]
    subprocess.run([*cmd, "synth", str(seconds), "sine", str(hz), "vol", "0.3"], check=True)


class Baresip:
    """One baresip process with one account registering to ``server_port``."""

    def __init__(
        self,
        tmp: Path,
        server_port: int,
        extension: str,
        password: str,
        *,
        tone_hz: float = 1000.0,
        answermode: str = "manual",
    ) -> None:
        self.dir = tmp / f"baresip-{extension}"
        self.dir.mkdir()
        self.sip_port = sip_port()
        self.ctrl_port = tcp_port()
        self.events: list[dict[str, Any]] = []
        self._changed = asyncio.Event()
        low, high = rtp_slice(20)
        tone = self.dir / "tone.wav"
        _tone(tone, tone_hz, 60)
        (self.dir / "dump").mkdir()
        (self.dir / "config").write_text(
            "poll_method epoll\n"
            f"sip_listen {HOST}:{self.sip_port}\nnet_interface {HOST}\n"
            f"audio_source aufile,{tone}\naudio_player aufile,none\naudio_alert aufile,none\n"
            f"rtp_ports {low}-{high}\nmodule_path /usr/lib/baresip/modules\n"
            "module g711.so\nmodule aufile.so\nmodule sndfile.so\n"
            f"snd_path {self.dir / 'dump'}\n"
            "module_app account.so\nmodule_app menu.so\nmodule_app ctrl_tcp.so\n"
            f"ctrl_tcp_listen {HOST}:{self.ctrl_port}\n"
        )
        (self.dir / "accounts").write_text(
            f"<sip:{extension}@{HOST}:{server_port}>;auth_pass={password};regint=60;"
            f"answermode={answermode};audio_codecs=PCMU,PCMA\n"
        )
        self._log = (self.dir / "log.txt").open("wb")  # SIP trace (-s), read when a test fails
        self._proc: asyncio.subprocess.Process | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._reader_task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start baresip and connect to its control port."""
        self._proc = await asyncio.create_subprocess_exec(
            "baresip", "-s", "-f", str(self.dir), stdout=self._log, stderr=asyncio.subprocess.STDOUT
        )
        for _ in range(50):
            try:
                reader, self._writer = await asyncio.open_connection(HOST, self.ctrl_port)
            except OSError:
                await asyncio.sleep(0.1)
                continue
            self._reader_task = asyncio.create_task(self._read(reader))
            return
        raise RuntimeError(f"baresip control port did not open: {self.trace()}")

    async def _read(self, reader: asyncio.StreamReader) -> None:
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            while True:
                size = int((await reader.readuntil(b":"))[:-1])
                body = await reader.readexactly(size + 1)  # JSON then the closing ","
                self.events.append(json.loads(body[:-1]))
                self._changed.set()

    async def wait_event(self, kind: str, within: float = 10) -> dict[str, Any]:
        """Wait for an event of type ``kind`` (REGISTER_OK, CALL_INCOMING, CALL_CLOSED...)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            found = next((e for e in self.events if e.get("type") == kind), None)
            if found is not None:
                return found
            self._changed.clear()
            left = deadline - loop.time()
            if left <= 0:
                raise AssertionError(f"baresip: no {kind}; got {self.kinds()}\n{self.trace()}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), left)

    def kinds(self) -> list[str]:
        """Return the event types seen so far, in order."""
        return [str(e.get("type")) for e in self.events if e.get("event")]

    async def command(self, command: str, params: str = "") -> None:
        """Send a control command (``accept``, ``hangup``...)."""
        assert self._writer is not None
        body = json.dumps({"command": command, "params": params, "token": command}).encode()
        self._writer.write(str(len(body)).encode() + b":" + body + b",")
        await self._writer.drain()

    def trace(self) -> str:
        """Return baresip's console output and SIP trace."""
        self._log.flush()
        return (self.dir / "log.txt").read_text(errors="replace")

    def heard(self) -> np.ndarray:
        """Return what the phone decoded during its calls (sndfile's ``-dec.wav`` dumps)."""
        chunks = []
        for path in sorted((self.dir / "dump").glob("*-dec.wav")):
            with wave.open(str(path)) as w:
                chunks.append(np.frombuffer(w.readframes(w.getnframes()), np.int16))
        return np.concatenate(chunks) if chunks else np.zeros(0, np.int16)

    async def stop(self) -> None:
        """Terminate baresip and close the control connection."""
        if self._writer is not None:
            self._writer.close()
        if self._reader_task is not None:
            self._reader_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader_task
        if self._proc is not None and self._proc.returncode is None:
            self._proc.terminate()
            await self._proc.wait()
        self._log.close()
