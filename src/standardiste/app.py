"""Composition root: build every component from the settings, start and stop them in order."""

from __future__ import annotations

import asyncio
import inspect
import logging
from pathlib import Path
from typing import Any, Protocol

import tomli_w

from standardiste.auth.directory import Directory
from standardiste.auth.passwords import Passwords
from standardiste.auth.scope import ScopePolicy
from standardiste.auth.sessions import LoginThrottle, Sessions
from standardiste.config import Config, centre_definition, load_config
from standardiste.domain.clock import Clock, SystemClock
from standardiste.domain.errors import Conflict
from standardiste.service import CentreService
from standardiste.settings import Settings
from standardiste.store.engine import make_engine
from standardiste.store.log import EventLog
from standardiste.store.migrate import upgrade
from standardiste.web.metrics import Metrics
from standardiste.web.ws import Hub

log = logging.getLogger(__name__)


class Component(Protocol):
    """Anything the runtime starts and stops."""

    async def start(self) -> None: ...
    async def close(self) -> None: ...
    async def wait_closed(self) -> None: ...


class Runtime:
    """Own every long-lived object of a node; nothing is global."""

    def __init__(
        self, settings: Settings, *, clock: Clock | None = None, config: Config | None = None
    ) -> None:
        self.settings = settings
        self.clock = clock or SystemClock()
        self.config = config or load_config(settings.config_path)
        self.definition = centre_definition(self.config)
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.engine = make_engine(settings.db_url)
        self.log = EventLog(self.engine)
        self.service = CentreService(
            self.definition,
            self.clock,
            self.log,
            self.engine,
            keep_finished_s=self.config.centre.keep_finished_hours * 3600,
        )
        self.directory = Directory(self.config)
        self.passwords = Passwords(demo=self.config.security.demo)
        self.sessions = Sessions(self.clock, self.config.security.session_minutes)
        self.throttle = LoginThrottle(self.clock)
        self.scope = ScopePolicy(self.definition)
        self.hub = Hub()
        self.metrics = Metrics()
        self.extensions: list[Component] = []  # channel listeners and feature services
        self.routers: list[Any] = []  # APIRouters of wired channels and features
        self.reports: Any = None  # the report aggregator, once wired
        self.governance: Any = None  # governance services, once wired
        self.mail: Any = None  # the postal-mail channel, once wired
        self.email: Any = None  # the e-mail channel, once wired
        self.voice: Any = None  # the voice channel, once wired
        self._started: list[Component] = []
        self._unsubscribe: Any = None

    async def start(self) -> None:
        """Migrate the schema, rebuild projections, then start listeners."""
        await asyncio.to_thread(upgrade, self.engine)
        await self.log.start()
        self._started.append(self.log)
        self._unsubscribe = self.service.subscribe(self.hub.publish)
        await self.service.start()
        self._started.append(self.service)
        for component in self.extensions:
            await component.start()
            self._started.append(component)

    async def close(self) -> None:
        """Stop everything in reverse order of start."""
        self.hub.close()
        if self._unsubscribe is not None:
            self._unsubscribe()
        while self._started:
            component = self._started.pop()
            try:
                closing = component.close()
                if inspect.isawaitable(closing):  # some listeners close synchronously
                    await closing
                await component.wait_closed()
            except Exception:
                log.exception("error while stopping %s", type(component).__name__)
        await asyncio.to_thread(self.engine.dispose)

    async def apply_config(self, config: Config, *, actor: str) -> None:
        """Apply an edited configuration when the running projection allows it."""
        new_def = centre_definition(config)
        centre = self.service.centre
        busy = [
            a.id
            for a in centre.agents.values()
            if a.id not in new_def.agents and a.presence.value != "logged_out"
        ]
        if busy:
            raise Conflict("config.agents_logged_in", "remove only logged-out agents", agents=busy)
        data = config.model_dump(mode="json", exclude_none=True)
        path: Path = self.settings.config_path
        tmp = path.with_suffix(".toml.tmp")
        await asyncio.to_thread(tmp.write_text, tomli_w.dumps(data), "utf-8")
        await asyncio.to_thread(tmp.replace, path)
        self.config = config
        self.definition = new_def
        self.directory = Directory(config)
        self.scope = ScopePolicy(new_def)
        # The projection is rebuilt under the new definitions from the same log.
        await self.service.reconfigure(new_def)
        log.info("configuration replaced by %s", actor)
