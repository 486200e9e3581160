"""Parent-side handle of one media worker process: spawn, command/reply, events."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from standardiste.media.errors import WorkerError, error_from_id

from . import protocol

_LOGGER = logging.getLogger(__name__)
START_TIMEOUT_S = 15.0
STOP_TIMEOUT_S = 5.0

OnEvent = Callable[[int, dict[str, Any]], None]  # (worker index, event)
OnAudio = Callable[[int, int, bytes], None]  # (worker index, recording number, PCM)


class WorkerClient:
    """Runs ``standardiste.media.builtin.worker`` and talks to it over a socketpair."""

    def __init__(
        self,
        index: int,
        *,
        host: str,
        ports: tuple[int, int],
        moh: list[Path],
        on_event: OnEvent,
        on_audio: OnAudio,
        cpu: int | None = None,
        python: str = sys.executable,
    ) -> None:
        self.index = index
        self._argv = [python, "-m", "standardiste.media.builtin.worker", "--host", host]
        self._argv += ["--ports", f"{ports[0]}-{ports[1]}"]
        for path in moh:
            self._argv += ["--moh", str(path)]
        if cpu is not None:
            self._argv += ["--cpu", str(cpu)]
        self._on_event = on_event
        self._on_audio = on_audio
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._proc: asyncio.subprocess.Process | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._reader_task: asyncio.Task[None] | None = None
        self._ready: asyncio.Future[int] | None = None
        self.pid = 0
        self.endpoints = 0  # load figure used to place new calls
        self._out: list[bytes] = []

    async def start(self) -> None:
        """Spawn the worker and wait until it is ready."""
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self._proc = await asyncio.create_subprocess_exec(
                *self._argv, "--fd", str(child.fileno()), pass_fds=(child.fileno(),)
            )
        finally:
            child.close()
        reader, self._writer = await asyncio.open_unix_connection(sock=parent)
        self._ready = asyncio.get_running_loop().create_future()
        self._reader_task = asyncio.create_task(self._read(reader))
        try:
            self.pid = await asyncio.wait_for(asyncio.shield(self._ready), START_TIMEOUT_S)
        except (TimeoutError, WorkerError) as err:
            await self._kill()
            raise WorkerError(f"media worker {self.index} did not start: {err}") from err

    async def _read(self, reader: asyncio.StreamReader) -> None:
        """Dispatch replies, events and recording audio until the worker goes away."""
        try:
            while True:
                kind, body = await protocol.read_frame(reader)
                if kind == protocol.KIND_AUDIO:
                    self._on_audio(self.index, *protocol.unpack_audio(body))
                    continue
                msg = json.loads(body)
                if "id" in msg:
                    fut = self._pending.pop(msg["id"], None)
                    if fut is not None and not fut.done():
                        if msg["ok"]:
                            fut.set_result(msg["result"])
                        else:
                            fut.set_exception(error_from_id(msg["error_id"], msg["reason"]))
                elif msg.get("event") == "ready":
                    if self._ready is not None and not self._ready.done():
                        self._ready.set_result(msg["pid"])
                else:
                    self._on_event(self.index, msg)
        except (asyncio.IncompleteReadError, ConnectionError, ValueError) as err:
            self._fail(WorkerError(f"media worker {self.index} went away: {err!r}"))
        except Exception as err:  # a bug in a callback must not hang every pending command
            _LOGGER.exception("media worker %s reader failed", self.index)
            self._fail(WorkerError(f"media worker {self.index} reader failed: {err!r}"))

    def _fail(self, err: WorkerError) -> None:
        """Fail every pending command."""
        for fut in [*self._pending.values(), self._ready]:
            if fut is not None and not fut.done():
                fut.set_exception(err)
        self._pending.clear()
        self._on_event(self.index, {"event": "worker_exit"})

    async def call(self, op: str, **args: Any) -> Any:
        """Send a command and wait for its result (worker errors re-raised by error id)."""
        self._check()
        rid = next(self._ids)
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[rid] = fut
        self._queue(protocol.pack_json({"id": rid, "op": op, "args": args}))
        return await fut

    def notify(self, op: str, **args: Any) -> None:
        """Send a command without waiting (a failure comes back as a `command_failed` event)."""
        self._check()
        self._queue(protocol.pack_json({"op": op, "args": args}))

    @property
    def alive(self) -> bool:
        """Tell whether the worker runs and its socket is open."""
        return (
            self._writer is not None
            and not self._writer.is_closing()
            and self._reader_task is not None
            and not self._reader_task.done()
        )

    def _check(self) -> None:
        if not self.alive:
            raise WorkerError(f"media worker {self.index} is not running (or has exited)")

    def _queue(self, frame: bytes) -> None:
        """Buffer a frame; commands issued in the same loop turn leave in one write."""
        # Each write wakes the worker (a context switch): at a few hundred calls per second
        # the number of writes, not their size, is what the signalling process pays for.
        self._out.append(frame)
        if len(self._out) == 1:
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        frames, self._out = self._out, []
        if frames and self._writer is not None and not self._writer.is_closing():
            self._writer.write(b"".join(frames))

    async def close(self) -> None:
        """Ask the worker to stop, then wait for it (killing it after a timeout)."""
        if self._proc is None:
            return
        with contextlib.suppress(WorkerError, TimeoutError):
            await asyncio.wait_for(self.call("shutdown"), STOP_TIMEOUT_S)
        await self._kill()

    async def _kill(self) -> None:
        """Wait for the process, killing it if it lingers, and release the socket."""
        proc = self._proc
        if proc is not None:
            try:
                await asyncio.wait_for(proc.wait(), STOP_TIMEOUT_S)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        if self._writer is not None:
            self._writer.close()
        if self._reader_task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader_task

    async def wait_closed(self) -> None:
        """Wait for the process to exit."""
        if self._proc is not None:
            await self._proc.wait()
