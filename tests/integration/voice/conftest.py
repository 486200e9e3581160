"""Fixtures of the voice integration tests (helpers live in voice_harness.py)."""
