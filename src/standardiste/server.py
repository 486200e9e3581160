"""Run a node: the runtime and the HTTP server on one event loop, stopped cleanly on signals."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

import uvicorn

from standardiste.app import Runtime
from standardiste.settings import Settings
from standardiste.wiring import wire_extensions

log = logging.getLogger(__name__)


async def run_server(settings: Settings) -> int:
    """Start everything, serve until SIGINT/SIGTERM, then stop in reverse order."""
    from standardiste.web.app import create_app

    runtime = Runtime(settings)
    wire_extensions(runtime)
    await runtime.start()
    app = create_app(runtime)
    host, port = settings.http
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        lifespan="off",
        ws_max_size=1 << 20,
        access_log=False,
    )
    server = uvicorn.Server(config)
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    loop = asyncio.get_running_loop()

    def stop() -> None:
        # Close WebSocket streams first: uvicorn waits for open connections before returning.
        runtime.hub.close()
        server.should_exit = True

    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop)
    log.info("serving http://%s:%d", host, port)
    try:
        await server.serve()
    finally:
        await runtime.close()
    return 0
