"""SQL of the set-based rebuild, spelled for SQLite or PostgreSQL (text only, no I/O).

The statements reproduce `fold.Folder` for what they cover: every `agent.state` event, and the
interactions whose events follow one of two closed shapes (queued then abandoned; queued,
connected, at most one hold, at most one end, completed). Every other interaction - transfers,
overflows, several visits, open at the end of the log, unknown queue - is left to the Folder
itself (`rebuild.py`), so the rare and intricate cases have one implementation only. Thresholds
are the KPI predicates of `standardiste.domain.kpis` written in SQL: `answered_within` and
`is_short_abandon` are both "wait <= threshold"; a unit test pins the SQL to those functions.
"""

from __future__ import annotations

from dataclasses import dataclass

from standardiste.domain import events as ev
from standardiste.reports.buckets import INTERVAL_S
from standardiste.reports.schema import QUEUE_COUNTERS

KIND_CODES = {
    ev.INTERACTION_CREATED: 1,
    ev.INTERACTION_QUEUED: 2,
    ev.INTERACTION_CONNECTED: 3,
    ev.INTERACTION_HELD: 4,
    ev.INTERACTION_RESUMED: 5,
    ev.INTERACTION_ENDED: 6,
    ev.INTERACTION_COMPLETED: 7,
    ev.INTERACTION_ABANDONED: 8,
    ev.INTERACTION_OVERFLOWED: 9,
    ev.INTERACTION_TRANSFERRED: 10,
}
WITHIN = "<="  # kpis.answered_within and kpis.is_short_abandon: wait <= threshold


@dataclass(frozen=True, slots=True)
class Dialect:
    """The few spellings that differ between SQLite and PostgreSQL."""

    name: str

    @property
    def pg(self) -> bool:
        """Tell whether this spells like PostgreSQL (DuckDB does, for what is used here)."""
        return self.name in ("postgresql", "duckdb")

    def text(self, field: str) -> str:
        """Return a JSON text field of `data` (events.data is a TEXT column in both)."""
        if self.pg:
            return f"(e.data::jsonb ->> '{field}')"
        return f"json_extract(e.data, '$.{field}')"

    def number(self, field: str) -> str:
        """Return a JSON number field of `data` as a double."""
        if self.pg:
            return f"CAST(e.data::jsonb ->> '{field}' AS DOUBLE PRECISION)"
        return f"json_extract(e.data, '$.{field}')"

    def greatest(self, a: str, b: str) -> str:
        """Return the larger of two non-null values."""
        return f"GREATEST({a}, {b})" if self.pg else f"max({a}, {b})"

    def least(self, a: str, b: str) -> str:
        """Return the smaller of two non-null values."""
        return f"LEAST({a}, {b})" if self.pg else f"min({a}, {b})"

    def bucket(self, x: str) -> str:
        """Return `interval_start(x)`: the exact floor to 15 minutes, as Python's // gives it."""
        # x / 900 is rounded: should the quotient of an instant just below a boundary round up
        # to it, step back (q > x is exact: multiples of 900 are exact doubles). Rounding is
        # monotonic and integers are exact, so the quotient never falls below the floor.
        if self.pg:
            q = f"(CAST(floor(({x}) / {INTERVAL_S}) AS BIGINT) * {INTERVAL_S})"
        else:
            q = f"(CAST(({x}) / {INTERVAL_S} AS INTEGER) * {INTERVAL_S})"
        return f"(CASE WHEN {q} > ({x}) THEN {q} - {INTERVAL_S} ELSE {q} END)"


def _is(kind: str) -> str:
    return f"k = {KIND_CODES[kind]}"


def _count(cond: str) -> str:
    return f"SUM(CASE WHEN {cond} THEN 1 ELSE 0 END)"


def _at(cond: str, value: str, agg: str = "MAX") -> str:
    return f"{agg}(CASE WHEN {cond} THEN {value} END)"


