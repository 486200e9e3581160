"""Test helpers importable from any test: `from sd_testing import LiveServer, DEMO_CONFIG`."""

from __future__ import annotations

import asyncio
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO_CONFIG = ROOT / "examples" / "demo.toml"


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    """Return a port that is free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _bindable(port: int, kind: int = socket.SOCK_DGRAM) -> bool:
    with socket.socket(socket.AF_INET, kind) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def sipp_port(low: int, high: int, kind: int = socket.SOCK_DGRAM) -> int:
    """Return a free port in [low, high] for a SIPp peer, its media ports free as well.

    A multiple of 4: SIPp's media ports (port + 2000: audio RTP/RTCP, + 2002: video) of two
    peers in one test can then never overlap, and they are checked free like the SIP port.
    """
    for _ in range(200):
        port = 4 * random.randint((low + 3) // 4, high // 4)
        media = (port + 2000, port + 2001, port + 2002, port + 2003)
        if _bindable(port, kind) and all(_bindable(p) for p in media):
            return port
    raise RuntimeError(f"no free SIPp port in {low}-{high}")


async def wait_bound(port: int, within: float = 10.0) -> None:
    """Wait until something has bound UDP `port` (a peer process that has started listening)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while _bindable(port):
        if loop.time() > deadline:
            raise TimeoutError(f"nothing listens on UDP {port} after {within} s")
        await asyncio.sleep(0.02)


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
        """Log in and return Bearer headers (demo TOTP code for roles that need one)."""
        import httpx

        from standardiste.auth.totp import MFA_REQUIRED_ROLES, demo_code

        cache = self.__dict__.setdefault("_mfa_sessions", {})
        if username in cache:
            return cache[username]  # a TOTP code cannot be replayed: reuse the session
        body = {"username": username, "password": password}
        r = httpx.post(self.url + "/api/v1/auth/login", json=body)
        if r.status_code == 401 and r.json().get("error_id") == "auth.mfa_required":
            body["totp"] = demo_code(username)
            r = httpx.post(self.url + "/api/v1/auth/login", json=body)
        if r.status_code != 200:
            raise RuntimeError(f"login of {username} failed: {r.status_code} {r.text}")
        headers = {"authorization": f"Bearer {r.json()['token']}"}
        if r.json()["user"]["role"] in MFA_REQUIRED_ROLES:
            cache[username] = headers
        return headers
