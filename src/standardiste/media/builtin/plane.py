"""BuiltinMediaPlane: the MediaPlane served by Python RTP worker processes."""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from standardiste.media.errors import (
    MediaStateError,
    UnknownEndpointError,
    UnknownRecordingError,
    WorkerError,
)
from standardiste.media.plane import (
    PCMA,
    PCMU,
    DtmfHandler,
    Endpoint,
    Leg,
    PausedSpan,
    PauseMode,
    Playback,
    RecordingInfo,
    WriterFactory,
)

from .client import START_TIMEOUT_S, WorkerClient
from .sink import RecordingSink
from .spares import SparePool

_LOGGER = logging.getLogger(__name__)


@dataclass(slots=True)
class _Rec:
    """Parent-side state of a recording."""

    num: int
    worker: WorkerClient
    path: Path
    sink: RecordingSink


def split_ports(low: int, high: int, workers: int) -> list[tuple[int, int]]:
    """Split a port range into one contiguous slice per worker."""
    size = (high - low + 1) // workers
    if size < 2:
        raise ValueError("port range too small for the number of workers")
    return [(low + i * size, low + (i + 1) * size - 1) for i in range(workers)]


class BuiltinMediaPlane:
    """Spawns media workers and routes each call's endpoints to one of them."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        ports: tuple[int, int] = (20000, 29999),
        workers: int = 1,
        moh: Sequence[Path] | None = None,
        pause_mode: PauseMode = PauseMode.SILENCE,
        jitter_s: float = 0.08,
        cpus: Sequence[int] | None = None,
        spare: int = 16,
    ) -> None:
        if moh is None:
            from standardiste.media.prompts import MUSIC_ON_HOLD

            moh = [MUSIC_ON_HOLD]
        self._pause_mode = pause_mode
        self._jitter_s = jitter_s
        ranges = split_ports(ports[0], ports[1], workers)

        def make_worker(i: int) -> WorkerClient:
            return WorkerClient(
                i,
                host=host,
                ports=ranges[i],
                moh=list(moh),
                on_event=self._on_event,
                on_audio=self._on_audio,
                cpu=cpus[i % len(cpus)] if cpus else None,
            )

        self._make_worker = make_worker
        self._workers = [make_worker(i) for i in range(len(ranges))]
        self._restarts: dict[int, asyncio.Task[None]] = {}
        self._loss: list[Callable[[list[str]], None]] = []
        self.restarts = 0  # workers replaced after an unexpected exit
        # Spare endpoints: at most a quarter of each worker's ports (two per RTP/RTCP pair).
        slots = [(hi - lo + 1) // 2 for lo, hi in split_ports(ports[0], ports[1], workers)]
        self._spares = [
            SparePool(w, min(spare, n // 4)) for w, n in zip(self._workers, slots, strict=True)
        ]
        self._call_worker: dict[str, WorkerClient] = {}
        self._call_eps: dict[str, set[str]] = {}
        self._ep_call: dict[str, str] = {}
        self._plays: dict[str, tuple[int, asyncio.Future[bool]]] = {}
        self._recs: dict[str, _Rec] = {}
        self._rec_by_num: dict[tuple[int, int], _Rec] = {}
        self._dtmf: list[DtmfHandler] = []
        self._ids = itertools.count(1)
        self._closed = asyncio.Event()
        self._closing = False

    @property
    def worker_pids(self) -> list[int]:
        """Return the worker process ids (for CPU accounting)."""
        return [w.pid for w in self._workers]

    async def start(self) -> None:
        """Spawn every worker."""
        self._closed.clear()
        self._closing = False
        await asyncio.gather(*(w.start() for w in self._workers))
        await asyncio.gather(*(pool.fill() for pool in self._spares))

    async def close(self) -> None:
        """Finalise recordings, resolve playbacks and stop the workers."""
        self._closing = True
        for rec_id in list(self._recs):
            try:
                await self.stop_recording(rec_id)
            except Exception:  # closing must go on: the file is finalised by the sink anyway
                _LOGGER.exception("could not stop recording %s", rec_id)
        for task in self._restarts.values():
            task.cancel()
        await asyncio.gather(*self._restarts.values(), return_exceptions=True)
        for pool in self._spares:
            await pool.close()
        await asyncio.gather(*(w.close() for w in self._workers))
        self._end_plays(None)
        self._closed.set()

    async def wait_closed(self) -> None:
        """Wait until close() has finished and the workers have exited."""
        await self._closed.wait()
        await asyncio.gather(*(w.wait_closed() for w in self._workers))

    # -- routing ---------------------------------------------------------------------------

    def _worker(self, endpoint_id: str) -> tuple[WorkerClient, int]:
        """Map a plane-wide endpoint id to its worker and worker-local id."""
        if endpoint_id not in self._ep_call:
            raise UnknownEndpointError(f"no endpoint {endpoint_id}")
        w, local = endpoint_id.split(".", 1)
        return self._workers[int(w)], int(local)

    async def create_endpoint(self, call_id: str, leg: Leg) -> Endpoint:
        """Allocate an endpoint on the call's worker (the least loaded for a new call)."""
        worker = self._call_worker.get(call_id)
        if worker is None:
            worker = min(await self._live_workers(), key=lambda w: w.endpoints)
        res = await self._spares[worker.index].acquire()
        if res is None:
            res = await worker.call("create_endpoint", call_id=call_id, leg=Leg(leg).value)
        else:
            worker.notify("assign", ep=res["id"], call_id=call_id, leg=Leg(leg).value)
        ep_id = f"{worker.index}.{res['id']}"
        worker.endpoints += 1
        self._call_worker[call_id] = worker
        self._call_eps.setdefault(call_id, set()).add(ep_id)
        self._ep_call[ep_id] = call_id
        return Endpoint(ep_id, res["host"], res["port"])

    async def set_remote(
        self,
        endpoint_id: str,
        host: str,
        port: int,
        payload_type: int = PCMU,
        dtmf_pt: int | None = 101,
    ) -> None:
        """Set the phone's RTP address and codec."""
        w, ep = self._worker(endpoint_id)
        if payload_type not in (PCMU, PCMA):
            raise MediaStateError(f"payload type {payload_type} is not G.711")
        # Awaited: packets that arrive once the caller has the answer must meet the codec.
        await w.call("set_remote", ep=ep, host=host, port=port, pt=payload_type, dtmf_pt=dtmf_pt)

    def _pair(self, a_id: str, b_id: str) -> tuple[WorkerClient, int, int]:
        """Resolve two endpoints that must live on the same worker."""
        wa, a = self._worker(a_id)
        wb, b = self._worker(b_id)
        if wa is not wb:
            raise MediaStateError("endpoints of different calls live on different workers")
        return wa, a, b

    async def bridge(self, a_id: str, b_id: str) -> None:
        """Relay both ways between two endpoints."""
        w, a, b = self._pair(a_id, b_id)
        if a == b:
            raise MediaStateError("cannot bridge an endpoint to itself")
        w.notify("bridge", a=a, b=b)

    async def unbridge(self, a_id: str, b_id: str) -> None:
        """Stop relaying between two endpoints."""
        w, a, b = self._pair(a_id, b_id)
        w.notify("unbridge", a=a, b=b)

    # -- playback --------------------------------------------------------------------------

    async def play(
        self, endpoint_id: str, wav_paths: Sequence[Path], *, loop: bool = False
    ) -> Playback:
        """Play WAV files (8 kHz mono 16-bit) to the endpoint's phone."""
        w, ep = self._worker(endpoint_id)
        play_id = f"p{next(self._ids)}"
        fut: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._plays[play_id] = (w.index, fut)
        try:
            paths = [str(p) for p in wav_paths]  # the worker shares our cwd
            await w.call("play", ep=ep, paths=paths, loop=loop, play_id=play_id)
        except BaseException:
            self._plays.pop(play_id, None)
            raise
        return Playback(play_id, endpoint_id, fut)

    async def stop_play(self, endpoint_id: str) -> None:
        """Stop the endpoint's playback."""
        w, ep = self._worker(endpoint_id)
        w.notify("stop_play", ep=ep)

    async def hold(self, endpoint_id: str) -> None:
        """Music on hold to this leg; nothing from it to its peer."""
        w, ep = self._worker(endpoint_id)
        await w.call("hold", ep=ep)

    async def unhold(self, endpoint_id: str) -> None:
        """Back to the bridge."""
        w, ep = self._worker(endpoint_id)
        await w.call("unhold", ep=ep)

    # -- recording -------------------------------------------------------------------------

    async def start_recording(
        self,
        call_id: str,
        caller_ep: str,
        agent_ep: str,
        path: Path,
        writer_factory: WriterFactory | None = None,
    ) -> str:
        """Open the sink, then start mixing both legs from now."""
        w, caller, agent = self._pair(caller_ep, agent_ep)
        if self._ep_call[caller_ep] != call_id:
            raise MediaStateError(f"endpoint {caller_ep} is not part of call {call_id}")
        sink = await RecordingSink.open(Path(path), writer_factory)
        num = next(self._ids)
        rec = _Rec(num, w, Path(path), sink)
        rec_id = f"{w.index}.r{num}"
        self._recs[rec_id] = rec
        self._rec_by_num[(w.index, num)] = rec
        try:
            await w.call(
                "rec_start",
                rec=num,
                caller=caller,
                agent=agent,
                pause_mode=self._pause_mode.value,
                jitter=self._jitter_s,
            )
        except BaseException:
            self._forget(rec_id)
            await sink.finish()
            raise
        return rec_id

    def _rec(self, recording_id: str) -> _Rec:
        """Look a recording up."""
        try:
            return self._recs[recording_id]
        except KeyError:
            raise UnknownRecordingError(f"no recording {recording_id}") from None

    def _forget(self, recording_id: str) -> None:
        """Drop a recording from the maps."""
        rec = self._recs.pop(recording_id)
        self._rec_by_num.pop((rec.worker.index, rec.num), None)

    async def pause_recording(self, recording_id: str) -> None:
        """Pause the recording."""
        rec = self._rec(recording_id)
        await rec.worker.call("rec_pause", rec=rec.num)

    async def resume_recording(self, recording_id: str) -> None:
        """Resume the recording."""
        rec = self._rec(recording_id)
        await rec.worker.call("rec_resume", rec=rec.num)

    async def stop_recording(self, recording_id: str) -> RecordingInfo:
        """Stop the recording and close its file."""
        rec = self._rec(recording_id)
        try:
            res = await rec.worker.call("rec_stop", rec=rec.num)
        finally:
            # The reply follows every audio frame on the same ordered stream.
            self._forget(recording_id)
            frames = await rec.sink.finish()
        return RecordingInfo(
            recording_id=recording_id,
            path=rec.path,
            duration_s=frames / 8000,
            frames=frames,
            pause_mode=self._pause_mode,
            paused=tuple(PausedSpan(s, e) for s, e in res["paused"]),
        )

    def _on_audio(self, worker: int, num: int, pcm: bytes) -> None:
        """Queue recording audio for its sink."""
        rec = self._rec_by_num.get((worker, num))
        if rec is not None:
            rec.sink.put(pcm)

    # -- events ----------------------------------------------------------------------------

    def add_dtmf_listener(self, handler: DtmfHandler) -> Callable[[], None]:
        """Register a DTMF handler; return its remover."""
        self._dtmf.append(handler)
        return lambda: self._dtmf.remove(handler) if handler in self._dtmf else None

    def _on_event(self, worker: int, msg: dict[str, Any]) -> None:
        """Dispatch worker events."""
        kind = msg.get("event")
        if kind == "command_failed":
            # Commands the caller does not wait for (their arguments are checked here first):
            # a failure means the plane and its worker disagree, which is worth a loud log.
            _LOGGER.error("media worker %s: %s failed: %s %s", worker, msg.get("op"),
                          msg.get("error_id"), msg.get("reason"))  # fmt: skip
        elif kind == "dtmf":
            ep_id = f"{worker}.{msg['ep']}"
            for handler in list(self._dtmf):
                try:
                    handler(ep_id, msg["digit"], msg["ts"])
                except Exception:  # one faulty listener must not starve the others
                    _LOGGER.exception("DTMF listener failed")
        elif kind == "play_done":
            entry = self._plays.pop(msg["play_id"], None)
            if entry is not None and not entry[1].done():
                entry[1].set_result(bool(msg["completed"]))
        elif kind == "worker_exit":
            self._spares[worker].free.clear()
            self._end_plays(worker)
            if not self._closing:
                _LOGGER.error("media worker %s exited: its calls lost their media; restarting it",
                              worker)  # fmt: skip
                self._lose_calls(worker)
                if worker not in self._restarts:
                    task = asyncio.get_running_loop().create_task(self._restart(worker))
                    self._restarts[worker] = task

    async def _live_workers(self) -> list[WorkerClient]:
        """Return the running workers; wait for a restart when none is (a short window)."""
        live = [w for w in self._workers if w.alive]
        if not live and self._restarts:
            await asyncio.wait(list(self._restarts.values()), timeout=START_TIMEOUT_S)
            live = [w for w in self._workers if w.alive]
        return live or self._workers  # the command then fails with the worker's error

    def add_loss_listener(self, handler: Callable[[list[str]], None]) -> Callable[[], None]:
        """Register a handler told the call ids whose media was lost (a worker died)."""
        self._loss.append(handler)
        return lambda: self._loss.remove(handler) if handler in self._loss else None

    def _lose_calls(self, worker: int) -> None:
        """Forget the endpoints of a dead worker and tell the listeners which calls they were."""
        lost = [cid for cid, w in self._call_worker.items() if w.index == worker]
        for cid in lost:
            del self._call_worker[cid]
            for ep in self._call_eps.pop(cid, ()):
                self._ep_call.pop(ep, None)
        for handler in list(self._loss):
            try:
                handler(lost)
            except Exception:  # one faulty listener must not stop the restart
                _LOGGER.exception("media loss listener failed")

    async def _restart(self, index: int) -> None:
        """Replace a dead worker, retrying with back-off; new calls go to the others meanwhile."""
        old, delay = self._workers[index], 0.5
        await old.close()  # reap the process, close the socket
        while not self._closing:
            fresh = self._make_worker(index)
            try:
                await fresh.start()
            except WorkerError as err:
                _LOGGER.error("media worker %s did not restart: %s", index, err)
                await asyncio.sleep(delay)
                delay = min(2 * delay, 30.0)
                continue
            self._workers[index] = fresh
            self._spares[index] = SparePool(fresh, self._spares[index].target)
            self.restarts += 1
            _LOGGER.warning("media worker %s restarted (pid %s)", index, fresh.pid)
            await self._spares[index].fill()
            break
        self._restarts.pop(index, None)

    def _end_plays(self, worker: int | None) -> None:
        """Resolve as stopped the playbacks of one worker (or all)."""
        for play_id, (w, fut) in list(self._plays.items()):
            if worker is None or w == worker:
                del self._plays[play_id]
                if not fut.done():
                    fut.set_result(False)

    async def release(self, endpoint_id: str) -> None:
        """Free an endpoint and its port."""
        w, ep = self._worker(endpoint_id)
        call_id = self._ep_call.pop(endpoint_id)
        w.endpoints -= 1
        eps = self._call_eps[call_id]
        eps.discard(endpoint_id)
        if not eps:
            del self._call_eps[call_id]
            del self._call_worker[call_id]
        w.notify("release", ep=ep)

    async def stats(self) -> list[dict[str, Any]]:
        """Return each worker's counters."""
        return list(await asyncio.gather(*(w.call("stats") for w in self._workers)))
