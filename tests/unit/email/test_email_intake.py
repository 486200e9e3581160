"""Commit behind the 250: queued, concurrent, retried, back-pressured, drained on close."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from standardiste.channels.email.errors import IntakeClosed
from standardiste.channels.email.intake import SpooledIntake
from standardiste.channels.email.smtp_in import InboundEnvelope


def _env(n: int) -> InboundEnvelope:
    return InboundEnvelope(f"id-{n:03d}", "a@x.org", ("contact@impots.example",), "127.0.0.1",
                           "h", 0.0, 10)  # fmt: skip


class Committer:
    """Records commits; can hold them behind a gate and fail the first tries of some ids."""

    def __init__(self, fail: dict[str, int] | None = None) -> None:
        self.gate = asyncio.Event()
        self.gate.set()
        self.fail = dict(fail or {})
        self.calls: list[tuple[str, bytes | None]] = []
        self.committed: list[str] = []
        self.running = 0
        self.most_at_once = 0

    async def accept(
        self, path: Path, envelope: InboundEnvelope, *, raw: bytes | None = None
    ) -> str:
        self.calls.append((envelope.spool_id, raw))
        self.running += 1
        self.most_at_once = max(self.most_at_once, self.running)
        try:
            await self.gate.wait()
            if self.fail.get(envelope.spool_id, 0) > 0:
                self.fail[envelope.spool_id] -= 1
                raise RuntimeError("log unavailable")
            self.committed.append(envelope.spool_id)
            return envelope.spool_id
        finally:
            self.running -= 1


async def test_accept_answers_before_the_commit_and_drained_waits_for_it() -> None:
    committer = Committer()
    committer.gate.clear()
    intake = SpooledIntake(committer)
    intake.start()
    assert await intake.accept(Path("a"), _env(1), raw=b"raw") == "id-001"
    await asyncio.sleep(0)
    assert committer.committed == [] and intake.backlog == 1
    drained = asyncio.create_task(intake.drained())
    await asyncio.sleep(0.01)
    assert not drained.done()
    committer.gate.set()
    await asyncio.wait_for(drained, 1)
    assert committer.committed == ["id-001"] and committer.calls == [("id-001", b"raw")]
    assert intake.backlog == 0 and intake.committed == 1


@pytest.mark.parametrize("limit", [3, 64])
async def test_commits_overlap_up_to_the_limit(limit: int) -> None:
    committer = Committer()
    committer.gate.clear()
    intake = SpooledIntake(committer, concurrency=limit)
    intake.start()
    for n in range(10):
        await intake.accept(Path(str(n)), _env(n))
    await asyncio.sleep(0.01)
    committer.gate.set()
    await asyncio.wait_for(intake.drained(), 1)
    # Overlapping commits are what lets the event log put many mails in one transaction.
    assert committer.most_at_once == min(limit, 10)
    assert sorted(committer.committed) == [f"id-{n:03d}" for n in range(10)]


async def test_failed_commit_is_retried_from_the_spool_until_it_succeeds() -> None:
    committer = Committer(fail={"id-002": 2})
    intake = SpooledIntake(committer, retry_base_s=0.01)
    intake.start()
    for n in range(1, 4):
        await intake.accept(Path(str(n)), _env(n), raw=b"x")
    await asyncio.wait_for(intake.drained(), 2)
    assert sorted(committer.committed) == ["id-001", "id-002", "id-003"]
    assert [raw for sid, raw in committer.calls if sid == "id-002"] == [b"x", None, None]
    assert intake.failures == 2 and intake.committed == 3


async def test_full_backlog_holds_the_next_client_until_there_is_room() -> None:
    committer = Committer()
    committer.gate.clear()
    intake = SpooledIntake(committer, max_pending=2)
    intake.start()
    await intake.accept(Path("1"), _env(1))
    await intake.accept(Path("2"), _env(2))
    third = asyncio.create_task(intake.accept(Path("3"), _env(3)))
    await asyncio.sleep(0.02)
    assert not third.done() and intake.backlog == 2
    committer.gate.set()
    assert await asyncio.wait_for(third, 1) == "id-003"
    await asyncio.wait_for(intake.drained(), 1)
    assert len(committer.committed) == 3


async def test_client_gone_while_waiting_for_room_still_gets_its_file_committed() -> None:
    committer = Committer()
    committer.gate.clear()
    intake = SpooledIntake(committer, max_pending=1)
    intake.start()
    await intake.accept(Path("1"), _env(1))
    waiting = asyncio.create_task(intake.accept(Path("2"), _env(2), raw=b"two"))
    await asyncio.sleep(0.01)
    waiting.cancel()  # what aiosmtpd does when the connection drops
    with pytest.raises(asyncio.CancelledError):
        await waiting
    committer.gate.set()
    await asyncio.wait_for(intake.drained(), 1)
    assert sorted(committer.committed) == ["id-001", "id-002"]


async def test_recovered_files_wait_for_start_and_close_commits_the_backlog() -> None:
    committer = Committer()
    intake = SpooledIntake(committer)
    intake.recover([(Path("1"), _env(1)), (Path("2"), _env(2))])
    await asyncio.sleep(0.01)
    assert committer.calls == []  # nothing runs before start (the log may not be up yet)
    intake.start()
    await intake.accept(Path("3"), _env(3))
    await intake.wait_closed(grace_s=1)
    assert committer.committed == ["id-001", "id-002", "id-003"]
    assert [raw for _, raw in committer.calls] == [None, None, None]
    with pytest.raises(IntakeClosed):
        await intake.accept(Path("4"), _env(4))


async def test_wait_closed_gives_up_after_the_grace_and_leaves_the_rest_spooled() -> None:
    committer = Committer(fail={"id-001": 10**6})
    intake = SpooledIntake(committer, retry_base_s=0.01, retry_max_s=0.02)
    intake.start()
    await intake.accept(Path("1"), _env(1))
    await intake.wait_closed(grace_s=0.1)
    assert committer.committed == [] and intake.failures >= 2
    calls = len(committer.calls)
    await asyncio.sleep(0.05)
    assert len(committer.calls) == calls  # no retry timer left behind
