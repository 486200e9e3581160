"""Per-mailbox import cursors (UIDVALIDITY, last imported UID), persisted durably."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from .spool import write_durably


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where an import stands in one mailbox (RFC 3501 §2.3.1.1: UIDs are valid per UIDVALIDITY)."""

    uidvalidity: int
    last_uid: int


class CursorStore(Protocol):
    """Load and save import cursors by mailbox key."""

    async def load(self, key: str) -> Cursor | None:
        """Return the saved cursor, or None."""
        ...

    async def save(self, key: str, cursor: Cursor) -> None:
        """Persist a cursor durably."""
        ...


class JsonCursorStore:
    """One small JSON file per mailbox, replaced atomically on each save."""

    def __init__(self, directory: Path) -> None:
        self._dir = directory

    def _name(self, key: str) -> str:
        return "".join(ch if ch.isalnum() or ch in "-_.@" else "_" for ch in key) + ".json"

    async def load(self, key: str) -> Cursor | None:
        """Return the saved cursor, or None."""
        path = self._dir / self._name(key)
        try:
            data = json.loads(await asyncio.to_thread(path.read_bytes))
        except FileNotFoundError:
            return None
        return Cursor(int(data["uidvalidity"]), int(data["last_uid"]))

    async def save(self, key: str, cursor: Cursor) -> None:
        """Persist a cursor durably."""
        payload = json.dumps({"key": key, "uidvalidity": cursor.uidvalidity,
                              "last_uid": cursor.last_uid}).encode()  # fmt: skip
        await asyncio.to_thread(self._write, self._name(key), payload)

    def _write(self, name: str, payload: bytes) -> None:
        (self._dir / "tmp").mkdir(parents=True, exist_ok=True)
        (self._dir / "tmp" / name).unlink(missing_ok=True)
        write_durably(self._dir, name, [payload])
