"""End-to-end fixtures: a real server subprocess, API clients and a headless Chromium.

Reusable by every e2e test (desktop, supervision, the lead's full day):
- `start_server(tmp, config=..., extra_args=[...])` starts `standardiste serve` on a free port
  in 18080-18099 with a temporary database and data dir; `server` is a module-scoped instance
  of the demo configuration, `server_factory` builds more (e.g. with --sip/--smtp options).
- `ApiClient` logs a user in (cookie + CSRF) and calls the API; `admin_api` is ready-made.
- `browser` is a session-scoped Chromium; `new_page(server, ...)` opens an isolated context,
  `login_page(page, server, user)` logs in through the real form.
- `read_log(server)` replays the whole event log over the WebSocket as admin.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
from websockets.sync.client import connect as ws_connect

from standardiste.auth.totp import demo_code

REPO = Path(__file__).resolve().parents[2]
DEMO_CONFIG = REPO / "examples" / "demo.toml"
PORTS = range(18080, 18100)
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "demo"


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@dataclass
class Server:
    """A running `standardiste serve` process."""

    base_url: str
    port: int
    root: Path
    config: Path
    process: subprocess.Popen[bytes]
    log_path: Path
    clients: list[ApiClient] = field(default_factory=list)
    _admin: ApiClient | None = None

    @property
    def data_dir(self) -> Path:
        """Return the server's data folder."""
        return self.root / "data"

    def admin(self) -> ApiClient:
        """Return this server's admin1 client (one session: TOTP codes are single-use)."""
        if self._admin is None:
            self._admin = self.api("admin1")
        return self._admin

    def api(self, username: str, password: str = PASSWORD) -> ApiClient:
        """Return an API client logged in as `username`."""
        client = ApiClient(self.base_url)
        client.login(username, password)
        self.clients.append(client)
        return client

    def log_text(self) -> str:
        """Return what the server wrote so far (for failure messages)."""
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL) and close the clients."""
        for client in self.clients:
            client.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def start_server(
    root: Path,
    config: Path = DEMO_CONFIG,
    extra_args: list[str] | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 30.0,
) -> Server:
    """Start a server on a free port in 18080-18099 with its own database and data dir."""
    root.mkdir(parents=True, exist_ok=True)
    local_config = root / config.name
    shutil.copy(config, local_config)
    (root / "data").mkdir(exist_ok=True)
    exe = Path(sys.executable).with_name("standardiste")
    last_log = ""
    for port in PORTS:
        if not _port_free(port):
            continue
        log_path = root / f"server-{port}.log"
        cmd = [
            str(exe), "serve", "--config", str(local_config),
            "--db", f"sqlite:///{root / 'standardiste.db'}",
            "--data-dir", str(root / "data"),
            "--http", f"127.0.0.1:{port}",
            *(extra_args or []),
        ]  # fmt: skip
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                cmd, stdout=log, stderr=subprocess.STDOUT, cwd=root,
                env={**os.environ, **(env or {})},
            )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and process.poll() is None:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    return Server(base, port, root, local_config, process, log_path)
            time.sleep(0.1)
        last_log = log_path.read_text(errors="replace")
        if process.poll() is None:
            process.kill()
            process.wait(5)
        # Another test may have taken the port between our check and the bind: try the next.
        if "address already in use" not in last_log.lower():
            break
    raise RuntimeError(f"server did not start:\n{last_log[-3000:]}")


class ApiError(AssertionError):
    """An API call answered an error the test did not expect."""


class ApiClient:
    """A logged-in HTTP client: session cookie plus the CSRF header on unsafe methods."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=10)
        self.user: dict[str, Any] = {}
        self.token = ""

    def login(self, username: str, password: str = PASSWORD) -> dict[str, Any]:
        """Log in (with the demo TOTP code for roles that need one); keep cookies and CSRF."""
        creds = {"username": username, "password": password}
        response = self.request("POST", "/api/v1/auth/login", creds)
        if response.status_code == 401 and response.json().get("error_id") == "auth.mfa_required":
            response = self._second_factor(username, response.json()["details"]["challenge"])
        if not response.is_success:
            raise ApiError(f"login {username} -> {response.status_code}: {response.text}")
        body: dict[str, Any] = response.json()
        self.user = body["user"]
        self.token = body["token"]
        self.http.headers["X-CSRF-Token"] = body["csrf_token"]
        return body

    def _second_factor(self, username: str, challenge: str) -> httpx.Response:
        # A code is accepted once (replay protection, RFC 6238 section 5.2): a second login in
        # the same 30 s step uses the next step's code, inside the allowed drift window.
        response = httpx.Response(401)
        for at in (time.time(), time.time() + 30):
            code = demo_code(username, at)
            response = self.request(
                "POST", "/api/v1/auth/totp/verify", {"challenge": challenge, "code": code}
            )
            if response.is_success:
                break
        return response

    def request(self, method: str, path: str, body: Any = None) -> httpx.Response:
        """Send a request and return the raw response."""
        return self.http.request(method, path, json=body)

    def call(self, method: str, path: str, body: Any = None, expect: int | None = None) -> Any:
        """Send a request; return the JSON body, failing on an unexpected status."""
        response = self.request(method, path, body)
        ok = response.status_code == expect if expect else response.is_success
        if not ok:
            raise ApiError(f"{method} {path} -> {response.status_code}: {response.text}")
        return response.json() if response.content else None

    def get(self, path: str) -> Any:
        """GET and return JSON."""
        return self.call("GET", path)

    def post(self, path: str, body: Any = None) -> Any:
        """POST and return JSON."""
        return self.call("POST", path, body)

    def put(self, path: str, body: Any = None) -> Any:
        """PUT and return JSON."""
        return self.call("PUT", path, body)

    def close(self) -> None:
        """Close the connection pool."""
        self.http.close()


