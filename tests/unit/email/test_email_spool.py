"""Durable saves: concurrent renames share one directory fsync, started after each rename."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from standardiste.channels.email import dirsync
from standardiste.channels.email.errors import SpoolError
from standardiste.channels.email.spool import Spool


async def test_concurrent_saves_share_directory_fsyncs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spool = Spool(tmp_path / "in")
    spool.prepare()
    seen_at_sync: list[set[str]] = []
    real = dirsync.fsync_dir

    def recording_fsync(directory: Path) -> None:
        # What a directory fsync makes durable: the entries present when it starts.
        seen_at_sync.append({p.name for p in directory.glob("*.eml")})
        real(directory)

    monkeypatch.setattr(dirsync, "fsync_dir", recording_fsync)
    ids = [f"{n:04d}" for n in range(40)]
    paths = await asyncio.gather(*(spool.save(i, [b"x" * 1000, i.encode()]) for i in ids))
    assert [p.read_bytes()[-4:] for p in paths] == [i.encode() for i in ids]
    assert spool.ids() == ids and list((tmp_path / "in" / "tmp").iterdir()) == []
    assert 1 <= len(seen_at_sync) < len(ids)
    # Every save returned only after a sync that started with its file already renamed.
    assert seen_at_sync[-1] == {f"{i}.eml" for i in ids}


async def test_sequential_saves_each_get_their_own_sync(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spool = Spool(tmp_path / "in")
    spool.prepare()
    synced: list[int] = []
    real = dirsync.fsync_dir
    monkeypatch.setattr(dirsync, "fsync_dir", lambda d: (synced.append(1), real(d)))
    for n in range(3):
        await spool.save(str(n), [b"x"])
    assert len(synced) == 3


async def test_failed_directory_sync_reports_and_removes_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spool = Spool(tmp_path / "in")
    spool.prepare()

    def broken(directory: Path) -> None:
        raise OSError(5, os.strerror(5))

    monkeypatch.setattr(dirsync, "fsync_dir", broken)
    results = await asyncio.gather(
        spool.save("a", [b"1"]), spool.save("b", [b"2"]), return_exceptions=True
    )
    assert all(isinstance(r, SpoolError) for r in results)
    assert spool.ids() == []  # nobody was told these are stored: they must not reappear
    monkeypatch.setattr(dirsync, "fsync_dir", lambda d: None)
    assert (await spool.save("c", [b"3"])).read_bytes() == b"3"  # the next sync works again
