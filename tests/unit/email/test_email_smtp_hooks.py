"""Inbound SMTP handler hooks: relay refusal, rate limit, durable store before 250."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from aiosmtpd.smtp import Envelope, Session

from standardiste.channels.email.ratelimit import RateLimiter
from standardiste.channels.email.smtp_in import ContactHandler, InboundEnvelope, trace_envelope
from standardiste.channels.email.spool import Spool
from standardiste.domain.clock import FakeClock


class RecordingSink:
    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.accepted: list[tuple[Path, InboundEnvelope, bytes]] = []
        self.handed: list[bytes | None] = []

    async def accept(
        self, path: Path, envelope: InboundEnvelope, *, raw: bytes | None = None
    ) -> str:
        # Read at commit time: the file must already be complete under its final name.
        data = await asyncio.to_thread(path.read_bytes)
        self.handed.append(raw)
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
    assert data.startswith(
        b"Return-Path: <jeanne@example.org>\r\nDelivered-To: contact@impots.example\r\n"
        b"Received: from client.example"
    )
    assert not any(line.startswith(b"X-Injected") for line in data.split(b"\r\n"))
    assert data.endswith(b"Subject: x\r\n\r\nbody\r\n")
    assert envelope.rcpt_tos == ("contact@impots.example",) and envelope.size == len(data)
    assert list((tmp_path / "inbound" / "tmp").iterdir()) == []
    assert sink.handed == [data]  # a small message is handed over in memory, same bytes
    # The file alone is enough to commit it after a crash: the envelope is in its trace.
    rebuilt = trace_envelope(data, envelope.spool_id, len(data))
    assert rebuilt is not None
    assert (rebuilt.mail_from, rebuilt.rcpt_tos, rebuilt.peer, rebuilt.size) == (
        "jeanne@example.org", ("contact@impots.example",), "127.0.0.1", len(data),
    )  # fmt: skip
    assert rebuilt.received_at == envelope.received_at
    assert rebuilt.helo == "client.exampleX-Injected: 1"  # cleaned: one line


async def test_trace_keeps_every_recipient_and_rejects_foreign_files(tmp_path: Path) -> None:
    sink = RecordingSink()
    handler = _handler(tmp_path, sink, FakeClock())
    env = Envelope()
    env.mail_from = ""
    env.rcpt_tos = ["contact@impots.example", "Contact@Impots.Example"]
    env.original_content = b"Subject: x\r\n\r\nbody\r\n"
    await handler.handle_DATA(None, _session(), env)  # type: ignore[arg-type]
    _, envelope, data = sink.accepted[0]
    rebuilt = trace_envelope(data, envelope.spool_id, len(data))
    assert rebuilt is not None and rebuilt.mail_from == ""
    assert rebuilt.rcpt_tos == ("contact@impots.example", "Contact@Impots.Example")
    # Another id (a copy, or a message quoting one of our trace blocks) is not ours.
    assert trace_envelope(data, "00000000000000000001-000000000000", len(data)) is None
    # A raw IMAP message has no trace block of ours.
    assert trace_envelope(b"Subject: x\r\n\r\nbody\r\n", envelope.spool_id, 20) is None
    # Our block further down (quoted by a sender) does not count either.
    assert trace_envelope(b"X-A: 1\r\n" + data, envelope.spool_id, len(data) + 9) is None


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
async def test_sweep_recovers_claimed_files_and_moves_the_rest_aside(
    tmp_path: Path, committed: set[str]
) -> None:
    spool = Spool(tmp_path / "in")
    spool.prepare()
    spool.store("a", [b"1"])
    spool.store("b", [b"2"])
    spool.store("c", [b"smtp"])
    (tmp_path / "in" / "tmp" / "d.eml").write_bytes(b"partial")

    async def is_committed(spool_id: str) -> bool:
        return spool_id in committed

    def recover(path: Path, spool_id: str) -> tuple[str, bytes] | None:
        data = path.read_bytes()
        return (spool_id, data) if data == b"smtp" else None

    recovered, orphans = await spool.sweep(is_committed, recover)
    assert recovered == [("c", b"smtp")]
    assert orphans == sorted({"a", "b"} - committed)
    assert spool.ids() == sorted(committed | {"c"})
    assert sorted(p.stem for p in (tmp_path / "in" / "orphans").iterdir()) == orphans
    assert list((tmp_path / "in" / "tmp").iterdir()) == []
