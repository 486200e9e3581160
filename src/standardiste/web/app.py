"""The FastAPI application factory."""

from __future__ import annotations

import importlib
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from standardiste.web.errors import install_error_handlers
from standardiste.web.limits import BodyLimit

if TYPE_CHECKING:
    from standardiste.app import Runtime

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"

# Modules with a module-level `router`; channel routers that need live components are built by
# `standardiste.wiring` and handed over in `runtime.routers`.
ROUTERS = (
    "standardiste.web.api.system",
    "standardiste.web.api.auth",
    "standardiste.web.api.agents",
    "standardiste.web.api.queues",
    "standardiste.web.api.interactions",
    "standardiste.web.api.config",
    "standardiste.web.api.transfer",
    "standardiste.web.ws",
    "standardiste.web.api.reports",
    "standardiste.web.api.governance",
    "standardiste.web.api.planning",
    "standardiste.web.pages.login",
    "standardiste.web.pages.agent",
    "standardiste.web.pages.supervisor",
    "standardiste.web.pages.governance",
    "standardiste.web.pages.mailroom",
    "standardiste.web.pages.planning",
)

MAX_BODY = 1 << 20  # 1 MiB for JSON; uploads have their own limits
UPLOAD_LIMITS = {"/api/v1/mail": 50 << 20, "/api/v1/email": 30 << 20}


def create_app(runtime: Runtime) -> FastAPI:
    """Build the web application around a runtime."""
    app = FastAPI(
        title="Standardiste",
        version="0.1.0",
        description="Contact-centre platform: voice, e-mail and postal mail, governed.",
        openapi_url="/openapi.json",
    )
    app.state.runtime = runtime
    install_error_handlers(app)
    for name in ROUTERS:
        app.include_router(importlib.import_module(name).router)
    for router in runtime.routers:
        app.include_router(router)
    if STATIC.is_dir():
        app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(BodyLimit, default=MAX_BODY, overrides=UPLOAD_LIMITS)
    return app
