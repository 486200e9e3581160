"""HTTP API of the e-mail channel: read conversations and messages, reply, mailbox status."""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field

from standardiste.channels.email.adapter import EmailAdapter
from standardiste.channels.email.compose import OutgoingAttachment
from standardiste.channels.email.config import CannedResponse
from standardiste.channels.email.conversations import Conversation
from standardiste.channels.email.parse import attachment_bytes, parse_file
from standardiste.domain.errors import InvalidRequest, NotFound
from standardiste.web.api.channel_scope import ScopeLike, items_in_scope, runtime_scope
from standardiste.web.deps import STAFF_ROLES, require_roles, restricted_agent


@dataclass(frozen=True)
class EmailApiDeps:
    """Auth hooks: FastAPI dependencies returning the principal, and who may see what."""

    reader: Callable[..., Any] = field(default_factory=lambda: require_roles(*STAFF_ROLES))
    supervisor: Callable[..., Any] = field(
        default_factory=lambda: require_roles("supervisor", "admin")
    )
    restricted_agent: Callable[[Any], str | None] = restricted_agent
    #: Which queues and agents a supervisor may see (the running centre's policy).
    scope: Callable[[Request], ScopeLike] = runtime_scope


class AttachmentIn(BaseModel):
    """A file attached to a reply, base64-encoded in the JSON body."""

    filename: str = Field(min_length=1, max_length=255)
    content_type: str = Field("application/octet-stream", max_length=127)
    data_b64: str = Field(max_length=28_000_000)

    def decoded(self) -> OutgoingAttachment:
        """Return the attachment with its bytes; refuse invalid base64."""
        try:
            data = base64.b64decode(self.data_b64, validate=True)
        except (binascii.Error, ValueError) as err:
            raise InvalidRequest("email.attachment_invalid", "attachment is not base64") from err
        name = self.filename.replace("\r", " ").replace("\n", " ").replace('"', "'")
        return OutgoingAttachment(name, self.content_type, data)


class ReplyBody(BaseModel):
    """The agent's reply: free text, or a canned response with its placeholder values."""

    text: str | None = Field(default=None, max_length=100_000)
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=10)
    canned: str | None = Field(default=None, max_length=100_000)
    values: dict[str, str] = Field(default_factory=dict)
    from_name: str = Field(default="", max_length=200)


def build_router(
    adapter: EmailAdapter,
    message_path: Callable[[str], Path],
    deps: EmailApiDeps,
    *,
    status: Callable[[], dict[str, Any]] | None = None,
    attachment_cap: int = 20 * 1024 * 1024,
    canned: Sequence[CannedResponse] = (),
) -> APIRouter:
    """Return the `/api/v1/email` router; errors are DomainErrors for the app's handler."""
    router = APIRouter(prefix="/api/v1/email", tags=["email"])
    interactions = adapter.interactions

    def conversation_for(conv_id: str | None, principal: Any, request: Request) -> Conversation:
        conv = adapter.index.conversations.get(conv_id or "")
        only = deps.restricted_agent(principal)
        if conv is not None and only is not None:
            mine = any(getattr(interactions().get(i), "agent_id", None) == only
                       for i in conv.interactions)  # fmt: skip
            conv = conv if only and mine else None
        elif conv is not None:
            items = [interactions().get(i) for i in conv.interactions]
            if not items_in_scope(deps.scope(request), principal, [conv.queue_id], items):
                conv = None
        if conv is None:
            # Same answer as an unknown id: an agent learns nothing about others' mail.
            raise NotFound("email.not_found", "no such conversation or message")
        return conv

    @router.get("/interactions/{interaction_id}")
    async def conversation(
        interaction_id: str, request: Request, principal: Any = Depends(deps.reader)
    ) -> dict[str, Any]:
        conv = adapter.index.of_interaction(interaction_id)
        conv = conversation_for(conv.id if conv else None, principal, request)
        return {
            "conversation_id": conv.id, "reference": conv.reference, "queue_id": conv.queue_id,
            "correspondent": conv.correspondent, "contact_address": conv.contact_address,
            "subject": conv.subject, "interactions": list(conv.interactions),
            "messages": list(conv.messages),
            # The reference is filled in here so the agent edits the final text.
            "canned": [
                {"id": c.id, "title": c.title,
                 "text": c.text.replace("{reference}", conv.reference or "")}
                for c in canned
            ],
        }  # fmt: skip

    @router.get("/messages/{spool_id}")
    async def message(
        spool_id: str, request: Request, principal: Any = Depends(deps.reader)
    ) -> dict[str, Any]:
        conversation_for(adapter.index.message_conversation.get(spool_id), principal, request)
        parsed = await asyncio.to_thread(parse_file, message_path(spool_id), attachment_cap)
        body = asdict(parsed)
        # `html` is already sanitised by nh3; the desktop must still show it in a sandboxed
        # iframe with a Content-Security-Policy that forbids scripts.
        return body | {"id": spool_id, "thread_ids": list(parsed.thread_ids)}

    @router.get("/messages/{spool_id}/raw")
    async def raw(
        spool_id: str, request: Request, principal: Any = Depends(deps.reader)
    ) -> Response:
        conversation_for(adapter.index.message_conversation.get(spool_id), principal, request)
        data = await asyncio.to_thread(message_path(spool_id).read_bytes)
        disposition = f'attachment; filename="{spool_id}.eml"'
        return Response(
            data, media_type="message/rfc822", headers={"Content-Disposition": disposition}
        )

    @router.get("/messages/{spool_id}/attachments/{index}")
    async def attachment(
        spool_id: str, index: int, request: Request, principal: Any = Depends(deps.reader)
    ) -> Response:
        conversation_for(adapter.index.message_conversation.get(spool_id), principal, request)
        raw_bytes = await asyncio.to_thread(message_path(spool_id).read_bytes)
        data = await asyncio.to_thread(attachment_bytes, raw_bytes, index, attachment_cap)
        if data is None:
            raise NotFound("email.attachment_not_found", "no such attachment or over the size cap")
        # Always a download, never rendered by the browser (an HTML attachment could run script).
        return Response(data, media_type="application/octet-stream", headers={
            "Content-Disposition": f'attachment; filename="part-{index}"',
            "X-Content-Type-Options": "nosniff",
        })  # fmt: skip

    @router.post("/interactions/{interaction_id}/reply", status_code=202)
    async def reply(
        interaction_id: str, body: ReplyBody, request: Request,
        principal: Any = Depends(deps.reader),
    ) -> dict[str, Any]:  # fmt: skip
        conv = adapter.index.of_interaction(interaction_id)
        conversation_for(conv.id if conv else None, principal, request)
        if bool(body.text) == bool(body.canned):
            raise InvalidRequest("email.reply_body", "give either `text` or `canned`")
        reply_id = await adapter.reply(
            interaction_id, text=body.text, canned=body.canned, values=body.values,
            agent_id=getattr(principal, "agent_id", None), from_name=body.from_name,
            attachments=[a.decoded() for a in body.attachments],
        )  # fmt: skip
        return {"reply_id": reply_id, "status": "queued"}

    @router.get("/status")
    async def channel_status(principal: Any = Depends(deps.supervisor)) -> dict[str, Any]:
        return status() if status is not None else {}

    return router
