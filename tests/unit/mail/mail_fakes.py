"""Test doubles for the postal-mail channel: a CentreService over the real domain Centre."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from standardiste.channels.mail.adapter import MailAdapter
from standardiste.channels.mail.intake import LetterIntake
from standardiste.channels.mail.letters import LetterStore
from standardiste.channels.mail.model import LetterSink
from standardiste.channels.mail.ocr import TesseractOcr
from standardiste.channels.mail.pages import PageRenderer
from standardiste.channels.mail.routing_rules import KeywordRule, MailRouter
from standardiste.domain.centre import Centre
from standardiste.domain.clock import FakeClock
from standardiste.domain.events import Event
from standardiste.domain.model import AgentDef, CentreDef, Channel, QueueDef

MAIL_QUEUES = ("mail-general", "mail-impots", "mail-recouvrement")


def mail_centre_def() -> CentreDef:
    """Return a centre with three mail queues and one postal-mail agent."""
    queues = {
        q: QueueDef(id=q, channel=Channel.MAIL, skills={"postal_mail": 1}) for q in MAIL_QUEUES
    }
    agents = {"a1": AgentDef(id="a1", team_id="t1", skills={"postal_mail": 2})}
    return CentreDef(queues=queues, agents=agents)


class JournalService:
    """The CentreService contract (docs/architecture.md) over the real Centre.

    Commits go to a JSON-lines journal fsynced per batch, so a "restart" (a new instance on the
    same file) sees exactly what was committed, like the real event log.
    """

    def __init__(self, journal: Path | None = None, *, clock: FakeClock | None = None) -> None:
        self.centre = Centre(mail_centre_def(), clock or FakeClock())
        self.journal = journal
        self.events: list[Event] = []
        self.fail_next = 0
        self.create_calls = 0
        if journal is not None and journal.exists():
            for line in journal.read_text().splitlines():
                doc = json.loads(line)
                self.events.append(Event(doc["kind"], doc["ts"], doc["data"], doc["seq"]))
            self.centre.replay(self.events)

    async def create_interaction(
        self,
        channel: str,
        queue_id: str,
        attributes: Mapping[str, Any],
        *,
        interaction_id: str | None = None,
        priority: int | None = None,
        events: Iterable[Event] = (),
    ) -> str:
        """Create and queue an interaction, committing `events` in the same batch."""
        self.create_calls += 1
        if self.fail_next:
            self.fail_next -= 1
            raise ConnectionError("event log unavailable")
        iid = interaction_id or uuid.uuid4().hex
        result = self.centre.create_interaction(
            iid, channel, queue_id, attributes, priority=priority
        )
        self._commit([*events, *result.events])
        return iid

    async def login(self, agent_id: str) -> None:
        """Log an agent in."""
        self._commit(self.centre.login(agent_id).events)

    async def set_presence(self, agent_id: str, presence: str, reason: str | None = None) -> None:
        """Change an agent's presence (routing runs on ready)."""
        self._commit(self.centre.set_presence(agent_id, presence, reason).events)

    async def accept(self, interaction_id: str, agent_id: str) -> None:
        """Accept an offered interaction."""
        self._commit(self.centre.accept(interaction_id, agent_id).events)

    async def complete(
        self, interaction_id: str, disposition: str | None = None, notes: str | None = None
    ) -> None:
        """Complete an interaction."""
        self._commit(self.centre.complete(interaction_id, disposition, notes).events)

    def kinds(self, kind: str) -> list[Event]:
        """Return committed events of one kind."""
        return [e for e in self.events if e.kind == kind]

    def _commit(self, batch: list[Event]) -> None:
        for event in batch:
            event.seq = len(self.events) + 1
            self.events.append(event)
        if self.journal is not None:
            lines = "".join(json.dumps(e.as_dict()) + "\n" for e in batch)
            with open(self.journal, "a") as fh:
                fh.write(lines)
                fh.flush()
                os.fsync(fh.fileno())


# -- channel assembly and sample scans ------------------------------------------------------


WALL = 1_767_225_600.0  # 2026-01-01T00:00:00Z, a Thursday


def mail_router() -> MailRouter:
    """Return the routing used by the tests."""
    rules = [
        KeywordRule("mail-impots", ("impot", "imposition", "avis d'imposition", "revenu")),
        KeywordRule("mail-recouvrement", ("paiement", "echeancier", "relance")),
    ]
    return MailRouter(
        rules,
        "mail-general",
        service_days={"mail-impots": 15, "mail-recouvrement": 10},
        default_days=30,
    )


@dataclass
class MailChannel:
    """The assembled postal-mail channel of one test."""

    intake: LetterIntake
    store: LetterStore
    adapter: MailAdapter
    service: JournalService


def build_channel(
    mail_dir: Path,
    service: JournalService,
    *,
    max_bytes: int = 5_000_000,
    ocr: TesseractOcr | None = None,
    sink: LetterSink | None = None,
    wall: Callable[[], float] = lambda: WALL,
) -> MailChannel:
    """Build store, renderer, OCR, router, adapter and intake like app.py would."""
    store = LetterStore(mail_dir, max_bytes=max_bytes)
    adapter = MailAdapter(service, wall=lambda: WALL)
    intake = LetterIntake(
        store,
        PageRenderer(max_pages=10, max_side_px=1800),
        ocr or TesseractOcr(timeout_s=30.0, concurrency=2),
        mail_router(),
        sink or adapter,
        wall=wall,
    )
    return MailChannel(intake, store, adapter, service)


def render_page(lines: list[str], *, size: int = 48, width: int = 1600) -> Image.Image:
    """Render text lines on a white page with Pillow's default font."""
    font = ImageFont.load_default(size=size)
    img = Image.new("L", (width, 120 + len(lines) * int(size * 1.9)), 255)
    draw = ImageDraw.Draw(img)
    for i, line in enumerate(lines):
        draw.text((80, 60 + i * int(size * 1.9)), line, font=font, fill=0)
    return img


def encode(pages: list[Image.Image], fmt: str) -> bytes:
    """Encode pages as PNG, JPEG (first page only), multi-page TIFF or PDF."""
    out = BytesIO()
    first, rest = pages[0], pages[1:]
    if fmt in ("TIFF", "PDF"):
        first.save(out, format=fmt, save_all=True, append_images=rest, resolution=150.0)
    else:
        first.save(out, format=fmt)
    return out.getvalue()


def small_png(seed: int = 0) -> bytes:
    """Return a tiny distinct PNG (fast to OCR)."""
    img = Image.new("L", (64, 48), 255 - seed % 200)
    return encode([img], "PNG")


async def chunks_of(data: bytes, size: int = 4096):  # type: ignore[no-untyped-def]
    """Yield `data` in chunks, like an upload."""
    for i in range(0, len(data), size):
        yield data[i : i + size]
