"""Fixtures for the e-mail integration tests (ports: SMTP 12525-12599, IMAP 11143-11199)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from email_dovecot import Dovecot, free_port
from email_stack import EmailStack


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    server = Dovecot(free_port(11143, 11199), {"alice": "s3cret-pw", "bob": "other"})
    server.start()
    yield server
    server.stop()
    server.cleanup()


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[EmailStack]:
    s = EmailStack(tmp_path, smtp_port=free_port(12525, 12559))
    await s.start()
    yield s
    await s.stop()
