"""Simulator errors: a scenario that cannot be run, with a stable error id."""

from __future__ import annotations

from standardiste.domain.errors import InvalidRequest


class ScenarioError(InvalidRequest):
    """The scenario file is missing, malformed or inconsistent."""
