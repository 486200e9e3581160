"""The /api/v1/email router over an in-process ASGI client, with the real adapter."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace

import email_corpus as corpus
import httpx
import pytest
from email_fakes import FakeService, FakeTransport
from fastapi import FastAPI, Header

from standardiste.auth.principal import Principal
from standardiste.auth.scope import ScopePolicy
from standardiste.channels.email.adapter import EmailAdapter
from standardiste.channels.email.outbound import Replies
from standardiste.channels.email.outbox import Outbox
from standardiste.channels.email.route import EmailRouting
from standardiste.channels.email.smtp_in import InboundEnvelope
from standardiste.channels.email.spool import Spool, new_spool_id
from standardiste.domain.clock import SystemClock
from standardiste.domain.model import AgentDef, CentreDef, Channel, Organisation, QueueDef
from standardiste.web.api.email import EmailApiDeps, build_router
from standardiste.web.errors import install_error_handlers

USERS = {
    "a1": Principal("u-a1", "agent", agent_id="a1"),
    "a2": Principal("u-a2", "agent", agent_id="a2"),
    "boss": Principal("u-boss", "supervisor"),  # national
    "near": Principal("u-near", "supervisor", scope_level="site", scope_id="tls"),
    "far": Principal("u-far", "supervisor", scope_level="site", scope_id="par"),
    "region": Principal("u-reg", "supervisor", scope_level="region", scope_id="occ"),
    "admin": Principal("u-adm", "admin", scope_level="site", scope_id="par"),
}
# Queue q (the contact address's) is at Toulouse; agent a1 works there, a2 in Paris.
SCOPE = ScopePolicy(
    CentreDef(
        queues={"q": QueueDef("q", Channel.EMAIL, site_id="tls")},
        agents={"a1": AgentDef("a1", "t-tls"), "a2": AgentDef("a2", "t-par")},
        organisation=Organisation(
            team_site={"t-tls": "tls", "t-par": "par"}, site_region={"tls": "occ", "par": "idf"}
        ),
    )
)


def header_principal(x_user: str = Header("")) -> Principal:
    """Test auth: the principal named in the X-User header."""
    return USERS[x_user]


@pytest.fixture
async def world(
    tmp_path: Path, service: FakeService
) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, str], FakeTransport]]:
    spool = Spool(tmp_path / "in")
    spool.prepare()
    clock = SystemClock()
    transport = FakeTransport()
    outbox = Outbox(tmp_path / "out", transport, clock, lambda r: adapter.on_outbox_result(r))
    routing = EmailRouting({"contact@impots.example": "q"}, "q")
    adapter = EmailAdapter(service, routing, clock, replies=Replies(outbox, clock, domain="x"))
    await outbox.start()
    ids = {}
    for name, raw in (("html", corpus.hostile_html()), ("pdf", corpus.big_attachment(1000))):
        sid = new_spool_id()
        path = spool.store(sid, [raw])
        env = InboundEnvelope(sid, "a@example.org", ("contact@impots.example",), "p", "h", 0, 1)
        await adapter.accept(path, env)
        ids[name] = sid
    iid = next(iter(service.centre.interactions))
    service.centre.interactions[iid].status = "connected"
    service.centre.interactions[iid].agent_id = "a1"
    ids["iid"] = iid
    app = FastAPI()
    install_error_handlers(app)
    deps = EmailApiDeps(reader=header_principal, supervisor=header_principal)
    app.state.runtime = SimpleNamespace(scope=SCOPE)  # the scope comes from the runtime
    app.include_router(build_router(adapter, spool.path, deps, status=lambda: {"ok": True}))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        yield c, ids, transport
    outbox.close()
    await outbox.wait_closed()


async def test_agent_reads_own_conversation_and_safe_html(world: tuple) -> None:  # type: ignore[type-arg]
    client, ids, _ = world
    conv = await client.get(f"/api/v1/email/interactions/{ids['iid']}", headers={"x-user": "a1"})
    assert conv.status_code == 200
    assert [m["id"] for m in conv.json()["messages"]] == [ids["html"]]
    msg = (
        await client.get(f"/api/v1/email/messages/{ids['html']}", headers={"x-user": "a1"})
    ).json()
    assert (
        "<script" not in msg["html"] and "onerror" not in msg["html"] and "Bonjour" in msg["text"]
    )


async def test_other_agent_gets_404_supervisor_sees(world: tuple) -> None:  # type: ignore[type-arg]
    client, ids, _ = world
    for path in (
        f"/api/v1/email/interactions/{ids['iid']}",
        f"/api/v1/email/messages/{ids['html']}",
    ):
        assert (await client.get(path, headers={"x-user": "a2"})).status_code == 404
        assert (await client.get(path, headers={"x-user": "boss"})).status_code == 200
    bad = await client.get(
        "/api/v1/email/messages/..%2F..%2Fetc%2Fpasswd", headers={"x-user": "boss"}
    )
    assert bad.status_code == 404


async def test_attachment_is_a_download(world: tuple) -> None:  # type: ignore[type-arg]
    client, ids, _ = world
    msg = (
        await client.get(f"/api/v1/email/messages/{ids['pdf']}", headers={"x-user": "boss"})
    ).json()
    index = msg["attachments"][0]["index"]
    got = await client.get(f"/api/v1/email/messages/{ids['pdf']}/attachments/{index}",
                           headers={"x-user": "boss"})  # fmt: skip
    assert got.content == b"\x00\x01" * 500
    assert got.headers["content-disposition"].startswith("attachment")
    assert got.headers["content-type"] == "application/octet-stream"


async def test_reply_is_queued_and_validated(world: tuple) -> None:  # type: ignore[type-arg]
    client, ids, transport = world
    url = f"/api/v1/email/interactions/{ids['iid']}/reply"
    both = await client.post(url, json={"text": "a", "canned": "b"}, headers={"x-user": "a1"})
    assert both.status_code == 422 and both.json()["error_id"] == "email.reply_body"
    unknown = await client.post(url, json={"canned": "Bonjour {nom}"}, headers={"x-user": "a1"})
    assert unknown.status_code == 422 and unknown.json()["error_id"] == "email.template_placeholder"
    ok = await client.post(url, json={"canned": "Dossier {reference}"}, headers={"x-user": "a1"})
    assert ok.status_code == 202 and ok.json()["reply_id"].startswith("rp-")
    assert (await client.post(url, json={"text": "x"}, headers={"x-user": "a2"})).status_code == 404


async def test_supervisors_see_only_mail_of_their_scope(
    world: tuple,  # type: ignore[type-arg]
    service: FakeService,
) -> None:
    client, ids, _ = world
    attachment = f"/api/v1/email/messages/{ids['pdf']}/attachments/0"
    pdf_iid = next(i for i in service.centre.interactions if i != ids["iid"])
    paths = [
        f"/api/v1/email/interactions/{ids['iid']}", f"/api/v1/email/messages/{ids['html']}",
        f"/api/v1/email/messages/{ids['html']}/raw", f"/api/v1/email/interactions/{pdf_iid}",
        attachment,
    ]  # fmt: skip

    async def codes(user: str) -> list[int]:
        return [(await client.get(p, headers={"x-user": user})).status_code for p in paths]

    assert await codes("near") == [200] * 5  # their site's queue
    assert await codes("region") == [200] * 5  # the region holding that site
    assert await codes("admin") == [200] * 5  # administrators are national
    # Outside their scope it does not exist for them: the same 404 as an unknown id.
    assert await codes("far") == [404] * 5
    reply = await client.post(
        f"/api/v1/email/interactions/{ids['iid']}/reply", json={"text": "x"},
        headers={"x-user": "far"},
    )  # fmt: skip
    assert reply.status_code == 404
    # Work handled by an agent of their team is theirs to see, wherever its queue is.
    service.centre.interactions[ids["iid"]].agent_id = "a2"
    assert (await client.get(paths[0], headers={"x-user": "far"})).status_code == 200
    assert (await client.get(paths[3], headers={"x-user": "far"})).status_code == 404
