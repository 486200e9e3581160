"""R-REC-8 / R-TEST 7: a paused recording resumes by itself after its maximum pause."""

from __future__ import annotations

import asyncio
from typing import Any

from standardiste.channels.voice.recording import CallRecording


class FakePlane:
    """Record the media-plane calls the recording makes."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    async def pause_recording(self, rec_id: str) -> None:
        self.calls.append(("pause", rec_id))

    async def resume_recording(self, rec_id: str) -> None:
        self.calls.append(("resume", rec_id))

    async def stop_recording(self, rec_id: str) -> Any:
        self.calls.append(("stop", rec_id))
        return {"duration_s": 1.0}


class FakeRecordings:
    """Record the audit calls (governance recording service)."""

    def __init__(self) -> None:
        self.audit: list[tuple[str, str, str]] = []

    async def paused(self, active: Any, *, actor: str, reason: str) -> None:
        self.audit.append(("paused", actor, reason))

    async def resumed(
        self, active: Any, *, actor: str, reason: str, auto: bool = False, duration_s: float
    ) -> None:
        self.audit.append(("resumed", actor, reason))

    async def stop_recording(self, active: Any, *, actor: str) -> None:
        self.audit.append(("stopped", actor, ""))


class FakeGovernance:
    def __init__(self) -> None:
        self.recordings = FakeRecordings()


def make(max_pause_s: float) -> tuple[CallRecording, FakePlane, FakeGovernance]:
    plane, gov = FakePlane(), FakeGovernance()
    rec = CallRecording(gov, plane, object(), "r1", "agent1", max_pause_s=max_pause_s)  # type: ignore[arg-type]
    return rec, plane, gov


async def test_pause_auto_resumes_after_max_duration() -> None:
    rec, plane, gov = make(0.05)
    await rec.pause("agent1", reason="pci")
    assert rec.paused_at is not None
    await asyncio.sleep(0.2)
    assert plane.calls == [("pause", "r1"), ("resume", "r1")]
    assert gov.recordings.audit == [
        ("paused", "agent1", "pci"),
        ("resumed", "system", "max_pause_reached"),
    ]
    assert rec.paused_at is None


async def test_manual_resume_or_stop_cancels_the_automatic_resume() -> None:
    rec, plane, _ = make(0.05)
    await rec.pause("agent1")
    await rec.resume("agent1")
    await rec.pause("agent1")
    await rec.stop("agent1")
    await asyncio.sleep(0.15)
    assert [c for c, _ in plane.calls] == ["pause", "resume", "pause", "stop"]
