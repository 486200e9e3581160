"""Durable outbound queue: retries with backoff, permanent failures, restart, hold/release."""

from __future__ import annotations

import asyncio
from pathlib import Path

from email_fakes import FakeTransport, wait_until

from standardiste.channels.email.outbox import Outbox, OutboxItem, OutboxResult
from standardiste.domain.clock import SystemClock


def _item(n: int) -> OutboxItem:
    return OutboxItem(f"rp-{n}", f"<m{n}@x>", "contact@impots.example", ("a@example.org",))


def _outbox(tmp_path: Path, transport: FakeTransport, results: list[OutboxResult]) -> Outbox:
    async def on_result(result: OutboxResult) -> None:
        results.append(result)

    return Outbox(tmp_path / "out", transport, SystemClock(), on_result,
                  base_backoff_s=0.02, max_backoff_s=0.05)  # fmt: skip


async def test_transient_failures_are_retried_then_sent_once(tmp_path: Path) -> None:
    transport, results = FakeTransport(fail_times=3), []
    outbox = _outbox(tmp_path, transport, results)
    await outbox.start()
    await outbox.enqueue(_item(1), b"raw-1")
    await wait_until(lambda: transport.sent)
    await asyncio.sleep(0.1)
    outbox.close()
    await outbox.wait_closed()
    assert [r.status for r in results] == ["deferred", "deferred", "deferred", "sent"]
    assert results[-1].item.attempts == 4
    assert transport.sent == [("contact@impots.example", ("a@example.org",), b"raw-1")]
    assert sorted(p.name for p in (tmp_path / "out" / "sent").iterdir()) == [
        "rp-1.eml",
        "rp-1.json",
    ]
    assert outbox.pending() == []


async def test_permanent_refusal_fails_without_retry(tmp_path: Path) -> None:
    transport, results = FakeTransport(fail_times=1, permanent=True), []
    outbox = _outbox(tmp_path, transport, results)
    await outbox.start()
    await outbox.enqueue(_item(1), b"raw")
    await wait_until(lambda: results)
    outbox.close()
    await outbox.wait_closed()
    assert [r.status for r in results] == ["failed"] and transport.calls == 1
    assert (tmp_path / "out" / "failed" / "rp-1.eml").exists()


async def test_queue_survives_restart_and_sends_once(tmp_path: Path) -> None:
    down, results = FakeTransport(fail_times=10**6), []
    first = _outbox(tmp_path, down, results)
    await first.start()
    for n in range(5):
        await first.enqueue(_item(n), f"raw-{n}".encode())
    await wait_until(lambda: len(results) >= 5)
    first.close()
    await first.wait_closed()
    up = FakeTransport()
    second = _outbox(tmp_path, up, results)
    await second.start()
    assert len(second.pending()) == 5
    await wait_until(lambda: len(up.sent) == 5)
    await asyncio.sleep(0.1)
    second.close()
    await second.wait_closed()
    assert sorted(raw for _, _, raw in up.sent) == [f"raw-{n}".encode() for n in range(5)]


async def test_held_item_waits_for_release(tmp_path: Path) -> None:
    transport, results = FakeTransport(), []
    outbox = _outbox(tmp_path, transport, results)
    await outbox.start()
    await outbox.enqueue(_item(1), b"raw", hold=True)
    await asyncio.sleep(0.05)
    assert transport.sent == []
    outbox.release("rp-1")
    await wait_until(lambda: transport.sent)
    outbox.close()
    await outbox.wait_closed()


async def test_already_sent_in_log_is_not_resent(tmp_path: Path) -> None:
    transport, results = FakeTransport(), []

    async def on_result(result: OutboxResult) -> None:
        results.append(result)

    outbox = Outbox(tmp_path / "out", transport, SystemClock(), on_result,
                    already_sent=lambda rid: rid == "rp-1")  # fmt: skip
    await outbox.start()
    await outbox.enqueue(_item(1), b"raw")
    await outbox.enqueue(_item(2), b"raw2")
    await wait_until(lambda: transport.sent)
    outbox.close()
    await outbox.wait_closed()
    assert [raw for _, _, raw in transport.sent] == [b"raw2"]
    assert (tmp_path / "out" / "sent" / "rp-1.eml").exists()
