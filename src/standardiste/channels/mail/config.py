"""The `[mail]` configuration section and the keyword router it builds."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

from standardiste.channels.mail.routing_rules import KeywordRule, MailRouter

_DAY_S = 86_400


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class KeywordRuleSettings(_Model):
    """`[[mail.rules]]`: letters whose OCR text has one of `keywords` go to `queue`."""

    queue: str
    keywords: list[str] = Field(min_length=1)


class MailSettings(_Model):
    """`[mail]`: intake folder, limits, OCR, routing rules and service levels in days."""

    inbox: Path | None = None
    processed_dir: Path | None = None
    rejected_dir: Path | None = None
    poll_interval_s: float = Field(2.0, gt=0)
    retry_s: float = Field(5.0, gt=0)
    max_bytes: int = Field(40 * 1024 * 1024, gt=0)
    max_pages: int = Field(50, ge=1, le=500)
    page_side_px: int = Field(2480, ge=600, le=10_000)
    ocr_languages: str = "fra+eng"
    ocr_timeout_s: float = Field(60.0, gt=0)
    ocr_concurrency: int = Field(1, ge=1, le=16)
    default_queue: str | None = None
    rules: list[KeywordRuleSettings] = Field(default_factory=list)
    service_days: dict[str, int] = Field(default_factory=dict)
    default_service_days: int = Field(30, ge=0)
    business_days: bool = False
    holidays: list[date] = Field(default_factory=list)
    timezone: str = "Europe/Paris"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as err:
            raise ValueError(f"unknown time zone {value!r}") from err
        return value


class QueueLike(Protocol):
    """What the router needs from a configured queue (`standardiste.config.Queue`)."""

    id: str
    channel: Any
    keywords: list[str]
    service_level: Any


def mail_queues(queues: Iterable[QueueLike]) -> list[QueueLike]:
    """Return the queues of the postal-mail channel."""
    return [q for q in queues if str(getattr(q.channel, "value", q.channel)) == "mail"]


def problems(settings: MailSettings, queues: Iterable[QueueLike]) -> list[str]:
    """Return configuration problems (for `config check`); empty when usable."""
    ids = {q.id for q in mail_queues(queues)}
    found = []
    # A centre without postal mail is valid; asking for mail features without a queue is not.
    if not ids and (settings.inbox or settings.rules or settings.default_queue):
        found.append("mail: no queue has channel = 'mail'")
    if settings.default_queue is not None and settings.default_queue not in ids:
        found.append(f"mail.default_queue: {settings.default_queue!r} is not a mail queue")
    for i, rule in enumerate(settings.rules):
        if rule.queue not in ids:
            found.append(f"mail.rules[{i}].queue: {rule.queue!r} is not a mail queue")
    for queue_id in settings.service_days:
        if queue_id not in ids:
            found.append(f"mail.service_days: {queue_id!r} is not a mail queue")
    return found


def build_mail_router(settings: MailSettings, queues: Iterable[QueueLike]) -> MailRouter:
    """Build the router: `[[mail.rules]]` first, then each mail queue's own `keywords`."""
    mqueues = mail_queues(queues)
    issues = problems(settings, mqueues)
    if issues:
        raise ValueError("; ".join(issues))
    rules = [KeywordRule(r.queue, tuple(r.keywords)) for r in settings.rules]
    rules += [KeywordRule(q.id, tuple(q.keywords)) for q in mqueues if q.keywords]
    days = {}
    for q in mqueues:
        # A queue's service level is in seconds; only a target of a day or more is meaningful
        # for letters (the 20 s default is a voice target).
        seconds = float(getattr(q.service_level, "seconds", 0) or 0)
        if seconds >= _DAY_S:
            days[q.id] = round(seconds / _DAY_S)
    days.update(settings.service_days)
    return MailRouter(
        rules,
        settings.default_queue or mqueues[0].id,
        service_days=days,
        default_days=settings.default_service_days,
        business_days=settings.business_days,
        holidays=settings.holidays,
        tz=settings.timezone,
    )
