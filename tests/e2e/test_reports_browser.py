"""Wallboard and reports in headless Chromium against a real server with the aggregator wired."""

from __future__ import annotations

import contextlib
import csv
import io
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, expect

from conftest import DEMO_CONFIG, ApiClient, Server, _port_free, wait_until

PORTS = range(18100, 18200)
# Until the runtime wires the aggregator itself, the launcher adds it (never twice).
LAUNCHER = """
import sys
import standardiste.server as server
from standardiste.reports.aggregator import ReportAggregator

_wire = server.wire_extensions

def wire(runtime):
    _wire(runtime)
    present = getattr(runtime, "reports", None) or any(
        isinstance(c, ReportAggregator) for c in runtime.extensions)
    if not present:
        aggregator = ReportAggregator(runtime.engine, runtime.config)
        runtime.extensions.append(aggregator)
        runtime.service.subscribe(aggregator.on_event)

server.wire_extensions = wire
from standardiste.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _start(root: Path) -> Server:
    root.mkdir(parents=True, exist_ok=True)
    config = root / "demo.toml"
    config.write_bytes(DEMO_CONFIG.read_bytes())
    for port in PORTS:
        if not _port_free(port):
            continue
        log_path = root / f"server-{port}.log"
        cmd = [sys.executable, "-c", LAUNCHER, "serve", "--config", str(config),
               "--db", f"sqlite:///{root / 'standardiste.db'}", "--data-dir", str(root / "data"),
               "--http", f"127.0.0.1:{port}"]  # fmt: skip
        with log_path.open("wb") as log:
            proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=root,
                                    env=dict(os.environ))  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and proc.poll() is None:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    return Server(base, port, root, config, proc, log_path)
            time.sleep(0.1)
        text = log_path.read_text(errors="replace")
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
        if "address already in use" not in text.lower():
            raise RuntimeError(f"server did not start:\n{text[-3000:]}")
    raise RuntimeError("no free port in 18100-18199")


@pytest.fixture(scope="module")
def report_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Start the demo with the report aggregator."""
    srv = _start(tmp_path_factory.mktemp("reports-server"))
    try:
        yield srv
    finally:
        srv.stop()


def _traffic(server: Server) -> None:
    """Answer one call and let another be abandoned on the Toulouse voice queue."""
    agent = ApiClient(server.base_url)
    agent.login("agent1")
    admin = ApiClient(server.base_url)
    admin.login("admin1")
    agent.put("/api/v1/agents/agent1/state", {"state": "ready"})
    call = {"channel": "voice", "queue_id": "income-tax-voice", "attributes": {}}
    first = admin.post("/api/v1/interactions", call)
    iid = first["id"]
    wait_until(lambda: agent.get("/api/v1/agents/agent1")["offers"])
    agent.post(f"/api/v1/interactions/{iid}/accept")
    agent.post(f"/api/v1/interactions/{iid}/end")
    agent.post(f"/api/v1/interactions/{iid}/complete", {"disposition": "answered"})
    agent.put("/api/v1/agents/agent1/state", {"state": "not_ready", "reason": "lunch"})
    second = admin.post("/api/v1/interactions", call)
    admin.post(f"/api/v1/interactions/{second['id']}/abandon")


def test_wallboard_report_charts_and_export(report_server: Server, browser: Browser) -> None:
    _traffic(report_server)
    sup = ApiClient(report_server.base_url)
    sup.login("supervisor1")
    live = sup.get("/api/v1/reports/live")
    q = next(x for x in live["queues"] if x["id"] == "income-tax-voice")
    assert (q["offered"], q["answered"]) == (2, 1)
    assert q["abandoned"] + q["short_abandoned"] == 1
    assert {a["id"]: a["state"] for a in live["agents"]}["agent1"] == "unavailable"
    report = sup.get("/api/v1/reports/queues?level=queue&grain=day")
    row = next(r for r in report["rows"] if r["group"] == "income-tax-voice")
    assert (row["offered"], row["answered"], row["service_level"]) == (
        q["offered"], q["answered"], q["service_level"])  # fmt: skip

    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    try:
        r = httpx.post(f"{report_server.base_url}/api/v1/auth/login",
                       json={"username": "supervisor1", "password": "demo"})  # fmt: skip
        context.add_cookies(
            [{"name": k, "value": v, "url": report_server.base_url} for k, v in r.cookies.items()]
        )
        page.goto(f"{report_server.base_url}/supervisor")
        tr = page.locator('#queues tr[data-queue="income-tax-voice"]')
        expect(tr.locator('[data-f="offered"]')).to_have_text("2")
        expect(tr.locator('[data-f="answered"]')).to_have_text("1")
        expect(page.locator('#agents tr[data-agent="agent1"] [data-f="state"]')).to_have_text(
            "unavailable"
        )
        expect(page.locator('#agents tr[data-agent="agent1"] [data-f="since"]')).to_have_text("")
        assert "lunch" not in page.content()
        link = page.locator("#queues thead a.def").first
        assert "/reports/definitions#kpi-" in (link.get_attribute("href") or "")

        page.goto(f"{report_server.base_url}/reports")
        page.wait_for_selector("body[data-loaded='1']")
        for chart in ("chart-trend", "chart-sl", "chart-states"):
            expect(page.locator(f"#{chart} canvas")).to_have_count(1)
        cells = page.locator("#queue-table tbody tr", has_text="income-tax-voice")
        expect(cells.locator('[data-f="offered"]')).to_have_text("2")
        with page.expect_download() as info:
            page.locator('a[data-export="queues"][data-format="csv"]').click()
        text = Path(info.value.path()).read_text(encoding="utf-8")
        rows = {r["group"]: r for r in csv.DictReader(io.StringIO(text))}
        assert float(rows["income-tax-voice"]["offered"]) == row["offered"]
        assert float(rows["income-tax-voice"]["answered"]) == row["answered"]
        assert rows["income-tax-voice"]["definitions_version"] == "1"

        page.goto(f"{report_server.base_url}/reports/definitions")
        expect(page.locator("#kpi-service-level")).to_have_count(1)
    finally:
        context.close()


def test_agent_role_cannot_read_reports(report_server: Server) -> None:
    agent = ApiClient(report_server.base_url)
    agent.login("agent2")
    r = agent.request("GET", "/api/v1/reports/queues")
    assert r.status_code == 403
    sup = ApiClient(report_server.base_url)
    sup.login("supervisor1")  # a site scope: no national level
    assert sup.request("GET", "/api/v1/reports/queues?level=national").status_code == 403
    agents = sup.get("/api/v1/reports/agents?level=site")["rows"]
    assert all(r["group"] == "toulouse" for r in agents)
