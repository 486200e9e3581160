"""Digest (MD5, SHA-256, qop=auth, stale nonces) and registrar bindings."""

from __future__ import annotations

import logging

import pytest

from standardiste.channels.sip.digest import (
    NonceManager,
    build_authorization,
    digest_response,
    parse_auth,
)
from standardiste.channels.sip.message import SipRequest, SipResponse, parse_message
from standardiste.channels.sip.registrar import Registrar

SECRETS = {"1001": "s3cret-pw"}


async def lookup(username: str) -> str | None:
    return SECRETS.get(username)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def register(
    contact: str = "<sip:1001@127.0.0.1:5070>",
    *,
    cseq: int = 1,
    auth: str | None = None,
    expires: str | None = None,
    user: str = "1001",
) -> SipRequest:
    lines = [
        "REGISTER sip:127.0.0.1 SIP/2.0",
        "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK" + str(cseq),
        f"From: <sip:{user}@127.0.0.1>;tag=r1",
        f"To: <sip:{user}@127.0.0.1>",
        "Call-ID: reg-1",
        f"CSeq: {cseq} REGISTER",
        f"Contact: {contact}",
    ]
    if expires is not None:
        lines.append(f"Expires: {expires}")
    if auth is not None:
        lines.append(f"Authorization: {auth}")
    msg = parse_message(("\r\n".join(lines) + "\r\n\r\n").encode())
    assert isinstance(msg, SipRequest)
    return msg


def test_rfc_2617_md5_vector_without_qop() -> None:
    # RFC 2069/2617-style computation cross-checked with an independent implementation
    import hashlib

    ha1 = hashlib.md5(b"u:r:p").hexdigest()
    ha2 = hashlib.md5(b"REGISTER:sip:h").hexdigest()
    expected = hashlib.md5(f"{ha1}:n:{ha2}".encode()).hexdigest()
    assert digest_response("MD5", "u", "r", "p", "REGISTER", "sip:h", "n") == expected


def test_rfc_7616_sha256_example() -> None:
    # RFC 7616 §3.9.1 example (HTTP, but the same computation)
    resp = digest_response(
        "SHA-256",
        "Mufasa",
        "http-auth@example.org",
        "Circle of Life",
        "GET",
        "/dir/index.html",
        "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
        "00000001",
        "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
        "auth",
    )
    assert resp == "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"


def test_parse_auth_handles_quoted_commas() -> None:
    scheme, p = parse_auth('Digest realm="a, b", nonce="x", qop="auth,auth-int", algorithm=MD5')
    assert scheme == "Digest" and p["realm"] == "a, b" and p["qop"] == "auth,auth-int"


def test_nonce_expiry_and_replay() -> None:
    clock = Clock()
    nonces = NonceManager(ttl=60, clock=clock)
    nonce = nonces.new()
    assert nonces.check(nonce) == "ok"
    assert nonces.check(nonce[:-2] + "AA") == "invalid"
    assert nonces.check("not base64 !") == "invalid"
    assert nonces.accept_nc(nonce, 1) and nonces.accept_nc(nonce, 2)
    assert not nonces.accept_nc(nonce, 2)
    clock.now += 61
    assert nonces.check(nonce) == "stale"


@pytest.mark.parametrize("algorithm", ["MD5", "SHA-256"])
async def test_register_challenge_then_bind(
    algorithm: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    clock = Clock()
    reg = Registrar(lookup, realm="standardiste", clock=clock, algorithms=("SHA-256", "MD5"))
    first = await reg.handle_register(register())
    assert first.status == 401
    challenges = first.headers.get_all("WWW-Authenticate")
    assert [parse_auth(c)[1]["algorithm"] for c in challenges] == ["SHA-256", "MD5"]
    challenge = next(c for c in challenges if f"algorithm={algorithm}" in c)
    auth = build_authorization(challenge, "1001", "s3cret-pw", "REGISTER", "sip:127.0.0.1")
    ok = await reg.handle_register(register(cseq=2, auth=auth, expires="120"))
    assert ok.status == 200
    assert ok.header("Contact") == "<sip:1001@127.0.0.1:5070>;expires=120"
    assert [str(u) for u in reg.lookup("1001")] == ["sip:1001@127.0.0.1:5070"]
    clock.now += 121
    assert reg.lookup("1001") == []  # binding expired
    assert "s3cret-pw" not in caplog.text


async def test_wrong_password_and_replayed_nc_and_stale() -> None:
    clock = Clock()
    reg = Registrar(lookup, realm="standardiste", clock=clock, algorithms=("MD5",))
    reg.nonces._clock = clock
    challenge = (await reg.handle_register(register())).header("WWW-Authenticate") or ""
    bad = build_authorization(challenge, "1001", "wrong", "REGISTER", "sip:127.0.0.1")
    assert (await reg.handle_register(register(cseq=2, auth=bad))).status == 403
    good = build_authorization(challenge, "1001", "s3cret-pw", "REGISTER", "sip:127.0.0.1")
    assert (await reg.handle_register(register(cseq=3, auth=good))).status == 200
    replay = await reg.handle_register(register(cseq=4, auth=good))
    assert replay.status == 401 and "stale=true" in (replay.header("WWW-Authenticate") or "")
    clock.now += 301
    later = build_authorization(challenge, "1001", "s3cret-pw", "REGISTER", "sip:127.0.0.1", nc=9)
    stale = await reg.handle_register(register(cseq=5, auth=later))
    assert stale.status == 401 and "stale=true" in (stale.header("WWW-Authenticate") or "")
    other = build_authorization(challenge, "1001", "s3cret-pw", "REGISTER", "sip:127.0.0.1")
    assert (await reg.handle_register(register(cseq=6, auth=other, user="1002"))).status in (
        401,
        403,
    )


async def _authorised(reg: Registrar, **kw: object) -> SipResponse:
    challenge = (await reg.handle_register(register())).header("WWW-Authenticate") or ""
    auth = build_authorization(challenge, "1001", "s3cret-pw", "REGISTER", "sip:127.0.0.1")
    return await reg.handle_register(register(auth=auth, **kw))  # type: ignore[arg-type]


async def test_bindings_min_expires_wildcard_and_static() -> None:
    changes: list[tuple[str, list[str]]] = []
    reg = Registrar(
        lookup,
        realm="r",
        algorithms=("MD5",),
        static={"2000": "sip:desk@10.0.0.9"},
        on_change=lambda ext, uris: changes.append((ext, [str(u) for u in uris])),
    )
    too_short = await _authorised(reg, cseq=2, expires="10")
    assert too_short.status == 423 and too_short.header("Min-Expires") == "60"
    ok = await _authorised(
        reg, cseq=3, contact="<sip:1001@10.0.0.1>;expires=90, <sip:1001@10.0.0.2>"
    )
    assert ok.status == 200 and len(ok.headers.get_all("Contact")) == 2
    assert changes[-1] == ("1001", ["sip:1001@10.0.0.1", "sip:1001@10.0.0.2"])
    old = await _authorised(reg, cseq=2, contact="<sip:1001@10.0.0.1>")
    assert old.status == 500  # same Call-ID, lower CSeq (§10.3 step 7)
    gone = await _authorised(reg, cseq=9, contact="*", expires="0")
    assert gone.status == 200 and reg.lookup("1001") == []
    assert [str(u) for u in reg.lookup("2000")] == ["sip:desk@10.0.0.9"]
    reg.set_static("2000", None)
    assert reg.lookup("2000") == []