def read_log(server: Server, since: int = 0, token: str | None = None) -> list[dict[str, Any]]:
    """Return every event after `since` visible to admin1, replayed over the WebSocket."""
    if token is None:
        token = server.admin().token
    url = f"ws://127.0.0.1:{server.port}/api/v1/events?since={since}&token={token}"
    events: list[dict[str, Any]] = []
    with ws_connect(url, open_timeout=5) as ws:
        hello = json.loads(ws.recv(timeout=5))
        assert hello["type"] == "hello", hello
        last = hello["seq"]
        while not events or events[-1]["seq"] < last:
            if last <= since:
                break
            try:
                msg = json.loads(ws.recv(timeout=2))
            except TimeoutError:
                break  # the rest is not visible to this user
            if msg["type"] == "event":
                events.append(msg["event"])
    return events


def wait_until(predicate: Callable[[], Any], timeout: float = 5.0, interval: float = 0.05) -> Any:
    """Poll `predicate` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(interval)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Serve the demo configuration for the tests of one module."""
    srv = start_server(tmp_path_factory.mktemp("server"))
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="session")
def shared_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Serve the demo configuration once for the whole run (saves a start per module).

    Modules opt in by overriding `server` with it; their tests must use agents no other
    module uses and leave them not ready, or routing would hand work across tests.
    """
    srv = start_server(tmp_path_factory.mktemp("shared-server"))
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def server_factory(tmp_path: Path) -> Iterator[Callable[..., Server]]:
    """Build servers with custom configuration or options; all stopped after the test."""
    started: list[Server] = []

    def build(config: Path = DEMO_CONFIG, extra_args: list[str] | None = None) -> Server:
        srv = start_server(tmp_path / f"server{len(started)}", config, extra_args)
        started.append(srv)
        return srv

    yield build
    for srv in started:
        srv.stop()


@pytest.fixture(scope="module")
def admin_api(server: Server) -> ApiClient:
    """Return an API client logged in as admin1."""
    return server.admin()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Launch the Debian Chromium once for the whole run."""
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """Open an isolated browser context (own cookies), French first like the users."""
    ctx = browser.new_context(locale="fr-FR", viewport={"width": 1366, "height": 900})
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    """Open a page; console errors fail the test at teardown via `page.errors`."""
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.errors = errors  # type: ignore[attr-defined]
    return pg


def login_page(page: Page, server: Server, username: str, password: str = PASSWORD) -> None:
    """Log in through the real form and wait for the landing page."""
    page.goto(f"{server.base_url}/login")
    page.get_by_label("Identifiant").fill(username)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(lambda url: "/login" not in url)


AXE = Path(__file__).parent / "axe" / "axe.min.js"
BLOCKING_IMPACTS = ("serious", "critical")


def axe_violations(page: Page, impacts: tuple[str, ...] = BLOCKING_IMPACTS) -> list[dict[str, Any]]:
    """Run axe-core (WCAG 2.0/2.1 A and AA rules) on the page; return the blocking violations."""
    if not page.evaluate("typeof window.axe === 'object'"):
        # Evaluated through the DevTools protocol, so the page's CSP (script-src 'self') allows it.
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;void 0")
    result = page.evaluate(
        """async () => {
            const r = await axe.run(document, {runOnly: {type: 'tag',
                values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}));
        }"""
    )
    return [v for v in result if v["impact"] in impacts]


def shoot(page: Page, name: str, fallback_dir: Path) -> Path:
    """Save a PNG of the page: to $SD_SCREENSHOTS when set (docs), else to `fallback_dir`."""
    target = Path(os.environ.get("SD_SCREENSHOTS") or fallback_dir)
    target.mkdir(parents=True, exist_ok=True)
    path = target / f"{name}.png"
    # Freeze the caret and animations so screenshots of the same screen compare equal.
    page.screenshot(path=str(path), full_page=True, animations="disabled", caret="hide")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    return path


class Helpers:
    """The helpers above as one fixture, so test modules never import this conftest by name."""

    def __init__(self, tmp_path: Path) -> None:
        self._tmp = tmp_path
        self.login_page = login_page
        self.axe = axe_violations
        self.read_log = read_log
        self.wait_until = wait_until

    def shoot(self, page: Page, name: str) -> Path:
        """Save a screenshot (see `shoot`)."""
        return shoot(page, name, self._tmp)


@pytest.fixture
def e2e(tmp_path: Path) -> Helpers:
    """Return the e2e helpers: login_page, axe, read_log, wait_until, shoot."""
    return Helpers(tmp_path)
