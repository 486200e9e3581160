"""Fixtures of the postal-mail integration tests: the real CentreService on SQLite."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

# Share the unit tests' helpers (sample scans, centre definition) instead of copying them.
# Appended, not prepended: other areas' `from conftest import ...` must not find ours.
sys.path.append(str(Path(__file__).resolve().parents[2] / "unit" / "mail"))

from mail_real import RealCentre, open_centre  # noqa: E402


@pytest.fixture
async def centre(tmp_path: Path) -> AsyncIterator[RealCentre]:
    """Return a started CentreService over a SQLite event log in `tmp_path`."""
    real = await open_centre(tmp_path / "events.db")
    try:
        yield real
    finally:
        await real.close()