def stage_interactions(d: Dialect) -> str:
    """Return the statement filling rpt_x_ev: folded interaction events up to :upto, coded."""
    codes = " ".join(f"WHEN '{kind}' THEN {code}" for kind, code in KIND_CODES.items())
    queued, ended = KIND_CODES[ev.INTERACTION_QUEUED], KIND_CODES[ev.INTERACTION_ENDED]
    return (
        "INSERT INTO rpt_x_ev (iid, seq, ts, k, queue_id, arg) "
        f"SELECT iid, seq, ts, k, CASE WHEN k = {queued} THEN {d.text('queue_id')} END, "
        f"CASE k WHEN {queued} THEN {d.text('cause')} WHEN {ended} THEN {d.text('acw')} "
        f"WHEN {KIND_CODES[ev.INTERACTION_CONNECTED]} THEN agent_id END "
        f"FROM (SELECT e.interaction_id AS iid, e.seq, e.ts, e.agent_id, e.data, "
        f"CASE e.kind {codes} ELSE 0 END AS k FROM events e "
        "WHERE e.seq <= :upto AND e.interaction_id IS NOT NULL) e WHERE k > 0"
    )


def per_interaction() -> str:
    """Return the statement filling rpt_x_ix: one row per interaction with its shape."""
    q, c, h, r = "k = 2", "k = 3", "k = 4", "k = 5"
    e, x, a = "k = 6", "k = 7", "k = 8"
    cols = [
        "iid",
        "COUNT(*)",
        "MAX(seq)",
        _count(q), _at(q, "seq"), _at(q, "ts"), _at(q, "queue_id"), _at(q, "arg"),
        _count(c), _at(c, "seq"), _at(c, "ts"), _at(c, "arg"),
        _count(h), _at(h, "seq"), _at(h, "ts"),
        _count(r), _at(r, "seq"), _at(r, "ts"),
        _count(e), _at(e, "seq"), _at(e, "ts"), _at(e, "arg"),
        _count(x), _at(x, "seq"), _at(x, "ts"),
        _count(a), _at(a, "seq"), _at(a, "ts"),
        _count("k IN (9, 10)"),
    ]  # fmt: skip
    return f"INSERT INTO rpt_x_ix SELECT {', '.join(cols)} FROM rpt_x_ev GROUP BY iid"


IX_COLUMNS = (
    "iid TEXT, n INTEGER, last_seq INTEGER, "
    "nq INTEGER, sq INTEGER, tq DOUBLE PRECISION, queue_id TEXT, cause TEXT, "
    "nc INTEGER, sc INTEGER, tc DOUBLE PRECISION, agent_id TEXT, "
    "nh INTEGER, sh INTEGER, th DOUBLE PRECISION, "
    "nr INTEGER, sr INTEGER, tr DOUBLE PRECISION, "
    "ne INTEGER, se INTEGER, te DOUBLE PRECISION, acw TEXT, "
    "nx INTEGER, sx INTEGER, tx DOUBLE PRECISION, "
    "na INTEGER, sa INTEGER, ta DOUBLE PRECISION, nflow INTEGER"
)

# The two shapes the SQL folds; anything else goes to the Folder. Abandoned: one queued, then
# the abandon as last event. Answered: one queued, one connected, at most one hold/resume pair
# in that order, at most one end, and the completion as last event.
_COMMON = "nq = 1 AND nflow = 0 AND COALESCE(i.queue_id, '') IN (SELECT queue_id FROM rpt_x_queue)"
ABANDONED = f"({_COMMON} AND na = 1 AND nc = 0 AND nh = 0 AND nr = 0 AND ne = 0 AND nx = 0 \
AND sa = last_seq AND sq < sa)"
_HOLD = "((nh = 0 AND nr = 0) OR (nh = 1 AND nr = 1 AND sc < sh AND sh < sr \
AND sr < (CASE WHEN ne = 1 THEN se ELSE sx END)))"
ANSWERED = f"({_COMMON} AND na = 0 AND nc = 1 AND nx = 1 AND sx = last_seq AND sq < sc \
AND ne <= 1 AND (ne = 0 OR (sc < se AND se < sx)) AND {_HOLD})"


