# ruff: noqa: E402  (bench/ must leave sys.path before the imports, see below)
"""Benchmark the report aggregates against DuckDB over the raw events in Parquet.

A synthetic national month (default 10 million events, 900 agents, 12 sites, 30 days) is written
to an SQLite event log and to a Parquet file. Measured in the same run:
  1. full rebuild of the aggregates vs DuckDB computing the same aggregation from Parquet (the
     rebuild reads the aggregator's columnar copy of the sealed log plus the tail from SQLite;
     the copy's cold export is timed apart: a server writes it as the log grows);
  2. p95 latency of a national-month report from the aggregates vs the same figures by DuckDB;
  3. incremental lag: events appended through the EventLog until the aggregator has folded them.

    python bench/reports.py [--events 10000000] [--agents 900] [--sites 12] [--days 30]
"""

from __future__ import annotations

import sys
from pathlib import Path

# bench/ holds scripts named like stdlib modules (email.py): keep it off the import path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent.resolve()]

import argparse
import asyncio
import json
import logging
import os
import random
import shutil
import sqlite3
import statistics
import tempfile
import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import text

from standardiste.config import Config, parse_config
from standardiste.domain.events import Event
from standardiste.reports.aggregator import ReportAggregator
from standardiste.reports.query import ReportReader
from standardiste.store.engine import make_engine
from standardiste.store.log import EventLog
from standardiste.store.migrate import upgrade

TZ = ZoneInfo("Europe/Paris")
FIRST_DAY = date(2026, 10, 1)
# Answered: 9 events (3 of them agent.state), abandons (8 %): 3; plus 2 log-in events per agent-day.
EVENTS_PER_CONTACT = 0.92 * 9 + 0.08 * 3


