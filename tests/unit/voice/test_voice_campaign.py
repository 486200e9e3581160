"""Campaign recording started when a call is bridged (R-REC-1, R-REC-4, R-TEST 6)."""

from __future__ import annotations

import datetime as dt
import random
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from standardiste.channels.voice.bridging import CallMedia
from standardiste.channels.voice.campaign import CampaignRecorder
from standardiste.channels.voice.errors import RecordingStateError
from standardiste.channels.voice.recording import CallRecording
from standardiste.governance.register import GovernanceConfig, Purpose

TZ = ZoneInfo("Europe/Paris")
IN_PERIOD = dt.datetime(2026, 10, 1, 10, 0, tzinfo=TZ).timestamp()
BEFORE = dt.datetime(2026, 9, 20, 10, 0, tzinfo=TZ).timestamp()
SHEET = {
    "controller": "DGFiP", "legal_basis": "public_task", "dpia_reference": "AIPD-1",
    "consultation": {"body": "F3SCT", "date": "2026-03-02", "reference": "PV-3"},
    "dpo_signoff": {"name": "C. Martin", "date": "2026-03-20"}, "notice_fr": "Notice.",
}  # fmt: skip


def gov_config(**campaign: Any) -> GovernanceConfig:
    c = {"id": "q4", "purpose": "evaluation", "start": "2026-09-21", "end": "2027-06-30",
         "notice_date": "2026-09-14", "sample_rate": 0.1, "teams": ["t1"]}  # fmt: skip
    c.update(campaign)
    return GovernanceConfig.model_validate(
        {
            "dpo_contact": "dpd@dgfip.example",
            "modules": {
                "agent_recording": {
                    "enabled": True,
                    "sheet": {**SHEET, "purposes": ["incivility_evidence"]},
                },  # fmt: skip  # noqa: E501
                "campaign_recording": {
                    "enabled": True,
                    "sheet": {**SHEET, "purposes": ["evaluation"]},
                },  # fmt: skip  # noqa: E501
            },
            "campaigns": [c],
        }
    )


class FixedDraw(random.Random):
    """A random source whose draws are chosen by the test."""

    def __init__(self, value: float) -> None:
        super().__init__(0)
        self.value = value

    def random(self) -> float:
        return self.value


class FakeRecordings:
    def __init__(self, on_start: Any = None) -> None:
        self.started: list[dict[str, Any]] = []
        self.stopped: list[str] = []
        self.on_start = on_start

    async def start_recording(self, **kw: Any) -> Any:
        self.started.append(kw)
        if self.on_start is not None:
            self.on_start()
        writer = SimpleNamespace(path=f"/tmp/{kw['interaction_id']}.enc")
        return SimpleNamespace(writers={"stereo": writer}, recording=SimpleNamespace(recording_id="r1"))  # fmt: skip  # noqa: E501

    async def stop_recording(self, active: Any, *, actor: str) -> None:
        self.stopped.append(actor)


class FakeCatalog:
    def __init__(self, existing: int) -> None:
        self.existing = existing

    async def find(self, **where: Any) -> list[Any]:
        assert where == {"campaign_id": "q4"}
        return [object()] * self.existing


class FakeGovernance:
    def __init__(self, config: GovernanceConfig, catalog: Any = None) -> None:
        self.config = config
        self.recordings = FakeRecordings()
        self.catalog = catalog

    def team_of(self, agent_id: str) -> str | None:
        return {"a1": "t1", "a2": "t2"}.get(agent_id)

    def org_of(self, agent_id: str) -> dict[str, str | None]:
        return {"team_id": self.team_of(agent_id), "site_id": "s1", "region_id": "r1"}


class FakePlane:
    def __init__(self) -> None:
        self.calls: list[tuple[str, ...]] = []

    async def start_recording(self, iid: str, caller: str, agent: str, path: str, **_: Any) -> str:
        self.calls.append(("start", iid, caller, agent))
        return "m1"

    async def stop_recording(self, rec_id: str) -> Any:
        self.calls.append(("stop", rec_id))
        return {}

    async def stop_play(self, ep: str) -> None:
        self.calls.append(("stop_play", ep))

    async def bridge(self, a: str, b: str) -> None:
        self.calls.append(("bridge", a, b))

    async def release(self, ep: str) -> None:
        self.calls.append(("release", ep))


def call(agent_id: str = "a1") -> Any:
    sip = SimpleNamespace(from_=SimpleNamespace(uri=SimpleNamespace(user="0612345678")), ended=False)  # fmt: skip  # noqa: E501
    return SimpleNamespace(
        call=sip, interaction_id="i1", caller_ep=SimpleNamespace(id="ep-c"),
        agent_ep=SimpleNamespace(id="ep-a"), agent_id=agent_id, bridged=True,
        recording=None, task=None,
    )  # fmt: skip


