"""Files of the columnar copy: typed export of the log, one segment's three Parquet files.

A segment is `seg-LO-HI.ev.parquet` (the folded events LO < seq <= HI with the `data` fields the
fold reads as columns) and its two partial aggregates `.ix.` and `.span.` (`colsql`), written
first; the three carry the same token, so a segment is whole or ignored.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import Connection

from standardiste.domain import events as ev
from standardiste.reports import colsql, setsql

VERSION = 1
KINDS = (ev.AGENT_STATE, *setsql.KIND_CODES)  # what the Folder folds
# The `data` fields any Folder handler reads, as text; prev_duration_s as a double.
TEXT_FIELDS = (
    "agent_id", "channel", "queue_id", "cause", "acw", "to_queue", "from_queue",
    "team_id", "prev_state", "prev_reason",
)  # fmt: skip
SCHEMA = pa.schema(
    [("seq", pa.int64()), ("ts", pa.float64()), ("kind", pa.string()), ("iid", pa.string())]
    + [(name, pa.string()) for name in TEXT_FIELDS]
    + [("prev_duration_s", pa.float64())]
)
_RAW = pa.schema(
    [("seq", pa.int64()), ("ts", pa.float64()), ("kind", pa.string()), ("iid", pa.string()),
     ("data", pa.string())]
)  # fmt: skip
_KIND_LIST = ", ".join(f"'{k}'" for k in KINDS)
# SQLite would pick the (kind, ts) index and sort; "+kind" keeps it on the seq range.
_READ = (
    "SELECT seq, ts, kind, interaction_id, data FROM events "
    f"WHERE seq > ? AND seq <= ? AND {{kind}} IN ({_KIND_LIST}) ORDER BY seq"
)
_PATHS = ", ".join(f"'$.{name}'" for name in (*TEXT_FIELDS, "prev_duration_s"))
_TYPED = (
    "SELECT seq, ts, kind, iid, "
    + ", ".join(f"f[{i + 1}] AS {name}" for i, name in enumerate(TEXT_FIELDS))
    + f", TRY_CAST(f[{len(TEXT_FIELDS) + 1}] AS DOUBLE) AS prev_duration_s "
    f"FROM (SELECT *, json_extract_string(data, [{_PATHS}]) AS f FROM raw) ORDER BY seq"
)


PARTS = ("ix", "span")  # the partial aggregates written beside each segment's events


@dataclass(frozen=True, slots=True)
class Segment:
    """One segment: events LO < seq <= HI (`path`), its partials, its last event for checking."""

    lo: int
    hi: int
    path: Path
    rows: int
    last: tuple[int, float] | None
    day_end: bool = False  # HI is the last event of a local day

    def part(self, name: str) -> Path:
        """Return the file of one partial aggregate ("ix" or "span")."""
        return self.path.with_name(self.path.name.replace(".ev.", f".{name}."))


_SLICE = 5_000


def read_typed(conn: Connection, lo: int, hi: int) -> pa.Table:
    """Read the folded events LO < seq <= HI from the log, fold fields as typed columns."""
    if conn.dialect.name == "sqlite":
        sql = _READ.format(kind="+kind")
    else:
        sql = _READ.format(kind="kind")
    if conn.dialect.paramstyle in ("format", "pyformat"):
        sql = sql.replace("?", "%s")
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    batches: list[pa.RecordBatch] = []
    try:  # the driver's cursor, in the connection's transaction: no Row objects
        cursor.execute(sql, (lo, hi))
        # In slices: converting 200,000 rows at once holds the GIL for a good part of a second,
        # which the server's event loop (SIP signalling) would feel as a stall.
        while rows := cursor.fetchmany(_SLICE):
            columns = list(zip(*rows, strict=True))
            batches.append(
                pa.RecordBatch.from_arrays(
                    [pa.array(c, type=f.type) for c, f in zip(columns, _RAW, strict=True)],
                    schema=_RAW,
                )
            )
    finally:
        cursor.close()
    raw = pa.Table.from_batches(batches, schema=_RAW)
    duck = duckdb.connect()
    try:
        duck.register("raw", raw)
        return duck.sql(_TYPED).to_arrow_table().cast(SCHEMA)
    finally:
        duck.close()


def _meta(path: Path) -> dict[str, Any] | None:
    try:
        meta = pq.read_schema(path).metadata or {}
        info: dict[str, Any] = json.loads(meta[b"standardiste.segment"])
    except (OSError, KeyError, ValueError, pa.ArrowException):
        return None
    return info if info.get("version") == VERSION else None


def open_segment(path: Path) -> Segment | None:
    info = _meta(path)
    if info is None:
        return None
    last = info.get("last")
    seg = Segment(
        int(info["lo"]), int(info["hi"]), path, int(info["rows"]),
        None if last is None else (int(last[0]), float(last[1])), bool(info.get("day_end")),
    )  # fmt: skip
    for name in PARTS:  # written by the same export, or the segment is not whole
        part = _meta(seg.part(name))
        if part is None or part.get("token") != info.get("token"):
            return None
    return seg


def remove(path: Path) -> None:
    path.unlink(missing_ok=True)
    for name in PARTS:
        path.with_name(path.name.replace(".ev.", f".{name}.")).unlink(missing_ok=True)


def export(conn: Connection, lo: int, hi: int) -> tuple[pa.Table, pa.Table, pa.Table]:
    """Read LO < seq <= HI from the log; return its events, interaction and agent-time partials."""
    table = read_typed(conn, lo, hi)
    duck = duckdb.connect()
    try:
        duck.register("typed", table)
        ix = duck.sql(colsql.ix_partial("typed")).to_arrow_table()
        span = duck.sql(colsql.span_pieces("typed")).to_arrow_table()
    finally:
        duck.close()
    return table, ix, span


def save(
    directory: Path, lo: int, hi: int, day_end: bool, tables: tuple[pa.Table, pa.Table, pa.Table]
) -> Segment:
    """Write one segment's files (atomically each, the events file last); return it."""
    table, ix, span = tables
    directory.mkdir(parents=True, exist_ok=True)
    last = None
    if table.num_rows:
        last = (int(table["seq"][-1].as_py()), float(table["ts"][-1].as_py()))
    meta = {"version": VERSION, "lo": lo, "hi": hi, "rows": table.num_rows, "last": last,
            "day_end": day_end, "token": uuid.uuid4().hex}  # fmt: skip
    seg = Segment(lo, hi, directory / f"seg-{lo:012d}-{hi:012d}.ev.parquet",
                  table.num_rows, last, day_end)  # fmt: skip
    for path, data in ((seg.part("ix"), ix), (seg.part("span"), span), (seg.path, table)):
        data = data.replace_schema_metadata({"standardiste.segment": json.dumps(meta)})
        tmp = path.with_name(f"{path.name}.{uuid.uuid4().hex[:8]}.tmp")
        pq.write_table(data, tmp, compression="snappy", row_group_size=128 * 1024)
        tmp.replace(path)
    return seg