def national_config(agents: int, sites: int) -> Config:
    """Return a configuration: 4 regions, `sites` sites, teams of 12, 2 voice queues per site."""
    teams = max(1, agents // 12)
    return parse_config(
        {
            "regions": [{"id": f"r{i}"} for i in range(4)],
            "sites": [{"id": f"s{i}", "region": f"r{i % 4}"} for i in range(sites)],
            "teams": [{"id": f"t{i}", "site": f"s{i % sites}"} for i in range(teams)],
            "queues": [
                {"id": f"q{i}", "channel": "voice", "site": f"s{i % sites}", "skills": {"x": 1}}
                for i in range(2 * sites)
            ]
            # The configuration requires a postal-mail queue; no contact goes to it here.
            + [{"id": "q-post", "channel": "mail", "site": "s0", "skills": {"x": 1}}],
            "agents": [
                {"id": f"a{i}", "team": f"t{i % teams}", "skills": {"x": 1}} for i in range(agents)
            ],
        }
    )


def day_events(cfg: Config, day: date, contacts: int, rng: random.Random, serial: list[int]):
    """Yield (ts, kind, agent, interaction, data) for one day, in time order."""
    out = []
    start = datetime.combine(day, datetime.min.time(), TZ).timestamp() + 8 * 3600
    agents = cfg.agents
    queues = [q.id for q in cfg.queues if q.channel.value == "voice"]
    free_at = {a.id: start for a in agents}
    state = {a.id: ("not_ready", "login", start) for a in agents}

    def st(agent, team, ts, new, reason=None):
        prev, prev_reason, since = state[agent]
        state[agent] = (new, reason, ts)
        out.append(
            (
                ts,
                "agent.state",
                agent,
                None,
                {
                    "agent_id": agent,
                    "state": new,
                    "reason": reason,
                    "prev_state": prev,
                    "prev_reason": prev_reason,
                    "prev_duration_s": round(ts - since, 3),
                    "team_id": team,
                },
            )
        )

    for a in agents:
        out.append(
            (
                start,
                "agent.state",
                a.id,
                None,
                {
                    "agent_id": a.id,
                    "state": "not_ready",
                    "reason": "login",
                    "prev_state": "logged_out",
                    "prev_reason": None,
                    "prev_duration_s": 0.0,
                    "team_id": a.team,
                },
            )
        )
        st(a.id, a.team, start + 60, "ready")
    span = 10 * 3600
    for _ in range(contacts):
        serial[0] += 1
        iid = f"i{serial[0]}"
        q = rng.choice(queues)
        ts = start + 120 + rng.random() * span
        out.append(
            (
                ts,
                "interaction.created",
                None,
                iid,
                {"interaction_id": iid, "channel": "voice", "queue_id": q},
            )
        )
        out.append(
            (
                ts,
                "interaction.queued",
                None,
                iid,
                {"interaction_id": iid, "queue_id": q, "cause": "new"},
            )
        )
        wait = rng.expovariate(1 / 25)
        if rng.random() < 0.08:
            out.append(
                (
                    ts + wait,
                    "interaction.abandoned",
                    None,
                    iid,
                    {"interaction_id": iid, "queue_id": q, "wait_s": round(wait, 3)},
                )
            )
            continue
        a = agents[rng.randrange(len(agents))]
        t0 = max(ts + wait, free_at[a.id])
        talk, acw = rng.uniform(60, 420), rng.uniform(0, 60)
        st(a.id, a.team, t0, "alerting")
        out.append(
            (
                t0,
                "interaction.offered",
                a.id,
                iid,
                {"interaction_id": iid, "agent_id": a.id, "queue_id": q},
            )
        )
        out.append(
            (
                t0 + 3,
                "interaction.connected",
                a.id,
                iid,
                {"interaction_id": iid, "agent_id": a.id, "queue_id": q, "wait_s": t0 + 3 - ts},
            )
        )
        st(a.id, a.team, t0 + 3, "busy_voice")
        out.append(
            (
                t0 + 3 + talk,
                "interaction.ended",
                a.id,
                iid,
                {"interaction_id": iid, "agent_id": a.id, "acw": "optional"},
            )
        )
        out.append(
            (
                t0 + 3 + talk + acw,
                "interaction.completed",
                a.id,
                iid,
                {"interaction_id": iid, "agent_id": a.id},
            )
        )
        st(a.id, a.team, t0 + 3 + talk + acw, "ready")
        free_at[a.id] = t0 + 3 + talk + acw
    # agent.state rows were emitted in generation order, not time order: rebuild the chains.
    out.sort(key=lambda e: e[0])
    return _rechain(out)


def _rechain(events):
    """Recompute prev_state/prev_duration of agent.state events once they are in time order."""
    last: dict[str, tuple[str, str | None, float]] = {}
    for ts, kind, agent, _iid, data in events:
        if kind != "agent.state":
            continue
        prev = last.get(agent)
        if prev is not None:
            data["prev_state"], data["prev_reason"] = prev[0], prev[1]
            data["prev_duration_s"] = round(ts - prev[2], 3)
        last[agent] = (data["state"], data["reason"], ts)
    return events


def generate(cfg: Config, total: int, days: int, db: Path, parquet: Path) -> int:
    """Write about `total` events to the SQLite log and the Parquet file; return the count."""
    rng = random.Random(2026)
    per_day = int((total / days - 2 * len(cfg.agents)) / EVENTS_PER_CONTACT)
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    schema = pa.schema(
        [
            ("seq", pa.int64()),
            ("ts", pa.float64()),
            ("kind", pa.string()),
            ("agent_id", pa.string()),
            ("interaction_id", pa.string()),
            ("data", pa.string()),
        ]
    )
    writer = pq.ParquetWriter(parquet, schema)
    seq, serial = 0, [0]
    for d in range(days):
        rows = []
        for ts, kind, agent, iid, data in day_events(
            cfg, FIRST_DAY + timedelta(days=d), per_day, rng, serial
        ):
            seq += 1
            rows.append((seq, ts, kind, agent, iid, json.dumps(data, separators=(",", ":"))))
        conn.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?)", rows)
        conn.commit()
        writer.write_table(
            pa.Table.from_arrays([pa.array(c) for c in zip(*rows, strict=False)], schema=schema)
        )
    writer.close()
    conn.close()
    return seq


