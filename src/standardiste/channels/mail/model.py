"""Data passed between the intake, its sink (the adapter) and the API."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Protocol

#: Skill the mail queues should require (QueueDef.skills) so letters reach trained agents.
POSTAL_MAIL_SKILL = "postal_mail"


@dataclass(frozen=True)
class LetterReceived:
    """A letter stored, read and routed, ready to become a work item."""

    letter_id: str
    sha256: str
    format: str
    size: int
    pages: int
    total_pages: int
    source: str
    original_name: str | None
    submitted_by: str | None
    received_at: float
    queue_id: str
    matched_keywords: tuple[str, ...]
    due_date: str
    due_at: float
    ocr_status: str
    flags: tuple[str, ...]

    @property
    def interaction_id(self) -> str:
        """Return the work-item id, derived from the letter id so a retry cannot duplicate it."""
        return f"mail-{self.letter_id}"

    def event_data(self) -> dict[str, Any]:
        """Return the `data` of the `mail.received` event (no OCR text: it stays on disk)."""
        data = asdict(self)
        data["matched_keywords"] = list(self.matched_keywords)
        data["flags"] = list(self.flags)
        data["interaction_id"] = self.interaction_id
        return data

    def attributes(self) -> dict[str, Any]:
        """Return the interaction attributes that routing and the agent desktop use."""
        return {
            "letter_id": self.letter_id,
            "due_date": self.due_date,
            "due_at": self.due_at,
            "pages": self.pages,
            "ocr_status": self.ocr_status,
            "flags": list(self.flags),
            "matched_keywords": list(self.matched_keywords),
            "source": self.source,
        }


class LetterSink(Protocol):
    """Commits a letter as a work item; must be idempotent on `letter.interaction_id`."""

    async def commit(self, letter: LetterReceived) -> str:
        """Commit the import and return the interaction id."""
        ...


@dataclass(frozen=True)
class IntakeResult:
    """What an import produced; `duplicate` is True when the same content was already imported."""

    letter_id: str
    interaction_id: str
    queue_id: str
    due_date: str
    pages: int
    ocr_status: str
    flags: tuple[str, ...]
    duplicate: bool

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-safe form."""
        data = asdict(self)
        data["flags"] = list(self.flags)
        return data
