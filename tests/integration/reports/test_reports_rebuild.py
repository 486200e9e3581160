"""The set-based rebuilds give the aggregates of the incremental fold, on SQLite and PostgreSQL.

Each comparison runs twice: SQL in the database, and DuckDB over the columnar copy (segments of
211 events, so several segments plus a tail read from the database).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from reports_scenario import insert_events
from reports_stream import random_stream
from sqlalchemy import Engine, text

from standardiste.reports.aggregator import ReportAggregator
from standardiste.store.engine import make_engine
from standardiste.store.migrate import upgrade

TABLES = {"rpt_queue": 3, "rpt_team": 3, "rpt_state": 5}  # table: number of key columns
SEGMENT = 211


@pytest.fixture(params=["sql", "copy"])
def copy_dir(request, tmp_path: Path) -> Path | None:
    """Return None (rebuild in the database) or a directory for the columnar copy."""
    return tmp_path / "copy" if request.param == "copy" else None


def snapshot(engine: Engine) -> dict[str, dict]:
    """Return every aggregate row by key, the open tracks and the cursor."""
    out: dict[str, dict] = {}
    with engine.connect() as conn:
        for table, nkeys in TABLES.items():
            result = conn.execute(text(f"SELECT * FROM {table}"))
            names = list(result.keys())
            out[table] = {
                tuple(row[:nkeys]): dict(zip(names[nkeys:], row[nkeys:], strict=True))
                for row in result
            }
        out["rpt_track"] = {
            iid: json.loads(data)
            for iid, data in conn.execute(text("SELECT interaction_id, data FROM rpt_track"))
        }
        out["rpt_cursor"] = dict(conn.execute(text("SELECT name, seq FROM rpt_cursor")).all())
    return out


def assert_same(got: dict[str, dict], want: dict[str, dict]) -> None:
    """Counts must match exactly; seconds up to float summation order (1e-6 s)."""
    assert got["rpt_cursor"] == want["rpt_cursor"]
    assert got["rpt_track"] == want["rpt_track"]
    for table in TABLES:
        assert got[table].keys() == want[table].keys(), table
        for key, row in want[table].items():
            for name, value in row.items():
                other = got[table][key][name]
                if isinstance(value, float) and (name.endswith("_s") or name == "seconds"):
                    assert other == pytest.approx(value, abs=1e-6), (table, key, name)
                else:
                    assert other == value, (table, key, name)


async def incremental(engine: Engine, config, chunk: int = 97) -> dict[str, dict]:
    """Fold the log event by event in odd-sized batches; return the snapshot."""
    agg = ReportAggregator(engine, config, chunk=chunk)
    await agg.catch_up()
    await agg.wait_closed()
    return snapshot(engine)


async def rebuilt(
    engine: Engine, config, copy_dir: Path | None = None, *, full: bool = True
) -> tuple[ReportAggregator, dict]:
    """Rebuild set-based; return the aggregator (to continue) and the snapshot."""
    agg = ReportAggregator(engine, config, copy_dir=copy_dir, segment_size=SEGMENT)
    await agg.rebuild(full=full)
    if copy_dir is not None:
        assert segment_files(copy_dir), "segments and a tail"
    return agg, snapshot(engine)


def segment_files(copy_dir: Path) -> list[Path]:
    """Return the copy's segment files."""
    return list(copy_dir.glob("seg-*.ev.parquet"))


async def test_scenario_rebuild_equals_incremental(engine, config, scenario, copy_dir) -> None:
    _, events = scenario  # boundaries, midnight, abandons, transfers, overflow
    insert_events(engine, events)
    want = await incremental(engine, config)
    agg, got = await rebuilt(engine, config, copy_dir)
    await agg.wait_closed()
    assert sum(r["transfers"] for r in want["rpt_queue"].values()) > 0
    assert sum(r["overflow_out"] for r in want["rpt_queue"].values()) > 0
    assert_same(got, want)


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_random_stream_rebuild_equals_incremental(engine, config, seed, copy_dir) -> None:
    events = random_stream(config, seed)
    insert_events(engine, events)
    want = await incremental(engine, config)
    agg, got = await rebuilt(engine, config, copy_dir)
    await agg.wait_closed()
    assert want["rpt_track"], "some interactions stay open at the end of the log"
    days = {k[1] for k in want["rpt_queue"] if k[0] == "day"}
    assert len(days) == 2, "the stream crosses local midnight"
    assert_same(got, want)


