"""The columnar copy of the log follows governance's rewrites, other databases and the cursor."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
from reports_scenario import insert_events
from reports_stream import START, random_stream
from sqlalchemy import Engine, text
from test_reports_rebuild import assert_same, incremental, snapshot

from standardiste.reports import segments
from standardiste.reports.aggregator import ReportAggregator
from standardiste.store.engine import make_engine
from standardiste.store.migrate import upgrade


def files(copy: Path) -> dict[str, tuple[int, int]]:
    """Return each segment file with its inode change time and row count."""
    return {
        p.name: (p.stat().st_mtime_ns, pq.read_metadata(p).num_rows)
        for p in sorted(copy.glob("seg-*.ev.parquet"))
    }


async def columnar_and_fold(engine: Engine, config, copy: Path, size: int) -> tuple[dict, dict]:
    """Rebuild over the copy, then event by event; return both snapshots."""
    agg = ReportAggregator(engine, config, copy_dir=copy, segment_size=size)
    await agg.rebuild()
    got = snapshot(engine)
    await agg.rebuild(method="fold")
    await agg.wait_closed()
    return got, snapshot(engine)


async def test_compaction_rewrites_the_segments_it_touched_only(engine, config, tmp_path) -> None:
    events = random_stream(config, 8, contacts=2000)
    insert_events(engine, events)
    assert len(events) > 3 * segments.BLOCK
    copy = tmp_path / "copy"
    agg = ReportAggregator(engine, config, copy_dir=copy, segment_size=1000)
    await agg.rebuild()
    await agg.wait_closed()
    before = files(copy)
    lo = 2 * segments.BLOCK  # governance deletes agent.state events of block 2 only
    with engine.begin() as conn:
        conn.execute(
            text("DELETE FROM events WHERE kind = 'agent.state' AND seq >= :lo AND seq < :hi"),
            {"lo": lo, "hi": lo + segments.BLOCK},
        )
        assert conn.execute(text("SELECT block FROM rpt_log_change")).scalars().all() == [2]
    got, want = await columnar_and_fold(engine, config, copy, 1000)
    assert_same(got, want)
    after = files(copy)
    assert after.keys() == before.keys()
    for name, (mtime, rows) in before.items():
        seg_lo, seg_hi = (int(x) for x in name[4:-11].split("-"))
        touched = seg_hi >= lo and seg_lo < lo + segments.BLOCK
        assert (after[name][0] != mtime) == touched, name
        assert (after[name][1] < rows) == touched, name
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM rpt_log_change")).scalar() == 0


async def test_without_the_change_note_the_copy_would_be_stale(engine, config, tmp_path) -> None:
    # The control of the test above: the triggers' notes are what keeps the copy right.
    events = random_stream(config, 9)
    insert_events(engine, events)
    copy = tmp_path / "copy"
    agg = ReportAggregator(engine, config, copy_dir=copy, segment_size=500)
    await agg.rebuild()
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM events WHERE kind = 'agent.state' AND seq % 7 = 1"))
        conn.execute(text("DELETE FROM rpt_log_change"))
    await agg.rebuild()
    stale = snapshot(engine)
    await agg.rebuild(method="fold")
    await agg.wait_closed()
    assert stale["rpt_state"] != snapshot(engine)["rpt_state"]


async def test_an_erasure_rewrite_reaches_the_copy(engine, config, tmp_path) -> None:
    events = random_stream(config, 10)
    insert_events(engine, events)
    copy = tmp_path / "copy"
    agg = ReportAggregator(engine, config, copy_dir=copy, segment_size=300)
    await agg.rebuild()
    await agg.wait_closed()
    with engine.begin() as conn:  # a rewrite of `data` that changes what the fold reads
        rows = conn.execute(
            text("SELECT seq, data FROM events WHERE kind = 'interaction.ended'")
        ).all()
        for seq, data in rows:
            doc = json.loads(data)
            doc["acw"] = "none" if doc.get("acw") not in (None, "none") else "optional"
            conn.execute(
                text("UPDATE events SET data = :d WHERE seq = :s"), {"d": json.dumps(doc), "s": seq}
            )
    got, want = await columnar_and_fold(engine, config, copy, 300)
    assert_same(got, want)


async def test_a_copy_of_another_database_is_rewritten(config, tmp_path) -> None:
    copy = tmp_path / "copy"
    for n, seed in enumerate((11, 12)):
        engine = make_engine(f"sqlite:///{tmp_path / f'db{n}.db'}")
        try:
            upgrade(engine)
            insert_events(engine, random_stream(config, seed))
            want = await incremental(engine, config)
            got, _ = await columnar_and_fold(engine, config, copy, 400)
            assert_same(got, want)
        finally:
            engine.dispose()


async def test_segments_follow_the_cursor_and_serve_a_later_rebuild(
    engine, config, tmp_path
) -> None:
    events = random_stream(config, 13)
    copy = tmp_path / "copy"
    agg = ReportAggregator(engine, config, copy_dir=copy, segment_size=250, chunk=300)
    await agg.start()
    last = 0
    for start in range(0, len(events), 700):
        last = insert_events(engine, events[start : start + 700], first_seq=last + 1)
        agg.on_event(None)
        await agg.catch_up()
    assert agg._sealing is not None
    await asyncio.wrap_future(agg._sealing)
    await agg.close()
    await agg.wait_closed()
    chain = segments.SegmentStore(copy, engine, 250).chain()
    assert agg.seq == len(events)
    assert chain and agg.seq - 250 < chain[-1].hi <= agg.seq
    assert sum(s.rows for s in chain) > 0.5 * len(events)
    want = snapshot(engine)
    assert segments.recall(engine) == copy.resolve()
    # A rebuild by another aggregator of this database (the CLI's) finds the recorded copy.
    other = ReportAggregator(engine, config)
    await other.rebuild()
    await other.wait_closed()
    assert_same(snapshot(engine), want)
    assert files(copy).keys() == {s.path.name for s in chain}


async def test_postgresql_triggers_note_deletes_updates_and_truncate(pg_url) -> None:
    engine = make_engine(pg_url)
    try:
        upgrade(engine)
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO events (seq, ts, kind, data) VALUES "
                    "(1, 0, 'x', '{}'), (4096, 0, 'x', '{}'), (9000, 0, 'x', '{}')"
                )
            )
            conn.execute(text("DELETE FROM events WHERE seq = 4096"))
            conn.execute(text("UPDATE events SET data = '[]' WHERE seq IN (1, 9000)"))
            conn.execute(text("TRUNCATE events"))
            got = dict(conn.execute(text("SELECT block, n FROM rpt_log_change")).all())
        assert got == {0: 1, 1: 1, 2: 1, segments.ALL_BLOCKS: 1}
    finally:
        engine.dispose()


async def test_a_finished_day_is_one_segment(engine, config, tmp_path) -> None:
    events = random_stream(config, 14)  # from 23:30 to past midnight
    insert_events(engine, events)
    want = await incremental(engine, config)
    copy = tmp_path / "copy"
    store = segments.SegmentStore(copy, engine, 60)
    chain = store.seal(len(events))
    first_day = sum(1 for e in events if e.ts < START + 1800)  # the events before midnight
    assert chain[0].lo == 0 and chain[0].hi == first_day and chain[0].day_end
    assert len(chain) > 3 and not any(s.day_end for s in chain[1:])
    # What a consolidation leaves if stopped before removing the segments it replaced.
    again = store.write(0, 30)
    assert [s.hi for s in store.chain()][:1] == [first_day]
    assert not again.path.exists()
    got, _ = await columnar_and_fold(engine, config, copy, 60)
    assert_same(got, want)


def test_one_process_at_a_time_holds_the_copy(engine, tmp_path) -> None:
    copy = tmp_path / "copy"
    store = segments.SegmentStore(copy, engine)
    probe = (
        "import fcntl, os, sys; fd = os.open(sys.argv[1], os.O_RDWR); "
        "fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)"
    )
    with store.locked(), store.locked():  # re-entrant in this process
        held = subprocess.run([sys.executable, "-c", probe, str(copy / ".lock")], check=False)
    assert held.returncode != 0  # another process could not take it
    free = subprocess.run([sys.executable, "-c", probe, str(copy / ".lock")], check=False)
    assert free.returncode == 0
