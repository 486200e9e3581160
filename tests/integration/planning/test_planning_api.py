"""The planning API on a real server over a seeded event log: numbers, scope, roles, errors."""

from __future__ import annotations

import math
import shutil
import time
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import pytest
from planning_history import EMAIL, EMAILS_PER_SLOT, HANDLE_S, SLOTS, TZ, VOICE, History, profile

from sd_testing import DEMO_CONFIG, LiveServer
from standardiste.cli import main
from standardiste.config import load_config
from standardiste.domain.erlang import (
    SlDefinition,
    StaffingTarget,
    Traffic,
    agents_needed,
    queue_metrics,
    scheduled_agents,
)

# The demo centre counts service level excluding short abandons (centre.service_level_definition).
DEFINITION = SlDefinition(load_config(DEMO_CONFIG).centre.service_level_definition)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, history_db: str) -> Iterator[LiveServer]:
    """Serve the demo configuration over the seeded log."""
    tmp = tmp_path_factory.mktemp("planning-server")
    config = tmp / "demo.toml"
    shutil.copy(DEMO_CONFIG, config)
    srv = LiveServer(tmp, config, db_url=history_db).start(timeout=60)
    try:
        yield srv
    finally:
        srv.stop()


def _get(server: LiveServer, user: str, path: str) -> httpx.Response:
    return httpx.get(server.url + path, headers=server.login(user), timeout=60)


CASES = [
    ("calls=100&interval=1800&aht=180&target=80/20", ["--calls", "100", "--interval", "1800",
                                                       "--aht", "180", "--target", "80/20"]),
    ("calls=100&aht=180&target=80/20&patience=300&shrinkage=0.3&max_occupancy=0.85",
     ["--calls", "100", "--aht", "180", "--target", "80/20", "--patience", "300",
      "--shrinkage", "0.3", "--max-occupancy", "0.85"]),
    ("calls=960&interval=1800&aht=90&target=90/15&sl=answered&patience=120",
     ["--calls", "960", "--aht", "90", "--target", "90/15", "--sl", "answered",
      "--patience", "120"]),
]  # fmt: skip


