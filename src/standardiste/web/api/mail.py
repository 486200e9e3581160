"""HTTP API of the postal-mail channel: upload scans, read pages and OCR text, record outcomes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, Field
from starlette.datastructures import UploadFile

from standardiste.channels.mail.adapter import MailAdapter
from standardiste.channels.mail.errors import (
    LetterNotCommitted,
    LetterNotFound,
    LetterTooLarge,
    PageNotFound,
)
from standardiste.channels.mail.formats import LetterFormat
from standardiste.channels.mail.intake import LetterIntake
from standardiste.channels.mail.letters import COMMITTED_JSON, OCR_JSON, LetterStore
from standardiste.channels.mail.ocr import OcrResult
from standardiste.channels.mail.pages import page_name
from standardiste.domain.errors import InvalidRequest
from standardiste.web.api.channel_scope import ScopeLike, items_in_scope, runtime_scope
from standardiste.web.deps import STAFF_ROLES, Forbidden, require_roles, restricted_agent

_CHUNK = 1 << 20
# Multipart framing around the file part: boundaries and part headers.
_MULTIPART_SLACK = 64 * 1024


@dataclass(frozen=True)
class MailApiDeps:
    """Auth hooks: FastAPI dependencies returning the principal, and how to read a principal."""

    uploader: Callable[..., Any] = field(default_factory=lambda: require_roles(*STAFF_ROLES))
    reader: Callable[..., Any] = field(default_factory=lambda: require_roles(*STAFF_ROLES))
    principal_id: Callable[[Any], str | None] = lambda p: getattr(p, "user_id", None)
    #: Agent id whose letters only this principal may see and complete (None: no restriction).
    restricted_agent: Callable[[Any], str | None] = restricted_agent
    #: Which queues and agents a supervisor may see (the running centre's policy).
    scope: Callable[[Request], ScopeLike] = runtime_scope


class OutcomeBody(BaseModel):
    """The agent's outcome for a letter."""

    outcome: str = Field(description="answered_letter, answered_email, answered_phone, forwarded")
    notes: str | None = Field(default=None, max_length=4000)
    forwarded_to: str | None = Field(default=None, max_length=200)


