"""Erlang B, C and A (M/M/N+M) calculators, stable for thousands of agents.

Formulas and oracles: ../shared/reference/privacy-and-kpis.md Part B. No factorials: Erlang B by
its recursion (in log space), Erlang C from B, Erlang A from the birth-death stationary law and
a tagged-caller chain (Garnett, Mandelbaum & Reiman 2002) solved by uniformisation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from standardiste.domain.errors import InvalidRequest

FloatArray = npt.NDArray[np.float64]
# Queue states whose probability is below e^-46 (~1e-20) of the largest are dropped.
_LOG_NEGLIGIBLE = 46.0


class SlDefinition(StrEnum):
    """Which denominator the service level uses (B.8): the variants disagree with abandons."""

    OFFERED = "offered"  # answered <= T / offered
    ANSWERED = "answered"  # answered <= T / answered
    SHORT_ABANDON = "short_abandon"  # answered <= T / (offered - abandoned <= s)
    CREDIT = "credit"  # (answered <= T + abandoned <= T) / offered


@dataclass(frozen=True, slots=True)
class Traffic:
    """Offered traffic: Poisson arrivals, exponential handling and (optional) patience."""

    arrival_rate: float  # calls per second
    aht: float  # mean handle time in seconds, after-call work included
    patience: float | None = None  # mean patience in seconds; None = nobody abandons

    @classmethod
    def per_interval(
        cls, calls: float, interval_s: float, aht: float, patience: float | None = None
    ) -> Traffic:
        """Build traffic from a call count over an interval."""
        _positive(interval_s=interval_s, aht=aht)
        return cls(calls / interval_s, aht, patience)

    @property
    def load(self) -> float:
        """Return the offered load in Erlangs (A = lambda x AHT)."""
        return self.arrival_rate * self.aht


@dataclass(frozen=True, slots=True)
class QueueMetrics:
    """Steady-state figures for N agents; fractions are of offered calls unless named."""

    agents: int
    load: float
    target_s: float
    p_wait: float
    answered_within: float  # P(answered and waited <= T), immediate answers included
    abandoned_within: float  # P(abandoned after waiting <= T)
    abandoned_short: float  # P(abandoned after waiting <= short_abandon_s)
    short_abandon_s: float
    p_abandon: float
    asa: float  # mean wait of answered calls (industry ASA, B.8)
    mean_wait: float  # mean wait of all arrivals, abandoners included (= Lq / lambda)
    queue_length: float
    occupancy: float

    def service_level(self, definition: SlDefinition = SlDefinition.OFFERED) -> float:
        """Return the service level under one of the B.8 definitions."""
        if definition is SlDefinition.OFFERED:
            return self.answered_within
        if definition is SlDefinition.ANSWERED:
            answered = 1.0 - self.p_abandon
            return self.answered_within / answered if answered > 0 else 0.0
        if definition is SlDefinition.SHORT_ABANDON:
            return self.answered_within / (1.0 - self.abandoned_short)
        return self.answered_within + self.abandoned_within


def _positive(**values: float) -> None:
    for name, value in values.items():
        if not (value > 0 and math.isfinite(value)):
            raise InvalidRequest("erlang.invalid_input", f"{name} must be > 0", **{name: value})


def _check_agents(agents: int) -> None:
    if agents < 1:
        raise InvalidRequest("erlang.invalid_input", "agents must be >= 1", agents=agents)


def log_erlang_b(agents: int, load: float) -> float:
    """Return log B(N, A), finite even where B underflows a double."""
    _check_agents(agents)
    _positive(load=load)
    # B(n) = A B(n-1) / (n + A B(n-1)), B(0) = 1, carried in logs.
    log_a = math.log(load)
    log_b = 0.0
    for n in range(1, agents + 1):
        log_b = log_a + log_b - math.log(n + math.exp(log_a + log_b))
    return log_b


def erlang_b(agents: int, load: float) -> float:
    """Return the Erlang B blocking probability B(N, A)."""
    return math.exp(log_erlang_b(agents, load))


def erlang_c(agents: int, load: float) -> float:
    """Return the Erlang C probability of waiting C(N, A); N must exceed A."""
    if agents <= load:
        raise InvalidRequest(
            "erlang.unstable", "Erlang C needs more agents than Erlangs", agents=agents, load=load
        )
    b = erlang_b(agents, load)
    return agents * b / (agents - load * (1.0 - b))


def erlang_c_metrics(
    agents: int, traffic: Traffic, target_s: float, short_abandon_s: float = 5.0
) -> QueueMetrics:
    """Return the Erlang C (infinite patience) figures for N agents."""
    _positive(aht=traffic.aht, arrival_rate=traffic.arrival_rate)
    load = traffic.load
    c = erlang_c(agents, load)
    gap = agents - load
    # The wait of a delayed call is exponential with rate (N - A) / AHT (B.1).
    return QueueMetrics(
        agents=agents,
        load=load,
        target_s=target_s,
        p_wait=c,
        answered_within=1.0 - c * math.exp(-gap * target_s / traffic.aht),
        abandoned_within=0.0,
        abandoned_short=0.0,
        short_abandon_s=short_abandon_s,
        p_abandon=0.0,
        asa=c * traffic.aht / gap,
        mean_wait=c * traffic.aht / gap,
        queue_length=c * load / gap,
        occupancy=load / agents,
    )


def _queue_law(agents: int, lam: float, mu: float, theta: float) -> tuple[float, FloatArray]:
    """Return P(no wait) and P(arrival finds k callers queued), k = 0..K (PASTA)."""
    n_mu = agents * mu
    log_e = log_erlang_b(agents, lam / mu)
    # Relative to p_N: states below N weigh (1 - E) / E (Erlang B is p_N over the truncated sum).
    log_below = math.log1p(-math.exp(log_e)) - log_e
    peak = max(0, math.ceil((lam - n_mu) / theta))
    ratio = lam / n_mu
    tail = 10.0 * math.sqrt(lam / theta + 1.0)
    if ratio < 1.0:
        tail = min(tail, _LOG_NEGLIGIBLE * 1.3 / -math.log(ratio))
    size = peak + int(tail) + 100
    k = np.arange(1, size + 1, dtype=np.float64)
    log_q = np.concatenate(([0.0], np.cumsum(np.log(lam / (n_mu + k * theta)))))
    top = max(float(log_q.max()), log_below)
    keep = np.nonzero(log_q > top - _LOG_NEGLIGIBLE)[0]
    log_q = log_q[: int(keep[-1]) + 1] if keep.size else log_q[:1]
    q = np.exp(log_q - top)
    below = math.exp(log_below - top)
    total = below + float(q.sum())
    return below / total, q / total


def _integrated_law(
    start: FloatArray, leave: FloatArray, advance: FloatArray, horizons: list[float]
) -> list[FloatArray]:
    """Return, per horizon T, the integral over [0, T] of the tagged caller's state law."""
    # Uniformisation: e^{Qt} = sum_k Pois(k; Lt) P^k, and the integral of Pois(k; Lt) over
    # [0, T] is P(Pois(LT) > k) / L; the chain only moves down (j -> j-1), so P is bidiagonal.
    rate = float(leave.max())
    stay = 1.0 - leave / rate
    step = advance[1:] / rate
    weights = [_poisson_sf(rate * h) / rate for h in horizons]
    sums = [np.zeros_like(start) for _ in horizons]
    v = start.copy()
    for k in range(max(len(w) for w in weights)):
        for w, acc in zip(weights, sums, strict=True):
            if k < len(w):
                acc += w[k] * v
        nxt = v * stay
        nxt[:-1] += v[1:] * step
        v = nxt
    return sums