def recorder(gov: FakeGovernance, plane: FakePlane, draw: float = 0.05, **kw: Any) -> Any:
    kw.setdefault("clock", lambda: IN_PERIOD)
    return CampaignRecorder(lambda: gov, plane, tz=TZ, rng=FixedDraw(draw), **kw)  # type: ignore[arg-type]


async def test_selected_call_is_recorded_with_the_campaign_purpose_and_id() -> None:
    gov, plane, vc = FakeGovernance(gov_config()), FakePlane(), call()
    rec = await recorder(gov, plane).on_bridged(vc)
    assert rec is not None and vc.recording is rec and rec.campaign_id == "q4"
    (started,) = gov.recordings.started
    assert started["purpose"] is Purpose.EVALUATION
    assert started["campaign_id"] == "q4" and started["triggered_by"] is None
    assert started["agent_ids"] == ["a1"] and started["team_id"] == "t1"
    assert started["caller"] == "0612345678" and started["legs"] == ("stereo",)
    assert plane.calls == [("start", "i1", "ep-c", "ep-a")]
    # The agent's own incivility recording cannot start on top of it (409).
    with pytest.raises(RecordingStateError) as err:
        await CallRecording.start(gov, plane, vc, SimpleNamespace(user_id="u1"))  # type: ignore[arg-type]
    assert err.value.error_id == "recording.already_running"
    # The hang-up path (teardown) stops and seals it.
    await CallMedia(plane).teardown(vc)  # type: ignore[arg-type]
    assert ("stop", "m1") in plane.calls and gov.recordings.stopped == ["system"]
    assert vc.recording is None


async def test_bridge_hook_starts_the_campaign_recording() -> None:
    gov, plane, vc = FakeGovernance(gov_config()), FakePlane(), call()
    vc.bridged = False
    media = CallMedia(plane)  # type: ignore[arg-type]
    media.campaigns = recorder(gov, plane)
    await media.bridge(vc)  # type: ignore[arg-type]
    assert plane.calls[-2:] == [("bridge", "ep-c", "ep-a"), ("start", "i1", "ep-c", "ep-a")]
    assert vc.recording is not None


@pytest.mark.parametrize(
    ("case", "kw", "agent"),
    [
        ("outside period", {"clock": lambda: BEFORE}, "a1"),
        ("sample draw miss", {"draw": 0.5}, "a1"),
        ("staff representative", {"staff_representative": lambda a: a == "a1"}, "a1"),
        ("private line", {"private_line": lambda vc: True}, "a1"),
        ("team not in campaign", {}, "a2"),
    ],
)
async def test_call_not_selected_is_not_recorded(case: str, kw: dict[str, Any], agent: str) -> None:
    gov, plane, vc = FakeGovernance(gov_config()), FakePlane(), call(agent)
    assert await recorder(gov, plane, **kw).on_bridged(vc) is None, case
    assert gov.recordings.started == [] and plane.calls == [] and vc.recording is None


async def test_quota_counts_catalog_and_new_recordings() -> None:
    gov = FakeGovernance(gov_config(sample_rate=None, quota=3), FakeCatalog(existing=1))
    plane = FakePlane()
    rec = recorder(gov, plane, draw=0.99)
    results = []
    for _ in range(3):
        vc = call()
        results.append(await rec.on_bridged(vc) is not None)
    assert results == [True, True, False]
    assert rec.counts == {"q4": 3} and len(gov.recordings.started) == 2


async def test_call_ended_while_opening_is_sealed_at_once() -> None:
    gov, plane, vc = FakeGovernance(gov_config()), FakePlane(), call()
    gov.recordings.on_start = lambda: setattr(vc.call, "ended", True)
    assert await recorder(gov, plane).on_bridged(vc) is None
    assert vc.recording is None and gov.recordings.stopped == ["system"]
    assert plane.calls[-1] == ("stop", "m1")


async def test_disabled_module_or_failure_leaves_the_call_alone() -> None:
    cfg = gov_config()
    off = cfg.model_copy(update={"modules": cfg.modules.model_copy(update={
        "campaign_recording": cfg.modules.campaign_recording.model_copy(update={"enabled": False})
    })})  # fmt: skip
    gov, plane, vc = FakeGovernance(off), FakePlane(), call()
    assert await recorder(gov, plane).on_bridged(vc) is None and gov.recordings.started == []

    def boom() -> None:
        raise RuntimeError("disk full")

    gov = FakeGovernance(cfg)
    gov.recordings.on_start = boom
    assert await recorder(gov, plane).on_bridged(vc) is None and vc.recording is None
