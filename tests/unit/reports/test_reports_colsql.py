"""The columnar copy keeps what the fold reads, and its partials merge like the one-pass SQL."""

from __future__ import annotations

import random

import duckdb
import pyarrow as pa

from standardiste.reports import colsql, setsql
from standardiste.reports.aggregator import FOLDED_KINDS
from standardiste.reports.segfile import KINDS, SCHEMA


def test_the_copy_holds_every_kind_the_aggregator_folds() -> None:
    assert set(KINDS) == FOLDED_KINDS


def _events(n: int, seed: int) -> pa.Table:
    rng = random.Random(seed)
    kinds = list(setsql.KIND_CODES)
    rows = []
    for seq in range(1, n + 1):
        kind = rng.choice(kinds)
        rows.append(
            {"seq": seq, "ts": 1e9 + seq * rng.choice([0.0, 1.0, 7.5]), "kind": kind,
             "iid": f"i{rng.randrange(40)}", "queue_id": rng.choice(["q1", "q2", None]),
             "cause": rng.choice(["new", "overflow", None]), "acw": rng.choice(["none", None]),
             "agent_id": rng.choice(["a1", "a2"])}
        )  # fmt: skip
    columns = {f.name: [r.get(f.name) for r in rows] for f in SCHEMA}
    return pa.Table.from_pydict(columns, schema=SCHEMA)


def test_partials_of_any_split_merge_into_the_one_pass_rows() -> None:
    events = _events(600, 1)
    duck = duckdb.connect()
    duck.register("all_events", events)
    whole = duck.sql(colsql.ix_partial("all_events")).fetchall()
    parts = []
    for k, (lo, hi) in enumerate([(0, 130), (130, 131), (131, 420), (420, 600)]):
        duck.register(f"p{k}", events.slice(lo, hi - lo))
        parts.append(f"SELECT * FROM ({colsql.ix_partial(f'p{k}')})")
    merged = duck.sql(colsql.ix_merge(" UNION ALL ".join(parts))).fetchall()
    assert sorted(merged) == sorted(whole)
    assert len(whole) == 40


def test_duckdb_outputs_keep_the_aggregate_tables_types() -> None:
    from standardiste.reports.columnar import _duck_table
    from standardiste.reports.schema import rpt_state

    assert _duck_table(rpt_state, "x") == (
        "CREATE TABLE x (grain VARCHAR, bucket BIGINT, team_id VARCHAR, state VARCHAR, "
        "reason VARCHAR, seconds DOUBLE)"
    )
