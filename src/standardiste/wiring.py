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
    # The columnar copy of the sealed log makes `reports rebuild` run at DuckDB speed.
    copy_dir = settings.data_dir / "report-copy"
    aggregator = ReportAggregator(runtime.engine, runtime.config, copy_dir=copy_dir)
    runtime.reports = aggregator
    runtime.extensions.append(aggregator)  # start() catches up with the log, then follows it
    runtime.service.subscribe(aggregator.on_event)
    wire_mail(runtime)
    wire_email(runtime)
    wire_voice(runtime)
    if settings.traffic:
        from standardiste.traffic import TrafficGenerator

        runtime.extensions.append(TrafficGenerator(runtime.service, runtime.config))


def wire_mail(runtime: Runtime) -> None:
    """Add the postal-mail channel: letter store, intake, folder watcher, API and mailroom."""
    from standardiste.web.api.mail import MailApiDeps, build_router

    cfg = runtime.config
    if not any(q.channel.value == "mail" for q in cfg.queues):
        return  # this centre takes no postal mail
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


def wire_email(runtime: Runtime) -> None:
    """Add the e-mail channel: inbound SMTP, IMAP import, replies, API."""
    from standardiste.channels.email.channel import EmailChannel
    from standardiste.channels.email.config import SmtpListen, build_routing
    from standardiste.channels.email.events import EMAIL_KINDS
    from standardiste.store.log import read_events
    from standardiste.web.api.email import EmailApiDeps, build_router

    cfg = runtime.config
    settings = cfg.email
    if runtime.settings.smtp is not None:
        # `--smtp HOST:PORT` on the command line overrides (or adds) the listener.
        host, port = runtime.settings.smtp
        listen = (settings.smtp or SmtpListen()).model_copy(update={"host": host, "port": port})
        settings = settings.model_copy(update={"smtp": listen})
    engine = runtime.engine
    channel = EmailChannel(
        settings,
        data_dir=runtime.settings.data_dir,
        routing=build_routing(settings, cfg.queues),
        service=runtime.service,
        clock=runtime.clock,
        history=lambda: read_events(engine, kinds=sorted(EMAIL_KINDS)),
    )
    runtime.email = channel
    runtime.extensions.append(channel)
    runtime.routers.append(
        build_router(
            channel.adapter,
            channel.message_path,
            EmailApiDeps(),
            status=channel.status,
            canned=settings.canned,
        )
    )
