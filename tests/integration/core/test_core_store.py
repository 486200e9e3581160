"""The event log on SQLite and PostgreSQL: migrations, ordered acknowledged appends, reads."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from standardiste.domain.events import Event
from standardiste.store.engine import make_engine
from standardiste.store.log import EventLog, read_events
from standardiste.store.migrate import current_tables, upgrade
from standardiste.store.schema import events as events_table


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """Yield a database URL of each kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'log.db'}"
    else:
        yield request.getfixturevalue("pg_url")


async def test_appends_are_ordered_acknowledged_and_read_back(db_url):
    engine = make_engine(db_url)
    upgrade(engine)
    upgrade(engine)  # idempotent
    assert {"events", "kv"} <= current_tables(engine)
    log = EventLog(engine)
    await log.start()
    batches = [
        [Event("test.x", 1000.0 + i, {"agent_id": f"a{i % 3}", "i": i, "j": j}) for j in range(3)]
        for i in range(200)
    ]
    await asyncio.gather(*(log.append(b) for b in batches))
    assert log.last_seq == 600
    assert all(e.seq is not None for b in batches for e in b)
    # A batch is contiguous: its events were committed in one transaction.
    for b in batches:
        seqs = [e.seq for e in b]
        assert seqs == list(range(seqs[0], seqs[0] + 3))
    await log.close()
    await log.wait_closed()
    events = list(read_events(engine, chunk=64))
    assert [e.seq for e in events] == list(range(1, 601))
    assert sum(1 for _ in read_events(engine, agent_id="a1")) == 201
    assert list(read_events(engine, 598))[0].data == {"agent_id": "a1", "i": 199, "j": 1}
    # A restarted log continues the sequence.
    log2 = EventLog(engine)
    await log2.start()
    await log2.append([Event("test.y", 2000.0, {})])
    assert log2.last_seq == 601
    await log2.close()
    await log2.wait_closed()
    engine.dispose()


async def test_failed_batch_is_not_acknowledged_and_nothing_is_half_written(db_url):
    engine = make_engine(db_url)
    upgrade(engine)
    log = EventLog(engine)
    await log.start()
    await log.append([Event("ok", 1.0, {})])

    class Unserialisable:
        def __str__(self) -> str:
            raise ValueError("cannot serialise")

    with pytest.raises(ValueError):
        await log.append([Event("good", 2.0, {}), Event("bad", 3.0, {"x": Unserialisable()})])
    await log.append([Event("after", 4.0, {})])
    await log.close()
    await log.wait_closed()
    with engine.connect() as conn:
        kinds = [
            r[0] for r in conn.execute(select(events_table.c.kind).order_by(events_table.c.seq))
        ]
        count = conn.execute(select(func.count()).select_from(events_table)).scalar()
    assert kinds == ["ok", "after"]
    assert count == 2
    engine.dispose()


async def test_service_keeps_finished_interactions_only_for_their_horizon(tmp_path):
    from sd_testing import DEMO_CONFIG
    from standardiste.config import centre_definition, load_config
    from standardiste.domain.clock import FakeClock
    from standardiste.service import CentreService

    engine = make_engine(f"sqlite:///{tmp_path / 'keep.db'}")
    upgrade(engine)
    definition = centre_definition(load_config(DEMO_CONFIG))
    clock = FakeClock()
    queue = next(q.id for q in definition.queues.values() if q.channel.value == "email")

    async def service() -> CentreService:
        log = EventLog(engine)
        await log.start()
        svc = CentreService(definition, clock, log, engine, keep_finished_s=3600)
        await svc.start()
        return svc

    svc = await service()
    await svc.create_interaction("email", queue, {}, interaction_id="old")
    await svc.abandon("old")
    clock.advance(1800)
    await svc.create_interaction("email", queue, {}, interaction_id="recent")
    await svc.abandon("recent")
    clock.advance(2400)  # "old" finished 70 min ago, "recent" 40 min ago
    await svc.close()
    await svc.log.close()
    svc = await service()  # the rebuild replays both, then forgets the old one
    try:
        assert "old" not in svc.centre.interactions and "recent" in svc.centre.interactions
        assert len(list(read_events(engine, interaction_id="old"))) >= 2  # the log keeps it
    finally:
        await svc.close()
        await svc.log.close()
        engine.dispose()
