"""WebSocket push of the events each user may see, with resynchronisation after a cut."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from standardiste.auth.principal import Principal
from standardiste.domain.events import Event
from standardiste.web.deps import SESSION_COOKIE
from standardiste.web.visibility import visible_event

if TYPE_CHECKING:
    from standardiste.app import Runtime

log = logging.getLogger(__name__)
router = APIRouter()

CLIENT_BUFFER = 10_000
RESYNC_LIMIT = 5_000


class Hub:
    """Fan committed events out to connected clients, each through its own bounded queue."""

    def __init__(self) -> None:
        self._clients: set[asyncio.Queue[Event | None]] = set()

    @property
    def clients(self) -> int:
        """Return the number of connected clients."""
        return len(self._clients)

    def publish(self, event: Event) -> None:
        """Offer an event to every client; a client too slow to keep up is cut (it resyncs)."""
        for queue in list(self._clients):
            try:
                queue.put_nowait(event)
            except asyncio.QueueFull:
                self._clients.discard(queue)
                with contextlib.suppress(asyncio.QueueFull):
                    queue.get_nowait()
                    queue.put_nowait(None)

    def join(self) -> asyncio.Queue[Event | None]:
        """Register a client queue."""
        queue: asyncio.Queue[Event | None] = asyncio.Queue(CLIENT_BUFFER)
        self._clients.add(queue)
        return queue

    def leave(self, queue: asyncio.Queue[Event | None]) -> None:
        """Unregister a client queue."""
        self._clients.discard(queue)

    def close(self) -> None:
        """Tell every client to disconnect."""
        for queue in list(self._clients):
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(None)
        self._clients.clear()


@router.websocket("/api/v1/events")
async def events(websocket: WebSocket) -> None:
    """Stream events: hello, then what was missed since `since`, then live events."""
    rt: Runtime = websocket.app.state.runtime
    token = websocket.cookies.get(SESSION_COOKIE) or websocket.query_params.get("token")
    session = rt.sessions.get(token)
    if session is None:
        await websocket.close(code=4401, reason="log in first")
        return
    principal = session.principal
    try:
        since = int(websocket.query_params.get("since", "-1"))
    except ValueError:
        since = -1
    await websocket.accept()
    queue = rt.hub.join()
    # The client sends nothing we need, but reading is how a disconnect is noticed: a watcher
    # wakes the sender so it does not wait on the queue forever (and block shutdown).
    watcher = asyncio.create_task(_watch_disconnect(websocket, queue))
    try:
        last = rt.log.last_seq
        await websocket.send_json(
            {
                "type": "hello",
                "seq": last,
                "server_time": rt.clock.wall(),
                "user": principal.as_dict(),
            }
        )
        sent = last
        if 0 <= since < last:
            missed = await rt.log.read(since, RESYNC_LIMIT + 1)
            if len(missed) > RESYNC_LIMIT:
                await websocket.send_json({"type": "resync_required", "seq": last})
            else:
                for event in missed:
                    if event.seq is not None and event.seq <= last:
                        await _send(websocket, rt, principal, event)
        while True:
            event = await queue.get()
            if event is None:
                if websocket.client_state.name == "CONNECTED":
                    await websocket.close(code=4408, reason="closing; reconnect with since")
                return
            if event.seq is not None and event.seq <= sent:
                continue
            await _send(websocket, rt, principal, event)
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        watcher.cancel()
        rt.hub.leave(queue)


async def _watch_disconnect(websocket: WebSocket, queue: asyncio.Queue[Event | None]) -> None:
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
    except (WebSocketDisconnect, RuntimeError):
        pass
    with contextlib.suppress(asyncio.QueueFull):
        queue.put_nowait(None)


async def _send(ws: WebSocket, rt: Runtime, principal: Principal, event: Event) -> None:
    shown = visible_event(principal, event, rt.service.centre, rt.scope)
    if shown is not None:
        await ws.send_json({"type": "event", "event": shown.as_dict()})