def _poisson_sf(mean: float) -> FloatArray:
    """Return P(Pois(mean) > k) for k = 0.. until negligible."""
    if mean <= 0:
        return np.zeros(0)
    top = int(mean + 12.0 * math.sqrt(mean) + 40)
    k = np.arange(top + 1, dtype=np.float64)
    log_pmf = k * math.log(mean) - mean - np.array([math.lgamma(x + 1.0) for x in k])
    pmf = np.exp(log_pmf)
    # Survival summed from the top, so tiny tails are not lost to 1 - cdf cancellation.
    return np.asarray(np.cumsum(pmf[::-1])[::-1][1:], dtype=np.float64)


def erlang_a_metrics(
    agents: int, traffic: Traffic, target_s: float, short_abandon_s: float = 5.0
) -> QueueMetrics:
    """Return the Erlang A (exponential patience) figures for N agents."""
    _check_agents(agents)
    if traffic.patience is None:
        return erlang_c_metrics(agents, traffic, target_s, short_abandon_s)
    _positive(aht=traffic.aht, arrival_rate=traffic.arrival_rate, patience=traffic.patience)
    lam, mu, theta = traffic.arrival_rate, 1.0 / traffic.aht, 1.0 / traffic.patience
    p_now, q = _queue_law(agents, lam, mu, theta)
    j = np.arange(q.size, dtype=np.float64)
    # Tagged caller at position j: moves up at rate N mu + j theta, leaves (own patience) at
    # theta; `leave` is the total outflow N mu + (j + 1) theta of each position.
    advance = agents * mu + j * theta
    leave = advance + theta
    queue_length = float((j * q).sum())
    p_abandon = theta * queue_length / lam
    # Served from position j with probability N mu / leave_j (the product telescopes); the
    # Laplace transform of the virtual wait gives E[W; served] = P(served) * sum_{i<=j} 1/leave_i.
    served = agents * mu / leave
    wait_served = float((q * served * np.cumsum(1.0 / leave)).sum())
    within_t, within_s = _integrated_law(q, leave, advance, [target_s, short_abandon_s])
    p_answered = p_now + float((q * served).sum())
    return QueueMetrics(
        agents=agents,
        load=traffic.load,
        target_s=target_s,
        p_wait=float(q.sum()),
        answered_within=p_now + agents * mu * float(within_t[0]),
        abandoned_within=theta * float(within_t.sum()),
        abandoned_short=theta * float(within_s.sum()),
        short_abandon_s=short_abandon_s,
        p_abandon=p_abandon,
        asa=wait_served / p_answered,
        mean_wait=queue_length / lam,
        queue_length=queue_length,
        occupancy=min(1.0, lam * (1.0 - p_abandon) / (agents * mu)),
    )


