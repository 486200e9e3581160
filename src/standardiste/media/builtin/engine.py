"""The media engine inside a worker process: endpoints, bridges, players, recordings."""

from __future__ import annotations

import asyncio
import errno
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from standardiste.media.errors import (
    MediaStateError,
    PortsExhaustedError,
    UnknownEndpointError,
    UnknownRecordingError,
)
from standardiste.media.plane import PauseMode

from . import g711
from .dtmf import DtmfDigit
from .endpoint import RtpEndpoint, Source
from .player import PTIME, Player, PromptCache
from .ports import PortPool
from .recorder import AGENT, CALLER, StereoMixer
from .stream import TickClock

Emit = Callable[[dict[str, Any]], None]
EmitAudio = Callable[[int, bytes], None]
FLUSH_EVERY = 5  # ticks: recordings flush and DTMF timeouts every 100 ms


class _Recording:
    """A recording in progress: its mixer and the two tapped endpoints."""

    def __init__(self, rec: int, mixer: StereoMixer, caller: RtpEndpoint, agent: RtpEndpoint):
        self.rec = rec
        self.mixer = mixer
        self.endpoints = {CALLER: caller, AGENT: agent}


class Engine:
    """Owns the sockets of one worker; every method runs on the worker's loop."""

    def __init__(
        self, host: str, ports: PortPool, moh: list[Path], emit: Emit, emit_audio: EmitAudio
    ) -> None:
        self._host = host
        self._ports = ports
        self._moh = moh
        self._emit = emit
        self._emit_audio = emit_audio
        self._endpoints: dict[int, RtpEndpoint] = {}
        self._players: dict[int, RtpEndpoint] = {}
        self._recordings: dict[int, _Recording] = {}
        self._prompts = PromptCache()
        self._clock = TickClock()
        self._dtmf_open: set[RtpEndpoint] = set()
        self._next_id = 1
        self._tick_handle: asyncio.TimerHandle | None = None
        self._tick_n = 0
        self._t0 = 0.0

    def start(self) -> None:
        """Start the 20 ms tick that paces players and flushes recordings."""
        loop = asyncio.get_running_loop()
        self._t0 = loop.time()
        self._tick_n = 0
        self._schedule(loop)

    def _schedule(self, loop: asyncio.AbstractEventLoop) -> None:
        """Arm the next tick on an absolute grid so lateness never accumulates."""
        self._tick_n += 1
        self._tick_handle = loop.call_at(self._t0 + self._tick_n * PTIME, self._tick)

    def _tick(self) -> None:
        """Send due player frames; every 100 ms flush recordings and close stale DTMF."""
        now = self._clock.update()
        for ep in list(self._players.values()):
            player = ep.player
            if player is None:
                continue
            ep.send_frames(player.take(now), now)
            if player.finished:
                self._player_done(ep, completed=True)
        if self._tick_n % FLUSH_EVERY == 0:
            for rec in self._recordings.values():
                self._flush(rec, now)
            for ep in list(self._dtmf_open):  # only legs with an open event: O(1) when idle
                for digit in ep.dtmf.expire(now):
                    self._on_digit(ep, digit)
                if not ep.dtmf.pending:
                    self._dtmf_open.discard(ep)
        self._schedule(asyncio.get_running_loop())

    def close(self) -> None:
        """Stop the tick, finish playbacks and close every socket."""
        if self._tick_handle is not None:
            self._tick_handle.cancel()
        for ep_id in list(self._endpoints):
            self.release(ep_id)

    # -- endpoints -------------------------------------------------------------------------

    async def create_endpoint(self, call_id: str, leg: str) -> dict[str, Any]:
        """Bind a UDP socket on a free even port."""
        loop = asyncio.get_running_loop()
        ep = RtpEndpoint(self._next_id, call_id, leg, self._on_digit, self._clock)
        ep.dtmf_watch = self._dtmf_open
        for _ in range(len(self._ports) or 1):
            port = self._ports.take()
            try:
                await loop.create_datagram_endpoint(lambda: ep, local_addr=(self._host, port))
            except OSError as err:
                self._ports.give_back(port)
                # uvloop wraps the bind error: the errno is on the cause.
                cause = err.__cause__ if isinstance(err.__cause__, OSError) else err
                if errno.EADDRINUSE not in (err.errno, cause.errno):
                    raise MediaStateError(f"cannot bind {self._host}:{port}: {err}") from err
                continue
            self._next_id += 1
            self._endpoints[ep.id] = ep
            ep.local_port = port
            return {"id": ep.id, "host": self._host, "port": port}
        raise PortsExhaustedError("every port of the range is in use")

    async def create_endpoints(self, n: int) -> list[dict[str, Any]]:
        """Bind up to `n` spare endpoints ahead of need (fewer when the range runs out)."""
        made: list[dict[str, Any]] = []
        for _ in range(n):
            try:
                made.append(await self.create_endpoint("", ""))
            except PortsExhaustedError:
                break
        return made

    def assign(self, ep: int, call_id: str, leg: str) -> None:
        """Give a spare endpoint to a call."""
        e = self._ep(ep)
        e.call_id, e.leg = call_id, leg

    def _ep(self, ep_id: int) -> RtpEndpoint:
        """Look an endpoint up."""
        try:
            return self._endpoints[ep_id]
        except KeyError:
            raise UnknownEndpointError(f"no endpoint {ep_id}") from None

    def set_remote(self, ep: int, host: str, port: int, pt: int, dtmf_pt: int | None) -> None:
        """Set the phone's address and codec."""
        e = self._ep(ep)
        if pt not in (g711.PCMU, g711.PCMA):
            raise MediaStateError(f"payload type {pt} is not G.711")
        e.remote = (host, port)
        e.pt, e.dtmf_pt = pt, dtmf_pt
        self._tables(e)
        if e.peer is not None:
            self._tables(e.peer)

    def _tables(self, ep: RtpEndpoint) -> None:
        """Pick the transcoding table for what the endpoint receives from its peer."""
        src = ep.peer.pt if ep.peer is not None else ep.pt
        ep.table = None if src == ep.pt else g711.TRANSCODE[(src, ep.pt)]

    def _refresh(self, ep: RtpEndpoint) -> None:
        """Derive what the endpoint sends from its state: player, bridge or nothing."""
        if ep.player is not None:
            source = Source.PLAYER
        elif ep.peer is not None and not ep.held and not ep.peer.held:
            source = Source.BRIDGE
        else:
            source = Source.NONE
        if source is not ep.source:
            ep.source = source
            ep.out.reset_source()

    def bridge(self, a: int, b: int) -> None:
        """Relay both ways between two endpoints, replacing earlier peers."""
        ea, eb = self._ep(a), self._ep(b)
        if ea is eb:
            raise MediaStateError("cannot bridge an endpoint to itself")
        for e in (ea, eb):
            if e.peer is not None and e.peer not in (ea, eb):
                self._unlink(e.peer)
        ea.peer, eb.peer = eb, ea
        for e in (ea, eb):
            self._tables(e)
            self._refresh(e)

    def _unlink(self, e: RtpEndpoint) -> None:
        """Detach an endpoint from its peer."""
        e.peer = None
        e.table = None
        self._refresh(e)

    def unbridge(self, a: int, b: int) -> None:
        """Stop relaying between two endpoints."""
        ea, eb = self._ep(a), self._ep(b)
        if ea.peer is eb:
            self._unlink(ea)
            self._unlink(eb)

    # -- players ---------------------------------------------------------------------------

    def play(self, ep: int, paths: list[str], loop: bool, play_id: str | None) -> None:
        """Start a playback now (loading and encoding the files on first use)."""
        e = self._ep(ep)
        frames = [f for p in paths for f in self._prompts.frames(Path(p), e.pt)]
        self._stop_player(e)
        e.player = Player(play_id or "", frames, loop, time.monotonic())
        self._players[e.id] = e
        self._refresh(e)

    def _stop_player(self, e: RtpEndpoint) -> None:
        """Drop the current player, reporting it as stopped."""
        if e.player is not None:
            self._player_done(e, completed=False)

    def _player_done(self, e: RtpEndpoint, *, completed: bool) -> None:
        """Report the end of a playback; music on hold restarts while the leg is held."""
        player, e.player = e.player, None
        self._players.pop(e.id, None)
        if player is not None and player.play_id:
            self._emit({"event": "play_done", "play_id": player.play_id, "completed": completed})
        if completed and e.held and self._moh:
            self.play(e.id, [str(p) for p in self._moh], True, None)
        self._refresh(e)

    def stop_play(self, ep: int) -> None:
        """Stop the endpoint's playback."""
        e = self._ep(ep)
        self._stop_player(e)
        if e.held and self._moh:
            self.play(e.id, [str(p) for p in self._moh], True, None)

    def hold(self, ep: int) -> None:
        """Music to this leg's phone; its peer gets nothing."""
        e = self._ep(ep)
        e.held = True
        if self._moh:
            self.play(e.id, [str(p) for p in self._moh], True, None)
        self._refresh(e)
        if e.peer is not None:
            self._refresh(e.peer)

    def unhold(self, ep: int) -> None:
        """Back to the bridge."""
        e = self._ep(ep)
        if not e.held:
            return
        e.held = False
        if e.player is not None and not e.player.play_id:  # our music on hold
            self._player_done(e, completed=False)
        self._refresh(e)
        if e.peer is not None:
            self._refresh(e.peer)

    # -- DTMF ------------------------------------------------------------------------------

    def _on_digit(self, ep: RtpEndpoint, digit: DtmfDigit) -> None:
        """Report a key press with the wall-clock time it began."""
        wall = time.time() - (time.monotonic() - digit.started)
        self._emit({"event": "dtmf", "ep": ep.id, "digit": digit.digit, "ts": wall})

    # -- recordings ------------------------------------------------------------------------

    def rec_start(self, rec: int, caller: int, agent: int, pause_mode: str, jitter: float) -> None:
        """Tap both legs into a new stereo mixer."""
        ec, ea = self._ep(caller), self._ep(agent)
        mixer = StereoMixer(time.monotonic(), jitter_s=jitter, pause_mode=PauseMode(pause_mode))
        self._recordings[rec] = _Recording(rec, mixer, ec, ea)
        for side, e in ((CALLER, ec), (AGENT, ea)):
            e.tap = self._make_tap(mixer, side, e)

    @staticmethod
    def _make_tap(mixer: StereoMixer, side: int, e: RtpEndpoint) -> Any:
        """Build the callback that decodes one leg's payloads into the mixer."""

        def tap(ssrc: int, ts: int, payload: bytes, now: float) -> None:
            mixer.feed(side, ssrc, ts, g711.decode(payload, e.pt), now)

        return tap

    def _rec(self, rec: int) -> _Recording:
        """Look a recording up."""
        try:
            return self._recordings[rec]
        except KeyError:
            raise UnknownRecordingError(f"no recording {rec}") from None

    def _flush(self, rec: _Recording, now: float, final: bool = False) -> None:
        """Ship the settled audio to the parent."""
        chunk = rec.mixer.advance(now, final=final)
        if chunk:
            self._emit_audio(rec.rec, chunk)

    def rec_pause(self, rec: int) -> None:
        """Pause a recording."""
        self._rec(rec).mixer.pause(time.monotonic())

    def rec_resume(self, rec: int) -> None:
        """Resume a recording."""
        self._rec(rec).mixer.resume(time.monotonic())

    def rec_stop(self, rec: int) -> dict[str, Any]:
        """Flush everything received so far and untap the legs."""
        r = self._recordings.pop(rec, None)
        if r is None:
            raise UnknownRecordingError(f"no recording {rec}")
        now = time.monotonic()
        self._flush(r, now, final=True)
        for e in r.endpoints.values():
            e.tap = None
        return {
            "frames": r.mixer.frames_out,
            "paused": [[s.start_s, s.end_s] for s in r.mixer.spans(now)],
            "late_packets": r.mixer.late_packets,
        }

    # -- teardown --------------------------------------------------------------------------

    def release(self, ep: int) -> None:
        """Close the endpoint, detach it from its peer and recordings, free its port."""
        e = self._endpoints.pop(ep, None)
        if e is None:
            raise UnknownEndpointError(f"no endpoint {ep}")
        self._stop_player(e)
        if e.peer is not None:
            peer = e.peer
            self._unlink(e)
            self._unlink(peer)
        e.tap = None
        self._dtmf_open.discard(e)
        e.close()
        self._ports.give_back(e.local_port)

    def stats(self) -> dict[str, Any]:
        """Return counters for monitoring and benchmarks."""
        eps = self._endpoints.values()
        spare = sum(1 for e in eps if not e.call_id)
        return {
            "endpoints": len(self._endpoints) - spare,
            "spare": spare,
            "rx": sum(e.rx for e in eps),
            "tx": sum(e.tx for e in eps),
            "dropped": sum(e.dropped for e in eps),
            "players": len(self._players),
            "recordings": len(self._recordings),
        }
