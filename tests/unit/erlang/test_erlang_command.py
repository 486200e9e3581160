"""The `standardiste erlang` sub-command: parsing, answer and table."""

from __future__ import annotations

import argparse

import pytest

from standardiste.commands import erlang


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    erlang.add_parser(parser.add_subparsers())
    args = parser.parse_args(["erlang", *argv])
    return int(args.run(args))


def test_standard_example_prints_14_and_20(capsys: pytest.CaptureFixture[str]):
    argv = "--calls 100 --interval 1800 --aht 180 --target 80/20 --shrinkage 0.3"
    assert _run([*argv.split(), "--max-occupancy", "0.85"]) == 0
    out = capsys.readouterr().out
    assert "=> 14 productive agents; with 30% shrinkage, schedule 20" in out
    answer = [line for line in out.splitlines() if line.endswith("<=")]
    assert len(answer) == 1 and answer[0].split()[:4] == ["14", "20", "0.1741", "0.8884"]
    first_row = out.splitlines()[4].split()
    assert first_row[0] == "11"  # Erlang C rows start above the load


def test_patience_switches_to_erlang_a_with_abandonment(capsys: pytest.CaptureFixture[str]):
    assert _run(["--calls", "100", "--aht", "180", "--patience", "300"]) == 0
    out = capsys.readouterr().out
    assert "Erlang A" in out and "abandon" in out
    answer = next(line for line in out.splitlines() if line.endswith("<="))
    assert answer.split()[0] == "13" and answer.split()[6] == "0.0250"


def test_invalid_input_reports_the_error_id(capsys: pytest.CaptureFixture[str]):
    assert _run(["--calls", "100", "--aht", "0"]) == 2
    assert "erlang.invalid_input" in capsys.readouterr().out


def test_target_must_be_percent_over_seconds():
    with pytest.raises(argparse.ArgumentTypeError):
        erlang.parse_target("80")
    assert erlang.parse_target("90/30") == (0.9, 30.0)
