"""Attach the components a node runs beside the core (channels, governance, reports, demo)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from standardiste.channels.mail.channel import MailChannel
from standardiste.channels.mail.config import build_mail_router
from standardiste.channels.voice.wiring import wire_voice
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
    wire_mail(runtime)
    wire_voice(runtime)
    if settings.traffic:
        from standardiste.traffic import TrafficGenerator

        runtime.extensions.append(TrafficGenerator(runtime.service, runtime.config))


def wire_mail(runtime: Runtime) -> None:
    """Add the postal-mail channel: letter store, intake, folder watcher, API and mailroom."""
    from standardiste.web.api.mail import MailApiDeps, build_router

    cfg = runtime.config
    mail = MailChannel(
        cfg.mail,
        data_dir=runtime.settings.data_dir,
        router=build_mail_router(cfg.mail, cfg.queues),
        service=runtime.service,
        wall=runtime.clock.wall,
    )
    runtime.mail = mail
    runtime.extensions.append(mail)
    runtime.routers.append(build_router(mail.intake, mail.store, mail.adapter, MailApiDeps()))
