"""Letter intake: durable storage, commit through the adapter, idempotency by content."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
from pathlib import Path

import pytest
from mail_fakes import (
    WALL,
    JournalService,
    MailChannel,
    build_channel,
    chunks_of,
    small_png,
)

from standardiste.channels.mail.errors import CommitFailed, LetterTooLarge, UnsupportedFormat
from standardiste.channels.mail.ocr import TesseractOcr


def letter_files(ch: MailChannel, letter_id: str) -> list[str]:
    d = ch.store.letters_dir / letter_id
    return sorted(str(p.relative_to(d)) for p in d.rglob("*"))


async def test_upload_is_stored_read_routed_and_committed(channel: MailChannel) -> None:
    data = small_png()
    result = await channel.intake.ingest_stream(
        chunks_of(data), original_name="scan 1.png", submitted_by="clerk7"
    )
    assert not result.duplicate
    assert result.interaction_id == f"mail-{result.letter_id}"
    assert result.queue_id == "mail-general"  # a blank page has no keyword
    assert result.due_date == "2026-01-31"  # default service level: 30 days from 1 January
    assert (result.pages, result.ocr_status, result.flags) == (1, "ok", ())
    assert letter_files(channel, result.letter_id) == [
        "committed.json", "letter.json", "ocr.json", "original.png", "pages", "pages/0001.png",
    ]  # fmt: skip
    stored = channel.store.letters_dir / result.letter_id / "original.png"
    assert stored.read_bytes() == data
    assert os.listdir(channel.store.staging_dir) == []

    # mail.received and interaction.created are committed in the same batch, in that order.
    kinds = [e.kind for e in channel.service.events]
    assert kinds[:2] == ["mail.received", "interaction.created"]
    received = channel.service.events[0].data
    assert received["interaction_id"] == result.interaction_id
    assert received["original_name"] == "scan 1.png"
    assert received["submitted_by"] == "clerk7"
    assert received["source"] == "upload"
    assert received["received_at"] == WALL
    assert "text" not in received  # OCR text stays on disk, out of the event log
    item = channel.service.centre.interactions[result.interaction_id]
    assert item.channel.value == "mail"
    assert item.attributes["letter_id"] == result.letter_id
    assert item.attributes["due_date"] == "2026-01-31"


async def test_same_scan_twice_is_imported_once(channel: MailChannel, tmp_path: Path) -> None:
    data = small_png(3)
    first = await channel.intake.ingest_stream(chunks_of(data), original_name="a.png")
    dropped = tmp_path / "again.png"
    dropped.write_bytes(data)
    second = await channel.intake.ingest_path(dropped)
    assert second.duplicate and not first.duplicate
    assert second.interaction_id == first.interaction_id
    assert channel.service.create_calls == 1
    assert len(channel.service.kinds("mail.received")) == 1
    assert os.listdir(channel.store.staging_dir) == []


async def test_concurrent_copies_of_one_scan_make_one_work_item(channel: MailChannel) -> None:
    data = small_png(5)
    results = await asyncio.gather(
        *(channel.intake.ingest_stream(chunks_of(data), original_name=None) for _ in range(3))
    )
    assert sorted(r.duplicate for r in results) == [False, True, True]
    assert len({r.interaction_id for r in results}) == 1
    assert len(channel.service.kinds("interaction.created")) == 1


async def test_different_scans_make_different_items(channel: MailChannel) -> None:
    a = await channel.intake.ingest_stream(chunks_of(small_png(1)), original_name=None)
    b = await channel.intake.ingest_stream(chunks_of(small_png(2)), original_name=None)
    assert a.letter_id != b.letter_id
    assert len(channel.service.kinds("interaction.created")) == 2


async def test_failed_commit_leaves_no_work_item_and_retry_commits_once(
    tmp_path: Path, service: JournalService
) -> None:
    clock = itertools.count(WALL, 3600.0)
    ch = build_channel(tmp_path / "mail", service, wall=lambda: next(clock))
    await ch.intake.prepare()
    service.fail_next = 1
    with pytest.raises(CommitFailed) as info:
        await ch.intake.ingest_stream(chunks_of(small_png(7)), original_name="x.png")
    assert info.value.error_id == "mail.commit_failed"
    assert isinstance(info.value.__cause__, ConnectionError)
    (lid,) = os.listdir(ch.store.letters_dir)
    assert "committed.json" not in letter_files(ch, lid)
    assert service.events == []

    result = await ch.intake.ingest_stream(chunks_of(small_png(7)), original_name="x.png")
    assert result.letter_id == lid and not result.duplicate
    assert len(service.kinds("mail.received")) == 1
    # The reception time (start of the service-level clock) is the first attempt's.
    assert service.kinds("mail.received")[0].data["received_at"] == WALL


async def test_commit_done_but_marker_lost_is_not_committed_twice(
    tmp_path: Path, service: JournalService
) -> None:
    """Crash after the log committed but before `committed.json` was written."""
    ch = build_channel(tmp_path / "mail", service)
    await ch.intake.prepare()
    first = await ch.intake.ingest_stream(chunks_of(small_png(9)), original_name=None)
    (ch.store.letters_dir / first.letter_id / "committed.json").unlink()

    # Restart: a new service rebuilt from the journal, a new intake on the same data dir.
    restarted = JournalService(service.journal)
    ch2 = build_channel(tmp_path / "mail", restarted)
    await ch2.intake.prepare()
    again = await ch2.intake.ingest_stream(chunks_of(small_png(9)), original_name=None)
    assert again.interaction_id == first.interaction_id
    assert restarted.create_calls == 0  # the adapter saw the interaction in the projection
    assert len(restarted.kinds("interaction.created")) == 1
    marker = json.loads((ch2.store.letters_dir / first.letter_id / "committed.json").read_text())
    assert marker["interaction_id"] == first.interaction_id


async def test_wrong_format_is_refused_before_anything_is_stored(channel: MailChannel) -> None:
    with pytest.raises(UnsupportedFormat):
        await channel.intake.ingest_stream(chunks_of(b"GIF89a" + b"\0" * 5000), original_name="x")
    assert os.listdir(channel.store.letters_dir) == []
    assert os.listdir(channel.store.staging_dir) == []


async def test_oversized_upload_is_cut_off_early(tmp_path: Path, service: JournalService) -> None:
    ch = build_channel(tmp_path / "mail", service, max_bytes=10_000)
    await ch.intake.prepare()
    consumed = 0

    async def stream():  # type: ignore[no-untyped-def]
        nonlocal consumed
        async for chunk in chunks_of(small_png() + b"\0" * 100_000, 4096):
            consumed += len(chunk)
            yield chunk

    with pytest.raises(LetterTooLarge) as info:
        await ch.intake.ingest_stream(stream(), original_name="big.png")
    assert info.value.status == 413
    assert consumed <= 12_288  # stopped at the chunk that crossed the cap
    assert os.listdir(ch.store.staging_dir) == []


async def test_oversized_file_is_refused_without_reading(
    tmp_path: Path, service: JournalService
) -> None:
    ch = build_channel(tmp_path / "mail", service, max_bytes=1000)
    await ch.intake.prepare()
    path = tmp_path / "big.png"
    path.write_bytes(small_png() + b"\0" * 2000)
    with pytest.raises(LetterTooLarge):
        await ch.intake.ingest_path(path)
    assert os.listdir(ch.store.staging_dir) == []


async def test_missing_ocr_engine_still_routes_the_letter(
    tmp_path: Path, service: JournalService
) -> None:
    ocr = TesseractOcr(executable="/nonexistent/tesseract")
    ch = build_channel(tmp_path / "mail", service, ocr=ocr)
    await ch.intake.prepare()
    result = await ch.intake.ingest_stream(chunks_of(small_png()), original_name=None)
    assert result.ocr_status == "unavailable"
    assert result.flags == ("ocr_failed",)
    assert result.queue_id == "mail-general"
    item = service.centre.interactions[result.interaction_id]
    assert item.attributes["flags"] == ["ocr_failed"]
    ocr_doc = json.loads((ch.store.letters_dir / result.letter_id / "ocr.json").read_text())
    assert "tesseract-ocr" in ocr_doc["error"]


async def test_unreadable_image_is_kept_and_routed(channel: MailChannel) -> None:
    corrupt = b"\x89PNG\r\n\x1a\n" + os.urandom(3000)
    result = await channel.intake.ingest_stream(chunks_of(corrupt), original_name="bad.png")
    assert result.flags == ("ocr_failed", "render_failed")
    assert result.pages == 0
    assert result.interaction_id in channel.service.centre.interactions
    assert (channel.store.letters_dir / result.letter_id / "original.png").read_bytes() == corrupt


async def test_prepare_clears_staging_left_by_a_crash(channel: MailChannel) -> None:
    stale = channel.store.staging_dir / ".incoming.dead.tmp"
    stale.write_bytes(b"half a scan")
    await channel.intake.prepare()
    assert not stale.exists()
