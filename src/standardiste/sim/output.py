"""Write simulation and staffing results: CSV tables and a small SVG chart."""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from pathlib import Path

from standardiste.sim.report import AGENT_KPIS, QUEUE_KPIS, Row
from standardiste.sim.svg import Series, line_chart


def interval_label(index: int, interval_s: float, open_at: str) -> str:
    """Return "HH:MM" for the start of an interval (index -1 is the whole day)."""
    if index < 0:
        return "day"
    hours, minutes = (int(x) for x in open_at.split(":"))
    start = hours * 60 + minutes + int(index * interval_s // 60)
    return f"{start // 60 % 24:02d}:{start % 60:02d}" if interval_s < 86400 else f"d{index}"


def _fmt(value: float, digits: int) -> str:
    return "" if math.isnan(value) else f"{value:.{digits}f}"


def write_csv(path: str | Path, rows: Sequence[Row], interval_s: float, open_at: str) -> None:
    """Write one line per interval and queue: each KPI's mean and 95 % half-width."""
    kpis = [*QUEUE_KPIS, *AGENT_KPIS]
    with Path(path).open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["interval", "queue", *(f"{k}{s}" for k in kpis for s in ("", "_ci95"))])
        for row in rows:
            cells = []
            for k in kpis:
                est = row.kpis.get(k)
                cells += ["", ""] if est is None else [_fmt(est.mean, 6), _fmt(est.half, 6)]
            out.writerow([interval_label(row.interval, interval_s, open_at), row.queue, *cells])


def text_table(rows: Sequence[Row], interval_s: float, open_at: str) -> str:
    """Return the report as an aligned text table (per queue, then agents)."""
    head = f"{'interval':>8} {'queue':<12} {'offered':>8} {'SL':>14} {'ASA s':>13} {'aband.':>7}"
    lines = [head + f" {'agents':>7} {'occup.':>7}"]
    agents = {r.interval: r for r in rows if r.queue == "*"}
    for r in rows:
        if r.queue == "*":
            continue
        k = r.kpis
        sl, asa = k["sl"], k["asa"]
        ag = agents[r.interval].kpis
        lines.append(
            f"{interval_label(r.interval, interval_s, open_at):>8} {r.queue:<12} "
            f"{k['offered'].mean:>8.1f} {_pm(sl.mean, sl.half, 3):>14} "
            f"{_pm(asa.mean, asa.half, 1):>13} {_fmt(k['abandon_rate'].mean, 3):>7} "
            f"{_fmt(ag['agents'].mean, 1):>7} {_fmt(ag['occupancy'].mean, 3):>7}"
        )
    return "\n".join(lines)


def _pm(mean: float, half: float, digits: int) -> str:
    if math.isnan(mean):
        return "-"
    return _fmt(mean, digits) + ("" if math.isnan(half) else f"±{half:.{digits}f}")


def write_chart(
    path: str | Path, rows: Sequence[Row], interval_s: float, open_at: str, title: str
) -> None:
    """Draw service level per interval (95 % band) and occupancy, one line per queue."""
    slots = sorted({r.interval for r in rows if r.interval >= 0})
    labels = [interval_label(i, interval_s, open_at) for i in slots]
    series = []
    for qid in dict.fromkeys(r.queue for r in rows if r.queue != "*"):
        by_slot = {r.interval: r.kpis["sl"] for r in rows if r.queue == qid}
        series.append(
            Series(
                f"SL {qid}",
                [by_slot[i].mean for i in slots],
                [by_slot[i].half for i in slots],
            )
        )
    occ = {r.interval: r.kpis["occupancy"] for r in rows if r.queue == "*"}
    series.append(Series("occupancy", [occ[i].mean for i in slots], [occ[i].half for i in slots]))
    Path(path).write_text(line_chart(title, labels, series, y_max=1.0), encoding="utf-8")