async def test_sql_folds_the_common_shapes(engine, config) -> None:
    events = random_stream(config, 4)
    insert_events(engine, events)
    agg = ReportAggregator(engine, config)
    from standardiste.reports.rebuild import SetRebuild

    built = SetRebuild(engine, agg._base).run()
    await agg.wait_closed()
    interactions = {e.interaction_id for e in events if e.interaction_id}
    # The Folder takes the detours and the open ones; SQL the rest (about half here).
    assert 0 < built.left_over < 0.7 * len(interactions)


async def test_incremental_continues_after_a_rebuild(engine, config, copy_dir) -> None:
    events = random_stream(config, 5)
    half = len(events) // 2
    insert_events(engine, events)
    want = await incremental(engine, config)
    with engine.begin() as conn:
        for table in (*TABLES, "rpt_track", "rpt_cursor"):
            conn.execute(text(f"DELETE FROM {table}"))
        conn.execute(text("DELETE FROM events WHERE seq > :h"), {"h": half})
    agg, _ = await rebuilt(engine, config, copy_dir)  # open tracks at `half` go to the Folder
    insert_events(engine, events[half:], first_seq=half + 1)
    await agg.catch_up()
    await agg.wait_closed()
    assert_same(snapshot(engine), want)


async def test_rebuild_keeps_compacted_agent_time_like_the_fold(engine, config, copy_dir) -> None:
    events = random_stream(config, 6)
    insert_events(engine, events)
    agg = ReportAggregator(engine, config, copy_dir=copy_dir, segment_size=SEGMENT)
    if copy_dir is not None:
        await agg.rebuild()  # the copy exists before compaction: its segments go stale
    await agg.catch_up()
    cut = events[len(events) // 3].ts
    with engine.begin() as conn:  # governance compaction (R-STATE-3)
        conn.execute(text("DELETE FROM events WHERE kind = 'agent.state' AND ts < :t"), {"t": cut})
    await agg.rebuild(method="fold")
    want = snapshot(engine)
    await agg.rebuild()
    await agg.wait_closed()
    assert_same(snapshot(engine), want)


async def test_postgresql_rebuild_equals_incremental(pg_url, config, scenario, copy_dir) -> None:
    engine = make_engine(pg_url)
    try:
        upgrade(engine)
        events = scenario[1] + random_stream(config, 7, contacts=150)
        insert_events(engine, events)
        want = await incremental(engine, config)
        agg, got = await rebuilt(engine, config, copy_dir)
        await agg.wait_closed()
        assert_same(got, want)
    finally:
        engine.dispose()


def test_cli_rebuild_both_methods_agree(tmp_path, scenario, capsys) -> None:
    import tomli_w
    from reports_scenario import scenario_mapping

    from standardiste.cli import main

    config_path = tmp_path / "centre.toml"
    config_path.write_bytes(tomli_w.dumps(scenario_mapping()).encode())
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    try:
        upgrade(engine)
        insert_events(engine, scenario[1])
        args = ["reports", "rebuild", "--db", url, "--config", str(config_path), "--full"]
        assert main([*args, "--method", "fold"]) == 0
        want = snapshot(engine)
        assert main(args) == 0
        assert f"up to event {len(scenario[1])}" in capsys.readouterr().out
        assert_same(snapshot(engine), want)
        assert main([*args, "--method", "sql"]) == 0
        assert_same(snapshot(engine), want)
    finally:
        engine.dispose()
