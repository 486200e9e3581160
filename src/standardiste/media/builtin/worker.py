"""Media worker process: one uvloop event loop owning RTP sockets, driven over a socket.

Run by ``BuiltinMediaPlane`` as ``python -m standardiste.media.builtin.worker --fd N ...``; a
separate process so RTP forwarding never competes with signalling for the GIL.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import socket
from pathlib import Path
from typing import Any

from standardiste.media.errors import MediaError

from . import protocol
from .engine import Engine
from .ports import PortPool

_LOGGER = logging.getLogger(__name__)


class WorkerServer:
    """Reads commands from the control socket, runs them on the engine, writes replies."""

    def __init__(self, sock: socket.socket, engine_args: dict[str, Any]) -> None:
        self._sock = sock
        self._engine_args = engine_args
        self._writer: asyncio.StreamWriter | None = None

    def _send(self, frame: bytes) -> None:
        """Queue a frame to the parent (the transport buffers; replies drain it)."""
        if self._writer is not None and not self._writer.is_closing():
            self._writer.write(frame)

    async def run(self) -> None:
        """Serve until the parent says shutdown or goes away."""
        reader, self._writer = await asyncio.open_unix_connection(sock=self._sock)
        engine = Engine(
            emit=lambda msg: self._send(protocol.pack_json(msg)),
            emit_audio=lambda rec, pcm: self._send(protocol.pack_audio(rec, pcm)),
            **self._engine_args,
        )
        engine.start()
        self._send(protocol.pack_json({"event": "ready", "pid": os.getpid()}))
        try:
            while True:
                try:
                    _kind, body = await protocol.read_frame(reader)
                except (asyncio.IncompleteReadError, ConnectionError):
                    return  # parent died: nothing else to serve
                msg = json.loads(body)
                if msg.get("op") == "shutdown":
                    engine.close()
                    self._send(protocol.pack_json({"id": msg["id"], "ok": True, "result": None}))
                    await self._writer.drain()
                    return
                reply = await self._dispatch(engine, msg)
                if msg.get("id") is None:
                    # A notification: the parent does not wait; a failure is reported as an event.
                    if not reply["ok"]:
                        self._send(
                            protocol.pack_json(
                                {"event": "command_failed", "op": msg.get("op"), **reply}
                            )
                        )
                    continue
                self._send(protocol.pack_json(reply))
                await self._writer.drain()
        finally:
            engine.close()
            self._writer.close()

    async def _dispatch(self, engine: Engine, msg: dict[str, Any]) -> dict[str, Any]:
        """Run one command and build its reply."""
        op, args, rid = msg.get("op", ""), msg.get("args", {}), msg.get("id")
        handler = getattr(engine, op, None) if op in _OPS else None
        if handler is None:
            return {"id": rid, "ok": False, "error_id": "media.worker", "reason": f"bad op {op}"}
        try:
            result = handler(**args)
            if asyncio.iscoroutine(result):
                result = await result
        except MediaError as err:
            return {"id": rid, "ok": False, "error_id": err.error_id, "reason": err.reason}
        except (OSError, TypeError, ValueError) as err:
            _LOGGER.exception("media command %s failed", op)
            return {"id": rid, "ok": False, "error_id": "media.error", "reason": repr(err)}
        return {"id": rid, "ok": True, "result": result}


_OPS = frozenset(
    {
        "create_endpoint",
        "create_endpoints",
        "assign",
        "set_remote",
        "bridge",
        "unbridge",
        "play",
        "stop_play",
        "hold",
        "unhold",
        "rec_start",
        "rec_pause",
        "rec_resume",
        "rec_stop",
        "release",
        "stats",
    }
)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the worker process."""
    parser = argparse.ArgumentParser(prog="standardiste-media-worker")
    parser.add_argument("--fd", type=int, required=True, help="inherited control socket")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--ports", default="20000-29999")
    parser.add_argument("--moh", action="append", default=[], help="music-on-hold WAV")
    parser.add_argument("--cpu", type=int, default=None, help="pin the worker to this core")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="media-worker %(levelname)s %(message)s")
    if args.cpu is not None:
        os.sched_setaffinity(0, {args.cpu})
    low, high = (int(p) for p in args.ports.split("-"))
    sock = socket.socket(fileno=args.fd)
    server = WorkerServer(
        sock,
        {"host": args.host, "ports": PortPool(low, high), "moh": [Path(p) for p in args.moh]},
    )
    try:
        import uvloop
    except ImportError:  # the plane still works, about 3x slower per packet
        runner = asyncio.run
    else:
        runner = uvloop.run
    with contextlib.suppress(KeyboardInterrupt):
        runner(server.run())


if __name__ == "__main__":
    main()
