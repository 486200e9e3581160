"""Fixtures of the report integration tests: a migrated SQLite database and the scenario."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from reports_scenario import Plan, build_plan, scenario_config
from sqlalchemy import Engine

from standardiste.config import Config
from standardiste.store.engine import make_engine
from standardiste.store.migrate import upgrade


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    """Return an engine on a fresh database migrated to the latest revision."""
    eng = make_engine(f"sqlite:///{tmp_path / 'reports.db'}")
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def config() -> Config:
    """Return the scenario configuration."""
    return scenario_config()


@pytest.fixture(scope="session")
def scenario(config: Config) -> tuple[Plan, list]:
    """Return the generated plan and the events that realised it."""
    return build_plan(seed=6, config=config)
