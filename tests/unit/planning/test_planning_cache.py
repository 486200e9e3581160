"""The planning cache: one computation per key, failures forgotten, oldest keys evicted."""

from __future__ import annotations

import asyncio
import threading

import pytest

from standardiste.web.api.planning import PlanningCache


async def test_concurrent_requests_share_one_computation() -> None:
    cache = PlanningCache()
    calls = 0
    gate = threading.Event()

    def compute() -> int:
        nonlocal calls
        calls += 1
        gate.wait(5)  # still running while the other requests arrive
        return 42

    tasks = [asyncio.create_task(cache.get("k", compute)) for _ in range(5)]
    await asyncio.sleep(0.05)
    gate.set()
    assert await asyncio.gather(*tasks) == [42] * 5
    assert calls == 1 and "k" in cache
    assert await cache.get("k", lambda: 0) == 42


async def test_a_failure_is_not_remembered() -> None:
    cache = PlanningCache()

    def boom() -> int:
        raise RuntimeError("database gone")

    with pytest.raises(RuntimeError):
        await cache.get("k", boom)
    await asyncio.sleep(0)
    assert "k" not in cache
    assert await cache.get("k", lambda: 7) == 7


async def test_least_recently_used_keys_are_evicted() -> None:
    cache = PlanningCache(size=2)
    await cache.get("a", lambda: 1)
    await cache.get("b", lambda: 2)
    await cache.get("a", lambda: 0)  # touch a: b is now the oldest
    await cache.get("c", lambda: 3)
    assert "a" in cache and "c" in cache and "b" not in cache


async def test_a_cancelled_request_does_not_cancel_the_shared_work() -> None:
    cache = PlanningCache()
    gate = threading.Event()

    def slow() -> str:
        gate.wait(5)
        return "done"

    first = asyncio.create_task(cache.get("k", slow))
    await asyncio.sleep(0.01)
    first.cancel()
    gate.set()
    assert await cache.get("k", lambda: "other") == "done"
