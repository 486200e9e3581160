"""The calculator behind `GET /api/v1/planning/erlang`: the domain's numbers, the CLI's window."""

from __future__ import annotations

import pytest

from standardiste.commands import erlang as command
from standardiste.domain.erlang import (
    SlDefinition,
    StaffingTarget,
    Traffic,
    agents_needed,
    queue_metrics,
    scheduled_agents,
)
from standardiste.domain.errors import InvalidRequest
from standardiste.web.api.planning import MAX_LOAD, erlang_table


@pytest.mark.parametrize(
    ("calls", "aht", "patience", "target"),
    [
        (100, 180, None, StaffingTarget(0.8, 20)),
        (100, 180, 300.0, StaffingTarget(0.8, 20, 0.85, 0.3)),
        (960, 240, None, StaffingTarget(0.9, 15, 0.9, 0.35, SlDefinition.ANSWERED)),
        (40, 300, 60.0, StaffingTarget(0.7, 30, 1.0, 0.0, SlDefinition.SHORT_ABANDON)),
        (2.5, 600, 120.0, StaffingTarget(0.8, 20, 1.0, 0.0, SlDefinition.CREDIT)),
    ],
)
def test_table_is_the_domain_around_the_answer(
    calls: float, aht: float, patience: float | None, target: StaffingTarget
) -> None:
    traffic = Traffic.per_interval(calls, 1800, aht, patience)
    agents, scheduled, rows = erlang_table(traffic, target, rows=3)
    plan = agents_needed(traffic, target)
    assert (agents, scheduled) == (plan.agents, plan.scheduled)
    ns = [r["agents"] for r in rows]
    low = max(1, plan.agents - 3)
    if patience is None:
        low = max(low, int(traffic.load) + 1)
    assert ns == list(range(low, plan.agents + 4))
    assert [r["answer"] for r in rows] == [n == plan.agents for n in ns]
    for r in rows:
        m = queue_metrics(r["agents"], traffic, target.target_s, target.short_abandon_s)
        assert r["service_level"] == m.service_level(target.definition)
        assert (r["p_wait"], r["asa"], r["occupancy"], r["p_abandon"]) == (
            m.p_wait, m.asa, m.occupancy, m.p_abandon,
        )  # fmt: skip
        assert r["scheduled"] == scheduled_agents(r["agents"], target.shrinkage)


def test_rows_below_the_answer_miss_the_target_and_the_answer_meets_it() -> None:
    traffic = Traffic.per_interval(100, 1800, 180)
    _, _, rows = erlang_table(traffic, StaffingTarget(0.8, 20), rows=3)
    by_n = {r["agents"]: r for r in rows}
    assert by_n[13]["service_level"] < 0.8 <= by_n[14]["service_level"]
    assert round(by_n[14]["service_level"], 4) == 0.8884  # the B.4 reference value


def test_table_matches_the_cli_printout(capsys: pytest.CaptureFixture[str]) -> None:
    parser = command.argparse.ArgumentParser()
    command.add_parser(parser.add_subparsers())
    args = parser.parse_args(
        ["erlang", "--calls", "100", "--aht", "180", "--patience", "300", "--shrinkage", "0.3"]
    )
    assert command.run(args) == 0
    printed = [line.split() for line in capsys.readouterr().out.splitlines()[4:]]
    _, _, rows = erlang_table(
        Traffic.per_interval(100, 1800, 180, 300.0), StaffingTarget(0.8, 20, 1.0, 0.3)
    )
    assert [
        [str(r["agents"]), str(r["scheduled"]), f"{r['p_wait']:.4f}", f"{r['service_level']:.4f}",
         f"{r['asa']:.2f}", f"{r['occupancy']:.4f}", f"{r['p_abandon']:.4f}"]
        + (["<="] if r["answer"] else [])
        for r in rows
    ] == printed  # fmt: skip


def test_a_load_beyond_the_cap_is_refused() -> None:
    with pytest.raises(InvalidRequest) as err:
        erlang_table(Traffic.per_interval(MAX_LOAD + 1, 1, 1), StaffingTarget(0.8, 20))
    assert err.value.error_id == "planning.too_large"
