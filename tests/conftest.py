"""Shared fixtures: the demo configuration, a PostgreSQL schema per test, free ports."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from sd_testing import DEMO_CONFIG, LiveServer

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture
def demo_config_path() -> Path:
    """Return the path of the shipped demo configuration."""
    return DEMO_CONFIG


@pytest.fixture
def pg_url() -> Iterator[str]:
    """Yield a PostgreSQL URL bound to a fresh schema, dropped afterwards."""
    from sqlalchemy import create_engine, text

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{PG_ADMIN_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _serve_demo(tmp: Path) -> LiveServer:
    import shutil

    config = tmp / "demo.toml"
    shutil.copy(DEMO_CONFIG, config)
    return LiveServer(tmp, config).start()


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    """Yield a started server on the demo configuration, for one test."""
    server = _serve_demo(tmp_path)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def module_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Yield a started demo server shared by the tests of a module (they use distinct users)."""
    server = _serve_demo(tmp_path_factory.mktemp("server"))
    try:
        yield server
    finally:
        server.stop()
