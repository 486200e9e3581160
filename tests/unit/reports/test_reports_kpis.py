"""KPI definitions: versions, formulas and the service-level variants of B.6/B.8."""

from __future__ import annotations

from pathlib import Path

import pytest

from standardiste.domain.erlang import SlDefinition
from standardiste.domain.kpis import (
    BY_ID,
    DEFINITIONS,
    AgentCounters,
    QueueCounters,
    agent_kpis,
    queue_kpis,
    service_level,
    service_level_formula,
)


def _counters() -> QueueCounters:
    # 100 offered: 80 answered (70 within T), 12 abandoned after s, 8 short (3 of them within T
    # of course, and 5 more long abandons within T).
    return QueueCounters(offered=100, answered=80, answered_in_sl=70, abandoned=12,
                         short_abandoned=8, abandoned_in_sl=13, handled=80,
                         wait_answered_s=800, talk_s=16000, hold_s=800, acw_s=3200)  # fmt: skip


def test_each_sl_variant_uses_its_own_denominator() -> None:
    c = _counters()
    assert service_level(c, SlDefinition.OFFERED) == pytest.approx(0.70)
    assert service_level(c, SlDefinition.ANSWERED) == pytest.approx(70 / 80)
    assert service_level(c, SlDefinition.SHORT_ABANDON) == pytest.approx(70 / 92)
    assert service_level(c, SlDefinition.CREDIT) == pytest.approx(83 / 100)
    assert service_level(QueueCounters(), SlDefinition.OFFERED) is None


def test_queue_kpis_follow_the_published_formulas() -> None:
    k = queue_kpis(_counters(), SlDefinition.SHORT_ABANDON)
    assert k["aht"] == pytest.approx((16000 + 800 + 3200) / 80)  # ACW is part of AHT
    assert k["asa"] == pytest.approx(10.0)  # answered calls only
    assert k["answer_rate"] == pytest.approx(0.8)
    assert k["abandon_rate"] == pytest.approx(0.2)
    assert k["waiting"] == 0


def test_agent_kpis_occupancy_and_utilisation() -> None:
    c = AgentCounters()
    c.add_state("busy_voice", "", 3000)
    c.add_state("acw", "", 600)
    c.add_state("ready", "", 900)
    c.add_state("alerting", "", 0)
    c.add_state("not_ready", "break", 900)
    c.add_state("activity", "postal_mail", 1800)
    k = agent_kpis(c)
    assert k["occupancy"] == pytest.approx(3600 / 4500)
    assert k["utilisation"] == pytest.approx(4500 / 7200)
    assert k["pause_by_reason_s"] == {"break": 900}
    assert k["logged_in_s"] == 7200


def test_every_definition_is_versioned_documented_and_unique() -> None:
    assert len(BY_ID) == len(DEFINITIONS)
    docs = (Path(__file__).parents[3] / "docs" / "kpis.md").read_text(encoding="utf-8")
    for d in DEFINITIONS:
        assert d.version >= 1 and d.formula
        assert f'id="{d.anchor}"' in docs, d.id
    assert "T = 20 s" in service_level_formula(SlDefinition.OFFERED, 20, 5)


def test_counters_add_up() -> None:
    a, b = _counters(), _counters()
    a.add(b)
    assert a.offered == 200 and a.talk_s == 32000
