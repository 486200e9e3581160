"""Crash recovery: SIGKILL during a burst, restart, projections equal a rebuild, no ack lost."""

from __future__ import annotations

import random
import shutil
import threading
import time

import httpx
import pytest

from sd_testing import DEMO_CONFIG, LiveServer
from standardiste.config import centre_definition, load_config
from standardiste.domain.centre import Centre
from standardiste.domain.clock import FakeClock
from standardiste.store.engine import make_engine
from standardiste.store.log import read_events

AGENTS = [f"agent{i}" for i in (5, 7, 9, 10, 11)]  # all have the postal skill


def burst(
    server: LiveServer,
    stop: threading.Event,
    acked: list[tuple[int, str]],
    created: list[str],
    seed: int,
) -> None:
    """Hammer the server with state changes and new letters; remember what was acknowledged."""
    rng = random.Random(seed)
    admin = server.login("admin1") if seed == 0 else None
    heads = {a: server._headers[a] for a in AGENTS}
    with httpx.Client(base_url=server.url, timeout=5) as client:
        while not stop.is_set():
            try:
                if admin is not None and rng.random() < 0.5:
                    r = client.post(
                        "/api/v1/interactions",
                        headers=admin,
                        json={"channel": "mail", "queue_id": "postal-mail"},
                    )
                    if r.status_code == 201:
                        created.append(r.json()["id"])
                    continue
                agent = rng.choice(AGENTS)
                body = rng.choice(
                    [
                        {"state": "ready"},
                        {"state": "not_ready", "reason": "break"},
                        {"state": "activity", "reason": "back_office"},
                    ]
                )
                r = client.put(f"/api/v1/agents/{agent}/state", headers=heads[agent], json=body)
                if r.status_code == 200:
                    acked.extend((e["seq"], e["kind"]) for e in r.json()["events"])
            except httpx.HTTPError:
                if server.proc is None or server.proc.poll() is not None:
                    return  # the server died under us
                # A slow answer on a loaded machine: unknown outcome, so not counted as acked.


def snapshot_from_api(server: LiveServer) -> dict[str, object]:
    """Return agents' states and interactions as the restarted server shows them."""
    admin = server.login("admin1")
    agents = httpx.get(server.url + "/api/v1/agents", headers=admin).json()
    items = httpx.get(server.url + "/api/v1/interactions?status=all", headers=admin).json()
    return {
        "agents": {a["id"]: (a["state"], a["reason"], a["presence"]) for a in agents},
        "interactions": {i["id"]: (i["status"], i["agent_id"]) for i in items},
    }


def snapshot_from_log(db_url: str) -> tuple[dict[str, object], list[tuple[int, str]]]:
    """Rebuild the projection offline from what is committed."""
    engine = make_engine(db_url)
    events = list(read_events(engine))
    engine.dispose()
    centre = Centre(centre_definition(load_config(DEMO_CONFIG)), FakeClock())
    centre.replay(events)
    snap = {
        "agents": {
            a.id: (a.state.value, a.state_reason, a.presence.value) for a in centre.agents.values()
        },
        "interactions": {i.id: (i.status.value, i.agent_id) for i in centre.interactions.values()},
    }
    return snap, [(e.seq, e.kind) for e in events]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_sigkill_during_burst_loses_no_acknowledged_event(tmp_path, backend, request):
    config = tmp_path / "demo.toml"
    shutil.copy(DEMO_CONFIG, config)
    db_url = None if backend == "sqlite" else request.getfixturevalue("pg_url")
    server = LiveServer(tmp_path, config, db_url=db_url).start()
    server._headers = {a: server.login(a) for a in AGENTS}
    acked: list[tuple[int, str]] = []
    created: list[str] = []
    stop = threading.Event()
    threads = [
        threading.Thread(target=burst, args=(server, stop, acked, created, n)) for n in range(4)
    ]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and (len(acked) < 200 or len(created) < 20):
        time.sleep(0.05)
    server.kill()  # SIGKILL while requests are in flight
    stop.set()
    for t in threads:
        t.join()
    assert len(acked) > 50 and len(created) > 5

    _, committed = snapshot_from_log(server.db_url)
    committed_set = set(committed)
    missing = [a for a in acked if a not in committed_set]
    assert missing == []
    assert [s for s, _ in committed] == list(range(1, len(committed) + 1))

    restarted = LiveServer(tmp_path, config, db_url=server.db_url)
    restarted.port = server.port
    restarted.url = server.url
    restarted.start()
    try:
        api = snapshot_from_api(restarted)
        rebuilt, _ = snapshot_from_log(server.db_url)
        assert api == rebuilt
        assert set(created) <= set(api["interactions"])
    finally:
        restarted.stop()
