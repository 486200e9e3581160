"""The compiled build: used when fresh, never when stale, and deciding exactly as the sources."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import standardiste.domain.centre as centre_module
import standardiste.sim.engine as engine_module
from standardiste import native
from standardiste.domain.centre import round_ms
from standardiste.sim.collector import AGENT_FIELDS, COUNT_FIELDS
from standardiste.sim.engine import Simulation
from standardiste.sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[3]
SCENARIO = ROOT / "examples" / "scenarios" / "site-day.toml"


def _counts(seed: int) -> str:
    """Return every per-interval count of one simulated day, as JSON."""
    sim = Simulation(load_scenario(SCENARIO), np.random.default_rng(seed))
    c = sim.run()
    queues = {q: [[getattr(x, f) for f in COUNT_FIELDS] for x in c.counts[q]] for q in c.queue_ids}
    agents = [[getattr(a, f) for f in AGENT_FIELDS] for a in c.agents]
    return json.dumps({"queues": queues, "agents": agents})


def test_a_fresh_build_is_the_code_that_runs() -> None:
    built = (native.BUILD / native.STAMP).is_file() and not os.environ.get("STANDARDISTE_PURE")
    # A build on disk that is not used means it is stale: `make` rebuilds it.
    assert native.active() is built
    for module in (centre_module, engine_module):
        assert module.__file__ is not None
        assert module.__file__.endswith(".py") is not built
        assert module.__file__.startswith(str(native.BUILD)) is built


def test_a_stale_build_is_ignored_with_a_warning(tmp_path, monkeypatch) -> None:
    (tmp_path / "standardiste" / "domain").mkdir(parents=True)
    (tmp_path / native.STAMP).write_text("0" * 64 + "\n")  # the digest of other sources
    monkeypatch.setattr(native, "BUILD", tmp_path)
    monkeypatch.setattr(native, "_state", {})
    monkeypatch.delenv("STANDARDISTE_PURE", raising=False)
    path = ["/src/standardiste/domain"]
    with pytest.warns(RuntimeWarning, match="stale"):
        assert native.enable("standardiste.domain", path) is False
    assert path == ["/src/standardiste/domain"]


def test_the_digest_follows_every_compiled_source() -> None:
    names = [p.name for p in native.sources()]
    assert "centre.py" in names and "routing.py" in names and "engine.py" in names
    assert "errors.py" not in names and "__init__.py" not in names
    assert native.digest() == native.digest()


def test_compiled_and_pure_python_simulate_the_same_day() -> None:
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "from test_sim_native import _counts; print(_counts(7))"
    )
    env = {**os.environ, "STANDARDISTE_PURE": "1"}
    pure = subprocess.run(
        [sys.executable, "-c", code, str(Path(__file__).parent)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout.strip()
    assert json.loads(pure)["queues"]  # the day did simulate something
    assert _counts(7) == pure


@settings(max_examples=3000, deadline=None)
@given(
    st.floats(min_value=-1e10, max_value=1e10, allow_nan=False)
    | st.integers(0, 10**7).map(
        lambda n: n / 2000  # ties and near-ties of the third decimal
    )
)
def test_round_ms_is_round_to_the_bit(x: float) -> None:
    got, want = round_ms(x), round(x, 3)
    assert struct.pack("<d", got) == struct.pack("<d", want)


def test_round_ms_keeps_the_sign_of_zero() -> None:
    assert struct.pack("<d", round_ms(-0.0)) == struct.pack("<d", -0.0)
    assert round_ms(1e-4) == 0.0 and round_ms(0.0005) == round(0.0005, 3)
