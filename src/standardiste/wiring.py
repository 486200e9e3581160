"""Attach the optional components (channels, demo traffic) to a runtime from its settings."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from standardiste.app import Runtime


def wire_extensions(runtime: Runtime) -> None:
    """Add the components the settings ask for, in start order."""
    settings = runtime.settings
    __import__("standardiste.governance.wiring").governance.wiring.wire_governance(runtime)
    if settings.traffic:
        from standardiste.traffic import TrafficGenerator

        runtime.extensions.append(TrafficGenerator(runtime.service, runtime.config))
