"""DuckDB statements of the columnar copy and its rebuild (text only, no I/O).

Each segment of the copy carries two partial aggregates computed when it is written, both
independent of the configuration: per interaction, the counters of `setsql.per_interaction`
(counts add up, maxima of maxima are maxima, so merging partials gives the one-pass row), and
per 15-minute bucket, the agent time of its agent.state spans split at boundaries, by the
event's team (or its agent when the event names no team, for the configured fallback).
"""

from __future__ import annotations

from collections.abc import Sequence

from standardiste.domain import events as ev
from standardiste.reports import setsql
from standardiste.reports.buckets import INTERVAL_S

DUCK = setsql.Dialect("duckdb")
_CODES = " ".join(f"WHEN '{kind}' THEN {code}" for kind, code in setsql.KIND_CODES.items())
_Q, _E, _C = (setsql.KIND_CODES[k] for k in (ev.INTERACTION_QUEUED, ev.INTERACTION_ENDED,
                                             ev.INTERACTION_CONNECTED))  # fmt: skip


def coded(source: str) -> str:
    """Return the query giving rpt_x_ev's rows (coded interaction events) of typed events."""
    return (
        "SELECT iid, seq, ts, k, CASE WHEN k = 2 THEN queue_id END AS queue_id, "
        f"CASE k WHEN {_Q} THEN cause WHEN {_E} THEN acw WHEN {_C} THEN agent_id END AS arg "
        f"FROM (SELECT *, CASE kind {_CODES} ELSE 0 END AS k FROM {source} "
        "WHERE iid IS NOT NULL) WHERE k > 0"
    )


def ix_partial(source: str) -> str:
    """Return the per-interaction counters of the typed events in `source`."""
    select = setsql.per_interaction().removeprefix("INSERT INTO rpt_x_ix ")
    select = select.replace("FROM rpt_x_ev", f"FROM ({coded(source)})")
    # Named and typed (DuckDB sums integers into 128-bit ones).
    casts = ", ".join(f"CAST({name} AS {kind}) AS {name}" for name, kind in IX_TYPES)
    return f"SELECT {casts} FROM ({select}) AS t({', '.join(IX_NAMES)})"


# setsql.IX_COLUMNS in order: how each column merges across partials.
_MERGE = [
    ("iid", None), ("n", "SUM"), ("last_seq", "MAX"),
    ("nq", "SUM"), ("sq", "MAX"), ("tq", "MAX"), ("queue_id", "MAX"), ("cause", "MAX"),
    ("nc", "SUM"), ("sc", "MAX"), ("tc", "MAX"), ("agent_id", "MAX"),
    ("nh", "SUM"), ("sh", "MAX"), ("th", "MAX"), ("nr", "SUM"), ("sr", "MAX"), ("tr", "MAX"),
    ("ne", "SUM"), ("se", "MAX"), ("te", "MAX"), ("acw", "MAX"),
    ("nx", "SUM"), ("sx", "MAX"), ("tx", "MAX"), ("na", "SUM"), ("sa", "MAX"), ("ta", "MAX"),
    ("nflow", "SUM"),
]  # fmt: skip
IX_NAMES = [name for name, _ in _MERGE]


_MERGED = ", ".join(name if agg is None else f"{agg}({name}) AS {name}" for name, agg in _MERGE)


def ix_merge(partials: str) -> str:
    """Return per-interaction rows merging partial rows (an interaction may span segments)."""
    return f"SELECT {_MERGED} FROM ({partials}) GROUP BY iid"


def ix_rows(partials: str) -> list[str]:
    """Return the statements filling rpt_x_ix from partial rows.

    Only the interactions with rows in several partials need merging; the others' single row
    is already whole (the large majority when segments end at midnight).
    """
    names = ", ".join(IX_NAMES)
    return [
        f"CREATE TABLE rpt_x_multi AS SELECT iid FROM ({partials}) GROUP BY iid "
        "HAVING COUNT(*) > 1",
        f"INSERT INTO rpt_x_ix SELECT {names} FROM ({partials}) p "
        "WHERE NOT EXISTS (SELECT 1 FROM rpt_x_multi m WHERE m.iid = p.iid)",
        "INSERT INTO rpt_x_ix "
        + ix_merge(f"SELECT * FROM ({partials}) p WHERE p.iid IN (SELECT iid FROM rpt_x_multi)"),
    ]


