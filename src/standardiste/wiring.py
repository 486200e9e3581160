"""Attach the components a node runs beside the core (channels, governance, reports, demo)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from standardiste.governance.wiring import wire_governance
from standardiste.reports.aggregator import ReportAggregator

if TYPE_CHECKING:
    from standardiste.app import Runtime


def wire_extensions(runtime: Runtime) -> None:
    """Add the components the settings ask for, in start order."""
    settings = runtime.settings
    wire_governance(runtime)
    aggregator = ReportAggregator(runtime.engine, runtime.config)
    runtime.reports = aggregator
    runtime.extensions.append(aggregator)  # start() catches up with the log, then follows it
    runtime.service.subscribe(aggregator.on_event)
    if settings.traffic:
        from standardiste.traffic import TrafficGenerator

        runtime.extensions.append(TrafficGenerator(runtime.service, runtime.config))
