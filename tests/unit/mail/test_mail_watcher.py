"""Watched mailroom folder: stable files only, move after commit, reject with a reason."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

from mail_fakes import JournalService, MailChannel, build_channel, small_png

from standardiste.channels.mail.model import LetterReceived
from standardiste.channels.mail.watcher import FolderWatcher


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def watcher_for(ch: MailChannel, inbox: Path, clock: Clock | None = None) -> FolderWatcher:
    inbox.mkdir(parents=True, exist_ok=True)
    return FolderWatcher(ch.intake, inbox, interval_s=0.02, retry_s=1.0, mono=clock or Clock())


async def test_file_is_imported_once_it_is_stable(channel: MailChannel, tmp_path: Path) -> None:
    w = watcher_for(channel, tmp_path / "inbox")
    (w.inbox / "a.png").write_bytes(small_png(1))
    assert await w.scan_once() == []  # first sight: may still be written
    (outcome,) = await w.scan_once()
    assert (outcome.name, outcome.status) == ("a.png", "imported")
    assert not (w.inbox / "a.png").exists()
    assert (w.processed_dir / "a.png").read_bytes() == small_png(1)
    assert await w.scan_once() == []
    assert len(channel.service.kinds("mail.received")) == 1
    assert channel.service.kinds("mail.received")[0].data["source"] == "folder"


async def test_growing_file_waits(channel: MailChannel, tmp_path: Path) -> None:
    w = watcher_for(channel, tmp_path / "inbox")
    data = small_png(2)
    path = w.inbox / "b.png"
    path.write_bytes(data[:20])
    await w.scan_once()
    path.write_bytes(data)  # the scanner wrote the rest
    assert await w.scan_once() == []  # size changed since last scan
    (outcome,) = await w.scan_once()
    assert outcome.status == "imported"
    stored = channel.store.letters_dir / outcome.letter_id / "original.png"  # type: ignore[operator]
    assert stored.read_bytes() == data


async def test_partial_and_hidden_files_are_ignored(channel: MailChannel, tmp_path: Path) -> None:
    w = watcher_for(channel, tmp_path / "inbox")
    (w.inbox / "c.png.part").write_bytes(small_png(3))
    (w.inbox / ".~lock.png").write_bytes(small_png(4))
    (w.inbox / "subdir").mkdir()
    for _ in range(3):
        assert await w.scan_once() == []
    os.rename(w.inbox / "c.png.part", w.inbox / "c.png")  # the scanner finished
    await w.scan_once()
    (outcome,) = await w.scan_once()
    assert (outcome.name, outcome.status) == ("c.png", "imported")
    assert (w.inbox / ".~lock.png").exists()


async def test_bad_file_goes_to_rejected_with_a_reason(
    channel: MailChannel, tmp_path: Path
) -> None:
    w = watcher_for(channel, tmp_path / "inbox")
    (w.inbox / "letter.docx").write_bytes(b"PK\x03\x04" + b"\0" * 100)
    await w.scan_once()
    (outcome,) = await w.scan_once()
    assert (outcome.status, outcome.error_id) == ("rejected", "mail.unsupported_format")
    assert sorted(os.listdir(w.rejected_dir)) == ["letter.docx", "letter.docx.reason.json"]
    reason = json.loads((w.rejected_dir / "letter.docx.reason.json").read_text())
    assert reason["error_id"] == "mail.unsupported_format"
    assert reason["file"] == "letter.docx"
    assert not (w.inbox / "letter.docx").exists()
    assert channel.service.events == []


async def test_commit_failure_keeps_the_file_and_retries_with_backoff(
    channel: MailChannel, tmp_path: Path
) -> None:
    clock = Clock()
    w = watcher_for(channel, tmp_path / "inbox", clock)
    (w.inbox / "d.png").write_bytes(small_png(5))
    channel.service.fail_next = 2
    await w.scan_once()
    (outcome,) = await w.scan_once()
    assert (outcome.status, outcome.error_id) == ("retry", "mail.commit_failed")
    assert (w.inbox / "d.png").exists()
    assert await w.scan_once() == []  # backing off for 1 s
    clock.now += 0.5
    assert await w.scan_once() == []
    clock.now += 0.5
    (outcome,) = await w.scan_once()
    assert outcome.status == "retry"
    clock.now += 1.5
    assert await w.scan_once() == []  # the delay doubled to 2 s
    clock.now += 0.5
    (outcome,) = await w.scan_once()
    assert outcome.status == "imported"
    assert channel.service.create_calls == 3
    assert len(channel.service.kinds("interaction.created")) == 1
    assert not (w.inbox / "d.png").exists()


async def test_same_scan_dropped_twice_is_imported_once(
    channel: MailChannel, tmp_path: Path
) -> None:
    w = watcher_for(channel, tmp_path / "inbox")
    (w.inbox / "e1.png").write_bytes(small_png(6))
    (w.inbox / "e2.png").write_bytes(small_png(6))
    await w.scan_once()
    outcomes = await w.scan_once()
    assert sorted(o.status for o in outcomes) == ["duplicate", "imported"]
    assert sorted(os.listdir(w.processed_dir)) == ["e1.png", "e2.png"]
    assert len(channel.service.kinds("interaction.created")) == 1


async def test_source_is_still_in_the_inbox_while_the_commit_runs(
    tmp_path: Path, service: JournalService
) -> None:
    seen: list[bool] = []
    inbox = tmp_path / "inbox"

    class Spy:
        def __init__(self) -> None:
            self.inner = build_channel(tmp_path / "mail", service).adapter

        async def commit(self, letter: LetterReceived) -> str:
            seen.append((inbox / "f.png").exists())
            iid = await self.inner.commit(letter)
            seen.append((inbox / "f.png").exists())
            return iid

    ch = build_channel(tmp_path / "mail", service, sink=Spy())
    await ch.intake.prepare()
    w = watcher_for(ch, inbox)
    (inbox / "f.png").write_bytes(small_png(7))
    await w.scan_once()
    await w.scan_once()
    assert seen == [True, True]
    assert not (inbox / "f.png").exists()


async def test_start_close_wait_closed_and_restart(channel: MailChannel, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    for round_ in range(2):
        w = FolderWatcher(channel.intake, inbox, interval_s=0.02)
        await w.start()
        (inbox / f"g{round_}.png").write_bytes(small_png(10 + round_))
        for _ in range(250):
            if (w.processed_dir / f"g{round_}.png").exists():
                break
            await asyncio.sleep(0.02)
        w.close()
        await w.wait_closed()
        assert (w.processed_dir / f"g{round_}.png").exists()
    assert len(channel.service.kinds("interaction.created")) == 2
    assert not [t for t in asyncio.all_tasks() if t.get_name().startswith("mail-watch")]
