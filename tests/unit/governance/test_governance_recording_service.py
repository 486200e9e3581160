"""Recording lifecycle: purpose checks, access with audit, objection, legal hold, key rotation."""

from __future__ import annotations

import base64
import datetime as dt
import os
from typing import Any

import pytest

from standardiste.governance.audit import AuditLog
from standardiste.governance.crypto import KeyRing
from standardiste.governance.errors import (
    AccessDenied,
    IntegrityError,
    LegalHoldActive,
    NotFound,
    PurposeError,
)
from standardiste.governance.recording_service import ActiveRecording, RecordingService
from standardiste.governance.recordings import Principal
from standardiste.governance.register import Purpose

AUDIO = {"caller": b"CALLER-VOICE-" * 2000, "agent": b"AGENT-VOICE-" * 2000}
AGENT = Principal("u-a1", "agent", "team", "t1", agent_id="a1", mfa=True)
OTHER_AGENT = Principal("u-a2", "agent", "team", "t1", agent_id="a2", mfa=True)
SUPERVISOR = Principal("u-sup", "supervisor", "team", "t1", mfa=True)
SUPERVISOR_B = Principal("u-supb", "supervisor", "team", "t2", mfa=True)
EVALUATOR = Principal("u-eval", "evaluator", "national", None, mfa=True)
OFFICER = Principal("u-io", "incident_officer", "site", "s1", mfa=True)
LEGAL = Principal("u-legal", "legal_officer", "national", None, mfa=True)


async def _record(svc: RecordingService, purpose: Purpose = Purpose.EVALUATION,
                  interaction: str = "call-1", by: Principal | None = None,
                  stop: bool = True) -> ActiveRecording:  # fmt: skip
    active = await svc.start_recording(
        interaction_id=interaction, purpose=purpose, agent_ids=["a1"], triggered_by=by,
        campaign_id=None if purpose is Purpose.INCIVILITY_EVIDENCE else "q4",
        team_id="t1", site_id="s1", region_id="occ", caller="+33561000000",
    )  # fmt: skip
    for leg, data in AUDIO.items():
        active.writers[leg].write(data)
    if stop:
        await svc.stop_recording(active, actor="system")
    return active


async def _play(svc: RecordingService, p: Principal, rid: str, leg: str = "caller",
                action: str = "play", reason: str = "contrôle qualité Q4") -> bytes:  # fmt: skip
    return b"".join([c async for c in await svc.stream(p, rid, leg, action, reason)])


def _media_bytes(svc: RecordingService) -> bytes:
    return b"".join(p.read_bytes() for p in svc.media.root.rglob("*.enc"))


async def test_recording_is_encrypted_and_playable(recordings: RecordingService) -> None:
    active = await _record(recordings)
    rid = active.recording.recording_id
    assert active.recording.trigger == "campaign"
    on_disk = _media_bytes(recordings)
    assert len(on_disk) > sum(map(len, AUDIO.values()))
    assert b"VOICE" not in on_disk
    assert await _play(recordings, SUPERVISOR, rid, "caller") == AUDIO["caller"]
    assert await _play(recordings, AGENT, rid, "agent") == AUDIO["agent"]


async def test_no_recording_without_declared_purpose_at_start(
    recordings: RecordingService, gov_config: Any
) -> None:
    """R-TEST 1 (service level): disabled module or no campaign means nothing is written."""
    recordings.config = gov_config.model_copy(
        update={"modules": gov_config.modules.model_copy(
            update={"agent_recording": gov_config.modules.agent_recording.model_copy(
                update={"enabled": False})})})  # fmt: skip
    with pytest.raises(PurposeError):
        await _record(recordings, Purpose.INCIVILITY_EVIDENCE, by=AGENT)
    with pytest.raises(PurposeError):
        await recordings.start_recording(
            interaction_id="c",
            purpose=Purpose.TRAINING,
            agent_ids=["a1"],
            triggered_by=None,
            campaign_id="q4",
        )
    assert not list(recordings.media.root.glob("**/*.enc"))
    assert await recordings.catalog.find() == []