def visits(d: Dialect) -> str:
    """Return the statement filling rpt_x_visit: the counters of each simple visit."""
    g = d.greatest
    wait_c, wait_a = g("0.0", "tc - tq"), g("0.0", "ta - tq")
    talk_end = "(CASE WHEN ne = 1 THEN te ELSE tx END)"
    talk = (
        f"(CASE WHEN nh = 1 THEN {g('0.0', 'th - tc')} + {g('0.0', f'{talk_end} - tr')} "
        f"ELSE {g('0.0', f'{talk_end} - tc')} END)"
    )
    hold = f"(CASE WHEN nh = 1 THEN {g('0.0', 'tr - th')} ELSE 0.0 END)"
    acw_on = "(ne = 1 AND COALESCE(NULLIF(acw, ''), 'none') <> 'none')"
    acw = f"(CASE WHEN {acw_on} THEN {g('0.0', 'tx - te')} ELSE 0.0 END)"
    cause = "COALESCE(NULLIF(cause, ''), 'new')"
    cols = [
        d.bucket("tq"),
        "i.queue_id",
        "COALESCE(t.team_id, '')",
        f"CASE WHEN {cause} = 'overflow' THEN 1 ELSE 0 END",
        f"CASE WHEN {cause} = 'transfer' THEN 1 ELSE 0 END",
        "shape",
        f"CASE WHEN shape = 2 THEN {wait_c} ELSE {wait_a} END",
        f"CASE WHEN shape = 2 THEN {talk} ELSE 0.0 END",
        f"CASE WHEN shape = 2 THEN {hold} ELSE 0.0 END",
        f"CASE WHEN shape = 2 THEN {acw} ELSE 0.0 END",
        "sl_seconds",
    ]
    return (
        f"INSERT INTO rpt_x_visit SELECT {', '.join(cols)} FROM "
        f"(SELECT *, CASE WHEN {ANSWERED} THEN 2 WHEN {ABANDONED} THEN 1 ELSE 0 END AS shape "
        "FROM rpt_x_ix i) i JOIN rpt_x_queue q ON q.queue_id = i.queue_id "
        "LEFT JOIN rpt_x_agent t ON t.agent_id = i.agent_id WHERE shape > 0"
    )


VISIT_COLUMNS = (
    "b15 BIGINT, queue_id TEXT, team_id TEXT, o_in INTEGER, t_in INTEGER, shape INTEGER, "
    "wait DOUBLE PRECISION, talk DOUBLE PRECISION, hold DOUBLE PRECISION, "
    "acw DOUBLE PRECISION, sl DOUBLE PRECISION"
)


def left_over() -> str:
    """Return the query listing the interactions the SQL does not fold."""
    return (
        "SELECT iid FROM rpt_x_ix i WHERE NOT (" + ANSWERED + " OR " + ABANDONED + ") ORDER BY iid"
    )


def aggregate_visits(table: str, day: bool) -> str:
    """Return the insert of queue rows ("15m" or "day") from rpt_x_visit."""
    ans, ab = "shape = 2", "shape = 1"
    bucket = "d.day" if day else "v.b15"
    join = "JOIN rpt_x_day d ON d.b15 = v.b15 " if day else ""
    counters = {
        "offered": "COUNT(*)",
        "answered": _count(ans),
        "answered_in_sl": _count(f"{ans} AND wait {WITHIN} sl"),
        "abandoned": _count(f"{ab} AND NOT (wait {WITHIN} :short_s)"),
        "short_abandoned": _count(f"{ab} AND wait {WITHIN} :short_s"),
        "abandoned_in_sl": _count(f"{ab} AND wait {WITHIN} sl"),
        "overflow_in": "SUM(o_in)",
        "transfer_in": "SUM(t_in)",
        "handled": _count(ans),
        "wait_answered_s": f"SUM(CASE WHEN {ans} THEN wait ELSE 0.0 END)",
        "wait_abandoned_s": f"SUM(CASE WHEN {ab} THEN wait ELSE 0.0 END)",
        "talk_s": "SUM(talk)",
        "hold_s": "SUM(hold)",
        "acw_s": "SUM(acw)",
    }
    # Outcomes the two shapes never have (flow-outs, relaxed overflows, transfers) are 0.
    values = [counters.get(name, "0.0") for name in QUEUE_COUNTERS]
    return (
        f"INSERT INTO {table} (grain, bucket, queue_id, channel, {', '.join(QUEUE_COUNTERS)}) "
        f"SELECT '{'day' if day else '15m'}', {bucket}, v.queue_id, MAX(q.channel), "
        f"{', '.join(values)} FROM rpt_x_visit v {join}"
        f"JOIN rpt_x_queue q ON q.queue_id = v.queue_id GROUP BY {bucket}, v.queue_id"
    )