def queue_metrics(
    agents: int, traffic: Traffic, target_s: float, short_abandon_s: float = 5.0
) -> QueueMetrics:
    """Return Erlang A figures with patience, Erlang C figures without."""
    return erlang_a_metrics(agents, traffic, target_s, short_abandon_s)


@dataclass(frozen=True, slots=True)
class StaffingTarget:
    """What the plan must reach: SL within T, an occupancy cap and the shrinkage to cover."""

    service_level: float  # e.g. 0.8
    target_s: float  # e.g. 20 s
    max_occupancy: float = 1.0
    shrinkage: float = 0.0
    definition: SlDefinition = SlDefinition.OFFERED
    short_abandon_s: float = 5.0


@dataclass(frozen=True, slots=True)
class Staffing:
    """The answer: productive agents, agents to schedule, and the figures at that level."""

    agents: int
    scheduled: int
    metrics: QueueMetrics


def scheduled_agents(agents: int, shrinkage: float) -> int:
    """Return the agents to schedule so that `agents` remain after shrinkage (B.8)."""
    if not 0.0 <= shrinkage < 1.0:
        raise InvalidRequest(
            "erlang.invalid_input", "shrinkage must be in [0, 1)", shrinkage=shrinkage
        )
    # Guard the ceiling against float noise: 14 / (1 - 0.3) must give 20, not 21.
    return math.ceil(agents / (1.0 - shrinkage) - 1e-9)


def meets(metrics: QueueMetrics, target: StaffingTarget) -> bool:
    """Tell whether figures reach the service level and respect the occupancy cap."""
    return (
        metrics.service_level(target.definition) >= target.service_level - 1e-12
        and metrics.occupancy <= target.max_occupancy + 1e-12
    )


def agents_needed(traffic: Traffic, target: StaffingTarget) -> Staffing:
    """Return the fewest agents that meet the target (Erlang C, or A with patience)."""
    if not 0.0 < target.service_level < 1.0:
        raise InvalidRequest(
            "erlang.invalid_input", "service level must be in (0, 1)", value=target.service_level
        )
    _positive(max_occupancy=target.max_occupancy)
    if traffic.arrival_rate == 0:
        return Staffing(0, 0, erlang_a_metrics(1, Traffic(1e-12, traffic.aht), target.target_s))

    def evaluate(n: int) -> QueueMetrics:
        return queue_metrics(n, traffic, target.target_s, target.short_abandon_s)

    # Erlang C is only defined above the load; Erlang A is defined from one agent (B.3).
    low = math.floor(traffic.load) if traffic.patience is None else 0
    # Service level and occupancy are monotone in N, so gallop up then bisect.
    step, high = 1, low + 1
    while not meets(evaluate(high), target):
        low, step = high, step * 2
        high = low + step
    while high - low > 1:
        mid = (low + high) // 2
        if meets(evaluate(mid), target):
            high = mid
        else:
            low = mid
    return Staffing(high, scheduled_agents(high, target.shrinkage), evaluate(high))