def consolidated_ix(files: list[str]) -> str:
    """Return the partial of consecutive segments from theirs."""
    listed = ", ".join(f"'{f}'" for f in files)
    return ix_merge(f"SELECT * FROM read_parquet([{listed}])")


def consolidated_spans(files: list[str]) -> str:
    """Return the agent-time pieces of consecutive segments from theirs."""
    listed = ", ".join(f"'{f}'" for f in files)
    return (
        "SELECT b15, team, agent, state, reason, SUM(seconds) AS seconds "
        f"FROM read_parquet([{listed}]) GROUP BY b15, team, agent, state, reason"
    )


_B0, _BL = DUCK.bucket("start"), DUCK.bucket("ts")


def span_pieces(source: str) -> str:
    """Return agent time per (b15, team, agent, state, reason) of the typed events in `source`.

    `Folder._state`: no span without a state (or logged out), a non-zero duration and a start
    before its end; `agent` is kept only when the event names no team.
    """
    spans = (
        "SELECT ts, ts - prev_duration_s AS start, COALESCE(team_id, '') AS team, "
        "CASE WHEN COALESCE(team_id, '') = '' THEN COALESCE(agent_id, '') ELSE '' END AS agent, "
        "prev_state AS state, COALESCE(prev_reason, '') AS reason "
        f"FROM {source} WHERE kind = '{ev.AGENT_STATE}' AND prev_state IS NOT NULL "
        "AND prev_state <> '' AND prev_state <> 'logged_out' "
        "AND prev_duration_s IS NOT NULL AND prev_duration_s <> 0"
    )
    return (
        "SELECT b AS b15, team, agent, state, reason, "
        f"SUM(least(ts, b + {INTERVAL_S}) - greatest(start, b)) AS seconds FROM ("
        f"SELECT *, b0 + {INTERVAL_S} * unnest(range(cnt)) AS b FROM ("
        f"SELECT *, {_B0} AS b0, ({_BL} - {_B0}) // {INTERVAL_S} "
        f"+ CASE WHEN ts > {_BL} THEN 1 ELSE 0 END AS cnt FROM ({spans}) WHERE start < ts)) "
        "GROUP BY b, team, agent, state, reason"
    )


def span_merge(pieces: str) -> str:
    """Return rpt_x_state from pieces: the team or the agent's, pieces from the horizon on.

    The horizon is on the 15-minute grid, so a piece is wholly before or after it, and the
    pieces after it are those of the span clipped at it (the Folder's `max(start, horizon)`).
    """
    return (
        "CREATE TABLE rpt_x_state AS SELECT b15, team_id, state, reason, "
        "SUM(seconds) AS seconds FROM (SELECT p.b15, "
        "COALESCE(NULLIF(p.team, ''), a.team_id, '') AS team_id, p.state, p.reason, p.seconds "
        f"FROM ({pieces}) p LEFT JOIN rpt_x_agent a ON a.agent_id = p.agent "
        "WHERE p.b15 >= $horizon) WHERE team_id <> '' GROUP BY b15, team_id, state, reason"
    )


def roll_up_days(table: str, keys: str, counters: Sequence[str], extra: str = "") -> str:
    """Return the insert of day rows summing the table's own 15-minute rows."""
    sums = ", ".join(f"SUM({c})" for c in counters)
    return (
        f"INSERT INTO {table} SELECT 'day', d.day, {keys}{extra}, {sums} FROM {table} o "
        f"JOIN rpt_x_day d ON d.b15 = o.bucket WHERE o.grain = '15m' GROUP BY d.day, {keys}"
    )


def _arrow_types() -> list[tuple[str, str]]:
    words = {"TEXT": "VARCHAR", "INTEGER": "BIGINT", "DOUBLE": "DOUBLE"}
    out = []
    for spec in setsql.IX_COLUMNS.split(", "):
        name, kind = spec.split(" ", 1)
        out.append((name, words[kind.split(" ")[0]]))
    return out


IX_TYPES = _arrow_types()