def aggregate_teams(table: str, day: bool) -> str:
    """Return the insert of team rows ("15m" or "day") from the answered visits."""
    bucket = "d.day" if day else "v.b15"
    join = "JOIN rpt_x_day d ON d.b15 = v.b15 " if day else ""
    return (
        f"INSERT INTO {table} (grain, bucket, team_id, answered, handled, transfers, talk_s, "
        f"hold_s, acw_s) SELECT '{'day' if day else '15m'}', {bucket}, v.team_id, COUNT(*), "
        f"COUNT(*), 0, SUM(talk), SUM(hold), SUM(acw) FROM rpt_x_visit v {join}"
        f"WHERE v.shape = 2 AND v.team_id <> '' GROUP BY {bucket}, v.team_id"
    )


def stage_spans(d: Dialect) -> str:
    """Return the statement filling rpt_x_span: each accounted agent.state span, clipped."""
    inner = (
        f"SELECT e.ts AS ts, {d.number('prev_duration_s')} AS dur, "
        f"COALESCE(NULLIF({d.text('team_id')}, ''), a.team_id, '') AS team, "
        f"{d.text('prev_state')} AS state, COALESCE({d.text('prev_reason')}, '') AS reason "
        "FROM events e LEFT JOIN rpt_x_agent a ON a.agent_id = e.agent_id "
        f"WHERE e.kind = '{ev.AGENT_STATE}' AND e.seq <= :upto"
    )
    # MATERIALIZED: read each JSON document once, not once per use of its fields below.
    start = d.greatest("ts - dur", "CAST(:horizon AS DOUBLE PRECISION)")
    return (
        f"WITH s AS MATERIALIZED ({inner}) "
        "INSERT INTO rpt_x_span (ts, start, team, state, reason) "
        f"SELECT ts, {start}, team, state, reason FROM s "
        "WHERE state IS NOT NULL AND state <> '' AND state <> 'logged_out' "
        f"AND dur IS NOT NULL AND dur <> 0 AND team <> '' AND {start} < ts"
    )


SPAN_COLUMNS = "ts DOUBLE PRECISION, start DOUBLE PRECISION, team TEXT, state TEXT, reason TEXT"


def split_spans(d: Dialect) -> str:
    """Return the statement filling rpt_x_state: span time split at 15-minute boundaries."""
    b0, bl = d.bucket("start"), d.bucket("ts")
    count = f"({bl} - {b0}) / {INTERVAL_S} + CASE WHEN ts > {bl} THEN 1 ELSE 0 END"
    b = f"(s.b0 + {INTERVAL_S} * n.n)"
    piece = f"{d.least('s.ts', f'{b} + {INTERVAL_S}')} - {d.greatest('s.start', b)}"
    # CROSS JOIN keeps the spans as the outer loop in SQLite (PostgreSQL plans it freely).
    return (
        f"WITH s AS MATERIALIZED (SELECT ts, start, team, state, reason, {b0} AS b0, "
        f"{count} AS cnt FROM rpt_x_span) "
        f"INSERT INTO rpt_x_state SELECT {b}, s.team, s.state, s.reason, SUM({piece}) "
        "FROM s CROSS JOIN rpt_x_num n WHERE n.n < s.cnt "
        f"GROUP BY {b}, s.team, s.state, s.reason"
    )


def aggregate_states(table: str, day: bool) -> str:
    """Return the insert of agent-time rows ("15m" or "day") from rpt_x_state."""
    if not day:
        return (
            f"INSERT INTO {table} (grain, bucket, team_id, state, reason, seconds) "
            "SELECT '15m', b15, team_id, state, reason, seconds FROM rpt_x_state"
        )
    return (
        f"INSERT INTO {table} (grain, bucket, team_id, state, reason, seconds) "
        "SELECT 'day', d.day, s.team_id, s.state, s.reason, SUM(s.seconds) FROM rpt_x_state s "
        "JOIN rpt_x_day d ON d.b15 = s.b15 GROUP BY d.day, s.team_id, s.state, s.reason"
    )
