"""The SQL of the set-based rebuild agrees with the Python definitions it restates."""

from __future__ import annotations

import math
import random
import sqlite3

import pytest

from standardiste.domain.kpis import answered_within, is_short_abandon
from standardiste.reports import setsql
from standardiste.reports.buckets import interval_start

SQLITE = setsql.Dialect("sqlite")


def _eval(expr: str, **params: float) -> object:
    with sqlite3.connect(":memory:") as conn:
        return conn.execute(f"SELECT {expr}", params).fetchone()[0]


def test_bucket_is_python_floor_next_to_boundaries() -> None:
    rng = random.Random(9)
    values = [1.79e9 + rng.uniform(0, 86400 * 30) for _ in range(300)]
    for n in range(1_989_800, 1_989_900):
        edge = float(n * 900)
        values += [edge, math.nextafter(edge, 0.0), math.nextafter(edge, math.inf), edge - 1e-6]
    conn = sqlite3.connect(":memory:")
    expr = SQLITE.bucket(":x")
    got = [conn.execute(f"SELECT {expr}", {"x": x}).fetchone()[0] for x in values]
    assert got == [interval_start(x) for x in values]


@pytest.mark.parametrize("wait", [0.0, 4.999999, 5.0, 5.000001, 19.99, 20.0, 20.0000001, 21.0])
def test_threshold_predicates_match_kpis(wait: float) -> None:
    sql = f"CASE WHEN :w {setsql.WITHIN} :t THEN 1 ELSE 0 END"
    for threshold in (5.0, 20.0):
        want = answered_within(wait, threshold)
        assert want == is_short_abandon(wait, threshold)
        assert bool(_eval(sql, w=wait, t=threshold)) is want


def test_postgresql_spellings() -> None:
    pg = setsql.Dialect("postgresql")
    assert pg.pg and not SQLITE.pg
    assert "floor" in pg.bucket("ts") and "jsonb" in pg.text("queue_id")
    assert pg.greatest("a", "b") == "GREATEST(a, b)" and SQLITE.least("a", "b") == "min(a, b)"
