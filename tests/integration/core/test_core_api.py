"""The HTTP API against a real server: auth, roles, scopes, errors, WebSocket push."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
import websockets


def test_health_openapi_and_metrics(module_server):
    url = module_server.url
    assert httpx.get(url + "/healthz").json()["status"] == "ok"
    spec = httpx.get(url + "/openapi.json").json()
    assert "/api/v1/agents/{agent_id}/state" in spec["paths"]
    assert "standardiste_events_appended" in httpx.get(url + "/metrics").text


def test_login_errors_lockout_and_duplicate_login(module_server):
    url = module_server.url + "/api/v1/auth/login"
    bad = httpx.post(url, json={"username": "agent2", "password": "nope"})
    assert bad.status_code == 401 and bad.json()["error_id"] == "auth.invalid"
    assert httpx.post(url, json={"username": "ghost", "password": "demo"}).status_code == 401
    for _ in range(5):
        httpx.post(url, json={"username": "agent9", "password": "wrong"})
    locked = httpx.post(url, json={"username": "agent9", "password": "demo"})
    assert locked.json()["error_id"] == "auth.locked"
    first = httpx.post(url, json={"username": "agent1", "password": "demo"})
    assert first.status_code == 200
    assert first.cookies.get("sd_session")
    again = httpx.post(url, json={"username": "agent1", "password": "demo"})
    assert again.status_code == 409 and again.json()["error_id"] == "agent.already_logged_in"


def test_bad_payloads_get_clear_errors_and_server_keeps_serving(module_server):
    url = module_server.url
    h = module_server.login("agent2")
    r = httpx.put(
        url + "/api/v1/agents/agent2/state",
        headers={**h, "content-type": "application/json"},
        content=b"{not json",
    )
    assert r.status_code == 422 and r.json()["error_id"] == "request.invalid"
    r = httpx.put(url + "/api/v1/agents/agent2/state", headers=h, json={"state": "dancing"})
    assert r.status_code == 422
    r = httpx.put(url + "/api/v1/agents/agent99/state", headers=h, json={"state": "ready"})
    assert r.status_code == 404 and r.json()["error_id"] == "agent.not_found"
    r = httpx.put(url + "/api/v1/agents/agent3/state", headers=h, json={"state": "ready"})
    assert r.status_code == 403
    r = httpx.post(url + "/api/v1/interactions/nope/accept", headers=h)
    assert r.status_code == 404
    r = httpx.put(url + "/api/v1/agents/agent2/state", headers=h, content=b"x" * (2 << 20))
    assert r.status_code == 413 and r.json()["error_id"] == "request.too_large"
    before = httpx.get(url + "/healthz").json()["last_seq"]
    r = httpx.put(
        url + "/api/v1/agents/agent2/state",
        headers=h,
        json={"state": "not_ready", "reason": "toilet"},
    )
    assert r.status_code == 422
    assert httpx.get(url + "/healthz").json()["last_seq"] == before  # nothing half-written
    ok = httpx.put(url + "/api/v1/agents/agent2/state", headers=h, json={"state": "ready"})
    assert ok.status_code == 200 and ok.json()["state"] == "ready"
    assert httpx.post(url + "/api/v1/auth/logout", headers=h).status_code == 200
    r = httpx.get(url + "/api/v1/auth/me", headers=h)
    assert r.status_code == 401


def test_cookie_auth_requires_csrf_header(module_server):
    with httpx.Client(base_url=module_server.url) as client:
        login = client.post("/api/v1/auth/login", json={"username": "agent4", "password": "demo"})
        csrf = login.json()["csrf_token"]
        r = client.put("/api/v1/agents/agent4/state", json={"state": "ready"})
        assert r.status_code == 403 and r.json()["error_id"] == "auth.csrf"
        r = client.put(
            "/api/v1/agents/agent4/state", json={"state": "ready"}, headers={"x-csrf-token": csrf}
        )
        assert r.status_code == 200


def test_illegal_transition_is_409_with_stable_id(module_server):
    url = module_server.url
    admin = module_server.login("admin1")
    h = module_server.login("agent5")
    httpx.put(url + "/api/v1/agents/agent5/state", headers=h, json={"state": "ready"})
    item = httpx.post(
        url + "/api/v1/interactions",
        headers=admin,
        json={"channel": "mail", "queue_id": "postal-mail", "attributes": {"from": "M. Dupont"}},
    ).json()
    me = httpx.get(url + "/api/v1/agents/agent5", headers=h).json()
    assert me["state"] == "alerting" and me["offers"][0]["id"] == item["id"]
    r = httpx.post(url + f"/api/v1/interactions/{item['id']}/hold", headers=h)
    assert r.status_code == 409 and r.json()["error_id"] == "interaction.cannot_hold"
    assert (
        httpx.post(url + f"/api/v1/interactions/{item['id']}/accept", headers=h).status_code == 200
    )
    assert (
        httpx.post(url + f"/api/v1/interactions/{item['id']}/accept", headers=h).status_code == 200
    )
    r = httpx.post(url + "/api/v1/auth/logout", headers=h)
    assert r.status_code == 409 and r.json()["error_id"] == "agent.has_work"
    r = httpx.post(
        url + f"/api/v1/interactions/{item['id']}/complete",
        headers=h,
        json={"disposition": "no-such-code"},
    )
    assert r.status_code == 422
    r = httpx.post(
        url + f"/api/v1/interactions/{item['id']}/complete",
        headers=h,
        json={"disposition": "answered"},
    )
    assert r.status_code == 200 and r.json()["status"] == "completed"
    segs = [s["kind"] for s in r.json()["segments"]]
    assert segs == ["queue", "alert", "handle"]
    day = httpx.get(url + "/api/v1/agents/agent5/day", headers=h).json()
    assert [s["state"] for s in day["timeline"]][-3:] == ["alerting", "busy_mail", "ready"]
    sup = module_server.login("supervisor1")
    assert httpx.get(url + "/api/v1/agents/agent5/day", headers=sup).status_code == 403


def test_scopes_of_supervisors_analysts_and_agents(module_server):
    url = module_server.url
    sup_tls = module_server.login("supervisor1")  # site toulouse
    sup_idf = module_server.login("supervisor2")  # region idf (paris)
    analyst = module_server.login("analyst1")
    agent = module_server.login("agent6")
    ids = {a["id"] for a in httpx.get(url + "/api/v1/agents", headers=sup_tls).json()}
    assert ids == {f"agent{i}" for i in range(1, 7)}
    ids = {a["id"] for a in httpx.get(url + "/api/v1/agents", headers=sup_idf).json()}
    assert ids == {"agent10", "agent11", "agent12"}
    assert httpx.get(url + "/api/v1/agents/agent1", headers=sup_idf).status_code == 403
    assert httpx.get(url + "/api/v1/agents", headers=analyst).json() == []
    assert [a["id"] for a in httpx.get(url + "/api/v1/agents", headers=agent).json()] == ["agent6"]
    queues = {q["id"] for q in httpx.get(url + "/api/v1/queues", headers=sup_idf).json()}
    assert queues == {"property-tax-voice", "postal-mail"}
    assert httpx.get(url + "/api/v1/config", headers=sup_tls).status_code == 403
    # R-STATE-2: a pausing agent is "unavailable" to the supervisor, no reason, no time.
    httpx.put(
        url + "/api/v1/agents/agent6/state",
        headers=agent,
        json={"state": "not_ready", "reason": "lunch"},
    )
    seen = httpx.get(url + "/api/v1/agents/agent6", headers=sup_tls).json()
    assert (seen["state"], seen["reason"], seen["since_ts"]) == ("unavailable", None, None)
    own = httpx.get(url + "/api/v1/agents/agent6", headers=agent).json()
    assert (own["state"], own["reason"]) == ("not_ready", "lunch")


async def test_websocket_pushes_own_events_and_resyncs_after_a_cut(module_server):
    url = module_server.url
    h = module_server.login("agent7")
    token = h["authorization"].split()[1]
    ws_url = url.replace("http", "ws") + f"/api/v1/events?token={token}"
    async with websockets.connect(ws_url) as ws:
        hello = json.loads(await ws.recv())
        assert hello["type"] == "hello"
        await asyncio.to_thread(
            httpx.put, url + "/api/v1/agents/agent7/state", headers=h, json={"state": "ready"}
        )
        got = [json.loads(await asyncio.wait_for(ws.recv(), 5)) for _ in range(2)]
        assert {g["event"]["kind"] for g in got} == {"agent.presence", "agent.state"}
        last = max(g["event"]["seq"] for g in got)
    # While disconnected, the agent's state changes twice; the reconnect replays both.
    for body in ({"state": "not_ready", "reason": "break"}, {"state": "ready"}):
        await asyncio.to_thread(
            httpx.put, url + "/api/v1/agents/agent7/state", headers=h, json=body
        )
    other = module_server.login("agent8")
    await asyncio.to_thread(
        httpx.put, url + "/api/v1/agents/agent8/state", headers=other, json={"state": "ready"}
    )
    async with websockets.connect(ws_url.replace("since", "x") + f"&since={last}") as ws:
        assert json.loads(await ws.recv())["type"] == "hello"
        replay = [json.loads(await asyncio.wait_for(ws.recv(), 5)) for _ in range(4)]
        assert {e["event"]["data"]["agent_id"] for e in replay} == {"agent7"}
        assert [e["event"]["seq"] for e in replay] == sorted(e["event"]["seq"] for e in replay)
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(ws.recv(), 0.5)  # agent8's events are not for agent7
    with pytest.raises(websockets.exceptions.InvalidStatus) as err:
        async with websockets.connect(url.replace("http", "ws") + "/api/v1/events") as ws:
            await ws.recv()
    assert err.value.response.status_code == 403  # refused before the handshake completes