async def test_incivility_recording_only_agent_can_trigger(
    recordings: RecordingService,
) -> None:
    """R-TEST 4 (first half)."""
    for who in (None, SUPERVISOR, OFFICER, OTHER_AGENT):
        with pytest.raises(AccessDenied):
            await _record(recordings, Purpose.INCIVILITY_EVIDENCE, by=who)
    active = await _record(recordings, Purpose.INCIVILITY_EVIDENCE, by=AGENT)
    assert active.recording.trigger == "agent"
    started = await recordings.audit.query(actions=["recording.started"])
    assert [e.actor for e in started] == ["u-a1"]
    assert started[0].details["purpose"] == "incivility_evidence"


async def test_incivility_recording_not_visible_to_evaluator(
    recordings: RecordingService,
) -> None:
    """R-TEST 4 (second half, service level): refusal is audited with its code."""
    rid = (await _record(recordings, Purpose.INCIVILITY_EVIDENCE, by=AGENT)).recording.recording_id
    for who in (EVALUATOR, SUPERVISOR):
        with pytest.raises(AccessDenied):
            await _play(recordings, who, rid)
    assert await _play(recordings, OFFICER, rid) == AUDIO["caller"]
    assert await _play(recordings, AGENT, rid) == AUDIO["caller"]
    denied = await recordings.audit.query(actions=["recording.access_denied"])
    assert [(e.actor, e.details["code"]) for e in denied] == [
        ("u-eval", "role-not-allowed-for-purpose"),
        ("u-sup", "role-not-allowed-for-purpose"),
    ]


async def test_every_access_emits_audit_event(recordings: RecordingService) -> None:
    """R-TEST 10 (first half): play, download, export, transcript, each granted or refused."""
    rid = (await _record(recordings)).recording.recording_id
    recordings.config = recordings.config.model_copy(update={"allow_download": True})
    for action in ("play", "download", "export", "transcript_view"):
        await recordings.authorize(SUPERVISOR, rid, action, "revue de la campagne Q4")
    with pytest.raises(AccessDenied):
        await recordings.authorize(SUPERVISOR_B, rid, "play", "curiosité malsaine")
    with pytest.raises(AccessDenied):
        await recordings.authorize(SUPERVISOR, rid, "play", "")
    with pytest.raises(NotFound):
        await recordings.authorize(SUPERVISOR, "nope", "play", "revue")
    log = await recordings.audit.query(
        subjects=[f"recording:{rid}", "recording:nope"],
        actions=["recording.accessed", "recording.access_denied"],
    )
    assert [(e.action.split(".")[1], e.details["action"], e.details["code"]) for e in log] == [
        ("accessed", "play", "granted"), ("accessed", "download", "granted"),
        ("accessed", "export", "granted"), ("accessed", "transcript_view", "granted"),
        ("access_denied", "play", "out-of-scope"), ("access_denied", "play", "reason-required"),
        ("access_denied", "play", "not-found"),
    ]  # fmt: skip
    assert log[0].details["reason"] == "revue de la campagne Q4"
    assert log[0].details["purpose"] == "evaluation" and log[0].details["scope"] == "team:t1"


async def test_supervisor_cannot_access_other_team_recordings(
    recordings: RecordingService,
) -> None:
    """R-TEST 11 (service level)."""
    rid = (await _record(recordings)).recording.recording_id
    with pytest.raises(AccessDenied) as exc:
        await _play(recordings, SUPERVISOR_B, rid)
    assert exc.value.details["code"] == "out-of-scope" and exc.value.status == 403
    assert await _play(recordings, SUPERVISOR, rid) == AUDIO["caller"]


async def test_agent_sees_access_log_of_own_recordings(recordings: RecordingService) -> None:
    """R-TEST 12: who, when, purpose and reason; nothing about other agents' recordings."""
    rid = (await _record(recordings)).recording.recording_id
    await _play(recordings, SUPERVISOR, rid, reason="écoute pour la grille Q4")
    with pytest.raises(AccessDenied):
        await _play(recordings, SUPERVISOR_B, rid)
    log = await recordings.access_log_for_agent("a1")
    assert [(e.actor, e.details["purpose"], e.details["reason"]) for e in log] == [
        ("u-sup", "evaluation", "écoute pour la grille Q4"),
        ("u-supb", "evaluation", "contrôle qualité Q4"),
    ]
    assert all(e.ts == recordings.clock.wall() for e in log)
    assert await recordings.access_log_for_agent("a2") == []