DUCK_AGGREGATE = """
WITH e AS (SELECT ts, kind, interaction_id AS iid, agent_id,
                  json_extract_string(data, '$.queue_id') AS queue_id,
                  json_extract_string(data, '$.team_id') AS team,
                  json_extract_string(data, '$.prev_state') AS prev_state,
                  TRY_CAST(json_extract(data, '$.prev_duration_s') AS DOUBLE) AS dur
           FROM read_parquet('{p}')),
q AS (SELECT iid, min(ts) FILTER (kind = 'interaction.queued') AS t_q,
             any_value(queue_id) FILTER (kind = 'interaction.queued') AS queue_id,
             min(ts) FILTER (kind = 'interaction.connected') AS t_c,
             min(ts) FILTER (kind = 'interaction.abandoned') AS t_a,
             min(ts) FILTER (kind = 'interaction.ended') AS t_e,
             min(ts) FILTER (kind = 'interaction.completed') AS t_x
      FROM e WHERE iid IS NOT NULL GROUP BY iid),
queue15 AS (SELECT floor(t_q / 900) * 900 AS bucket, queue_id, count(*) AS offered,
                   count(t_c) AS answered, count(t_a) AS abandoned,
                   count(*) FILTER (t_c - t_q <= 20) AS answered_in_sl,
                   sum(t_c - t_q) AS wait_s, sum(t_e - t_c) AS talk_s, sum(t_x - t_e) AS acw_s
            FROM q GROUP BY ALL),
state15 AS (SELECT floor((ts - dur) / 900) * 900 AS bucket, team, prev_state,
                   sum(dur) AS seconds
            FROM e WHERE kind = 'agent.state' AND prev_state <> 'logged_out' GROUP BY ALL)
SELECT (SELECT count(*) FROM queue15), (SELECT sum(offered) FROM queue15),
       (SELECT count(*) FROM state15), (SELECT sum(seconds) FROM state15)
"""

DUCK_MONTH = """
WITH e AS (SELECT ts, kind, interaction_id AS iid FROM read_parquet('{p}')
           WHERE kind IN ('interaction.queued', 'interaction.connected',
                          'interaction.abandoned')),
q AS (SELECT iid, min(ts) FILTER (kind = 'interaction.queued') AS t_q,
             min(ts) FILTER (kind = 'interaction.connected') AS t_c,
             min(ts) FILTER (kind = 'interaction.abandoned') AS t_a
      FROM e GROUP BY iid)
SELECT count(*) AS offered, count(t_c) AS answered, count(t_a) AS abandoned,
       count(*) FILTER (t_c - t_q <= 20) / count(*) AS sl, avg(t_c - t_q) AS asa FROM q
"""


def p95(samples: list[float]) -> float:
    """Return the 95th percentile."""
    return sorted(samples)[max(0, int(len(samples) * 0.95) - 1)]


