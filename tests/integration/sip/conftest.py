"""Fixtures for SIP integration tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sip_harness import HOST, RecordingHandler, free_port

from standardiste.channels.sip.b2bua import B2BUA


@pytest.fixture
async def b2bua() -> AsyncIterator[tuple[B2BUA, RecordingHandler]]:
    handler = RecordingHandler()
    server = B2BUA(HOST, free_port(), handler, refer_bye_delay=0.2)
    await server.start()
    try:
        yield server, handler
    finally:
        server.close()
        await server.wait_closed()
