"""Erlang B/C/A against the published oracles of privacy-and-kpis.md B.4, B.5 and B.6."""

from __future__ import annotations

import pytest

from standardiste.domain.erlang import (
    SlDefinition,
    Traffic,
    erlang_a_metrics,
    erlang_b,
    erlang_c,
    erlang_c_metrics,
)

# B.4: 100 calls / 1800 s, AHT 180 s, T = 20 s -> N, P(wait), SL(20 s), ASA, Lq. Probabilities
# are printed to 6 decimals, so a printed value is within 5e-7 of the exact one. ASA and Lq were
# rounded twice in the source (40.4449 -> 40.445 -> 40.45), so they get one unit of the last digit.
B4 = [
    (11, 0.682118, 0.389614, 122.78, 6.821),
    (12, 0.449388, 0.640158, 40.45, 2.247),
    (13, 0.285270, 0.795595, 17.12, 0.951),
    (14, 0.174132, 0.888350, 7.84, 0.435),
    (15, 0.102042, 0.941453, 3.67, 0.204),
    (16, 0.057340, 0.970560, 1.72, 0.096),
]
# B.5: 360 calls / 1800 s, AHT 240 s, T = 15 s.
B5 = [
    (49, 0.836757, 0.213940, 200.82, 40.164),
    (50, 0.694456, 0.387145, 83.33, 16.667),
    (51, 0.571440, 0.526259, 45.72, 9.143),
    (52, 0.466031, 0.637055, 27.96, 5.592),
    (53, 0.376542, 0.724516, 18.07, 3.615),
    (54, 0.301308, 0.792914, 12.05, 2.411),
    (55, 0.238701, 0.845883, 8.18, 1.637),
    (56, 0.187154, 0.886485, 5.62, 1.123),
]
# B.6 Erlang A, patience 300 s, T = 20 s: N, P(wait), P(ab), E[W] all, ASA answered,
# SL_off, SL_ans, SL_sa(s = T), SL_credit, occupancy (5 decimals printed).
B6 = [
    (8, 0.84757, 0.23186, 69.56, 71.29, 0.22645, 0.29481, 0.23895, 0.27875, 0.9602),
    (9, 0.73455, 0.16326, 48.98, 48.03, 0.36625, 0.43771, 0.38314, 0.41034, 0.9297),
    (10, 0.59943, 0.10944, 32.83, 31.24, 0.51681, 0.58032, 0.53545, 0.55162, 0.8906),
    (11, 0.45977, 0.06995, 20.98, 19.60, 0.65687, 0.70627, 0.67421, 0.68259, 0.8455),
    (12, 0.33180, 0.04271, 12.81, 11.86, 0.77228, 0.80674, 0.78629, 0.79010, 0.7977),
    (13, 0.22580, 0.02496, 7.49, 6.91, 0.85818, 0.88015, 0.86827, 0.86981, 0.7500),
    (14, 0.14526, 0.01398, 4.20, 3.88, 0.91679, 0.92979, 0.92341, 0.92396, 0.7043),
    (15, 0.08855, 0.00751, 2.25, 2.09, 0.95386, 0.96108, 0.95786, 0.95804, 0.6617),
]


@pytest.mark.parametrize(("n", "p_wait", "sl", "asa", "lq"), B4)
def test_erlang_c_reproduces_example_1(n: int, p_wait: float, sl: float, asa: float, lq: float):
    m = erlang_c_metrics(n, Traffic.per_interval(100, 1800, 180), 20)
    assert m.p_wait == pytest.approx(p_wait, abs=5e-7 + 1e-12)
    assert m.answered_within == pytest.approx(sl, abs=5e-7 + 1e-12)
    assert m.asa == pytest.approx(asa, abs=0.01)
    assert m.queue_length == pytest.approx(lq, abs=0.001)
    assert m.occupancy == pytest.approx(10 / n, rel=1e-12)


def test_erlang_c_matches_pyworkforce_published_digits():
    # pyworkforce docs, same inputs: service_level 0.8883500191794669, P(wait) 0.1741319335950498.
    m = erlang_c_metrics(14, Traffic.per_interval(100, 1800, 180), 20)
    assert m.answered_within == pytest.approx(0.8883500191794669, abs=1e-12)
    assert m.p_wait == pytest.approx(0.1741319335950498, abs=1e-12)
    assert m.occupancy == pytest.approx(0.7142857142857143, abs=1e-15)


@pytest.mark.parametrize(("n", "p_wait", "sl", "asa", "lq"), B5)
def test_erlang_c_reproduces_example_2(n: int, p_wait: float, sl: float, asa: float, lq: float):
    m = erlang_c_metrics(n, Traffic.per_interval(360, 1800, 240), 15)
    assert m.load == pytest.approx(48.0)
    assert m.p_wait == pytest.approx(p_wait, abs=5e-7 + 1e-12)
    assert m.answered_within == pytest.approx(sl, abs=5e-7 + 1e-12)
    assert m.asa == pytest.approx(asa, abs=0.01)
    assert m.queue_length == pytest.approx(lq, abs=0.001)


def test_erlang_b_reproduces_published_tables():
    # erlang.com: 15 lines at 1 % carry 8.108 E; Lucent 2 % table: 17 channels <-> 10.656 E.
    assert erlang_b(15, 8.108) == pytest.approx(0.01000, abs=5e-6)
    assert erlang_b(17, 10.656) == pytest.approx(0.02000, abs=5e-6)
    assert erlang_b(16, 10) == pytest.approx(0.0223, abs=5e-5)
    assert erlang_b(17, 10) == pytest.approx(0.0129, abs=5e-5)


@pytest.mark.parametrize("row", B6)
def test_erlang_a_reproduces_b6(row: tuple[float, ...]):
    n, p_wait, p_ab, ew, asa, sl_off, sl_ans, sl_sa, sl_credit, occ = row
    m = erlang_a_metrics(int(n), Traffic.per_interval(100, 1800, 180, 300), 20, 20)
    assert m.p_wait == pytest.approx(p_wait, abs=5e-6)
    assert m.p_abandon == pytest.approx(p_ab, abs=5e-6)
    assert m.mean_wait == pytest.approx(ew, abs=5e-3)
    assert m.asa == pytest.approx(asa, abs=5e-3)
    assert m.service_level(SlDefinition.OFFERED) == pytest.approx(sl_off, abs=5e-6)
    assert m.service_level(SlDefinition.ANSWERED) == pytest.approx(sl_ans, abs=5e-6)
    assert m.service_level(SlDefinition.SHORT_ABANDON) == pytest.approx(sl_sa, abs=5e-6)
    assert m.service_level(SlDefinition.CREDIT) == pytest.approx(sl_credit, abs=5e-6)
    assert m.occupancy == pytest.approx(occ, abs=5e-5)


def test_erlang_a_with_endless_patience_returns_erlang_c():
    # B.6 (iv): patience 1e7 s gives SL 0.888352 and ASA 7.836 s at N = 14.
    m = erlang_a_metrics(14, Traffic.per_interval(100, 1800, 180, 1e7), 20)
    assert m.answered_within == pytest.approx(0.888352, abs=5e-6)
    assert m.asa == pytest.approx(7.836, abs=5e-4)
    assert m.p_wait == pytest.approx(erlang_c(14, 10.0), abs=1e-5)
