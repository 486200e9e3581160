"""Inbound SMTP handler hooks: relay refusal, rate limit, durable store before 250."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from aiosmtpd.smtp import Envelope, Session

from standardiste.channels.email.ratelimit import RateLimiter
from standardiste.channels.email.smtp_in import ContactHandler, InboundEnvelope
from standardiste.channels.email.spool import Spool
from standardiste.domain.clock import FakeClock


class RecordingSink:
    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.accepted: list[tuple[Path, InboundEnvelope, bytes]] = []

    async def accept(self, path: Path, envelope: InboundEnvelope) -> str:
        # Read at commit time: the file must already be complete under its final name.
        data = await asyncio.to_thread(path.read_bytes)
        if self.fail:
            raise RuntimeError("log unavailable")
        self.accepted.append((path, envelope, data))
        return f"msg-{len(self.accepted)}"


def _handler(
    tmp_path: Path, sink: RecordingSink, clock: FakeClock, limit: int = 3
) -> ContactHandler:
    spool = Spool(tmp_path / "inbound")
    spool.prepare()
    return ContactHandler(
        addresses=["Contact@Impots.Example"],
        spool=spool,
        sink=sink,
        clock=clock,
        sender_limiter=RateLimiter(clock, limit=limit, window_s=60),
    )


def _session() -> Session:
    session = Session(loop=None)  # type: ignore[arg-type]
    session.peer = ("127.0.0.1", 40000)
    session.host_name = "client.example\r\nX-Injected: 1"
    return session


async def test_rcpt_accepts_only_contact_addresses(tmp_path: Path) -> None:
    handler = _handler(tmp_path, RecordingSink(), FakeClock())
    env = Envelope()
    ok = await handler.handle_RCPT(None, _session(), env, "<contact@IMPOTS.example>", [])  # type: ignore[arg-type]
    relay = await handler.handle_RCPT(None, _session(), env, "victim@elsewhere.example", [])  # type: ignore[arg-type]
    assert ok.startswith("250") and relay.startswith("550 5.1.1")
    assert env.rcpt_tos == ["<contact@IMPOTS.example>"]


async def test_rate_limit_per_sender_then_recovers(tmp_path: Path) -> None:
    clock = FakeClock()
    handler = _handler(tmp_path, RecordingSink(), clock, limit=2)
    codes = [
        (await handler.handle_MAIL(None, _session(), Envelope(), "a@x.org", []))[:9]  # type: ignore[arg-type]
        for _ in range(3)
    ]
    other = await handler.handle_MAIL(None, _session(), Envelope(), "b@x.org", [])  # type: ignore[arg-type]
    assert codes == ["250 2.1.0", "250 2.1.0", "451 4.7.1"]
    assert other.startswith("250")
    clock.advance(61)
    again = await handler.handle_MAIL(None, _session(), Envelope(), "A@X.ORG", [])  # type: ignore[arg-type]
    assert again.startswith("250")


async def test_data_is_stored_before_commit_with_trace_headers(tmp_path: Path) -> None:
    sink = RecordingSink()
    handler = _handler(tmp_path, sink, FakeClock())
    env = Envelope()
    env.mail_from = "jeanne@example.org"
    env.rcpt_tos = ["contact@impots.example"]
    env.original_content = b"Subject: x\r\n\r\nbody\r\n"
    reply = await handler.handle_DATA(None, _session(), env)  # type: ignore[arg-type]
    assert reply == "250 2.0.0 OK queued as msg-1"
    path, envelope, data = sink.accepted[0]
    assert path.parent == tmp_path / "inbound" and path.read_bytes() == data
    assert data.startswith(b"Return-Path: <jeanne@example.org>\r\nReceived: from client.example")
    assert not any(line.startswith(b"X-Injected") for line in data.split(b"\r\n"))
    assert data.endswith(b"Subject: x\r\n\r\nbody\r\n")
    assert envelope.rcpt_tos == ("contact@impots.example",) and envelope.size == len(data)
    assert list((tmp_path / "inbound" / "tmp").iterdir()) == []


async def test_sink_failure_answers_451_and_leaves_no_file(tmp_path: Path) -> None:
    handler = _handler(tmp_path, RecordingSink(fail=True), FakeClock())
    env = Envelope()
    env.mail_from = "a@x.org"
    env.rcpt_tos = ["contact@impots.example"]
    env.original_content = b"Subject: x\r\n\r\nbody\r\n"
    reply = await handler.handle_DATA(None, _session(), env)  # type: ignore[arg-type]
    assert reply.startswith("451 4.3.0")
    assert handler.spool.ids() == []


async def test_closing_handler_refuses_new_transactions(tmp_path: Path) -> None:
    handler = _handler(tmp_path, RecordingSink(), FakeClock())
    handler.closing = True
    reply = await handler.handle_MAIL(None, _session(), Envelope(), "a@x.org", [])  # type: ignore[arg-type]
    assert reply.startswith("421")


@pytest.mark.parametrize("committed", [{"b"}, set()])
async def test_sweep_moves_uncommitted_files_aside(tmp_path: Path, committed: set[str]) -> None:
    spool = Spool(tmp_path / "in")
    spool.prepare()
    spool.store("a", [b"1"])
    spool.store("b", [b"2"])
    (tmp_path / "in" / "tmp" / "c.eml").write_bytes(b"partial")

    async def is_committed(spool_id: str) -> bool:
        return spool_id in committed

    orphans = await spool.sweep(is_committed)
    assert orphans == sorted({"a", "b"} - committed)
    assert spool.ids() == sorted(committed)
    assert sorted(p.stem for p in (tmp_path / "in" / "orphans").iterdir()) == orphans
    assert list((tmp_path / "in" / "tmp").iterdir()) == []
