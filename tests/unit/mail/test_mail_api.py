"""The /api/v1/mail router over an in-process ASGI client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from io import BytesIO
from types import SimpleNamespace

import httpx
import pytest
from fastapi import FastAPI, Header
from mail_fakes import MailChannel, mail_centre_def, small_png
from PIL import Image

from standardiste.auth.principal import Principal
from standardiste.auth.scope import ScopePolicy
from standardiste.domain.model import Organisation
from standardiste.web.api.mail import MailApiDeps, build_router
from standardiste.web.errors import install_error_handlers

USERS = {
    "clerk": Principal("u-clerk", "agent", agent_id="a9"),
    "agent": Principal("u-a1", "agent", agent_id="a1"),
    "boss": Principal("u-boss", "supervisor"),  # national
    "near": Principal("u-near", "supervisor", scope_level="site", scope_id="tls"),
    "far": Principal("u-far", "supervisor", scope_level="site", scope_id="par"),
    "admin": Principal("u-adm", "admin", scope_level="site", scope_id="par"),
}


def _scope() -> ScopePolicy:
    """The test centre with sites: general mail at Toulouse (with agent a1), the rest in Paris."""
    base = mail_centre_def()
    queues = {
        q: replace(d, site_id="tls" if q == "mail-general" else "par")
        for q, d in base.queues.items()
    }
    org = Organisation(team_site={"t1": "tls"}, site_region={"tls": "occ", "par": "idf"})
    return ScopePolicy(replace(base, queues=queues, organisation=org))


SCOPE = _scope()


def header_principal(x_user: str = Header("")) -> Principal:
    """Test auth: the principal named in the X-User header."""
    return USERS[x_user]


def app_for(ch: MailChannel, deps: MailApiDeps) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(build_router(ch.intake, ch.store, ch.adapter, deps))
    return app


@pytest.fixture
async def client(channel: MailChannel) -> AsyncIterator[httpx.AsyncClient]:
    deps = MailApiDeps(uploader=header_principal, reader=header_principal)
    app = app_for(channel, deps)
    app.state.runtime = SimpleNamespace(scope=SCOPE)  # the scope comes from the runtime
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


async def upload(client: httpx.AsyncClient, data: bytes, name: str = "scan.png") -> httpx.Response:
    files = {"file": (name, data, "application/octet-stream")}
    return await client.post("/api/v1/mail/letters", files=files, headers={"x-user": "clerk"})


async def test_upload_creates_then_recognises_a_duplicate(
    client: httpx.AsyncClient, channel: MailChannel
) -> None:
    first = await upload(client, small_png(1))
    assert first.status_code == 201
    body = first.json()
    assert body["duplicate"] is False
    assert body["interaction_id"] == f"mail-{body['letter_id']}"
    again = await upload(client, small_png(1), "other-name.png")
    assert again.status_code == 200
    assert again.json()["duplicate"] is True
    received = channel.service.kinds("mail.received")
    assert len(received) == 1
    assert received[0].data["submitted_by"] == "u-clerk"


async def test_upload_errors_carry_stable_ids(client: httpx.AsyncClient) -> None:
    bad = await upload(client, b"GIF89a" + b"\0" * 64, "x.gif")
    assert bad.status_code == 415
    assert bad.json()["error_id"] == "mail.unsupported_format"
    missing = await client.post(
        "/api/v1/mail/letters", data={"other": "x"}, headers={"x-user": "clerk"}
    )
    assert missing.status_code == 422
    assert missing.json()["error_id"] == "mail.file_missing"


async def test_upload_over_the_cap_is_refused_from_its_length(
    client: httpx.AsyncClient, channel: MailChannel
) -> None:
    resp = await upload(client, small_png() + b"\0" * (channel.store.max_bytes + 100_000))
    assert resp.status_code == 413
    assert resp.json()["error_id"] == "mail.too_large"


async def test_supervisor_reads_pages_text_and_original(client: httpx.AsyncClient) -> None:
    data = small_png(2)
    lid = (await upload(client, data)).json()["letter_id"]
    boss = {"x-user": "boss"}
    meta = (await client.get(f"/api/v1/mail/letters/{lid}", headers=boss)).json()
    assert meta["format"] == "png" and meta["pages"] == 1
    assert meta["committed"]["interaction_id"] == f"mail-{lid}"
    pages = (await client.get(f"/api/v1/mail/letters/{lid}/pages", headers=boss)).json()
    assert [p["page"] for p in pages] == [1]
    image = await client.get(pages[0]["image_url"], headers=boss)
    assert image.headers["content-type"] == "image/png"
    assert Image.open(BytesIO(image.content)).size == (64, 48)
    page_text = await client.get(pages[0]["text_url"], headers=boss)
    assert page_text.json()["status"] == "ok"
    whole = (await client.get(f"/api/v1/mail/letters/{lid}/text", headers=boss)).json()
    assert whole["status"] == "ok" and len(whole["pages"]) == 1
    original = await client.get(f"/api/v1/mail/letters/{lid}/original", headers=boss)
    assert original.content == data
    assert original.headers["content-type"] == "image/png"
    for url in (
        f"/api/v1/mail/letters/{lid}/pages/2/image",
        f"/api/v1/mail/letters/{lid}/pages/0/text",
    ):
        missing = await client.get(url, headers=boss)
        assert missing.status_code == 404
        assert missing.json()["error_id"] == "mail.page_not_found"


@pytest.mark.parametrize("letter_id", ["abc", "0" * 31, "Z" * 32, "0" * 32, "0" * 32 + ".."])
async def test_unknown_or_malformed_ids_are_404(client: httpx.AsyncClient, letter_id: str) -> None:
    resp = await client.get(f"/api/v1/mail/letters/{letter_id}/text", headers={"x-user": "boss"})
    assert resp.status_code == 404
    assert resp.json()["error_id"] == "mail.letter_not_found"


async def test_path_traversal_never_reaches_the_disk(client: httpx.AsyncClient) -> None:
    resp = await client.get(
        "/api/v1/mail/letters/..%2F..%2Fetc/original", headers={"x-user": "boss"}
    )
    assert resp.status_code == 404


async def test_agent_sees_and_completes_only_the_letter_assigned_to_them(
    client: httpx.AsyncClient, channel: MailChannel
) -> None:
    lid = (await upload(client, small_png(3))).json()["letter_id"]
    iid = f"mail-{lid}"
    agent = {"x-user": "agent"}
    url = f"/api/v1/mail/letters/{lid}"
    assert (await client.get(url, headers=agent)).status_code == 404  # not theirs yet

    svc = channel.service
    await svc.login("a1")
    await svc.set_presence("a1", "ready")
    assert svc.centre.interactions[iid].status.value == "offered"
    await svc.accept(iid, "a1")
    assert (await client.get(url, headers=agent)).status_code == 200
    assert (await client.get(url, headers={"x-user": "clerk"})).status_code == 404

    boss_try = await client.post(
        f"{url}/outcome", json={"outcome": "answered_phone"}, headers={"x-user": "boss"}
    )
    assert boss_try.status_code == 403
    wrong = await client.post(f"{url}/outcome", json={"outcome": "shredded"}, headers=agent)
    assert (wrong.status_code, wrong.json()["error_id"]) == (422, "mail.invalid_outcome")
    no_target = await client.post(f"{url}/outcome", json={"outcome": "forwarded"}, headers=agent)
    assert no_target.status_code == 422
    done = await client.post(
        f"{url}/outcome",
        json={"outcome": "forwarded", "forwarded_to": "SIP Lyon", "notes": "dossier transmis"},
        headers=agent,
    )
    assert done.status_code == 204
    item = svc.centre.interactions[iid]
    assert item.status.value == "completed"
    assert item.disposition == "forwarded"
    assert item.notes == "forwarded_to: SIP Lyon\ndossier transmis"
    again = await client.post(f"{url}/outcome", json={"outcome": "answered_letter"}, headers=agent)
    assert (again.status_code, again.json()["error_id"]) == (409, "interaction.cannot_complete")


async def test_default_deps_require_a_session(channel: MailChannel) -> None:
    app = app_for(channel, MailApiDeps())
    app.state.runtime = SimpleNamespace(sessions={})
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        resp = await c.get(f"/api/v1/mail/letters/{'0' * 32}")
        assert resp.status_code == 401
        assert resp.json()["error_id"] == "auth.required"
        up = await c.post("/api/v1/mail/letters", files={"file": ("a.png", small_png())})
        assert up.status_code == 401
    assert channel.service.events == []


async def test_supervisors_see_only_letters_of_their_scope(
    client: httpx.AsyncClient, channel: MailChannel
) -> None:
    lid = (await upload(client, small_png(4))).json()["letter_id"]
    queue = channel.service.centre.interactions[f"mail-{lid}"].queue_id
    assert queue == "mail-general"  # at Toulouse
    base = f"/api/v1/mail/letters/{lid}"
    urls = [base, f"{base}/text", f"{base}/original", f"{base}/pages"]
    for user, expected in (("near", 200), ("boss", 200), ("admin", 200), ("far", 404)):
        codes = [(await client.get(u, headers={"x-user": user})).status_code for u in urls]
        assert codes == [expected] * len(urls), user
    far = await client.get(urls[0], headers={"x-user": "far"})
    assert far.json()["error_id"] == "mail.letter_not_found"  # same as an unknown letter
