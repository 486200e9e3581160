"""HTTP API of the postal-mail channel: upload scans, read pages and OCR text, record outcomes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, Field
from starlette.datastructures import UploadFile

from standardiste.channels.mail.adapter import MailAdapter
from standardiste.channels.mail.errors import (
    LetterNotCommitted,
    LetterTooLarge,
    MailError,
    PageNotFound,
)
from standardiste.channels.mail.formats import LetterFormat
from standardiste.channels.mail.intake import LetterIntake
from standardiste.channels.mail.letters import COMMITTED_JSON, OCR_JSON, LetterStore
from standardiste.channels.mail.ocr import OcrResult
from standardiste.channels.mail.pages import page_name
from standardiste.domain.errors import DomainError

_CHUNK = 1 << 20
# Multipart framing around the file part: boundaries and part headers.
_MULTIPART_SLACK = 64 * 1024


@dataclass(frozen=True)
class MailApiDeps:
    """Auth dependencies (FastAPI callables returning the principal) supplied by the web app."""

    mailroom: Callable[..., Any]
    agent: Callable[..., Any]
    principal_id: Callable[[Any], str | None] = lambda p: getattr(p, "id", None)


class OutcomeBody(BaseModel):
    """The agent's outcome for a letter."""

    outcome: str = Field(description="answered_letter, answered_email, answered_phone, forwarded")
    notes: str | None = Field(default=None, max_length=4000)
    forwarded_to: str | None = Field(default=None, max_length=200)


def _http(err: MailError | DomainError) -> HTTPException:
    if isinstance(err, MailError):
        return HTTPException(err.status_code, detail=err.to_dict())
    return HTTPException(err.status, detail=err.as_dict())


def build_router(
    intake: LetterIntake, store: LetterStore, adapter: MailAdapter, deps: MailApiDeps
) -> APIRouter:
    """Return the `/api/v1/mail` router bound to the given channel objects."""
    router = APIRouter(prefix="/api/v1/mail", tags=["mail"])

    @router.post("/letters", status_code=201)
    async def upload(request: Request, principal: Any = Depends(deps.mailroom)) -> Response:
        """Import one scanned letter sent as multipart field `file`."""
        # Refuse early: Starlette spools the whole body before the handler reads it.
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > store.max_bytes + _MULTIPART_SLACK:
            err = LetterTooLarge("the letter exceeds the size cap", max_bytes=store.max_bytes)
            raise _http(err)
        async with request.form(max_files=1, max_fields=4) as form:
            upload = form.get("file")
            if not isinstance(upload, UploadFile):
                raise HTTPException(422, detail={"error_id": "mail.file_missing",
                                                 "message": "multipart field 'file' is required",
                                                 "details": {}})  # fmt: skip
            try:
                result = await intake.ingest_stream(
                    _chunks(upload),
                    original_name=upload.filename,
                    submitted_by=deps.principal_id(principal),
                )
            except MailError as err:
                raise _http(err) from err
        return JSONResponse(result.to_dict(), status_code=200 if result.duplicate else 201)

    @router.get("/letters/{letter_id}")
    async def letter(letter_id: str, _: Any = Depends(deps.agent)) -> dict[str, Any]:
        """Return a letter's metadata and its work item."""
        try:
            meta = await asyncio.to_thread(store.metadata, letter_id)
            done = await asyncio.to_thread(store.read_json, letter_id, COMMITTED_JSON)
        except MailError as err:
            raise _http(err) from err
        return meta | {"committed": done}

    @router.get("/letters/{letter_id}/pages")
    async def pages(letter_id: str, _: Any = Depends(deps.agent)) -> list[dict[str, Any]]:
        """List the pages with their image and text URLs."""
        ocr = await _ocr(store, letter_id)
        meta = await asyncio.to_thread(store.metadata, letter_id)
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
    async def page_image(letter_id: str, page: int, _: Any = Depends(deps.agent)) -> FileResponse:
        """Serve one rendered page as PNG."""
        try:
            path = store.pages_dir(letter_id) / page_name(page)
            if page < 1 or not await asyncio.to_thread(path.is_file):
                raise PageNotFound("no such page", letter_id=letter_id, page=page)
        except MailError as err:
            raise _http(err) from err
        return FileResponse(path, media_type="image/png")

    @router.get("/letters/{letter_id}/pages/{page}/text")
    async def page_text(letter_id: str, page: int, _: Any = Depends(deps.agent)) -> dict[str, Any]:
        """Return the OCR text of one page."""
        ocr = await _ocr(store, letter_id)
        for p in ocr.pages:
            if p.page == page:
                return {"page": p.page, "status": p.status, "text": p.text, "error": p.error}
        raise _http(PageNotFound("no OCR text for this page", letter_id=letter_id, page=page))

    @router.get("/letters/{letter_id}/text")
    async def text(letter_id: str, _: Any = Depends(deps.agent)) -> dict[str, Any]:
        """Return the OCR text of the whole letter, per page and joined."""
        ocr = await _ocr(store, letter_id)
        return ocr.to_dict() | {"text": ocr.text}

    @router.get("/letters/{letter_id}/original")
    async def original(letter_id: str, _: Any = Depends(deps.agent)) -> FileResponse:
        """Serve the scan exactly as received."""
        try:
            meta = await asyncio.to_thread(store.metadata, letter_id)
            path = await asyncio.to_thread(store.original_path, letter_id)
        except MailError as err:
            raise _http(err) from err
        return FileResponse(path, media_type=LetterFormat(meta["format"]).media_type)

    @router.post("/letters/{letter_id}/outcome", status_code=204)
    async def outcome(letter_id: str, body: OutcomeBody, _: Any = Depends(deps.agent)) -> Response:
        """Record how the letter was dealt with and complete its work item."""
        try:
            done = await asyncio.to_thread(store.read_json, letter_id, COMMITTED_JSON)
            if done is None:
                await asyncio.to_thread(store.metadata, letter_id)  # 404 when unknown
                raise LetterNotCommitted("the letter has no work item yet", letter_id=letter_id)
            await adapter.record_outcome(
                done["interaction_id"], body.outcome, notes=body.notes,
                forwarded_to=body.forwarded_to,
            )  # fmt: skip
        except (MailError, DomainError) as err:
            raise _http(err) from err
        return Response(status_code=204)

    return router


async def _ocr(store: LetterStore, letter_id: str) -> OcrResult:
    try:
        await asyncio.to_thread(store.metadata, letter_id)
        doc = await asyncio.to_thread(store.read_json, letter_id, OCR_JSON)
    except MailError as err:
        raise _http(err) from err
    return OcrResult.from_dict(doc) if doc else OcrResult("pending")


async def _chunks(upload: UploadFile) -> AsyncIterator[bytes]:
    while chunk := await upload.read(_CHUNK):
        yield chunk
