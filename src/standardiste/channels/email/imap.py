"""IMAP import (aioimaplib): IDLE when offered, polling otherwise, idempotent, with backfill."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

import aioimaplib

from standardiste.domain.clock import Clock

from .errors import ImapAuthFailed, ImapError, ImapProtocolError, ImapUnreachable
from .imap_cursor import Cursor, CursorStore
from .smtp_in import InboundEnvelope
from .spool import Spool, new_spool_id

log = logging.getLogger(__name__)

_UIDVALIDITY = re.compile(rb"UIDVALIDITY (\d+)")
_FETCH_UID = re.compile(rb"UID (\d+)")


@dataclass(frozen=True, slots=True)
class ImapAccount:
    """A mailbox to import (the password is kept out of repr and logs)."""

    host: str
    port: int
    username: str
    password: str = field(repr=False)
    mailbox: str = "INBOX"
    contact_address: str = ""
    use_ssl: bool = False

    @property
    def key(self) -> str:
        """Return a stable name for cursors and statuses."""
        return f"{self.username}@{self.host}:{self.port}/{self.mailbox}"


StatusName = Literal["starting", "ok", "unreachable", "auth_failed", "error", "closed"]


@dataclass(frozen=True, slots=True)
class ImapStatus:
    """What an operator needs to know about one mailbox."""

    state: StatusName
    message: str = ""
    since: float = 0.0
    imported: int = 0


class ImapSink(Protocol):
    """Commit one spooled message; `imap` identifies it in its mailbox."""

    async def accept(self, path: Path, envelope: InboundEnvelope, **extra: Any) -> str:
        """Commit and return an id; must be idempotent for the same (uidvalidity, uid)."""
        ...


class ImapImporter:
    """Import one mailbox continuously into the sink; never marks or deletes server mail."""

    def __init__(
        self,
        account: ImapAccount,
        spool: Spool,
        sink: ImapSink,
        cursors: CursorStore,
        clock: Clock,
        *,
        poll_interval_s: float = 60.0,
        idle_renew_s: float = 25 * 60.0,  # RFC 2177 §3: re-issue IDLE at least every 29 minutes
        timeout_s: float = 20.0,
        retry_base_s: float = 1.0,
        retry_max_s: float = 300.0,
        use_idle: bool = True,
        batch: int = 25,
        on_status: Callable[[ImapStatus], Awaitable[None]] | None = None,
    ) -> None:
        self.account = account
        self._spool = spool
        self._sink = sink
        self._cursors = cursors
        self._clock = clock
        self._poll = poll_interval_s
        self._idle_renew = idle_renew_s
        self._timeout = timeout_s
        self._retry_base = retry_base_s
        self._retry_max = retry_max_s
        self._use_idle = use_idle
        self._batch = batch
        self._on_status = on_status
        self.status = ImapStatus("starting")
        self.imported = 0
        self._task: asyncio.Task[None] | None = None
        self._synced = asyncio.Event()

    async def start(self) -> None:
        """Start importing in the background."""
        await asyncio.to_thread(self._spool.prepare)
        self._task = asyncio.create_task(self._run(), name=f"imap {self.account.key}")

    def close(self) -> None:
        """Stop importing (what was committed stays committed; the cursor is saved)."""
        if self._task is not None:
            self._task.cancel()

    async def wait_closed(self) -> None:
        """Wait until the importer has stopped."""
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self.status = ImapStatus("closed", since=self._clock.wall(), imported=self.imported)

    async def wait_synced(self) -> None:
        """Wait until the next completed pass over the mailbox (tests, health checks)."""
        self._synced.clear()
        await self._synced.wait()

    # -- loop ----------------------------------------------------------------------------

    async def _run(self) -> None:
        failures = 0
        while True:
            client: aioimaplib.IMAP4 | None = None
            try:
                client, lost = await self._connect()
                failures = 0
                await self._session(client, lost)
            except ImapError as err:
                failures += 1
                state: StatusName = {"email.imap_unreachable": "unreachable",
                                     "email.imap_auth_failed": "auth_failed"}.get(
                    err.error_id, "error")  # type: ignore[assignment]  # fmt: skip
                await self._set_status(state, err.message)
            except Exception as err:  # noqa: BLE001 - e.g. the log refused a commit: retry later
                failures += 1
                log.exception("imap %s: import failed", self.account.key)
                await self._set_status("error", f"{type(err).__name__}: {str(err)[:200]}")
            finally:
                if client is not None:
                    await self._logout(client)
            delay = min(self._retry_max, self._retry_base * 2 ** max(0, failures - 1))
            await asyncio.sleep(delay)

    async def _connect(self) -> tuple[aioimaplib.IMAP4, asyncio.Event]:
        acc = self.account
        lost = asyncio.Event()
        cls = aioimaplib.IMAP4_SSL if acc.use_ssl else aioimaplib.IMAP4
        try:
            client = cls(host=acc.host, port=acc.port, timeout=self._timeout,
                         conn_lost_cb=lambda _exc: lost.set())  # fmt: skip
            await client.wait_hello_from_server()
        except (OSError, TimeoutError, aioimaplib.AioImapException) as err:
            raise ImapUnreachable(f"{acc.host}:{acc.port}: {type(err).__name__}") from err
        try:
            response = await client.login(acc.username, acc.password)
        except (OSError, TimeoutError, aioimaplib.AioImapException) as err:
            raise ImapUnreachable(f"login interrupted: {type(err).__name__}") from err
        if response.result != "OK":
            # Only the server's text is reported (it never echoes the password).
            text = _text(response.lines)
            raise ImapAuthFailed(f"login refused for {acc.username}: {text}")
        return client, lost

    async def _session(self, client: aioimaplib.IMAP4, lost: asyncio.Event) -> None:
        while True:
            await self._sync(client)
            await self._set_status("ok", "")
            self._synced.set()
            if self._use_idle and client.has_capability("IDLE"):
                await self._idle(client, lost)
            else:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(lost.wait(), self._poll)
            if lost.is_set():
                raise ImapUnreachable("connection lost")

    async def _idle(self, client: aioimaplib.IMAP4, lost: asyncio.Event) -> None:
        try:
            idle = await client.idle_start(timeout=self._idle_renew)
            push = asyncio.ensure_future(client.wait_server_push(self._idle_renew + 5))
            gone = asyncio.ensure_future(lost.wait())
            try:
                await asyncio.wait({push, gone}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                push.cancel()
                gone.cancel()
            if lost.is_set():
                return
            client.idle_done()
            await asyncio.wait_for(idle, self._timeout)
        except (OSError, TimeoutError, aioimaplib.AioImapException) as err:
            raise ImapUnreachable(f"IDLE failed: {type(err).__name__}") from err

    async def _sync(self, client: aioimaplib.IMAP4) -> None:
        """Import every UID above the cursor (this is also the backfill after downtime)."""
        try:
            selected = await client.select(self.account.mailbox)
        except (OSError, TimeoutError, aioimaplib.AioImapException) as err:
            raise ImapUnreachable(f"SELECT failed: {type(err).__name__}") from err
        if selected.result != "OK":
            raise ImapProtocolError(f"SELECT {self.account.mailbox}: {_text(selected.lines)}")
        uidvalidity = _uidvalidity(selected.lines)
        cursor = await self._cursors.load(self.account.key)
        if cursor is None or cursor.uidvalidity != uidvalidity:
            # RFC 3501 §2.3.1.1: a new UIDVALIDITY invalidates every UID; rescan from the start
            # and let Message-ID deduplication drop what was already imported.
            cursor = Cursor(uidvalidity, 0)
        uids = await self._uids_after(client, cursor.last_uid)
        for start in range(0, len(uids), self._batch):
            batch = uids[start : start + self._batch]
            await self._import_batch(client, uidvalidity, batch)
            # Saved only once the whole batch is committed; a crash re-fetches it and the
            # sink's (uidvalidity, uid) and Message-ID checks drop what was already taken.
            await self._cursors.save(self.account.key, Cursor(uidvalidity, batch[-1]))

    async def _uids_after(self, client: aioimaplib.IMAP4, last_uid: int) -> list[int]:
        response = await self._command(client, "search", f"{last_uid + 1}:*")
        uids: list[int] = []
        for line in response.lines:
            if isinstance(line, bytes):
                uids.extend(int(t) for t in line.split() if t.isdigit())
        # "n:*" always matches the highest UID even when it is below n (RFC 3501 §6.4.8).
        return sorted(u for u in set(uids) if u > last_uid)

    async def _import_batch(
        self, client: aioimaplib.IMAP4, uidvalidity: int, uids: list[int]
    ) -> None:
        response = await self._command(
            client, "fetch", ",".join(map(str, uids)), "(UID BODY.PEEK[])"
        )
        messages = _literals(response.lines)  # uids expunged meanwhile are simply absent
        await asyncio.gather(*(self._import(uidvalidity, uid, raw) for uid, raw in messages))

    async def _import(self, uidvalidity: int, uid: int, raw: bytes) -> None:
        spool_id = new_spool_id()
        path = await self._spool.save(spool_id, [raw])
        env = InboundEnvelope(
            spool_id=spool_id, mail_from="", rcpt_tos=(self.account.contact_address,),
            peer=self.account.host, helo="imap", received_at=self._clock.wall(), size=len(raw),
        )  # fmt: skip
        imap = {"mailbox": self.account.key, "uidvalidity": uidvalidity, "uid": uid}
        await self._sink.accept(path, env, raw=raw, source="imap", imap=imap)
        self.imported += 1

    async def _command(self, client: aioimaplib.IMAP4, *args: str) -> Any:
        try:
            if args[0] == "search":  # aioimaplib has a separate entry point for UID SEARCH
                call = client.uid_search("UID", *args[1:], charset=None)
            else:
                call = client.uid(*args)
            response = await asyncio.wait_for(call, self._timeout)
        except (OSError, TimeoutError, aioimaplib.AioImapException) as err:
            raise ImapUnreachable(f"UID {args[0].upper()} failed: {type(err).__name__}") from err
        if response.result != "OK":
            raise ImapProtocolError(f"UID {args[0].upper()}: {_text(response.lines)}")
        return response

    async def _logout(self, client: aioimaplib.IMAP4) -> None:
        with contextlib.suppress(Exception):
            if client.has_pending_idle():
                client.idle_done()
            await asyncio.wait_for(client.logout(), 2.0)
        for task in list(client.tasks):
            task.cancel()
        transport = getattr(client.protocol, "transport", None)
        if transport is not None:
            transport.close()

    async def _set_status(self, state: StatusName, message: str) -> None:
        if state == self.status.state and message == self.status.message:
            return
        self.status = ImapStatus(state, message, self._clock.wall(), self.imported)
        log.info("imap %s: %s %s", self.account.key, state, message)
        if self._on_status is not None:
            with contextlib.suppress(Exception):
                await self._on_status(self.status)


def _text(lines: list[Any]) -> str:
    return " ".join(
        bytes(line).decode("utf-8", "replace") for line in lines if isinstance(line, bytes)
    )[:300]


def _uidvalidity(lines: list[Any]) -> int:
    for line in lines:
        match = _UIDVALIDITY.search(bytes(line)) if isinstance(line, bytes | bytearray) else None
        if match:
            return int(match.group(1))
    raise ImapProtocolError("SELECT gave no UIDVALIDITY")


def _literals(lines: list[Any]) -> list[tuple[int, bytes]]:
    """Pair each message literal of a FETCH response with its UID (aioimaplib yields literals
    as bytearrays; the UID item may come before or after the literal, RFC 3501 §7.4.2)."""
    found: list[tuple[int, bytes]] = []
    for i, line in enumerate(lines):
        if not isinstance(line, bytearray):
            continue
        for neighbour in (lines[i - 1] if i else b"", lines[i + 1] if i + 1 < len(lines) else b""):
            match = _FETCH_UID.search(bytes(neighbour))
            if match and (neighbour is lines[i - 1] or b"FETCH" not in neighbour):
                found.append((int(match.group(1)), bytes(line)))
                break
    return found
