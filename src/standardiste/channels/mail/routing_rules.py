"""Keyword routing of letters on their OCR text, and due dates from the queue's service level."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_NON_WORD = re.compile(r"[^0-9a-z]+")
# OCR keeps the hyphen of a word split across lines ("impo-\nsition"): join it back.
_HYPHEN_BREAK = re.compile(r"-[ \t]*\r?\n[ \t]*")
# French ligatures have no NFKD decomposition: spell them out ("vœu" -> "voeu").
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae"})


def normalise(text: str) -> str:
    """Fold case and accents and keep words only, so "Impôt" matches "IMPOT" and "impot"."""
    text = _HYPHEN_BREAK.sub("", text)
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_LIGATURES))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NON_WORD.sub(" ", bare).strip()


@dataclass(frozen=True)
class KeywordRule:
    """Send a letter to `queue_id` when its text contains any of `keywords` (words or phrases)."""

    queue_id: str
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class RoutingDecision:
    """The chosen queue and why: the matched keywords and the rule index (None = default)."""

    queue_id: str
    matched: tuple[str, ...] = ()
    rule: int | None = None


@dataclass(frozen=True)
class DueDate:
    """Due date of a letter: the local date and the epoch second at which that day ends."""

    date: date
    at: float


class MailRouter:
    """Choose a queue from OCR text and compute the due date from the queue's service level."""

    def __init__(
        self,
        rules: Sequence[KeywordRule],
        default_queue: str,
        *,
        service_days: Mapping[str, int] | None = None,
        default_days: int = 30,
        business_days: bool = False,
        holidays: Collection[date] = (),
        tz: str = "Europe/Paris",
    ) -> None:
        self._rules = [
            (rule, tuple(k for k in (normalise(w) for w in rule.keywords) if k)) for rule in rules
        ]
        self.default_queue = default_queue
        self._days = dict(service_days or {})
        self._default_days = default_days
        self._business = business_days
        self._holidays = frozenset(holidays)
        self._tz = ZoneInfo(tz)

    def route(self, text: str) -> RoutingDecision:
        """Return the rule with the most distinct keyword hits; ties go to the earlier rule."""
        haystack = f" {normalise(text)} "
        best: RoutingDecision | None = None
        for index, (rule, keywords) in enumerate(self._rules):
            hits = tuple(k for k in dict.fromkeys(keywords) if f" {k} " in haystack)
            if hits and (best is None or len(hits) > len(best.matched)):
                best = RoutingDecision(rule.queue_id, hits, index)
        return best or RoutingDecision(self.default_queue)

    def service_days(self, queue_id: str) -> int:
        """Return the service level of a queue in days."""
        return self._days.get(queue_id, self._default_days)

    def due(self, queue_id: str, received_ts: float) -> DueDate:
        """Return the due date: N calendar (or business) days after reception, end of day."""
        day = datetime.fromtimestamp(received_ts, self._tz).date()
        days = self.service_days(queue_id)
        if self._business:
            left = days
            while left > 0:
                day += timedelta(days=1)
                if self._is_business_day(day):
                    left -= 1
        else:
            day += timedelta(days=days)
        end = datetime.combine(day + timedelta(days=1), time(0), self._tz)
        return DueDate(day, end.timestamp())

    def _is_business_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self._holidays
