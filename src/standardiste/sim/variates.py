"""Random variates for the simulator: handle times, patience, arrivals (numpy, batched)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from standardiste.sim.errors import ScenarioError

_BATCH = 4096


@dataclass(frozen=True, slots=True)
class Distribution:
    """A non-negative duration law: exponential, lognormal, empirical or constant."""

    kind: str
    mean: float = 0.0
    cv: float = 1.0  # coefficient of variation (lognormal)
    values: tuple[float, ...] = ()  # empirical samples

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray[Any, Any]:
        """Draw `size` values."""
        if self.kind == "exponential":
            return rng.exponential(self.mean, size)
        if self.kind == "lognormal":
            # Match the mean and cv: sigma^2 = ln(1 + cv^2), mu = ln(mean) - sigma^2 / 2.
            sigma2 = math.log1p(self.cv * self.cv)
            return rng.lognormal(math.log(self.mean) - sigma2 / 2, math.sqrt(sigma2), size)
        if self.kind == "empirical":
            return rng.choice(np.asarray(self.values), size)
        return np.full(size, self.mean)

    @property
    def expected(self) -> float:
        """Return the mean of the law."""
        if self.kind == "empirical":
            return float(np.mean(self.values))
        return self.mean


def parse_distribution(spec: Mapping[str, Any] | float, where: str) -> Distribution:
    """Build a distribution from `{dist = "...", mean = ...}` or a bare number (exponential)."""
    if isinstance(spec, int | float):
        spec = {"dist": "exponential", "mean": spec}
    kind = str(spec.get("dist", "exponential"))
    if kind == "empirical":
        values = tuple(float(v) for v in spec.get("values", ()))
        if not values or min(values) < 0:
            raise ScenarioError(
                "scenario.bad_distribution", f"{where}: empirical needs values >= 0"
            )
        return Distribution(kind, values=values)
    if kind not in ("exponential", "lognormal", "constant"):
        raise ScenarioError("scenario.bad_distribution", f"{where}: unknown dist {kind!r}")
    mean = float(spec.get("mean", 0.0))
    cv = float(spec.get("cv", 1.0))
    if mean <= 0 or cv <= 0:
        raise ScenarioError("scenario.bad_distribution", f"{where}: mean and cv must be > 0")
    return Distribution(kind, mean=mean, cv=cv)


class Stream:
    """Hand out one draw at a time from pre-generated batches (numpy calls are per batch)."""

    __slots__ = ("_buf", "_dist", "_pos", "_rng")

    def __init__(self, dist: Distribution, rng: np.random.Generator) -> None:
        self._dist = dist
        self._rng = rng
        self._buf: list[float] = []
        self._pos = 0

    def next(self) -> float:
        """Return the next draw."""
        if self._pos >= len(self._buf):
            self._buf = self._dist.sample(self._rng, _BATCH).tolist()
            self._pos = 0
        value = self._buf[self._pos]
        self._pos += 1
        return value


def poisson_arrivals(
    rng: np.random.Generator, counts: Sequence[float], interval_s: float, start: float = 0.0
) -> list[float]:
    """Return sorted arrival times of a Poisson process with a mean count per interval."""
    # Piecewise-constant rate: the count per interval is Poisson, the times uniform within it.
    means = np.asarray(counts, dtype=np.float64)
    n = rng.poisson(means)
    starts = start + interval_s * np.arange(means.size)
    times = np.repeat(starts, n) + rng.uniform(0.0, interval_s, int(n.sum()))
    times.sort()
    return times.tolist()  # type: ignore[no-any-return]
