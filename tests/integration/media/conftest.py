"""Fixtures: a running built-in media plane and loopback phones."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from media_phones import TEST_PORTS, Phone

from standardiste.media.builtin import BuiltinMediaPlane, g711


@pytest.fixture
async def plane() -> AsyncIterator[BuiltinMediaPlane]:
    mp = BuiltinMediaPlane(ports=TEST_PORTS)
    await mp.start()
    yield mp
    await mp.close()
    await mp.wait_closed()


@pytest.fixture
async def phones() -> AsyncIterator[Callable[[int], Awaitable[Phone]]]:
    made: list[Phone] = []

    async def make(pt: int = g711.PCMU) -> Phone:
        loop = asyncio.get_running_loop()
        _, phone = await loop.create_datagram_endpoint(
            lambda: Phone(pt), local_addr=("127.0.0.1", 0)
        )
        made.append(phone)
        return phone

    yield make
    for phone in made:
        await phone.stop()
        phone.transport.close()