async def incremental_lag(
    engine, cfg: Config, seconds: float, rate: int, copy: Path
) -> tuple[list[float], int]:
    """Append `rate` events per second through the EventLog; return fold lags, segments written.

    The aggregator keeps its columnar copy meanwhile: with the log 20,000 events past the last
    segment, one segment (200,000 events) is exported by its thread during the measure.
    """
    log = EventLog(engine)
    await log.start()
    agg = ReportAggregator(engine, cfg, copy_dir=copy)
    before = segment_files(copy)
    await agg.start()
    lags: list[float] = []
    n, t_end = 0, time.monotonic() + seconds
    base = datetime.combine(FIRST_DAY + timedelta(days=40), datetime.min.time(), TZ).timestamp()
    while time.monotonic() < t_end:
        batch = []
        for _ in range(rate // 10):
            n += 1
            iid = f"live{n}"
            batch.append(Event("interaction.created", base + n, {"interaction_id": iid,
                               "channel": "voice", "queue_id": "q0"}))  # fmt: skip
            batch.append(Event("interaction.queued", base + n, {"interaction_id": iid,
                               "queue_id": "q0", "cause": "new"}))  # fmt: skip
        await log.append(batch)
        committed = time.monotonic()
        target = batch[-1].seq or 0
        agg.on_event(batch[-1])
        while agg.seq < target:  # noqa: ASYNC110 - polling the cursor is what lag means
            await asyncio.sleep(0.005)
        lags.append(time.monotonic() - committed)
        await asyncio.sleep(0.1)
    await agg.close()
    await agg.wait_closed()
    await log.close()
    await log.wait_closed()
    return lags, len(segment_files(copy) - before)


def segment_files(copy: Path) -> set[Path]:
    """Return the segment files of the columnar copy."""
    return set(copy.glob("seg-*.ev.parquet"))


def timed(work) -> tuple[float, float]:
    """Run `work()`; return its wall time and the process CPU time it used (all threads)."""
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    return time.perf_counter() - wall, time.process_time() - cpu


def load() -> str:
    """Return the 1-minute load average (the machine is shared)."""
    return f"{os.getloadavg()[0]:.1f}"


def main() -> None:
    """Run the benchmark and print the table."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--events", type=int, default=10_000_000)
    ap.add_argument("--agents", type=int, default=900)
    ap.add_argument("--sites", type=int, default=12)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--dir", type=Path, default=None)
    ap.add_argument("--reuse", action="store_true", help="reuse the events already in --dir")
    ap.add_argument("--generate-only", action="store_true", help="write the events and stop")
    ap.add_argument("--fold", action="store_true", help="also time the event-by-event rebuild")
    ap.add_argument("--sql", action="store_true", help="also time the in-database SQL rebuild")
    ap.add_argument("--keep-copy", action="store_true", help="reuse the columnar copy as is")
    ap.add_argument("--repeat", type=int, default=2, help="rebuilds per engine (alternated)")
    args = ap.parse_args()
    logging.basicConfig(format="  %(message)s")
    logging.getLogger("standardiste.reports.columnar").setLevel(logging.INFO)  # steps' times
    tmp = args.dir or Path(tempfile.mkdtemp(prefix="bench-reports-"))
    tmp.mkdir(parents=True, exist_ok=True)
    db, parquet = tmp / "events.db", tmp / "events.parquet"
    cfg = national_config(args.agents, args.sites)
    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    t = time.perf_counter()
    if args.reuse and parquet.exists():
        count = pq.ParquetFile(parquet).metadata.num_rows
        with engine.begin() as conn:  # drop what an earlier run's lag test appended
            conn.execute(text("DELETE FROM events WHERE seq > :n"), {"n": count})
    else:
        count = generate(cfg, args.events, args.days, db, parquet)
    gen_s = time.perf_counter() - t
    print(f"{count:,} events ready in {gen_s:.1f} s ({tmp}), load {load()}")
    if args.generate_only:
        return

    copy = tmp / "copy"
    if not args.keep_copy:
        shutil.rmtree(copy, ignore_errors=True)
    agg = ReportAggregator(engine, cfg, chunk=50_000, copy_dir=copy)
    assert agg.copy is not None
    wall, cpu = timed(lambda: agg.copy.seal(count))  # type: ignore[union-attr]
    chain = agg.copy.chain()
    tail = count - (chain[-1].hi if chain else 0)
    size = sum(p.stat().st_size for p in copy.glob("seg-*.parquet")) / 1e6
    print(f"columnar copy: {len(chain)} segments, {size:.0f} MB, written in {wall:.1f} s "
          f"(CPU {cpu:.1f} s, {cpu / count * 1e6:.1f} us/event), load {load()}; "
          f"tail {tail:,} events")  # fmt: skip
    duck = duckdb.connect()
    duck.execute("SET threads = 2")
    builds: list[tuple[str, float, float, str]] = []
    print(f"\n{'rebuild':16} {'wall s':>8} {'cpu s':>8}  load", flush=True)

    def build(name: str, work) -> None:
        wall, cpu = timed(work)
        builds.append((name, wall, cpu, load()))
        print(f"{name:16} {wall:8.2f} {cpu:8.2f}  {builds[-1][3]}", flush=True)

    if args.fold:
        build("event-by-event", lambda: agg.rebuild_blocking(full=True, method="fold"))
    if args.sql:
        build("sql in SQLite", lambda: agg.rebuild_blocking(full=True, method="sql"))
    for _ in range(args.repeat):  # alternate the engines: the load of the shared machine moves
        build("duckdb", lambda: duck.execute(DUCK_AGGREGATE.format(p=parquet)).fetchall())
        build("copy + tail", lambda: agg.rebuild_blocking(full=True))
    agg._pool.shutdown()
    agg._copy_pool.shutdown()
    rebuild_s = statistics.median(w for n, w, _, _ in builds if n == "copy + tail")
    duck_build_s = statistics.median(w for n, w, _, _ in builds if n == "duckdb")

    reader = ReportReader(engine, cfg)
    last = FIRST_DAY + timedelta(days=args.days - 1)
    period = reader.period(FIRST_DAY, last)
    ours, duck_q = [], []
    for _ in range(args.runs):
        t = time.perf_counter()
        queue_rows = reader.queue_report("national", "month", period)
        reader.agent_report("national", "month", period)
        ours.append(time.perf_counter() - t)
    for _ in range(max(3, args.runs // 10)):
        t = time.perf_counter()
        duck_row = duck.execute(DUCK_MONTH.format(p=parquet)).fetchone()
        duck_q.append(time.perf_counter() - t)
    total = next(r for r in queue_rows if r["channel"] == "all")
    assert duck_row is not None and int(duck_row[0]) == int(total["offered"]), (duck_row, total)
    assert int(duck_row[1]) == int(total["answered"])

    lags, sealed = asyncio.run(incremental_lag(engine, cfg, seconds=10, rate=2000, copy=copy))
    rows = [
        ("full rebuild (s)", rebuild_s, duck_build_s, rebuild_s / duck_build_s, "<= 2x DuckDB"),
        ("national-month report p95 (ms)", p95(ours) * 1e3, p95(duck_q) * 1e3,
         p95(duck_q) / p95(ours), ">= 10x faster, < 300 ms"),
        ("national-month report median (ms)", statistics.median(ours) * 1e3,
         statistics.median(duck_q) * 1e3, statistics.median(duck_q) / statistics.median(ours), ""),
        ("incremental lag p95 / max (s)", p95(lags), max(lags), None,
         f"< 2 s ({sealed} segment(s) exported meanwhile)"),
    ]  # fmt: skip
    for name, label in (("event-by-event", "event-by-event rebuild (s)"),
                        ("sql in SQLite", "SQL rebuild in SQLite (s)")):  # fmt: skip
        other = [w for n, w, _, _ in builds if n == name]
        if other:
            rows.insert(1, (label, other[0], duck_build_s, other[0] / duck_build_s, "(before)"))
    print(f"\n{count:,} events, {args.agents} agents, {args.sites} sites, {args.days} days")
    print(f"{'measure':36} {'aggregates':>12} {'DuckDB':>12} {'ratio':>8}  target")
    for name, a, b, ratio, target in rows:
        r = "" if ratio is None else f"{ratio:8.2f}"
        print(f"{name:36} {a:12.2f} {b:12.2f} {r:>8}  {target}")
    print(f"offered {int(total['offered']):,}, answered {int(total['answered']):,} (both engines)")


if __name__ == "__main__":
    main()
