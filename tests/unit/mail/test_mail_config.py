"""The [mail] section, its checks against the queues, and the channel's lifecycle."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

import pytest
from mail_fakes import JournalService, small_png
from pydantic import ValidationError

from standardiste.channels.mail.channel import MailChannel
from standardiste.channels.mail.config import MailSettings, build_mail_router, problems
from standardiste.config import Queue

DAY = 86_400


def queues() -> list[Queue]:
    return [
        Queue(id="voice-1", channel="voice", keywords=["impot"]),
        Queue(id="mail-general", channel="mail"),
        Queue(
            id="mail-impots",
            channel="mail",
            keywords=["impot", "imposition"],
            service_level={"percent": 90, "seconds": 15 * DAY},
        ),
        Queue(id="mail-recouvrement", channel="mail"),
    ]


def test_settings_parse_and_refuse_unknown_keys() -> None:
    s = MailSettings.model_validate(
        {
            "inbox": "/srv/mailroom/in",
            "rules": [{"queue": "mail-recouvrement", "keywords": ["echeancier"]}],
            "holidays": ["2026-05-01"],
            "business_days": True,
        }
    )
    assert s.inbox == Path("/srv/mailroom/in")
    assert s.holidays == [date(2026, 5, 1)]
    with pytest.raises(ValidationError):
        MailSettings.model_validate({"inbx": "/typo"})
    with pytest.raises(ValidationError, match="time zone"):
        MailSettings.model_validate({"timezone": "Europe/Atlantis"})
    with pytest.raises(ValidationError):
        MailSettings.model_validate({"rules": [{"queue": "q", "keywords": []}]})


def test_problems_name_unknown_queues() -> None:
    s = MailSettings.model_validate(
        {
            "default_queue": "voice-1",
            "rules": [{"queue": "nowhere", "keywords": ["x"]}],
            "service_days": {"mail-general": 20, "ghost": 3},
        }
    )
    assert problems(s, queues()) == [
        "mail.default_queue: 'voice-1' is not a mail queue",
        "mail.rules[0].queue: 'nowhere' is not a mail queue",
        "mail.service_days: 'ghost' is not a mail queue",
    ]
    # No mail queue is fine for a centre without postal mail, not once mail is configured.
    assert problems(MailSettings(), queues()[:1]) == []
    inbox = MailSettings.model_validate({"inbox": "/tmp/inbox"})
    assert problems(inbox, queues()[:1]) == ["mail: no queue has channel = 'mail'"]
    with pytest.raises(ValueError, match="nowhere"):
        build_mail_router(s, queues())


def test_router_from_config_rules_then_queue_keywords() -> None:
    s = MailSettings.model_validate(
        {
            "rules": [{"queue": "mail-recouvrement", "keywords": ["echeancier", "impot"]}],
            "service_days": {"mail-recouvrement": 10},
        }
    )
    router = build_mail_router(s, queues())
    assert router.default_queue == "mail-general"  # the first mail queue
    assert router.route("un echeancier").queue_id == "mail-recouvrement"
    assert router.route("avis d'imposition").queue_id == "mail-impots"
    # One hit each: the [[mail.rules]] entry comes first and wins the tie.
    assert router.route("impot").queue_id == "mail-recouvrement"
    assert router.service_days("mail-impots") == 15  # from the queue's service level
    assert router.service_days("mail-recouvrement") == 10
    assert router.service_days("mail-general") == 30  # 20 s voice default is ignored


async def test_channel_lifecycle_watches_the_inbox(tmp_path: Path) -> None:
    service = JournalService()
    s = MailSettings(inbox=tmp_path / "in", poll_interval_s=0.02)
    ch = MailChannel(
        s,
        data_dir=tmp_path / "data",
        router=build_mail_router(s, queues()),
        service=service,
        wall=lambda: 1_767_225_600.0,
    )
    await ch.start()
    assert ch.tool_problems == []
    assert ch.status() == {"watching": str(tmp_path / "in"), "tool_problems": []}
    (tmp_path / "in" / "a.png").write_bytes(small_png(60))
    for _ in range(250):
        if (tmp_path / "in" / "processed" / "a.png").exists():
            break
        await asyncio.sleep(0.02)
    ch.close()
    await ch.wait_closed()
    (created,) = service.kinds("interaction.created")
    assert created.data["queue_id"] == "mail-general"
    assert (tmp_path / "data" / "mail" / "letters").is_dir()


async def test_channel_reports_missing_tools(tmp_path: Path) -> None:
    s = MailSettings(ocr_languages="fra+klingon")
    ch = MailChannel(
        s,
        data_dir=tmp_path,
        router=build_mail_router(s, queues()),
        service=JournalService(),
        wall=lambda: 0.0,
    )
    await ch.start()
    assert len(ch.tool_problems) == 1
    assert "klingon" in ch.tool_problems[0]
    assert ch.watcher is None
    ch.close()
    await ch.wait_closed()
