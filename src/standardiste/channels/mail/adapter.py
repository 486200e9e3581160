"""Wire the postal-mail channel into CentreService: letters become `mail` work items."""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from standardiste.channels.mail.errors import InvalidOutcome
from standardiste.channels.mail.model import LetterReceived
from standardiste.domain.errors import Conflict
from standardiste.domain.events import Event

MAIL_RECEIVED = "mail.received"
MAIL_CHANNEL = "mail"


class Outcome(enum.StrEnum):
    """How the agent dealt with a letter; stored as the interaction's disposition."""

    ANSWERED_LETTER = "answered_letter"
    ANSWERED_EMAIL = "answered_email"
    ANSWERED_PHONE = "answered_phone"
    FORWARDED = "forwarded"


class _Projection(Protocol):
    @property
    def interactions(self) -> Mapping[str, Any]: ...


class MailService(Protocol):
    """The part of `standardiste.service.CentreService` this channel uses."""

    @property
    def centre(self) -> _Projection: ...

    async def create_interaction(
        self,
        channel: str,
        queue_id: str,
        attributes: Mapping[str, Any],
        *,
        interaction_id: str | None = None,
        priority: int | None = None,
        events: Sequence[Event] = (),
    ) -> str: ...

    async def complete(
        self, interaction_id: str, disposition: str | None = None, notes: str | None = None
    ) -> Any: ...


class MailAdapter:
    """The intake's sink (commits letters) and the agent's outcome recorder."""

    def __init__(self, service: MailService, *, wall: Callable[[], float]) -> None:
        self._service = service
        self._wall = wall

    async def commit(self, letter: LetterReceived) -> str:
        """Create the work item and its `mail.received` event in one commit; idempotent."""
        iid = letter.interaction_id
        if iid in self._service.centre.interactions:
            return iid  # committed before a crash that hid it from the intake's marker
        event = Event(MAIL_RECEIVED, self._wall(), letter.event_data())
        try:
            return await self._service.create_interaction(
                MAIL_CHANNEL, letter.queue_id, letter.attributes(), interaction_id=iid,
                events=[event],
            )  # fmt: skip
        except Conflict as err:
            if err.error_id == "interaction.exists":
                return iid
            raise

    def work_item(self, interaction_id: str) -> Any | None:
        """Return the letter's interaction (queue, agent, status), if the core holds it."""
        return self._service.centre.interactions.get(interaction_id)

    def assigned_agent(self, interaction_id: str) -> str | None:
        """Return the agent working on the interaction, if any."""
        item = self._service.centre.interactions.get(interaction_id)
        agent: str | None = getattr(item, "agent_id", None)
        return agent

    async def record_outcome(
        self,
        interaction_id: str,
        outcome: str,
        *,
        notes: str | None = None,
        forwarded_to: str | None = None,
    ) -> None:
        """Complete the letter's work item with the outcome as its disposition."""
        try:
            value = Outcome(outcome)
        except ValueError as err:
            allowed = [o.value for o in Outcome]
            raise InvalidOutcome("unknown outcome", outcome=outcome, allowed=allowed) from err
        if value is Outcome.FORWARDED:
            if not forwarded_to or not forwarded_to.strip():
                raise InvalidOutcome("a forwarded letter needs its recipient", outcome=outcome)
            # The core's completion carries one disposition and free notes: keep the recipient
            # in the notes, first line, so reports can read it back.
            notes = f"forwarded_to: {forwarded_to.strip()}" + (f"\n{notes}" if notes else "")
        await self._service.complete(interaction_id, disposition=value.value, notes=notes)
