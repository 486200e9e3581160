"""Bridge, hold, prompts and DTMF through a real media worker process on loopback."""

from __future__ import annotations

import asyncio
import os
import signal
import time

import numpy as np
import pytest
from media_phones import TEST_PORTS, dominant_hz, wire

from standardiste.media.builtin import BuiltinMediaPlane, g711
from standardiste.media.builtin.wavio import read_prompt
from standardiste.media.errors import MediaStateError, UnknownEndpointError
from standardiste.media.plane import Leg, MediaPlane
from standardiste.media.prompts import MUSIC_ON_HOLD, prompt


async def bridged_call(plane, phones, caller_pt=g711.PCMU, agent_pt=g711.PCMA):
    caller, agent = await phones(caller_pt), await phones(agent_pt)
    ce = await plane.create_endpoint("call-1", Leg.CALLER)
    ae = await plane.create_endpoint("call-1", Leg.AGENT)
    await wire(plane, caller, ce)
    await wire(plane, agent, ae)
    await plane.bridge(ce.id, ae.id)
    caller.start_tone(440)
    agent.start_tone(1000)
    return caller, agent, ce, ae


async def test_each_side_hears_the_other_tone_across_codecs(plane, phones):
    assert isinstance(plane, MediaPlane)
    caller, agent, ce, ae = await bridged_call(plane, phones)
    await asyncio.sleep(0.6)
    assert abs(dominant_hz(agent.audio()) - 440) < 15
    assert abs(dominant_hz(caller.audio()) - 1000) < 15
    to_agent = [p for _, p in agent.received]
    assert {p.payload_type for p in to_agent} == {g711.PCMA}  # transcoded from PCMU
    assert len({p.ssrc for p in to_agent}) == 1
    seqs = [p.seq for p in to_agent]
    assert all((b - a) & 0xFFFF == 1 for a, b in zip(seqs, seqs[1:], strict=False))
    assert len(to_agent) >= 25  # ~30 sent in 0.6 s
    stats = (await plane.stats())[0]
    assert stats["endpoints"] == 2 and stats["rx"] >= 50


async def test_hold_gives_music_to_the_caller_and_nothing_to_the_agent(plane, phones):
    caller, agent, ce, ae = await bridged_call(plane, phones, agent_pt=g711.PCMU)
    await asyncio.sleep(0.3)
    await plane.hold(ce.id)
    t_hold = time.monotonic()
    await asyncio.sleep(0.6)
    t_unhold = time.monotonic()
    await plane.unhold(ce.id)
    await asyncio.sleep(0.4)
    # The caller hears the music on hold from its start, byte for byte, as a new talkspurt.
    during = [p for t, p in caller.received if t_hold - 0.05 < t < t_unhold]
    start = next(i for i, p in enumerate(during) if p.marker)
    music = b"".join(p.payload for p in during[start:])
    assert len(music) >= 160 * 25
    assert music == g711.encode(read_prompt(MUSIC_ON_HOLD)[: len(music)], g711.PCMU)
    # The agent hears nothing while the caller is held (at most what was in flight).
    held = agent.audio(t_hold + 0.15, t_unhold)  # margin: packets already queued to us
    assert len(held) <= 160
    # After unhold the bridge is back both ways.
    assert abs(dominant_hz(caller.audio(t_unhold + 0.1)) - 1000) < 15
    assert abs(dominant_hz(agent.audio(t_unhold + 0.1)) - 440) < 15


async def test_prompt_is_paced_complete_and_resolves(plane, phones):
    caller = await phones()
    ce = await plane.create_endpoint("call-2", Leg.CALLER)
    await wire(plane, caller, ce)
    path = prompt("en", "please_hold")
    pcm = read_prompt(path)
    t0 = time.monotonic()
    playback = await plane.play(ce.id, [path])
    assert await asyncio.wait_for(playback.done, 10) is True
    elapsed = time.monotonic() - t0
    frames = [p for _, p in caller.received]
    assert len(frames) == -(-len(pcm) // 160)
    assert b"".join(p.payload for p in frames)[: len(pcm)] == g711.encode(pcm, g711.PCMU)
    assert abs(elapsed - len(frames) * 0.02) < 0.1  # real-time pacing, not a burst
    gaps = np.diff([t for t, _ in caller.received])
    assert 0.015 < float(np.median(gaps)) < 0.025


async def test_stop_play_resolves_a_looping_playback_false(plane, phones):
    caller = await phones()
    ce = await plane.create_endpoint("call-3", Leg.CALLER)
    await wire(plane, caller, ce)
    playback = await plane.play(ce.id, [prompt("fr", "1")], loop=True)
    await asyncio.sleep(0.5)
    await plane.stop_play(ce.id)
    assert await asyncio.wait_for(playback.done, 2) is False
    n = len(caller.received)
    assert n >= 20  # the 0.26 s prompt looped
    await asyncio.sleep(0.1)
    assert len(caller.received) <= n + 1


async def test_dtmf_is_reported_once_per_key_with_its_time(plane, phones):
    caller = await phones()
    ce = await plane.create_endpoint("call-4", Leg.CALLER)
    await wire(plane, caller, ce)
    got: list[tuple[str, str, float]] = []
    remove = plane.add_dtmf_listener(lambda ep, digit, ts: got.append((ep, digit, ts)))
    sent_at = time.time()
    for digit in "1#9":
        caller.press(digit)
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.2)
    assert [(ep, d) for ep, d, _ in got] == [(ce.id, "1"), (ce.id, "#"), (ce.id, "9")]
    assert all(abs(ts - sent_at) < 0.5 for _, _, ts in got)
    remove()
    caller.press("2")
    await asyncio.sleep(0.2)
    assert len(got) == 3


