"""Subject access export and caller erasure."""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from standardiste.governance.audit import verify
from standardiste.governance.common import normalize_caller
from standardiste.governance.dsar import caller_subject, erase_caller, export_agent, export_caller
from standardiste.governance.recording_service import RecordingService
from standardiste.governance.recordings import Principal
from standardiste.governance.register import Purpose

SUP = Principal("u-sup", "supervisor", "team", "t1", mfa=True)
LEGAL = Principal("u-legal", "legal_officer", "national", None, mfa=True)
NUMBER = "+33561000000"


class MemoryEvents:
    """Event-log slice implementing SubjectEvents."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = [
            {"seq": 1, "kind": "interaction.created", "ts": 1.0,
             "data": {"interaction_id": "c1", "attributes": {"caller": NUMBER}}},
            {"seq": 2, "kind": "agent.state", "ts": 2.0, "data": {"agent_id": "a1"}},
            {"seq": 3, "kind": "interaction.created", "ts": 3.0,
             "data": {"interaction_id": "c3", "attributes": {"caller": "+33100000000"}}},
        ]  # fmt: skip

    async def events_for_agent(self, agent_id: str) -> Sequence[Mapping[str, Any]]:
        return [e for e in self.events if e["data"].get("agent_id") == agent_id]

    async def events_for_caller(self, caller: str) -> Sequence[Mapping[str, Any]]:
        return [e for e in self.events if e["data"].get("attributes", {}).get("caller") == caller]

    async def redact_caller(self, caller: str) -> int:
        hits = await self.events_for_caller(caller)
        for e in hits:
            e["data"]["attributes"]["caller"] = None
        return len(hits)


async def _rec(svc: RecordingService, interaction: str, caller: str, agent: str = "a1") -> str:
    active = await svc.start_recording(
        interaction_id=interaction, purpose=Purpose.EVALUATION, agent_ids=[agent],
        triggered_by=None, campaign_id="q4", team_id="t1", caller=caller)  # fmt: skip
    active.writers["caller"].write(f"VOICE-{interaction}".encode() * 500)
    active.writers["agent"].write(b"")
    await svc.stop_recording(active, actor="system")
    return active.recording.recording_id


def test_normalize_caller() -> None:
    assert normalize_caller("05 61 00 00 00") == NUMBER
    assert normalize_caller("0033 5 61 00 00 00") == NUMBER
    assert normalize_caller("+33 (0)5") == "+3305"
    assert normalize_caller(" Jean.Dupont@Example.FR ") == "jean.dupont@example.fr"


async def test_export_agent_archive(recordings: RecordingService, tmp_path: Path) -> None:
    rid = await _rec(recordings, "c1", NUMBER)
    await _rec(recordings, "c2", "+33100000000", agent="a2")
    await recordings.authorize(SUP, rid, "play", "grille d'évaluation")
    await recordings.audit.append("state_history.viewed", actor="u-sup", subject="agent:a1",
                                  details={"indicator": "aht"})  # fmt: skip
    out = tmp_path / "a1.zip"
    result = await export_agent("a1", events=MemoryEvents(), recordings=recordings, out=out,
                                actor="u-dpo")  # fmt: skip
    assert result.recordings == [rid] and result.events == 1
    with zipfile.ZipFile(out) as zf:
        names = set(zf.namelist())
        assert names == {"manifest.json", "events.json", "recordings.json", "audit.json",
                         f"media/{rid}-caller.wav", f"media/{rid}-agent.wav"}  # fmt: skip
        assert zf.read(f"media/{rid}-caller.wav") == b"VOICE-c1" * 500
        audit = json.loads(zf.read("audit.json"))
        assert {a["action"] for a in audit} >= {"recording.accessed", "state_history.viewed"}
        assert json.loads(zf.read("manifest.json"))["media_files"] == 2
    assert out.stat().st_mode & 0o077 == 0
    logged = await recordings.audit.query(actions=["dsar.exported"])
    assert [(e.subject, e.actor) for e in logged] == [("agent:a1", "u-dpo")]


async def test_export_caller_archive(recordings: RecordingService, tmp_path: Path) -> None:
    rid = await _rec(recordings, "c1", "05.61.00.00.00")
    await _rec(recordings, "c3", "+33100000000")
    out = tmp_path / "caller.zip"
    result = await export_caller("05 61 00 00 00", events=MemoryEvents(), recordings=recordings,
                                 out=out, actor="u-dpo")  # fmt: skip
    assert result.recordings == [rid] and result.events == 1
    with zipfile.ZipFile(out) as zf:
        assert zf.read(f"media/{rid}-caller.wav") == b"VOICE-c1" * 500
        assert json.loads(zf.read("events.json"))[0]["data"]["interaction_id"] == "c1"
    entry = (await recordings.audit.query(actions=["dsar.exported"]))[0]
    assert entry.subject == caller_subject(NUMBER) and "561" not in json.dumps(entry.details)


async def test_erase_caller_respects_legal_hold(recordings: RecordingService) -> None:
    held_rid = await _rec(recordings, "c1", NUMBER)
    gone_rid = await _rec(recordings, "c1b", NUMBER)
    other = await _rec(recordings, "c3", "+33100000000")
    await recordings.apply_hold(
        LEGAL,
        [held_rid],
        reason="plainte",
        requester="DAJ",
        case_reference="C-9",
        review_date=dt.date(2027, 1, 1),
    )
    events = MemoryEvents()
    result = await erase_caller("05 61 00 00 00", events=events, recordings=recordings,
                                actor="u-dpo")  # fmt: skip
    assert result.recordings == [gone_rid] and result.held == [held_rid] and result.events == 1
    assert await recordings.catalog.get(gone_rid) is None
    assert not recordings.media.path(gone_rid, "caller").exists()
    assert await recordings.catalog.get(held_rid) is not None
    assert await recordings.catalog.get(other) is not None
    assert await events.events_for_caller(NUMBER) == []
    erasure = (await recordings.audit.query(actions=["erasure.executed"]))[0]
    assert erasure.details == {"recordings_purged": 1, "recordings_held": [held_rid],
                               "events_redacted": 1}  # fmt: skip
    everything = json.dumps([e.details for e in await recordings.audit.query()])
    assert "561" not in everything  # the immutable audit log never held the number
    assert verify(recordings.audit._engine).ok


def test_erasure_keeps_what_reports_count_and_blanks_what_names_the_caller() -> None:
    from standardiste.governance.event_store import ERASED, _erase

    ended = {"interaction_id": "i1", "by": "customer", "acw": "none", "queue_id": "q"}
    assert _erase(ended) == ended  # after-call work mode drives the reports' fold
    created = {"interaction_id": "i1", "attributes": {"caller": "0612345678"}, "notes": "Dupont"}
    erased = _erase(created)
    assert erased["attributes"] == {"caller": ERASED} and erased["notes"] == ERASED
