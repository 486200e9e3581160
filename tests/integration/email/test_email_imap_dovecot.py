"""IMAP import against a real Dovecot: import, no duplicates, backfill, status on failures."""

from __future__ import annotations

import asyncio
from pathlib import Path

from email_dovecot import Dovecot, free_port
from email_stack import EmailStack

from standardiste.channels.email import events as ev
from standardiste.channels.email.imap import ImapAccount, ImapImporter
from standardiste.channels.email.imap_cursor import JsonCursorStore
from standardiste.channels.email.spool import Spool


def _mail(n: int) -> bytes:
    return (
        f"From: Contribuable {n} <c{n}@example.org>\r\nTo: contact@impots.example\r\n"
        f"Subject: Question {n}\r\nMessage-ID: <imap-{n}@example.org>\r\n\r\nTexte {n}\r\n"
    ).encode()


def _importer(
    stack: EmailStack, port: int, password: str = "s3cret-pw", **kw: object
) -> ImapImporter:
    account = ImapAccount(
        "127.0.0.1", port, "alice", password, contact_address="contact@impots.example"
    )
    return ImapImporter(
        account, Spool(stack.data_dir / "mail" / "imap"), stack.adapter,
        JsonCursorStore(stack.data_dir / "mail" / "cursors"), stack.clock,
        poll_interval_s=0.2, retry_base_s=0.05, retry_max_s=0.2, timeout_s=5, **kw,  # type: ignore[arg-type]
    )  # fmt: skip


async def _imported(stack: EmailStack) -> list[str]:
    events = await asyncio.to_thread(stack.events, ev.EMAIL_RECEIVED)
    return sorted(str(e["message_id"]) for e in events)


async def _until_status(importer: ImapImporter, state: str) -> None:
    async with asyncio.timeout(10):
        while importer.status.state != state:  # noqa: ASYNC110 - status has no change hook
            await asyncio.sleep(0.02)


async def test_import_idle_restart_and_backfill(stack: EmailStack, dovecot: Dovecot) -> None:
    for n in range(3):
        await asyncio.to_thread(dovecot.append, "alice", _mail(n))
    importer = _importer(stack, dovecot.port)
    await importer.start()
    await _until_status(importer, "ok")
    assert await _imported(stack) == [f"<imap-{n}@example.org>" for n in range(3)]
    # New mail while connected arrives through IDLE (Dovecot offers it).
    await asyncio.to_thread(dovecot.append, "alice", _mail(3))
    async with asyncio.timeout(10):
        while len(await _imported(stack)) < 4:  # noqa: ASYNC110 - polls the database
            await asyncio.sleep(0.05)
    importer.close()
    await importer.wait_closed()
    # Mail that arrives while we are down is backfilled; nothing is imported twice.
    for n in (4, 5):
        await asyncio.to_thread(dovecot.append, "alice", _mail(n))
    again = _importer(stack, dovecot.port)
    await again.start()
    await _until_status(again, "ok")
    again.close()
    await again.wait_closed()
    assert await _imported(stack) == [f"<imap-{n}@example.org>" for n in range(6)]
    assert len(stack.service.centre.interactions) == 6


async def test_lost_cursor_does_not_duplicate(stack: EmailStack, dovecot: Dovecot) -> None:
    for n in range(3):
        await asyncio.to_thread(dovecot.append, "alice", _mail(n))
    first = _importer(stack, dovecot.port, use_idle=False)
    await first.start()
    await _until_status(first, "ok")
    first.close()
    await first.wait_closed()
    for cursor in (stack.data_dir / "mail" / "cursors").glob("*.json"):
        cursor.unlink()  # as after a UIDVALIDITY change: a full rescan
    second = _importer(stack, dovecot.port, use_idle=False)
    await second.start()
    await _until_status(second, "ok")
    second.close()
    await second.wait_closed()
    assert len(await _imported(stack)) == 3
    assert sorted(p.name for p in (stack.data_dir / "mail" / "imap").glob("*.eml")).__len__() == 3


async def test_wrong_password_reports_auth_failed(stack: EmailStack, dovecot: Dovecot) -> None:
    importer = _importer(stack, dovecot.port, password="wrong-pw-123")
    await importer.start()
    await _until_status(importer, "auth_failed")
    status = importer.status
    importer.close()
    await importer.wait_closed()
    assert "wrong-pw-123" not in status.message and "wrong-pw-123" not in repr(importer.account)
    assert "alice" in status.message and "AUTHENTICATIONFAILED" in status.message


async def test_server_down_is_unreachable_then_recovers(tmp_path: Path, stack: EmailStack) -> None:
    server = Dovecot(free_port(11143, 11199), {"alice": "s3cret-pw"})
    importer = _importer(stack, server.port, use_idle=False)
    await importer.start()
    await _until_status(importer, "unreachable")
    try:
        await asyncio.to_thread(server.start)
        await asyncio.to_thread(server.append, "alice", _mail(9))
        await _until_status(importer, "ok")
        async with asyncio.timeout(10):
            while not await _imported(stack):  # noqa: ASYNC110 - polls the database
                await asyncio.sleep(0.05)
        assert await _imported(stack) == ["<imap-9@example.org>"]
        await asyncio.to_thread(server.stop)
        await _until_status(importer, "unreachable")
    finally:
        importer.close()
        await importer.wait_closed()
        await asyncio.to_thread(server.stop)
        server.cleanup()


class _FlakySink:
    """Refuses the first commit (as when the event log is unavailable), then delegates."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.refused = 0

    async def accept(self, path: Path, envelope: object, **extra: object) -> str:
        if not self.refused:
            self.refused += 1
            raise RuntimeError("store.unavailable")
        return await self.inner.accept(path, envelope, **extra)  # type: ignore[attr-defined]


async def test_commit_failure_is_an_error_status_then_retried(
    stack: EmailStack, dovecot: Dovecot
) -> None:
    await asyncio.to_thread(dovecot.append, "alice", _mail(1))
    importer = _importer(stack, dovecot.port, use_idle=False)
    importer._sink = _FlakySink(stack.adapter)  # noqa: SLF001 - inject the failing commit
    seen: list[str] = []
    importer._on_status = lambda st: _record(seen, st.state)  # noqa: SLF001
    await importer.start()
    await _until_status(importer, "ok")
    importer.close()
    await importer.wait_closed()
    assert "error" in seen
    assert await _imported(stack) == ["<imap-1@example.org>"]


async def _record(seen: list[str], state: str) -> None:
    seen.append(state)
