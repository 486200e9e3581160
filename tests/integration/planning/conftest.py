"""Fixtures of the planning integration tests: a seeded event log with a known weekly profile."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from planning_history import History, generate, seed


@pytest.fixture(scope="module")
def history() -> History:
    """Return four weeks of the profile before today's local midnight."""
    return generate(time.time())


@pytest.fixture(scope="module")
def history_db(tmp_path_factory: pytest.TempPathFactory, history: History) -> str:
    """Return the URL of a migrated SQLite event log holding the history."""
    path: Path = tmp_path_factory.mktemp("planning") / "events.db"
    url = f"sqlite:///{path}"
    seed(url, history)
    return url
