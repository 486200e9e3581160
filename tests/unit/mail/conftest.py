"""Fixtures of the postal-mail unit tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from mail_fakes import JournalService, MailChannel, build_channel


@pytest.fixture
def service(tmp_path: Path) -> JournalService:
    """Return a journal-backed CentreService stand-in."""
    return JournalService(tmp_path / "journal.jsonl")


@pytest.fixture
async def channel(tmp_path: Path, service: JournalService) -> MailChannel:
    """Return a prepared postal-mail channel in a temporary data dir."""
    ch = build_channel(tmp_path / "mail", service)
    await ch.intake.prepare()
    return ch
