"""Erlang staffing searches, structure and numerical stability at national scale."""

from __future__ import annotations

import math

import pytest

from standardiste.domain.erlang import (
    SlDefinition,
    StaffingTarget,
    Traffic,
    agents_needed,
    erlang_a_metrics,
    erlang_b,
    erlang_c,
    erlang_c_metrics,
    scheduled_agents,
)
from standardiste.domain.errors import InvalidRequest


def test_standard_example_needs_14_productive_and_20_scheduled():
    plan = agents_needed(
        Traffic.per_interval(100, 1800, 180),
        StaffingTarget(0.8, 20, max_occupancy=0.85, shrinkage=0.3),
    )
    assert (plan.agents, plan.scheduled) == (14, 20)
    assert plan.metrics.answered_within == pytest.approx(0.888350, abs=5e-7)


def test_mitan_example_needs_55_for_80_in_15_s():
    plan = agents_needed(Traffic.per_interval(360, 1800, 240), StaffingTarget(0.8, 15))
    assert plan.agents == 55


def test_erlang_a_needs_one_agent_fewer_than_erlang_c():
    # B.6 (i): abandonment relieves the queue, 13 agents instead of 14.
    plan = agents_needed(Traffic.per_interval(100, 1800, 180, 300), StaffingTarget(0.8, 20))
    assert plan.agents == 13


def test_sl_definition_changes_the_answer():
    # B.6 (ii): at N = 12 SL_ans passes 80 % while SL_off does not.
    traffic = Traffic.per_interval(100, 1800, 180, 300)
    answered = agents_needed(traffic, StaffingTarget(0.8, 20, definition=SlDefinition.ANSWERED))
    assert answered.agents == 12


def test_erlang_a_may_staff_below_the_load():
    # pyworkforce never tries N < A; Erlang A permits it (9 agents reach 36.6 % at A = 10).
    plan = agents_needed(Traffic.per_interval(100, 1800, 180, 300), StaffingTarget(0.3, 20))
    assert plan.agents == 9


def test_search_starts_at_floor_of_load_plus_one():
    # pyworkforce skips floor(A) + 1 when frac(A) >= 0.5: A = 10.6, 80 % within 15 min -> 11.
    plan = agents_needed(Traffic.per_interval(106, 1800, 180), StaffingTarget(0.8, 900))
    assert plan.agents == 11


def test_occupancy_cap_binds_when_service_level_is_loose():
    plan = agents_needed(Traffic.per_interval(100, 1800, 180), StaffingTarget(0.1, 20, 0.6))
    assert plan.agents == 17  # ceil(10 / 0.6)
    assert plan.metrics.occupancy <= 0.6


def test_scheduled_agents_rounds_up_without_float_noise():
    assert scheduled_agents(14, 0.3) == 20
    assert scheduled_agents(15, 0.3) == 22
    assert scheduled_agents(7, 0.0) == 7
    with pytest.raises(InvalidRequest):
        scheduled_agents(7, 1.0)


def test_erlang_c_refuses_an_unstable_queue():
    with pytest.raises(InvalidRequest) as err:
        erlang_c(10, 10.0)
    assert err.value.error_id == "erlang.unstable"


def test_invalid_inputs_carry_a_stable_error_id():
    with pytest.raises(InvalidRequest) as err:
        erlang_b(0, 3.0)
    assert err.value.error_id == "erlang.invalid_input"
    with pytest.raises(InvalidRequest):
        Traffic.per_interval(100, 0, 180)


def test_service_level_is_monotone_in_agents():
    traffic = Traffic.per_interval(100, 1800, 180, 300)
    levels = [erlang_a_metrics(n, traffic, 20).answered_within for n in range(1, 25)]
    assert all(b > a for a, b in zip(levels, levels[1:], strict=False))
    waits = [erlang_c_metrics(n, traffic, 20).p_wait for n in range(11, 25)]
    assert all(b < a for a, b in zip(waits, waits[1:], strict=False))


def test_stable_for_thousands_of_agents():
    # 2,000 Erlangs: factorials would overflow; the recursion in logs does not.
    b = erlang_b(2100, 2000.0)
    assert 0.0 < b < 1.0 and math.isfinite(b)
    assert erlang_b(5000, 10.0) == 0.0  # underflows cleanly to 0, no NaN
    traffic = Traffic.per_interval(20000, 1800, 180)
    plan = agents_needed(traffic, StaffingTarget(0.8, 20))
    assert 2000 < plan.agents < 2100
    before = erlang_c_metrics(plan.agents - 1, traffic, 20).answered_within
    assert before < 0.8 <= plan.metrics.answered_within


def test_erlang_a_at_national_scale_agrees_with_its_own_identities():
    traffic = Traffic.per_interval(20000, 1800, 180, 120)
    m = erlang_a_metrics(1950, traffic, 20)
    # Little's law and flow balance: answered + abandoned = offered.
    assert m.mean_wait == pytest.approx(m.queue_length / traffic.arrival_rate, rel=1e-9)
    carried = m.occupancy * 1950
    assert carried == pytest.approx(traffic.load * (1 - m.p_abandon), rel=1e-9)
    assert 0.0 <= m.answered_within <= 1.0 - m.p_abandon + 1e-12


def test_erlang_a_uniformisation_matches_the_erlang_c_closed_form():
    # With near-infinite patience the tagged-caller chain must reproduce 1 - C e^{-(N-A)T/AHT}.
    for n, t in [(11, 20.0), (14, 60.0), (16, 5.0)]:
        a = erlang_a_metrics(n, Traffic.per_interval(100, 1800, 180, 1e9), t)
        c = erlang_c_metrics(n, Traffic.per_interval(100, 1800, 180), t)
        assert a.answered_within == pytest.approx(c.answered_within, abs=1e-6)


def test_overloaded_erlang_a_abandons_the_excess():
    # 3,333 E offered to 100 agents: almost everything beyond 100 E must abandon.
    m = erlang_a_metrics(100, Traffic.per_interval(20000, 1800, 300, 200), 20)
    assert m.p_abandon == pytest.approx(1 - 100 / m.load, abs=1e-3)
    assert m.occupancy == pytest.approx(1.0, abs=1e-6)
