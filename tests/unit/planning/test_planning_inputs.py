"""Planning inputs: given values, configuration targets, measured figures; the history window."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from sd_testing import DEMO_CONFIG
from standardiste.commands.forecast import (
    DEFAULT_AHT,
    MIN_SAMPLE,
    Measured,
    PlanInputs,
    _measured,
    history_end,
    queue_inputs,
)
from standardiste.config import load_config
from standardiste.domain.erlang import SlDefinition
from standardiste.domain.kpis import QueueCounters

PARIS = ZoneInfo("Europe/Paris")
CONFIG = load_config(DEMO_CONFIG)


def test_given_values_beat_measured_ones_which_beat_defaults() -> None:
    measured = {"income-tax-voice": Measured(aht=250.0, patience=400.0)}
    ids = ["income-tax-voice", "property-tax-voice"]
    auto = queue_inputs(ids, PlanInputs(), CONFIG, measured)
    tax = auto["income-tax-voice"]
    assert (tax.planning.aht, tax.aht_source) == (250.0, "measured")
    assert (tax.planning.patience, tax.patience_source) == (400.0, "measured")
    prop = auto["property-tax-voice"]
    assert (prop.planning.aht, prop.aht_source) == (DEFAULT_AHT, "default")
    assert (prop.planning.patience, prop.patience_source) == (None, "default")
    given = queue_inputs(
        ids, PlanInputs(aht=200, queue_aht={"property-tax-voice": 420}, patience=90), CONFIG,
        measured,
    )  # fmt: skip
    assert (given["income-tax-voice"].planning.aht, given["income-tax-voice"].aht_source) == (
        200,
        "given",
    )
    assert given["property-tax-voice"].planning.aht == 420
    assert given["income-tax-voice"].planning.patience == 90


def test_targets_come_from_each_queue_unless_one_is_given() -> None:
    ids = ["income-tax-voice", "property-tax-voice", "unknown"]
    per_queue = queue_inputs(ids, PlanInputs(shrinkage=0.25, max_occupancy=0.9), CONFIG)
    targets = {q: (i.planning.target.service_level, i.planning.target.target_s)
               for q, i in per_queue.items()}  # fmt: skip
    assert targets == {
        "income-tax-voice": (0.8, 20.0),
        "property-tax-voice": (0.8, 30.0),
        "unknown": (0.8, 20.0),
    }
    target = per_queue["income-tax-voice"].planning.target
    assert (target.shrinkage, target.max_occupancy) == (0.25, 0.9)
    assert target.definition is SlDefinition(CONFIG.centre.service_level_definition)
    assert target.short_abandon_s == CONFIG.centre.short_abandon_s
    forced = queue_inputs(ids, PlanInputs(target=(0.9, 15.0)), CONFIG)
    assert {(i.planning.target.service_level, i.planning.target.target_s)
            for i in forced.values()} == {(0.9, 15.0)}  # fmt: skip


def test_measured_handle_time_and_censored_patience() -> None:
    c = QueueCounters(
        answered=90, handled=90, abandoned=24, short_abandoned=6,
        wait_answered_s=90 * 20.0, wait_abandoned_s=30 * 45.0,
        talk_s=90 * 200.0, hold_s=90 * 10.0, acw_s=90 * 30.0,
    )  # fmt: skip
    m = _measured(c)
    assert m.aht == pytest.approx(240.0)
    # Exponential patience censored by answering: total waiting time over abandons.
    assert m.patience == pytest.approx((1800 + 1350) / 30)
    few = _measured(QueueCounters(handled=MIN_SAMPLE - 1, talk_s=1000.0, abandoned=3))
    assert few == Measured(None, None)


@pytest.mark.parametrize(
    ("local", "midnight"),
    [
        (datetime(2026, 11, 29, 14, 30, tzinfo=PARIS), datetime(2026, 11, 29, tzinfo=PARIS)),
        (datetime(2026, 10, 25, 23, 59, tzinfo=PARIS), datetime(2026, 10, 25, tzinfo=PARIS)),
        (datetime(2026, 3, 29, 12, 0, tzinfo=PARIS), datetime(2026, 3, 29, tzinfo=PARIS)),
        (datetime(2026, 11, 30, 0, 0, tzinfo=PARIS), datetime(2026, 11, 30, tzinfo=PARIS)),
    ],
)
def test_history_ends_at_local_midnight_across_dst(local: datetime, midnight: datetime) -> None:
    assert history_end(local.timestamp(), "Europe/Paris") == midnight.timestamp()
