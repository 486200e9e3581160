"""Watched folder on the real event log: each scan imported once, moved only after commit,
and a SIGKILL at the worst moments loses nothing and duplicates nothing."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from mail_fakes import small_png
from mail_real import RealCentre, open_centre, real_intake

from standardiste.channels.mail.watcher import FolderWatcher

CHILD = Path(__file__).with_name("mail_crash_child.py")


async def wait_for(predicate, limit_s: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    for _ in range(int(limit_s / 0.05)):
        if await asyncio.to_thread(predicate):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not reached in time")


async def run_watcher_until(centre: RealCentre, data_dir: Path, inbox: Path, predicate) -> None:  # type: ignore[no-untyped-def]
    intake, _ = real_intake(data_dir / "mail", centre.service)
    watcher = FolderWatcher(intake, inbox, interval_s=0.05)
    await watcher.start()
    try:
        await wait_for(predicate)
    finally:
        watcher.close()
        await watcher.wait_closed()


async def test_burst_of_drops_is_imported_once_each(centre: RealCentre, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for n in range(4):
        (inbox / f"scan{n}.png").write_bytes(small_png(30 + n))
    (inbox / "copy-of-scan0.png").write_bytes(small_png(30))
    (inbox / "notes.txt").write_bytes(b"not a scan")
    (inbox / "late.png.part").write_bytes(small_png(40))

    def settled() -> bool:
        return sorted(os.listdir(inbox)) == ["late.png.part", "processed", "rejected"]

    await run_watcher_until(centre, tmp_path, inbox, settled)
    assert len(os.listdir(inbox / "processed")) == 5
    assert sorted(os.listdir(inbox / "rejected")) == ["notes.txt", "notes.txt.reason.json"]
    assert len(centre.events("mail.received")) == 4
    assert len(centre.events("interaction.created")) == 4

    os.rename(inbox / "late.png.part", inbox / "late.png")
    await run_watcher_until(
        centre, tmp_path, inbox, lambda: (inbox / "processed" / "late.png").exists()
    )
    assert len(centre.events("mail.received")) == 5


async def crash_child(tmp_path: Path, where: str) -> str:
    """Run the watcher in a child process and SIGKILL it at `where`; return the letter id."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(CHILD), str(tmp_path), str(tmp_path / "inbox"),
        str(tmp_path / "events.db"), where,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    reached = tmp_path / "reached"
    try:
        for _ in range(1200):
            if reached.exists() or proc.returncode is not None:
                break
            await asyncio.sleep(0.05)
        assert reached.exists(), f"child never reached the commit (rc={proc.returncode})"
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGKILL)
        stderr = await proc.stderr.read()  # type: ignore[union-attr]
        await proc.wait()
    assert proc.returncode == -signal.SIGKILL, stderr.decode()[-2000:]
    return reached.read_text()


async def test_kill_between_copy_and_commit_keeps_the_source(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "letter.png").write_bytes(small_png(50))
    letter_id = await crash_child(tmp_path, "before")

    letter_dir = tmp_path / "mail" / "letters" / letter_id
    assert (letter_dir / "original.png").read_bytes() == small_png(50)  # the copy was made
    assert not (letter_dir / "committed.json").exists()
    assert (inbox / "letter.png").exists()  # ...but the source was not moved

    centre = await open_centre(tmp_path / "events.db")
    try:
        assert centre.events("mail.received") == []
        processed = inbox / "processed" / "letter.png"
        await run_watcher_until(centre, tmp_path, inbox, processed.exists)
        assert not (inbox / "letter.png").exists()
        (received,) = centre.events("mail.received")
        assert received.data["letter_id"] == letter_id
        assert len(centre.events("interaction.created")) == 1
    finally:
        await centre.close()

    # The operator drops the same scan again after the restart: still one work item.
    (inbox / "letter.png").write_bytes(small_png(50))
    centre = await open_centre(tmp_path / "events.db")
    try:
        await run_watcher_until(
            centre, tmp_path, inbox, lambda: not (inbox / "letter.png").exists()
        )
        assert len(centre.events("mail.received")) == 1
    finally:
        await centre.close()


async def test_kill_after_commit_before_move_does_not_import_twice(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "letter.pdf").write_bytes(small_png(51))  # a PNG named .pdf: bytes decide
    letter_id = await crash_child(tmp_path, "after")
    assert (inbox / "letter.pdf").exists()

    centre = await open_centre(tmp_path / "events.db")
    try:
        assert len(centre.events("mail.received")) == 1  # committed before the kill
        await run_watcher_until(
            centre, tmp_path, inbox, (inbox / "processed" / "letter.pdf").exists
        )
        (received,) = centre.events("mail.received")
        assert received.data["letter_id"] == letter_id
        assert len(centre.events("interaction.created")) == 1
        marker = tmp_path / "mail" / "letters" / letter_id / "committed.json"
        assert marker.exists()
    finally:
        await centre.close()
