"""Spare endpoints: bound ahead of need, handed to calls without a round trip, refilled."""

from __future__ import annotations

import asyncio

from standardiste.media.builtin import BuiltinMediaPlane
from standardiste.media.plane import Leg


async def _settle(plane: BuiltinMediaPlane, spare: int) -> dict[str, int]:
    for _ in range(50):
        stats = (await plane.stats())[0]
        if stats["spare"] == spare:
            return stats
        await asyncio.sleep(0.02)
    return stats


async def test_spares_serve_new_legs_and_are_refilled_then_freed() -> None:
    plane = BuiltinMediaPlane(ports=(30000, 30099), spare=4)
    await plane.start()
    try:
        assert (await plane.stats())[0] == {**(await plane.stats())[0], "spare": 4, "endpoints": 0}
        legs = [await plane.create_endpoint("c1", leg) for leg in (Leg.CALLER, Leg.AGENT)]
        assert len({ep.local_port for ep in legs}) == 2
        assert all(30000 <= ep.local_port <= 30099 for ep in legs)
        stats = await _settle(plane, 4)  # half used -> refilled in one command
        assert stats["endpoints"] == 2 and stats["spare"] == 4
        for ep in legs:
            await plane.release(ep.id)
        assert (await _settle(plane, 4))["endpoints"] == 0
    finally:
        await plane.close()
        await plane.wait_closed()


async def test_a_small_range_keeps_most_ports_for_calls_and_runs_out_cleanly() -> None:
    plane = BuiltinMediaPlane(ports=(30100, 30115), spare=16)  # 8 even ports: 2 spares at most
    await plane.start()
    try:
        assert (await plane.stats())[0]["spare"] == 2
        made = [await plane.create_endpoint(f"c{i}", Leg.CALLER) for i in range(8)]
        assert len({ep.local_port for ep in made}) == 8  # spares and direct binds never collide
    finally:
        await plane.close()
        await plane.wait_closed()
