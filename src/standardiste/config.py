"""The TOML configuration: typed models, cross-reference checks and errors with key paths."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from standardiste.channels.email.config import EmailSettings
from standardiste.channels.email.config import problems as email_problems
from standardiste.channels.mail.config import MailSettings
from standardiste.channels.mail.config import problems as mail_problems
from standardiste.domain.model import (
    AcwMode,
    AcwPolicy,
    AgentDef,
    CentreDef,
    Channel,
    Organisation,
    Overflow,
    QueueDef,
)
from standardiste.governance.pause_reasons import sensitive_terms
from standardiste.governance.register import GovernanceConfig

Level = int  # skill level 1..5
Role = Literal[
    "agent", "supervisor", "analyst", "admin", "dpo", "incident_officer", "legal_officer"
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CentreSection(_Model):
    name: str = "Standardiste"
    timezone: str = "Europe/Paris"
    language: Literal["fr", "en"] = "fr"
    pause_reasons: list[str] = Field(
        default_factory=lambda: ["break", "lunch", "meeting", "training", "technical"]
    )
    activities: list[str] = Field(
        default_factory=lambda: ["postal_mail", "email_processing", "back_office"]
    )
    dispositions: list[str] = Field(default_factory=lambda: ["answered", "callback", "forwarded"])
    short_abandon_s: float = Field(5.0, ge=0)
    # Finished interactions stay in the live projection (desktop lists, follow-ups to the
    # previous agent) this long; the event log and the reports keep everything.
    keep_finished_hours: float = Field(24.0, gt=0, le=24 * 31)
    # Which service-level formula reports and wallboards publish (docs/kpis.md).
    service_level_definition: Literal["offered", "answered", "short_abandon", "credit"] = (
        "short_abandon"
    )


class Region(_Model):
    id: str
    name: str = ""


class Site(_Model):
    id: str
    name: str = ""
    region: str


class Team(_Model):
    id: str
    name: str = ""
    site: str


class ServiceLevel(_Model):
    percent: float = Field(80, gt=0, le=100)
    seconds: float = Field(20, gt=0)


class AcwSection(_Model):
    mode: AcwMode = AcwMode.NONE
    seconds: float = Field(0, ge=0)
    disposition_required: bool = False


class OverflowRule(_Model):
    after: float = Field(gt=0)
    to_queue: str | None = None
    relax_to_level: int | None = Field(None, ge=1, le=5)


class Queue(_Model):
    id: str
    name: str = ""
    channel: Channel
    site: str | None = None
    skills: dict[str, int] = Field(default_factory=dict)
    priority: int = 0
    ageing_per_min: float = Field(1.0, ge=0)
    service_level: ServiceLevel = ServiceLevel()
    offer_timeout: float = Field(20, gt=0)
    acw: AcwSection = AcwSection()
    overflow: list[OverflowRule] = Field(default_factory=list)
    hours: dict[str, str] = Field(default_factory=dict)
    addresses: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)


class Agent(_Model):
    id: str
    name: str = ""
    team: str
    skills: dict[str, int] = Field(default_factory=dict)
    capacity: dict[Channel, int] = Field(
        default_factory=lambda: {Channel.VOICE: 1, Channel.EMAIL: 3, Channel.MAIL: 1}
    )
    interruptible_by: dict[Channel, list[Channel]] = Field(
        default_factory=lambda: {Channel.EMAIL: [Channel.VOICE]}
    )
    extension: str | None = None
    password_hash: str | None = None
    # Staff representatives are left out of campaign recording by default (R-REC-4).
    staff_representative: bool = False


class Scope(_Model):
    level: Literal["team", "site", "region", "national"] = "national"
    id: str | None = None


class User(_Model):
    id: str
    name: str = ""
    role: Role
    scope: Scope = Scope()
    password_hash: str | None = None


class Security(_Model):
    demo: bool = False
    session_minutes: int = Field(480, ge=5)
    k_anonymity: int = Field(5, ge=5)


class Config(_Model):
    centre: CentreSection = CentreSection()
    regions: list[Region] = Field(default_factory=list)
    sites: list[Site] = Field(default_factory=list)
    teams: list[Team] = Field(default_factory=list)
    queues: list[Queue] = Field(default_factory=list)
    agents: list[Agent] = Field(default_factory=list)
    users: list[User] = Field(default_factory=list)
    security: Security = Security()
    # The processing register validates itself (R-GOV); channel sections are validated by the
    # channel that owns them when it is wired.
    governance: GovernanceConfig = GovernanceConfig()
    voice: dict[str, Any] = Field(default_factory=dict)
    email: EmailSettings = EmailSettings()
    mail: MailSettings = MailSettings()


@dataclass(frozen=True, slots=True)
class ConfigIssue:
    """One error: where in the file (key path) and what is wrong."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class ConfigError(Exception):
    """A configuration that cannot be used; `issues` lists every problem found."""

    def __init__(self, issues: list[ConfigIssue]) -> None:
        super().__init__("; ".join(str(i) for i in issues))
        self.issues = issues


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(root)"


