"""Benchmark the routing engine and the event log.

Routing: decisions per second and decision latency (p50/p99) at 2,000 and 10,000 agents,
100 queues, 20 skills, against a linear-scan reference router over the same data.
Event log: events appended per second in batches on SQLite and PostgreSQL, against a raw
DB-API executemany of the same rows.
Run: python bench/routing.py [--pg URL] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import machine, percentile, table  # noqa: E402

from standardiste.domain.centre import Centre  # noqa: E402
from standardiste.domain.clock import FakeClock  # noqa: E402
from standardiste.domain.events import Event  # noqa: E402
from standardiste.domain.interactions import Status  # noqa: E402
from standardiste.domain.model import AgentDef, CentreDef, Channel, QueueDef  # noqa: E402
from standardiste.domain.routing import Router  # noqa: E402

SKILLS = [f"s{i}" for i in range(20)]


def build(n_agents: int, n_queues: int = 100, seed: int = 1) -> CentreDef:
    """Return a centre of `n_agents` with 100 queues over 20 skills."""
    rng = random.Random(seed)
    queues = {}
    for i in range(n_queues):
        channel = Channel.VOICE if i < 70 else Channel.EMAIL if i < 90 else Channel.MAIL
        skills = {s: rng.randint(1, 3) for s in rng.sample(SKILLS, rng.choice([1, 1, 2]))}
        queues[f"q{i}"] = QueueDef(
            f"q{i}", channel, skills, priority=rng.randint(0, 3), offer_timeout_s=30
        )
    agents = {}
    for i in range(n_agents):
        skills = {s: rng.randint(1, 5) for s in rng.sample(SKILLS, rng.randint(3, 6))}
        agents[f"a{i}"] = AgentDef(f"a{i}", f"t{i // 10}", skills)
    return CentreDef(queues, agents)


class ScanRouter:
    """Reference: the obvious router that scans every agent for each task."""

    def __init__(self, centre: Centre) -> None:
        self.centre = centre

    def best_agent(self, queue_id: str) -> str | None:
        """Return the best-skilled, longest-idle available agent by scanning all agents."""
        q = self.centre.definition.queues[queue_id]
        best = None
        for agent in self.centre.agents.values():
            skills = agent.definition.skills
            if not all(skills.get(s, 0) >= lvl for s, lvl in q.skills.items()):
                continue
            if not agent.can_take(q.channel):
                continue
            key = (-sum(skills.get(s, 0) for s in q.skills), agent.idle_since.get(q.channel, 0.0))
            if best is None or key < best[0]:
                best = (key, agent.id)
        return None if best is None else best[1]


class TimedRouter(Router):
    """The production router, timing each matching decision it makes inside the commands."""

    def __init__(self, *args: object) -> None:
        super().__init__(*args)  # type: ignore[arg-type]
        self.samples: list[float] = []

    def best_agent(self, task_id: str) -> str | None:
        """Time the choice of an agent for an arriving task."""
        t0 = time.thread_time_ns()
        found = super().best_agent(task_id)
        self.samples.append((time.thread_time_ns() - t0) / 1e6)
        return found

    def best_task(self, agent_id: str, channel: Channel, now: float) -> str | None:
        """Time the choice of a task for a freed agent."""
        t0 = time.thread_time_ns()
        found = super().best_task(agent_id, channel, now)
        self.samples.append((time.thread_time_ns() - t0) / 1e6)
        return found


def routing_run(n_agents: int, decisions: int, seed: int = 2) -> dict[str, float]:
    """Drive arrivals and completions through the Centre; time every command that routes.

    A decision is an arrival matched to an agent, or a freed agent matched to a waiting task.
    Its latency is the whole command (state machine, router, events), not the lookup alone.
    """
    definition = build(n_agents)
    centre = Centre(definition, FakeClock())
    router = TimedRouter(definition.queues, definition.agents)
    centre.router = router
    for aid in definition.agents:
        centre.login(aid)
        centre.set_presence(aid, "ready")
    router.samples.clear()
    rng = random.Random(seed)
    queue_ids = list(definition.queues)
    latencies: list[float] = []
    connected: list[str] = []
    made = 0
    n = 0
    # CPU time of this thread: on a shared machine, wall time would count preemption by other
    # processes as routing latency. The wall-clock rate is reported beside it.
    perf = time.thread_time_ns
    wall0 = time.perf_counter()
    gc.collect()
    gc.freeze()
    elapsed_ns = 0
    while made < decisions:
        centre.clock.advance(0.01)
        qid = rng.choice(queue_ids)
        iid = f"i{n}"
        n += 1
        t0 = perf()
        result = centre.create_interaction(iid, definition.queues[qid].channel.value, qid)
        dt = perf() - t0
        elapsed_ns += dt
        item = centre.interactions[iid]
        if item.status is Status.OFFERED:
            made += 1
            latencies.append(dt / 1e6)
            centre.accept(iid, item.agent_id)
            connected.append(iid)
        # Keep about 70 % of agents busy: finish random work when above that.
        while len(connected) > 0.7 * n_agents:
            done = connected.pop(rng.randrange(len(connected)))
            agent_id = centre.interactions[done].agent_id
            t0 = perf()
            result = centre.complete(done)
            dt = perf() - t0
            elapsed_ns += dt
            offers = [e for e in result.events if e.kind == "interaction.offered"]
            if offers:
                made += len(offers)
                latencies.append(dt / 1e6)
            for next_id in list(centre.agents[agent_id].offers):
                centre.accept(next_id, agent_id)
                connected.append(next_id)
    wall = time.perf_counter() - wall0
    gc.unfreeze()
    # Reference in the same state: the scanning router for the same kind of arrival.
    scan = ScanRouter(centre)
    ref: list[float] = []
    for _ in range(40):
        qid = rng.choice(queue_ids)
        t0 = perf()
        scan.best_agent(qid)
        ref.append((perf() - t0) / 1e6)
    return {
        "agents": n_agents,
        "decisions": made,
        "decisions_per_s": made / (elapsed_ns / 1e9),
        "wall_s": wall,
        "p50_ms": percentile(latencies, 50),
        "p99_ms": percentile(latencies, 99),
        "ref_p50_ms": percentile(ref, 50),
        "match_n": len(router.samples),
        "match_per_s": len(router.samples) / (sum(router.samples) / 1e3),
        "match_p50_ms": percentile(router.samples, 50),
        "match_p99_ms": percentile(router.samples, 99),
    }


async def append_run(url: str, events: int, batch: int) -> float:
    """Return events appended per second through the EventLog in batches."""
    from standardiste.store.engine import make_engine
    from standardiste.store.log import EventLog
    from standardiste.store.migrate import upgrade

    engine = make_engine(url)
    upgrade(engine)
    log = EventLog(engine)
    await log.start()
    payload = {
        "agent_id": "a1",
        "state": "ready",
        "prev_state": "not_ready",
        "prev_duration_s": 12.5,
        "team_id": "t1",
    }
    batches = [
        [Event("agent.state", 1.0e9 + i, dict(payload)) for i in range(batch)]
        for _ in range(events // batch)
    ]
    t0 = time.perf_counter()
    await asyncio.gather(*(log.append(b) for b in batches))
    rate = events / (time.perf_counter() - t0)
    await log.close()
    await log.wait_closed()
    engine.dispose()
    return rate


def raw_insert_rate(url: str, events: int, batch: int) -> float:
    """Reference: the same rows through the bare DB-API driver's executemany."""
    payload = json.dumps(
        {
            "agent_id": "a1",
            "state": "ready",
            "prev_state": "not_ready",
            "prev_duration_s": 12.5,
            "team_id": "t1",
        }
    )
    if url.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(url.removeprefix("sqlite:///"))
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute(
            "CREATE TABLE IF NOT EXISTS raw(seq INTEGER PRIMARY KEY, ts REAL, kind TEXT,"
            " agent_id TEXT, interaction_id TEXT, data TEXT)"
        )
        sql = "INSERT INTO raw VALUES (?,?,?,?,?,?)"
    else:
        import psycopg

        conn = psycopg.connect(url.replace("+psycopg", "").split("?")[0])
        conn.execute(
            "CREATE TEMP TABLE raw(seq BIGINT PRIMARY KEY, ts DOUBLE PRECISION,"
            " kind TEXT, agent_id TEXT, interaction_id TEXT, data TEXT)"
        )
        sql = "INSERT INTO raw VALUES (%s,%s,%s,%s,%s,%s)"
    t0 = time.perf_counter()
    seq = 0
    for _ in range(events // batch):
        rows = []
        for _ in range(batch):
            seq += 1
            rows.append((seq, 1.0e9 + seq, "agent.state", "a1", None, payload))
        cur = conn.cursor()
        cur.executemany(sql, rows)
        conn.commit()
    rate = events / (time.perf_counter() - t0)
    conn.close()
    return rate


def main() -> int:
    """Run the benchmark and print tables."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    decisions = 5_000 if args.quick else 40_000
    print(f"# Routing and event-log benchmark\n\n{machine()}, {time.strftime('%Y-%m-%d')}\n")
    rows = []
    cmd_rows = []
    for n in (2_000, 10_000):
        r = routing_run(n, decisions)
        rows.append(
            [
                n,
                100,
                20,
                r["match_n"],
                f"{r['match_per_s']:,.0f}",
                f"{r['match_p50_ms']:.4f}",
                f"{r['match_p99_ms']:.4f}",
                f"{r['ref_p50_ms']:.2f}",
                f"{r['ref_p50_ms'] / r['match_p50_ms']:,.0f}x",
            ]
        )
        cmd_rows.append(
            [
                n,
                r["decisions"],
                f"{r['decisions_per_s']:,.0f}",
                f"{r['p50_ms']:.3f}",
                f"{r['p99_ms']:.3f}",
                f"{r['wall_s']:.1f}",
            ]
        )
    print("Routing decisions (the engine choosing among agents or tasks; CPU time):\n")
    print(
        table(
            [
                "agents",
                "queues",
                "skills",
                "decisions",
                "decisions/s",
                "p50 ms",
                "p99 ms",
                "scan-all reference p50 ms",
                "p50 vs reference",
            ],
            rows,
        )
    )
    print("\nWhole routing commands (state machine + router + events; CPU time):\n")
    print(table(["agents", "offers made", "offers/s", "p50 ms", "p99 ms", "wall s"], cmd_rows))
    print()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        events = 20_000 if args.quick else 100_000
        for name, url in (
            ("SQLite (WAL, synchronous=FULL)", f"sqlite:///{tmp}/b.db"),
            ("PostgreSQL 15", args.pg),
        ):
            if url.startswith("postgresql"):
                from sqlalchemy import create_engine, text

                schema = f"bench_{int(time.time())}"
                admin = create_engine(url)
                with admin.begin() as c:
                    c.execute(text(f"CREATE SCHEMA {schema}"))
                url = f"{url}?options=-csearch_path%3D{schema}"
            try:
                for batch in (100, 1000):
                    raw_url = (
                        url if url.startswith("postgresql") else f"sqlite:///{tmp}/raw{batch}.db"
                    )
                    rate = asyncio.run(append_run(url, events, batch))
                    ref = raw_insert_rate(raw_url, events, batch)
                    rows.append(
                        [name, batch, events, f"{rate:,.0f}", f"{ref:,.0f}", f"{rate / ref:.2f}"]
                    )
            finally:
                if url.startswith("postgresql"):
                    with admin.begin() as c:
                        c.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    print(
        table(
            ["store", "batch", "events", "EventLog events/s", "raw executemany events/s", "ratio"],
            rows,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
