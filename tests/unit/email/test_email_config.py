"""`[email]` settings: problems reported for `config check`, routing built from the queues."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from pydantic import ValidationError

from standardiste.channels.email.config import (
    EmailSettings,
    ImapMailbox,
    KeywordRuleSettings,
    SmtpListen,
    build_routing,
    problems,
)

QUEUES = [
    SimpleNamespace(id="q-ir", channel="email", addresses=["ir@impots.example"], keywords=[]),
    SimpleNamespace(id="q-succ", channel="email", addresses=[], keywords=["succession"]),
    SimpleNamespace(id="q-voice", channel="voice", addresses=[], keywords=[]),
]


def test_routing_from_queues_and_rules() -> None:
    settings = EmailSettings(
        smtp=SmtpListen(),
        rules=[KeywordRuleSettings(queue="q-ir", keywords=["prélèvement"])],
    )
    routing = build_routing(settings, QUEUES)
    assert routing.queue_for(("IR@impots.example",), "Bonjour", "") == "q-ir"
    assert routing.queue_for(("ir@impots.example",), "Succession de M. X", "") == "q-succ"
    assert routing.queue_for(("ir@impots.example",), "x", "mon prélèvement à la source") == "q-ir"
    assert routing.queue_for(("ir@impots.example",), "successions?", "") == "q-ir"  # whole word


def test_problems_are_reported() -> None:
    settings = EmailSettings(
        smtp=SmtpListen(), default_queue="q-voice",
        rules=[KeywordRuleSettings(queue="nope", keywords=["x"])],
        imap=[ImapMailbox(host="h", username="u", password="p", contact_address="other@x")],
        ack={"enabled": True},
    )  # fmt: skip
    found = problems(settings, QUEUES)
    assert any("default_queue" in p for p in found)
    assert any("rules[0]" in p for p in found)
    assert any("imap[0]" in p for p in found)
    assert any("email.ack" in p for p in found)
    with pytest.raises(ValueError, match="default_queue"):
        build_routing(settings, QUEUES)


def test_password_is_secret_and_unknown_keys_rejected() -> None:
    box = ImapMailbox(host="h", username="u", password="hunter2", contact_address="a@b")
    assert "hunter2" not in repr(box) and "hunter2" not in str(box.model_dump())
    with pytest.raises(ValidationError):
        EmailSettings(smtp={"port": 25, "typo": 1})


def test_missing_tls_files_are_reported(tmp_path: Path) -> None:
    cert = tmp_path / "smtp.crt"
    cert.write_text("-----BEGIN CERTIFICATE-----\n")
    settings = EmailSettings(smtp=SmtpListen(tls_cert=cert, tls_key=tmp_path / "absent.key"))
    found = problems(settings, QUEUES)
    assert found == [f"email.smtp.tls_key: {tmp_path / 'absent.key'} is not a file"]
