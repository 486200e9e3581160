"""Export report rows as CSV, XLSX or Parquet, each carrying the definitions' version."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from typing import Any

from standardiste.domain.kpis import CATALOGUE_VERSION, DEFINITIONS
from standardiste.reports.errors import BadReportRequest

MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "parquet": "application/vnd.apache.parquet",
}
VERSION_COLUMN = "definitions_version"


def flatten(rows: Sequence[Mapping[str, Any]]) -> tuple[list[str], list[list[Any]]]:
    """Return columns and values; nested mappings become `name.key` columns."""
    columns: list[str] = [VERSION_COLUMN]
    flat_rows: list[dict[str, Any]] = []
    for row in rows:
        flat: dict[str, Any] = {VERSION_COLUMN: CATALOGUE_VERSION}
        for key, value in row.items():
            if isinstance(value, Mapping):
                for sub, inner in value.items():
                    flat[f"{key}.{sub}"] = inner
            else:
                flat[key] = value
        for key in flat:
            if key not in columns:
                columns.append(key)
        flat_rows.append(flat)
    return columns, [[r.get(c) for c in columns] for r in flat_rows]


def render(rows: Sequence[Mapping[str, Any]], fmt: str, meta: Mapping[str, Any]) -> bytes:
    """Return the file content of a report in a format (csv, xlsx, parquet)."""
    columns, values = flatten(rows)
    if fmt == "csv":
        return _csv(columns, values)
    if fmt == "xlsx":
        return _xlsx(columns, values, meta)
    if fmt == "parquet":
        return _parquet(columns, values, meta)
    raise BadReportRequest("report.bad_format", f"unknown export format {fmt!r}")


def _csv(columns: list[str], values: list[list[Any]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(["" if v is None else v for v in row] for row in values)
    return buf.getvalue().encode("utf-8")


def _definitions_rows() -> list[list[Any]]:
    return [[d.id, d.version, d.name, d.unit, d.formula] for d in DEFINITIONS]


def _xlsx(columns: list[str], values: list[list[Any]], meta: Mapping[str, Any]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "report"
    sheet.append(columns)
    for row in values:
        sheet.append(row)
    about = book.create_sheet("definitions")
    about.append([VERSION_COLUMN, CATALOGUE_VERSION])
    for key, value in meta.items():
        about.append([key, json.dumps(value) if isinstance(value, dict | list) else value])
    about.append([])
    about.append(["id", "version", "name", "unit", "formula"])
    for row in _definitions_rows():
        about.append(row)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def _parquet(columns: list[str], values: list[list[Any]], meta: Mapping[str, Any]) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    data = {c: [row[i] for row in values] for i, c in enumerate(columns)}
    table = pa.table(data)
    extra = {
        b"standardiste.definitions_version": CATALOGUE_VERSION.encode(),
        b"standardiste.meta": json.dumps(meta, default=str).encode(),
        b"standardiste.definitions": json.dumps(
            [d.as_dict() for d in DEFINITIONS], separators=(",", ":")
        ).encode(),
    }
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), **extra})
    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()