def _issues(error: Any) -> list[ConfigIssue]:
    """Turn one pydantic error into issues; section validators report "path: message" lines."""
    where = _path(tuple(error["loc"]))
    message = str(error["msg"]).removeprefix("Value error, ")
    out = []
    for line in message.splitlines():
        path, sep, text = line.partition(": ")
        if sep and " " not in path and path.startswith(where.split("[")[0]):
            out.append(ConfigIssue(path, text))
        else:
            out.append(ConfigIssue(where, line))
    return out


def parse_config(data: dict[str, Any]) -> Config:
    """Validate a configuration mapping; raise ConfigError listing every problem."""
    try:
        cfg = Config.model_validate(data)
    except ValidationError as err:
        raise ConfigError([i for e in err.errors() for i in _issues(e)]) from err
    issues = semantic_issues(cfg)
    if issues:
        raise ConfigError(issues)
    return cfg


def load_config(path: Path | str) -> Config:
    """Read and validate a TOML configuration file."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise ConfigError([ConfigIssue(str(path), "file not found")]) from err
    except tomllib.TOMLDecodeError as err:
        raise ConfigError([ConfigIssue(str(path), f"not valid TOML: {err}")]) from err
    return parse_config(data)


def _dupes(items: list[Any], section: str) -> list[ConfigIssue]:
    seen: set[str] = set()
    out = []
    for i, item in enumerate(items):
        if item.id in seen:
            out.append(ConfigIssue(f"{section}[{i}].id", f"duplicate id {item.id!r}"))
        seen.add(item.id)
    return out


def semantic_issues(cfg: Config) -> list[ConfigIssue]:
    """Return the cross-reference and policy problems of a structurally valid config."""
    issues: list[ConfigIssue] = []
    for section in ("regions", "sites", "teams", "queues", "agents", "users"):
        issues += _dupes(getattr(cfg, section), section)
    regions = {r.id for r in cfg.regions}
    sites = {s.id for s in cfg.sites}
    teams = {t.id for t in cfg.teams}
    queues = {q.id: q for q in cfg.queues}
    for i, s in enumerate(cfg.sites):
        if s.region not in regions:
            issues.append(ConfigIssue(f"sites[{i}].region", f"unknown region {s.region!r}"))
    for i, t in enumerate(cfg.teams):
        if t.site not in sites:
            issues.append(ConfigIssue(f"teams[{i}].site", f"unknown site {t.site!r}"))
    for i, q in enumerate(cfg.queues):
        if q.site is not None and q.site not in sites:
            issues.append(ConfigIssue(f"queues[{i}].site", f"unknown site {q.site!r}"))
        for skill, level in q.skills.items():
            if not 1 <= level <= 5:
                issues.append(ConfigIssue(f"queues[{i}].skills.{skill}", "level must be 1-5"))
        for j, rule in enumerate(q.overflow):
            where = f"queues[{i}].overflow[{j}]"
            if (rule.to_queue is None) == (rule.relax_to_level is None):
                issues.append(ConfigIssue(where, "give exactly one of to_queue, relax_to_level"))
            elif rule.to_queue is not None:
                target = queues.get(rule.to_queue)
                if target is None:
                    issues.append(
                        ConfigIssue(f"{where}.to_queue", f"unknown queue {rule.to_queue!r}")
                    )
                elif target.channel is not q.channel or target.id == q.id:
                    issues.append(
                        ConfigIssue(
                            f"{where}.to_queue", "must be another queue of the same channel"
                        )
                    )
        if q.acw.mode is AcwMode.TIMEBOXED and q.acw.seconds <= 0:
            issues.append(ConfigIssue(f"queues[{i}].acw.seconds", "timeboxed needs seconds > 0"))
    for i, a in enumerate(cfg.agents):
        if a.team not in teams:
            issues.append(ConfigIssue(f"agents[{i}].team", f"unknown team {a.team!r}"))
        for skill, level in a.skills.items():
            if not 1 <= level <= 5:
                issues.append(ConfigIssue(f"agents[{i}].skills.{skill}", "level must be 1-5"))
    user_ids = {a.id for a in cfg.agents}
    for i, u in enumerate(cfg.users):
        if u.id in user_ids:
            issues.append(ConfigIssue(f"users[{i}].id", f"{u.id!r} is already an agent"))
        known = {"team": teams, "site": sites, "region": regions}.get(u.scope.level)
        if known is not None and u.scope.id not in known:
            issues.append(
                ConfigIssue(f"users[{i}].scope.id", f"unknown {u.scope.level} {u.scope.id!r}")
            )
    for message in [*email_problems(cfg.email, cfg.queues), *mail_problems(cfg.mail, cfg.queues)]:
        path, sep, text = message.partition(": ")
        issues.append(
            ConfigIssue(path, text) if sep and " " not in path else ConfigIssue("mail", message)
        )
    for i, reason in enumerate(cfg.centre.pause_reasons):
        terms = sensitive_terms(reason)
        if terms:
            issues.append(
                ConfigIssue(
                    f"centre.pause_reasons[{i}]",
                    f"{reason!r} reveals health or private life ({', '.join(terms)}); "
                    "use a coarse code such as 'break' (R-STATE-1)",
                )
            )
    return issues


def centre_definition(cfg: Config) -> CentreDef:
    """Translate the configuration into the domain's definitions."""
    queues = {
        q.id: QueueDef(
            id=q.id,
            channel=q.channel,
            skills=dict(q.skills),
            priority=q.priority,
            ageing_per_min=q.ageing_per_min,
            offer_timeout_s=q.offer_timeout,
            acw=AcwPolicy(q.acw.mode, q.acw.seconds, q.acw.disposition_required),
            overflow=tuple(Overflow(r.after, r.to_queue, r.relax_to_level) for r in q.overflow),
            site_id=q.site,
        )
        for q in cfg.queues
    }
    agents = {
        a.id: AgentDef(
            id=a.id,
            team_id=a.team,
            skills=dict(a.skills),
            capacity=dict(a.capacity),
            interruptible_by={k: frozenset(v) for k, v in a.interruptible_by.items()},
            name=a.name,
        )
        for a in cfg.agents
    }
    org = Organisation(
        team_site={t.id: t.site for t in cfg.teams},
        site_region={s.id: s.region for s in cfg.sites},
    )
    return CentreDef(
        queues=queues,
        agents=agents,
        pause_reasons=frozenset(cfg.centre.pause_reasons),
        activities=frozenset(cfg.centre.activities),
        organisation=org,
    )
