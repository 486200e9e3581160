"""Shared fixtures: the demo configuration, a PostgreSQL schema per test, free ports."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEMO_CONFIG = ROOT / "examples" / "demo.toml"
PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture
def demo_config_path() -> Path:
    """Return the path of the shipped demo configuration."""
    return DEMO_CONFIG


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    """Return a port that is free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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


class LiveServer:
    """A real `standardiste serve` process on loopback, with its own data folder."""

    def __init__(
        self, tmp: Path, config: Path, db_url: str | None = None, extra: list[str] | None = None
    ) -> None:
        self.tmp = tmp
        self.config = config
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.db_url = db_url or f"sqlite:///{tmp / 'standardiste.db'}"
        self.extra = extra or []
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> LiveServer:
        """Start the process and wait until /healthz answers."""
        import httpx

        cmd = [
            sys.executable,
            "-m",
            "standardiste.cli",
            "serve",
            "--config",
            str(self.config),
            "--db",
            self.db_url,
            "--data-dir",
            str(self.tmp / "data"),
            "--http",
            f"127.0.0.1:{self.port}",
            *self.extra,
        ]
        self.log = open(self.tmp / f"server-{self.port}.log", "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"server exited: {(self.tmp / f'server-{self.port}.log').read_text()}"
                )
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("server did not start")

    def kill(self) -> None:
        """Kill the process with SIGKILL (a crash)."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        """Stop the process with SIGTERM and wait."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if getattr(self, "log", None):
            self.log.close()

    def login(self, username: str, password: str = "demo") -> dict[str, str]:
        """Log in and return Bearer headers."""
        import httpx

        r = httpx.post(
            self.url + "/api/v1/auth/login", json={"username": username, "password": password}
        )
        r.raise_for_status()
        return {"authorization": f"Bearer {r.json()['token']}"}


@pytest.fixture
def live_server(tmp_path: Path, demo_config_path: Path) -> Iterator[LiveServer]:
    """Yield a started server on the demo configuration."""
    import shutil

    config = tmp_path / "demo.toml"
    shutil.copy(demo_config_path, config)
    server = LiveServer(tmp_path, config).start()
    try:
        yield server
    finally:
        server.stop()