@pytest.mark.parametrize(("query", "argv"), CASES)
def test_erlang_equals_the_domain_and_the_cli(
    server: LiveServer, query: str, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    r = _get(server, "supervisor1", f"/api/v1/planning/erlang?{query}")
    assert r.status_code == 200, r.text
    body = r.json()
    params = dict(p.split("=") for p in query.split("&"))
    level, within = (float(x) for x in params["target"].split("/"))
    patience = float(params["patience"]) if "patience" in params else None
    traffic = Traffic.per_interval(
        float(params["calls"]), float(params.get("interval", 1800)), float(params["aht"]), patience
    )
    target = StaffingTarget(
        level / 100, within, float(params.get("max_occupancy", 1)),
        float(params.get("shrinkage", 0)), SlDefinition(params.get("sl", "offered")),
    )  # fmt: skip
    plan = agents_needed(traffic, target)
    assert (body["agents"], body["scheduled"]) == (plan.agents, plan.scheduled)
    assert body["load"] == pytest.approx(traffic.load, rel=1e-12)
    for row in body["rows"]:
        m = queue_metrics(row["agents"], traffic, within)
        assert row["p_wait"] == pytest.approx(m.p_wait, rel=1e-12, abs=1e-15)
        assert row["service_level"] == pytest.approx(m.service_level(target.definition), rel=1e-12)
        assert row["asa"] == pytest.approx(m.asa, rel=1e-12, abs=1e-15)
        assert row["occupancy"] == pytest.approx(m.occupancy, rel=1e-12)
        assert row["p_abandon"] == pytest.approx(m.p_abandon, rel=1e-12, abs=1e-15)
        assert row["scheduled"] == scheduled_agents(row["agents"], target.shrinkage)
        assert row["answer"] is (row["agents"] == plan.agents)
    # The CLI prints the same rows, rounded: compare cell by cell.
    assert main(["erlang", *argv]) == 0
    printed = [line.split() for line in capsys.readouterr().out.splitlines()[4:] if line.strip()]
    assert [int(cells[0]) for cells in printed] == [row["agents"] for row in body["rows"]]
    for cells, row in zip(printed, body["rows"], strict=True):
        assert cells[1:6] == [
            str(row["scheduled"]), f"{row['p_wait']:.4f}", f"{row['service_level']:.4f}",
            f"{row['asa']:.2f}", f"{row['occupancy']:.4f}",
        ]  # fmt: skip
        if patience is not None:
            assert cells[6] == f"{row['p_abandon']:.4f}"
        assert (cells[-1] == "<=") is row["answer"]


def test_erlang_rejects_bad_input_and_wrong_roles(server: LiveServer) -> None:
    base = "/api/v1/planning/erlang?calls=100&aht=180"
    r = _get(server, "supervisor1", base + "&target=eighty")
    assert r.status_code == 422 and r.json()["error_id"] == "planning.bad_target"
    r = _get(server, "supervisor1", "/api/v1/planning/erlang?calls=0&aht=180")
    assert r.status_code == 422 and r.json()["error_id"] == "request.invalid"
    r = _get(server, "supervisor1", "/api/v1/planning/erlang?calls=1000000&aht=86400")
    assert r.status_code == 422 and r.json()["error_id"] == "planning.too_large"
    assert httpx.get(server.url + base).status_code == 401
    for user in ("agent3", "dpo1"):
        r = _get(server, user, base)
        assert r.status_code == 403 and r.json()["error_id"] == "auth.role"
    for user in ("analyst1", "admin1"):
        assert _get(server, user, base).json()["agents"] == 14


def _slot(ts: float) -> tuple[datetime, int]:
    start = datetime.fromtimestamp(ts, ZoneInfo(TZ))
    return start, (start.hour * 60 + start.minute) // 30


def test_forecast_reproduces_the_profile_with_measured_inputs(
    server: LiveServer, history: History
) -> None:
    headers = server.login("supervisor1")
    url = server.url + "/api/v1/planning/forecast?weeks=4"
    began = time.perf_counter()
    r = httpx.get(url, headers=headers, timeout=60)
    first = time.perf_counter() - began
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["meta"]["history"]["end"] == history.end
    # Toulouse's supervisor sees the Toulouse queue only.
    [queue] = body["queues"]
    assert queue["id"] == VOICE and queue["model"] == "erlang_a"
    assert queue["aht"] == pytest.approx(HANDLE_S) and queue["aht_source"] == "measured"
    assert queue["patience"] == pytest.approx(330.0) and queue["patience_source"] == "measured"
    assert queue["target"] == {"service_level": 0.8, "seconds": 20.0}
    assert len(body["intervals"]) >= 7 * 48 - 2  # a DST day has 46 or 50 half hours
    busy = [i for i in body["intervals"] if i["queues"]]
    assert len(busy) == 5 * len(SLOTS)
    target = StaffingTarget(0.8, 20.0, 0.85, 0.3, DEFINITION)
    for interval in busy:
        start, slot = _slot(interval["ts"])
        assert slot in SLOTS and start.weekday() < 5
        cell = interval["queues"][VOICE]
        assert cell["calls"] == pytest.approx(profile(start.weekday(), slot))
        plan = agents_needed(Traffic.per_interval(cell["calls"], 1800, HANDLE_S, 330.0), target)
        assert (cell["agents"], cell["scheduled"]) == (plan.agents, plan.scheduled)
        assert interval["scheduled"] == cell["scheduled"]
    assert queue["calls"] == pytest.approx(sum(i["calls"] for i in busy))
    began = time.perf_counter()
    again = httpx.get(url, headers=headers, timeout=60).json()
    print(f"forecast: first {first:.2f} s, cached {time.perf_counter() - began:.3f} s")
    assert again == body


def test_forecast_scope_overrides_and_errors(server: LiveServer) -> None:
    r = _get(server, "supervisor2", f"/api/v1/planning/forecast?queue={VOICE}")
    assert r.status_code == 403 and r.json()["error_id"] == "queue.out_of_scope"
    r = _get(server, "analyst1", "/api/v1/planning/forecast?queue=nope")
    assert r.status_code == 404 and r.json()["error_id"] == "queue.not_found"
    r = _get(server, "analyst1", "/api/v1/planning/forecast?weeks=0")
    assert r.status_code == 422
    assert _get(server, "agent4", "/api/v1/planning/forecast").status_code == 403
    everything = _get(server, "analyst1", "/api/v1/planning/forecast").json()
    assert [q["id"] for q in everything["queues"]] == [
        "income-tax-voice", "property-tax-voice", "email-general", "postal-mail",
    ]  # fmt: skip
    email = next(q for q in everything["queues"] if q["id"] == EMAIL)
    assert email["model"] == "workload" and email["aht_source"] == "default"
    cells = [i["queues"][EMAIL] for i in everything["intervals"] if EMAIL in i["queues"]]
    need = math.ceil(EMAILS_PER_SLOT * 180 / 1800 / 0.85)
    assert len(cells) == 5 * 8
    assert {(round(c["calls"], 9), c["agents"], c["scheduled"]) for c in cells} == {
        (EMAILS_PER_SLOT, need, scheduled_agents(need, 0.3))
    }
    given = _get(
        server,
        "analyst1",
        f"/api/v1/planning/forecast?queue={VOICE}&aht=300&patience=120&target=90/30"
        "&shrinkage=0.2&max_occupancy=0.9",
    ).json()
    [queue] = given["queues"]
    assert (queue["aht"], queue["aht_source"], queue["patience"]) == (300.0, "given", 120.0)
    goal = StaffingTarget(0.9, 30.0, 0.9, 0.2, DEFINITION)
    for interval in given["intervals"]:
        if VOICE in interval["queues"]:
            cell = interval["queues"][VOICE]
            plan = agents_needed(Traffic.per_interval(cell["calls"], 1800, 300, 120), goal)
            assert (cell["agents"], cell["scheduled"]) == (plan.agents, plan.scheduled)


def test_page_lists_the_queues_in_scope_and_refuses_other_roles(server: LiveServer) -> None:
    page = _get(server, "supervisor1", "/planning")
    assert page.status_code == 200
    assert page.headers["content-security-policy"].startswith("default-src 'self'")
    assert '<option value="income-tax-voice">' in page.text
    assert 'value="property-tax-voice"' not in page.text  # Paris is not in Toulouse's scope
    assert 'value="property-tax-voice"' in _get(server, "analyst1", "/planning").text
    for user in ("agent5", "dpo1"):
        assert _get(server, user, "/planning").status_code == 403
    anonymous = httpx.get(server.url + "/planning", follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == "/login?next=/planning"
