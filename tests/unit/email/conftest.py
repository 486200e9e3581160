"""Fixtures for the e-mail unit tests."""

from __future__ import annotations

import pytest
from email_fakes import FakeService


@pytest.fixture
def service() -> FakeService:
    return FakeService()
