"""Translate errors into JSON answers with stable error ids."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from standardiste.domain.errors import DomainError

log = logging.getLogger(__name__)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on the app."""

    @app.exception_handler(DomainError)
    async def domain_error(_: Request, err: DomainError) -> JSONResponse:
        return JSONResponse(err.as_dict(), status_code=err.status)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, err: RequestValidationError) -> JSONResponse:
        problems = [
            {"path": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in err.errors()
        ]
        body = {
            "error_id": "request.invalid",
            "message": "invalid request",
            "details": {"errors": problems},
        }
        return JSONResponse(body, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, err: StarletteHTTPException) -> JSONResponse:
        body = {"error_id": f"http.{err.status_code}", "message": str(err.detail), "details": {}}
        return JSONResponse(body, status_code=err.status_code)
