"""Replications, confidence intervals, CSV, SVG and the simulate command."""

from __future__ import annotations

import argparse
import csv
import io
import math
from pathlib import Path

import pytest

from standardiste.commands import simulate
from standardiste.sim.progress import ProgressBar
from standardiste.sim.report import estimate, t975
from standardiste.sim.svg import Series, line_chart

SMALL = """
[simulation]
name = "small"
seed = 3
replications = 3
interval_s = 1800
open = "09:00"
[[queues]]
id = "q"
arrivals = [40, 60]
handle = { dist = "exponential", mean = 120 }
patience = 200
[[agents]]
count = 4
"""


def test_confidence_interval_uses_student_t():
    est = estimate([1.0, 2.0, 3.0, math.nan])
    assert est.mean == 2.0 and est.n == 3
    assert est.half == pytest.approx(4.303 * 1.0 / math.sqrt(3))
    assert math.isnan(estimate([5.0]).half)
    assert t975(10) == 2.228 and t975(60) == pytest.approx(2.0, abs=0.002)


def test_svg_chart_draws_lines_bands_and_legend():
    svg = line_chart("t", ["a", "b", "c"], [Series("sl", [0.5, 0.7, math.nan], [0.1, 0.1, 0.1])])
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    assert "<polyline" in svg and "<polygon" in svg and ">sl</text>" in svg


def test_progress_bar_prints_one_final_line_off_terminal():
    out = io.StringIO()
    bar = ProgressBar("run", stream=out, every=0.0)
    for k in range(11):
        bar(k / 10)
    bar(1.0)
    assert out.getvalue().count("\n") == 1 and "100%" in out.getvalue()


def test_simulate_command_prints_and_writes(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    scenario = tmp_path / "s.toml"
    scenario.write_text(SMALL)
    parser = argparse.ArgumentParser()
    simulate.add_parser(parser.add_subparsers())
    args = parser.parse_args(
        ["simulate", str(scenario), "--quiet", "--csv", str(tmp_path / "o.csv"),
         "--chart", str(tmp_path / "o.svg"), "--replications", "4"]
    )  # fmt: skip
    assert args.run(args) == 0
    out = capsys.readouterr().out
    assert "small: 4 replications" in out and "09:30 q" in out
    rows = list(csv.DictReader((tmp_path / "o.csv").open()))
    assert [r["interval"] for r in rows] == ["09:00", "09:00", "09:30", "09:30", "day", "day"]
    day = rows[-2]
    assert day["queue"] == "q" and 80 < float(day["offered"]) < 120
    assert float(day["answered"]) + float(day["abandoned"]) == pytest.approx(float(day["offered"]))
    assert 0 < float(rows[-1]["occupancy"]) < 1 and float(day["sl_ci95"]) > 0
    assert "<svg" in (tmp_path / "o.svg").read_text()


def test_simulate_command_reports_a_bad_scenario(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    parser = argparse.ArgumentParser()
    simulate.add_parser(parser.add_subparsers())
    args = parser.parse_args(["simulate", str(tmp_path / "missing.toml"), "--quiet"])
    assert args.run(args) == 2
    assert "scenario.unreadable" in capsys.readouterr().out
