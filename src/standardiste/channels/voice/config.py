"""The ``[voice]`` configuration section (validated by the voice channel when it is wired)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

#: Documented demo SIP password of every extension when ``security.demo`` is on (docs/voice.md).
DEMO_SIP_PASSWORD = "demo-sip"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Entry(_Model):
    """A number callers dial: notice, then a menu (digit -> queue) or a direct queue."""

    number: str
    queue: str | None = None  # direct entry: no menu
    menu: dict[str, str] = Field(default_factory=dict)  # DTMF digit -> queue id
    notice: bool = True  # play "this call may be recorded" first (R-REC information duty)
    private: bool = False  # a private or representatives' line: never campaign-recorded (R-REC-4)
    language: Literal["fr", "en"] | None = None

    @model_validator(mode="after")
    def _one_target(self) -> Entry:
        if (self.queue is None) == (not self.menu):
            raise ValueError("give exactly one of queue or menu")
        if any(len(d) != 1 or d not in "0123456789*#" for d in self.menu):
            raise ValueError("menu keys are single DTMF digits")
        return self


class VoiceConfig(_Model):
    """Everything the voice channel reads from the configuration file."""

    language: Literal["fr", "en"] = "fr"
    realm: str = "standardiste"
    #: digest algorithms the registrar offers, in order (RFC 8760 §2.4); ["MD5"] for old phones
    #: such as baresip 1.0, which give up on the first non-MD5 challenge.
    digest_algorithms: tuple[Literal["SHA-256", "MD5"], ...] = Field(
        ("SHA-256", "MD5"), min_length=1
    )
    entries: list[Entry] = Field(default_factory=list)
    #: extension -> SIP digest password (in production from the secret store via the file).
    passwords: dict[str, str] = Field(default_factory=dict)
    #: extension -> SIP URI of a phone that does not register.
    static_contacts: dict[str, str] = Field(default_factory=dict)
    menu_timeout_s: float = Field(6.0, gt=0)
    menu_attempts: int = Field(2, ge=1)
    announce_position: bool = True
    auto_answer: bool = False  # send Call-Info/Alert-Info auto-answer on every offer
    media_workers: int = Field(1, ge=1)
    ring_margin_s: float = Field(2.0, ge=0)  # the domain's offer timer decides; SIP is a backstop
    #: a paused recording (card number read out, PCI DSS) resumes by itself after this (R-REC-8)
    recording_max_pause_s: float = Field(120.0, gt=0, le=900)
    #: new calls get 503 + Retry-After while the event loop lags more than this (0: never)
    overload_lag_ms: float = Field(200.0, ge=0)
    overload_retry_after_s: int = Field(5, ge=1, le=3600)

    def entry(self, number: str) -> Entry | None:
        """Return the entry point for a dialled number."""
        return next((e for e in self.entries if e.number == number), None)


def load_voice_config(raw: dict[str, Any], queues: set[str]) -> VoiceConfig:
    """Validate ``[voice]`` and check that every queue it names exists."""
    cfg = VoiceConfig.model_validate(raw)
    for entry in cfg.entries:
        for queue in [entry.queue, *entry.menu.values()]:
            if queue is not None and queue not in queues:
                raise ValueError(f"voice entry {entry.number}: unknown queue {queue!r}")
    return cfg