async def test_errors_carry_stable_ids(plane, phones):
    ce = await plane.create_endpoint("call-5", Leg.CALLER)
    with pytest.raises(MediaStateError) as err:
        await plane.set_remote(ce.id, "127.0.0.1", 40000, payload_type=9)  # G.722
    assert err.value.error_id == "media.state"
    await plane.release(ce.id)
    with pytest.raises(UnknownEndpointError):
        await plane.bridge(ce.id, ce.id)


async def test_a_dead_worker_fails_calls_instead_of_hanging(plane, phones):
    caller = await phones()
    ce = await plane.create_endpoint("call-6", Leg.CALLER)
    await wire(plane, caller, ce)
    playback = await plane.play(ce.id, [prompt("fr", "welcome_menu")])
    lost: list[list[str]] = []
    plane.add_loss_listener(lost.append)
    dead = plane.worker_pids[0]
    os.kill(dead, signal.SIGKILL)
    assert await asyncio.wait_for(playback.done, 5) is False
    for _ in range(100):
        if lost:
            break
        await asyncio.sleep(0.05)
    assert lost == [["call-6"]]  # the owner of the call is told, to hang it up
    with pytest.raises(UnknownEndpointError):
        await asyncio.wait_for(plane.hold(ce.id), 5)  # its endpoints died with the worker
    # A new call gets a working endpoint from the replacement worker.
    fresh = await asyncio.wait_for(plane.create_endpoint("call-7", Leg.CALLER), 10)
    assert plane.restarts == 1 and plane.worker_pids[0] != dead
    before = len(caller.received)
    await wire(plane, caller, fresh)
    await plane.play(fresh.id, [prompt("fr", "welcome_menu")])
    await asyncio.sleep(0.3)
    assert len(caller.received) >= before + 10  # 20 ms frames from the new worker


async def test_transfer_rebridges_the_caller_to_a_new_agent(plane, phones):
    caller, agent, ce, ae = await bridged_call(plane, phones)
    second = await phones(g711.PCMU)
    ae2 = await plane.create_endpoint("call-1", Leg.AGENT)
    await wire(plane, second, ae2)
    second.start_tone(1600)
    await asyncio.sleep(0.2)
    await plane.bridge(ce.id, ae2.id)  # blind transfer: the first agent is cut off
    t_switch = time.monotonic()
    await plane.release(ae.id)
    await asyncio.sleep(0.5)
    assert abs(dominant_hz(caller.audio(t_switch + 0.1)) - 1600) < 15
    assert abs(dominant_hz(second.audio(t_switch + 0.1)) - 440) < 15
    assert len(agent.audio(t_switch + 0.15)) == 0
    # One SSRC and a continuous sequence towards the caller across the switch.
    to_caller = [p for _, p in caller.received]
    assert len({p.ssrc for p in to_caller}) == 1
    seqs = [p.seq for p in to_caller]
    assert all((b - a) & 0xFFFF == 1 for a, b in zip(seqs, seqs[1:], strict=False))


async def test_calls_spread_over_workers_and_keep_their_legs_together(phones):
    mp = BuiltinMediaPlane(ports=TEST_PORTS, workers=2)
    await mp.start()
    try:
        eps = {}
        for call in ("w-a", "w-b"):
            eps[call] = (
                await mp.create_endpoint(call, Leg.CALLER),
                await mp.create_endpoint(call, Leg.AGENT),
            )
        assert {eps["w-a"][0].id[0], eps["w-b"][0].id[0]} == {"0", "1"}
        assert eps["w-a"][0].id[0] == eps["w-a"][1].id[0]
        with pytest.raises(MediaStateError):
            await mp.bridge(eps["w-a"][0].id, eps["w-b"][1].id)
        caller, agent = await phones(g711.PCMU), await phones(g711.PCMU)
        ce, ae = eps["w-b"]
        await wire(mp, caller, ce)
        await wire(mp, agent, ae)
        await mp.bridge(ce.id, ae.id)
        caller.start_tone(440)
        await asyncio.sleep(0.4)
        assert abs(dominant_hz(agent.audio()) - 440) < 15
        assert len(set(mp.worker_pids)) == 2
    finally:
        await mp.close()
        await mp.wait_closed()
