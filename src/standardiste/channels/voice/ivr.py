"""IVR: recording notice, DTMF menu, queue announcements and opening hours."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import Callable, Mapping
from pathlib import Path

from standardiste.media.plane import MediaPlane
from standardiste.media.prompts import MUSIC_ON_HOLD, number, prompt

from .config import Entry

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def is_open(hours: Mapping[str, str], when: dt.datetime) -> bool:
    """Tell whether ``when`` falls in ``hours`` ({"mon-fri": "08:30-17:00,18:00-19:00"}).

    An empty mapping means always open; a day absent from every key is closed.
    """
    if not hours:
        return True
    day = _DAYS[when.weekday()]
    minute = when.hour * 60 + when.minute
    for days, spans in hours.items():
        if day not in _expand(days):
            continue
        for span in spans.split(","):
            start, _, end = span.strip().partition("-")
            if _minutes(start) <= minute < _minutes(end):
                return True
    return False


def _expand(days: str) -> set[str]:
    out: set[str] = set()
    for part in days.lower().split(","):
        first, _, last = part.strip().partition("-")
        i = _DAYS.index(first)
        j = _DAYS.index(last) if last else i
        out.update(_DAYS[i : j + 1])
    return out


def _minutes(text: str) -> int:
    hours, _, minutes = text.strip().partition(":")
    return int(hours) * 60 + int(minutes or 0)


class Ivr:
    """Runs the prompts of one call's caller endpoint; digits arrive through ``digit()``."""

    def __init__(self, plane: MediaPlane, endpoint_id: str, language: str) -> None:
        self.plane = plane
        self.endpoint_id = endpoint_id
        self.language = language
        self._digits: asyncio.Queue[tuple[str, float]] = asyncio.Queue()

    def digit(self, digit: str, ts: float) -> None:
        """Feed a key press (RFC 4733 from the media plane, or SIP INFO)."""
        self._digits.put_nowait((digit, ts))

    def _p(self, name: str) -> Path:
        return prompt(self.language, name)

    async def notice(self) -> None:
        """Play the recording notice to the end (keys pressed meanwhile are kept)."""
        await (await self.plane.play(self.endpoint_id, [self._p("recording_notice")])).done

    async def menu(self, entry: Entry, timeout_s: float, attempts: int) -> tuple[str, float] | None:
        """Play the menu and return (queue id, key-press time), or None without a valid choice."""
        for _ in range(attempts):
            await self.plane.play(self.endpoint_id, [self._p("welcome_menu")])
            with contextlib.suppress(TimeoutError):
                while True:
                    digit, ts = await asyncio.wait_for(self._digits.get(), timeout_s)
                    if digit in entry.menu:
                        await self.plane.stop_play(self.endpoint_id)
                        return entry.menu[digit], ts
                    await self.plane.play(self.endpoint_id, [self._p("invalid_choice")])
        return None

    async def closed(self) -> None:
        """Play the closed-hours message to the end."""
        await (await self.plane.play(self.endpoint_id, [self._p("closed")])).done

    async def wait_music(
        self, position: int | None, wait_min: int | None, waiting: Callable[[], bool]
    ) -> None:
        """Announce position and estimated wait (when known), then loop the music on hold."""
        intro: list[Path] = [self._p("please_hold")]
        if position is not None and 1 <= position <= 20:
            intro += [self._p("your_position_is"), number(self.language, position)]
        if wait_min is not None and 1 <= wait_min <= 20:
            wait = number(self.language, wait_min)
            intro += [self._p("estimated_wait"), wait, self._p("minutes")]
        done = (await self.plane.play(self.endpoint_id, intro)).done
        # played out and still queued (not bridged meanwhile): music until an agent answers
        if await done and waiting():
            await self.plane.play(self.endpoint_id, [MUSIC_ON_HOLD], loop=True)