async def test_caller_objection_stops_both_legs_and_purges_audio(
    recordings: RecordingService,
) -> None:
    """R-TEST 5: no audio byte of either leg remains, and the key is gone."""
    done = await _record(recordings, interaction="call-9")
    live = await _record(recordings, interaction="call-9", stop=False)
    other = await _record(recordings, interaction="call-10")
    purged = await recordings.caller_objected("call-9", actor="u-a1", active=[live])
    assert sorted(purged) == sorted([done.recording.recording_id, live.recording.recording_id])
    assert all(w.closed for w in live.writers.values())
    for rec in (done, live):
        rid = rec.recording.recording_id
        assert await recordings.catalog.get(rid) is None
        assert await recordings.catalog.wrapped_key(rid) is None
        for leg in ("caller", "agent"):
            assert not recordings.media.path(rid, leg).exists()
    remaining = list(recordings.media.root.rglob("*.enc"))
    assert {p.name.split(".")[0] for p in remaining} == {other.recording.recording_id}
    actions = [e.action for e in await recordings.audit.query(subjects=["interaction:call-9"])]
    assert actions == ["recording.caller_objected"]
    causes = [e.details["cause"] for e in await recordings.audit.query(
        actions=["recording.purged"])]  # fmt: skip
    assert causes == ["objection", "objection"]


async def test_legal_hold_blocks_purge_and_release_restores_it(
    recordings: RecordingService,
) -> None:
    """R-TEST 9 (service level); apply/release need the legal_officer role."""
    rid = (await _record(recordings)).recording.recording_id
    with pytest.raises(AccessDenied):
        await recordings.apply_hold(
            SUPERVISOR,
            [rid],
            reason="x",
            requester="y",
            case_reference="z",
            review_date=dt.date(2027, 1, 1),
        )
    hold = await recordings.apply_hold(LEGAL, [rid], reason="plainte usager",
                                       requester="Parquet de Toulouse", case_reference="RG 26/123",
                                       review_date=dt.date(2027, 1, 1))  # fmt: skip
    with pytest.raises(LegalHoldActive):
        await recordings.purge(rid, cause="manual", actor="admin")
    with pytest.raises(AccessDenied):
        await recordings.release_hold(SUPERVISOR, hold, reason="fin")
    await recordings.release_hold(LEGAL, hold, reason="classement sans suite")
    with pytest.raises(NotFound):
        await recordings.release_hold(LEGAL, hold, reason="twice")
    await recordings.purge(rid, cause="manual", actor="admin")
    assert await recordings.catalog.get(rid) is None
    log = await recordings.audit.query(subjects=[f"legal_hold:{hold}"])
    assert [e.action for e in log] == ["legal_hold.applied", "legal_hold.released"]
    assert log[0].details["case_reference"] == "RG 26/123"


async def test_purge_is_crypto_shred(recordings: RecordingService) -> None:
    active = await _record(recordings)
    rid = active.recording.recording_id
    copy = recordings.media.path(rid, "caller").read_bytes()  # e.g. a backup copy
    wrapped = await recordings.catalog.wrapped_key(rid)
    assert wrapped is not None
    await recordings.purge(rid, cause="manual", actor="admin")
    assert await recordings.catalog.wrapped_key(rid) is None
    assert b"VOICE" not in copy  # without the wrapped key the copy is just noise


async def test_key_rotation_rewraps_every_recording(recordings: RecordingService) -> None:
    rid = (await _record(recordings)).recording.recording_id
    old = recordings.keys
    new_line = "k2:" + base64.b64encode(os.urandom(32)).decode()
    # Keep old KEK readable during rotation, then drop it: playback must still work.
    recordings.keys = KeyRing({**old._keks, "k2": base64.b64decode(new_line[3:])}, "k2")
    assert await recordings.rotate_keys() == 1
    assert await recordings.rotate_keys() == 0
    recordings.keys = KeyRing.parse(new_line)
    assert await _play(recordings, SUPERVISOR, rid) == AUDIO["caller"]
    recordings.keys = old
    with pytest.raises(Exception) as exc:
        await _play(recordings, SUPERVISOR, rid)
    assert exc.type.__name__ in {"KeyNotFound", IntegrityError.__name__}


async def test_audit_chain_still_valid_after_lifecycle(
    recordings: RecordingService, audit: AuditLog, engine: Any
) -> None:
    from standardiste.governance.audit import verify

    rid = (await _record(recordings)).recording.recording_id
    await _play(recordings, SUPERVISOR, rid)
    await recordings.purge(rid, cause="manual", actor="admin")
    assert verify(engine).ok