def build_router(
    intake: LetterIntake, store: LetterStore, adapter: MailAdapter, deps: MailApiDeps
) -> APIRouter:
    """Return the `/api/v1/mail` router; errors are DomainErrors for the app's handler."""
    router = APIRouter(prefix="/api/v1/mail", tags=["mail"])

    async def visible(letter_id: str, principal: Any, request: Request) -> dict[str, Any] | None:
        """Return the commit marker after checking that the principal may see the letter."""
        await asyncio.to_thread(store.metadata, letter_id)
        done = await asyncio.to_thread(store.read_json, letter_id, COMMITTED_JSON)
        only = deps.restricted_agent(principal)
        if only is not None:
            assigned = adapter.assigned_agent(done["interaction_id"]) if done else None
            if not only or assigned != only:
                # Same answer as an unknown id: an agent learns nothing about others' letters.
                raise LetterNotFound("no such letter", letter_id=letter_id)
        elif not _in_scope(deps.scope(request), principal, done):
            raise LetterNotFound("no such letter", letter_id=letter_id)
        return done

    def _in_scope(scope: ScopeLike, principal: Any, done: dict[str, Any] | None) -> bool:
        if done is None:
            # Not routed yet, so no queue to judge by: only centre-wide staff see it (the
            # mailroom's upload answer carries what the uploader needs).
            wide = getattr(principal, "role", None) in ("admin", "dpo")
            return wide or getattr(principal, "scope_level", None) == "national"
        item = adapter.work_item(done["interaction_id"])
        return items_in_scope(scope, principal, [done.get("queue_id")], [item])

    @router.post("/letters", status_code=201)
    async def upload(request: Request, principal: Any = Depends(deps.uploader)) -> Response:
        """Import one scanned letter sent as multipart field `file`."""
        # Refuse early: Starlette spools the whole body before the handler reads it.
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > store.max_bytes + _MULTIPART_SLACK:
            raise LetterTooLarge("the letter exceeds the size cap", max_bytes=store.max_bytes)
        async with request.form(max_files=1, max_fields=4) as form:
            upload = form.get("file")
            if not isinstance(upload, UploadFile):
                raise InvalidRequest("mail.file_missing", "multipart field 'file' is required")
            result = await intake.ingest_stream(
                _chunks(upload),
                original_name=upload.filename,
                submitted_by=deps.principal_id(principal),
            )
        return JSONResponse(result.as_dict(), status_code=200 if result.duplicate else 201)

    @router.get("/letters/{letter_id}")
    async def letter(
        letter_id: str, request: Request, principal: Any = Depends(deps.reader)
    ) -> dict[str, Any]:
        """Return a letter's metadata and its work item."""
        done = await visible(letter_id, principal, request)
        meta = await asyncio.to_thread(store.metadata, letter_id)
        return meta | {"committed": done}

    @router.get("/letters/{letter_id}/pages")
    async def pages(
        letter_id: str, request: Request, principal: Any = Depends(deps.reader)
    ) -> list[dict[str, Any]]:
        """List the pages with their image and text URLs."""
        await visible(letter_id, principal, request)
        meta = await asyncio.to_thread(store.metadata, letter_id)
        ocr = await _ocr(store, letter_id)
        status = {p.page: p.status for p in ocr.pages}
        base = f"/api/v1/mail/letters/{letter_id}/pages"
        return [
            {
                "page": n,
                "image_url": f"{base}/{n}/image",
                "text_url": f"{base}/{n}/text",
                "ocr_status": status.get(n, ocr.status),
            }
            for n in range(1, int(meta.get("pages", 0)) + 1)
        ]

    @router.get("/letters/{letter_id}/pages/{page}/image")
    async def page_image(
        letter_id: str, page: int, request: Request, principal: Any = Depends(deps.reader)
    ) -> FileResponse:
        """Serve one rendered page as PNG."""
        await visible(letter_id, principal, request)
        path = store.pages_dir(letter_id) / page_name(page)
        if page < 1 or not await asyncio.to_thread(path.is_file):
            raise PageNotFound("no such page", letter_id=letter_id, page=page)
        return FileResponse(path, media_type="image/png")

    @router.get("/letters/{letter_id}/pages/{page}/text")
    async def page_text(
        letter_id: str, page: int, request: Request, principal: Any = Depends(deps.reader)
    ) -> dict[str, Any]:
        """Return the OCR text of one page."""
        await visible(letter_id, principal, request)
        for p in (await _ocr(store, letter_id)).pages:
            if p.page == page:
                return {"page": p.page, "status": p.status, "text": p.text, "error": p.error}
        raise PageNotFound("no OCR text for this page", letter_id=letter_id, page=page)

    @router.get("/letters/{letter_id}/text")
    async def text(
        letter_id: str, request: Request, principal: Any = Depends(deps.reader)
    ) -> dict[str, Any]:
        """Return the OCR text of the whole letter, per page and joined."""
        await visible(letter_id, principal, request)
        ocr = await _ocr(store, letter_id)
        return ocr.as_dict() | {"text": ocr.text}

    @router.get("/letters/{letter_id}/original")
    async def original(
        letter_id: str, request: Request, principal: Any = Depends(deps.reader)
    ) -> FileResponse:
        """Serve the scan exactly as received."""
        await visible(letter_id, principal, request)
        meta = await asyncio.to_thread(store.metadata, letter_id)
        path = await asyncio.to_thread(store.original_path, letter_id)
        return FileResponse(path, media_type=LetterFormat(meta["format"]).media_type)

    @router.post("/letters/{letter_id}/outcome", status_code=204)
    async def outcome(
        letter_id: str, body: OutcomeBody, request: Request, principal: Any = Depends(deps.reader)
    ) -> Response:
        """Record how the letter was dealt with and complete its work item."""
        done = await visible(letter_id, principal, request)
        if done is None:
            raise LetterNotCommitted("the letter has no work item yet", letter_id=letter_id)
        if deps.restricted_agent(principal) is None:
            # The handle-time timer is the agent's: nobody else closes it on their behalf.
            raise Forbidden("mail.outcome_forbidden", "only the assigned agent records the outcome")
        await adapter.record_outcome(
            done["interaction_id"], body.outcome, notes=body.notes, forwarded_to=body.forwarded_to
        )
        return Response(status_code=204)

    return router


async def _ocr(store: LetterStore, letter_id: str) -> OcrResult:
    doc = await asyncio.to_thread(store.read_json, letter_id, OCR_JSON)
    return OcrResult.from_dict(doc) if doc else OcrResult("pending")


async def _chunks(upload: UploadFile) -> AsyncIterator[bytes]:
    while chunk := await upload.read(_CHUNK):
        yield chunk
