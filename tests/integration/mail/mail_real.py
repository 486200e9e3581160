"""Run the postal-mail channel on the real CentreService and SQLite event log."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from mail_fakes import mail_centre_def, mail_router
from sqlalchemy import Engine

from standardiste.channels.mail.adapter import MailAdapter
from standardiste.channels.mail.intake import LetterIntake
from standardiste.channels.mail.letters import LetterStore
from standardiste.channels.mail.model import LetterSink
from standardiste.channels.mail.ocr import TesseractOcr
from standardiste.channels.mail.pages import PageRenderer
from standardiste.domain.clock import SystemClock
from standardiste.domain.events import Event
from standardiste.service import CentreService
from standardiste.store.engine import make_engine
from standardiste.store.log import EventLog, read_events
from standardiste.store.migrate import upgrade


@dataclass
class RealCentre:
    """A started CentreService with its log and engine."""

    service: CentreService
    log: EventLog
    engine: Engine

    def events(self, kind: str) -> list[Event]:
        """Return the committed events of one kind, read back from the database."""
        return [e for e in read_events(self.engine) if e.kind == kind]

    async def close(self) -> None:
        """Stop the service and the log."""
        await self.service.close()
        await self.service.wait_closed()
        await self.log.close()
        await self.log.wait_closed()
        self.engine.dispose()


async def open_centre(db: Path) -> RealCentre:
    """Open (or reopen after a crash) the centre stored in `db`."""
    engine = make_engine(f"sqlite:///{db}")
    await asyncio.to_thread(upgrade, engine)
    log = EventLog(engine)
    await log.start()
    service = CentreService(mail_centre_def(), SystemClock(), log, engine)
    await service.start()
    return RealCentre(service, log, engine)


def real_intake(
    mail_dir: Path,
    service: CentreService,
    *,
    sink: LetterSink | None = None,
    renderer: PageRenderer | None = None,
    ocr: TesseractOcr | None = None,
) -> tuple[LetterIntake, MailAdapter]:
    """Build the intake as app.py would, on the real service."""
    clock = SystemClock()
    adapter = MailAdapter(service, wall=clock.wall)
    intake = LetterIntake(
        LetterStore(mail_dir, max_bytes=20_000_000),
        renderer or PageRenderer(max_pages=10, max_side_px=1800),
        ocr or TesseractOcr(timeout_s=60.0, concurrency=2),
        mail_router(),
        sink or adapter,
        wall=clock.wall,
    )
    return intake, adapter
