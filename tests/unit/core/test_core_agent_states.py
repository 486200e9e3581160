"""Every legal and illegal agent state transition, with its accounted state and duration."""

from __future__ import annotations

import pytest
from core_helpers import kinds, make_centre, ready

from standardiste.domain.errors import Conflict, IllegalTransition, InvalidRequest, NotFound

PRESENCE_TARGETS = [("ready", None), ("not_ready", "break"), ("activity", "postal_mail")]


def put_in(centre, agent_id: str, presence: str) -> None:
    """Bring an agent to a declared presence."""
    if presence == "logged_out":
        return
    centre.login(agent_id)
    if presence == "ready":
        centre.set_presence(agent_id, "ready")
    elif presence == "not_ready_lunch":
        centre.set_presence(agent_id, "not_ready", "lunch")
    elif presence == "activity":
        centre.set_presence(agent_id, "activity", "back_office")


@pytest.mark.parametrize("start", ["not_ready_login", "ready", "not_ready_lunch", "activity"])
@pytest.mark.parametrize(("target", "reason"), PRESENCE_TARGETS)
def test_presence_transitions_between_logged_in_states_are_legal(start, target, reason):
    centre = make_centre()
    put_in(centre, "a1", "logged_out" if start == "logged_out" else start.replace("_login", ""))
    if start == "not_ready_login":
        centre.login("a1") if centre.agents["a1"].presence.value == "logged_out" else None
    before = centre.agents["a1"].state
    centre.clock.advance(7)
    result = centre.set_presence("a1", target, reason)
    agent = centre.agents["a1"]
    assert agent.presence.value == target
    assert agent.state.value == target
    if before.value != target or agent.state_reason != reason:
        states = [e for e in result.events if e.kind == "agent.state"]
        if states:
            assert states[-1].data["prev_state"] == before.value
            assert states[-1].data["prev_duration_s"] == pytest.approx(7.0)


def test_same_state_twice_is_idempotent():
    centre = make_centre()
    ready(centre, "a1")
    assert centre.set_presence("a1", "ready").events == []


@pytest.mark.parametrize(("target", "reason"), PRESENCE_TARGETS)
def test_logged_out_agent_cannot_change_state(target, reason):
    centre = make_centre()
    with pytest.raises(IllegalTransition) as err:
        centre.set_presence("a1", target, reason)
    assert err.value.error_id == "agent.not_logged_in"
    assert err.value.status == 409


def test_login_starts_in_not_ready_login_and_double_login_is_refused():
    centre = make_centre()
    result = centre.login("a1")
    assert kinds(result) == ["agent.presence", "agent.state"]
    assert result.events[-1].data["state"] == "not_ready"
    assert result.events[-1].data["reason"] == "login"
    with pytest.raises(Conflict) as err:
        centre.login("a1")
    assert err.value.error_id == "agent.already_logged_in"


def test_logout_from_each_idle_state_and_twice():
    for start in ("ready", "not_ready_lunch", "activity"):
        centre = make_centre()
        put_in(centre, "a1", start)
        result = centre.logout("a1")
        assert result.events[-1].data["state"] == "logged_out"
        with pytest.raises(IllegalTransition):
            centre.logout("a1")


def test_unknown_reason_activity_state_and_agent_are_rejected():
    centre = make_centre()
    centre.login("a1")
    with pytest.raises(InvalidRequest) as err:
        centre.set_presence("a1", "not_ready", "toilet")
    assert err.value.error_id == "agent.unknown_pause_reason"
    with pytest.raises(InvalidRequest):
        centre.set_presence("a1", "activity", "gaming")
    with pytest.raises(InvalidRequest):
        centre.set_presence("a1", "sleeping")
    with pytest.raises(InvalidRequest):
        centre.set_presence("a1", "logged_out")
    with pytest.raises(NotFound):
        centre.set_presence("ghost", "ready")


def test_busy_agent_cannot_log_out_and_pause_waits_for_work_to_end():
    centre = make_centre()
    ready(centre, "a1")
    centre.create_interaction("c1", "voice", "voice")
    centre.accept("c1", "a1")
    assert centre.agents["a1"].state.value == "busy_voice"
    with pytest.raises(IllegalTransition) as err:
        centre.logout("a1")
    assert err.value.error_id == "agent.has_work"
    # Asking for a pause while on a call is recorded; the accounted state stays busy.
    centre.set_presence("a1", "not_ready", "lunch")
    assert centre.agents["a1"].state.value == "busy_voice"
    centre.clock.advance(30)
    centre.end("c1")
    assert centre.agents["a1"].state.value == "acw"
    centre.clock.advance(30)
    (timer,) = [t for t in centre.pending_timers() if t.action == "acw_timeout"]
    centre.fire(timer)
    assert centre.agents["a1"].state.value == "not_ready"
    assert centre.agents["a1"].state_reason == "lunch"


def test_every_state_change_records_previous_state_and_duration():
    centre = make_centre()
    centre.login("a1")
    centre.clock.advance(5)
    centre.set_presence("a1", "ready")
    centre.clock.advance(3)
    result = centre.create_interaction("e1", "email", "email")
    state = [e for e in result.events if e.kind == "agent.state"][-1]
    assert state.data["state"] == "alerting"
    assert state.data["prev_state"] == "ready"
    assert state.data["prev_duration_s"] == pytest.approx(3.0)
    centre.clock.advance(2)
    result = centre.accept("e1", "a1")
    assert result.events[-1].data == {
        **result.events[-1].data,
        "state": "busy_email",
        "prev_state": "alerting",
        "prev_duration_s": 2.0,
    }


def test_mandatory_acw_requires_wrap_up_before_leaving():
    centre = make_centre()
    ready(centre, "a1")
    centre.create_interaction("m1", "mail", "mail")
    centre.accept("m1", "a1")
    centre.end("m1")
    assert centre.agents["a1"].state.value == "acw"
    with pytest.raises(IllegalTransition) as err:
        centre.set_presence("a1", "ready")
    assert err.value.error_id == "agent.acw_wrap_up_required"
    with pytest.raises(InvalidRequest) as err2:
        centre.complete("m1")
    assert err2.value.error_id == "interaction.disposition_required"
    centre.complete("m1", "answered_by_letter")
    assert centre.agents["a1"].state.value == "ready"


def test_optional_acw_is_left_by_declaring_ready():
    from core_helpers import AcwMode, AcwPolicy, Channel, QueueDef

    centre = make_centre(queues=[QueueDef("v", Channel.VOICE, acw=AcwPolicy(AcwMode.OPTIONAL))])
    ready(centre, "a1")
    centre.create_interaction("c1", "voice", "v")
    centre.accept("c1", "a1")
    centre.end("c1")
    assert centre.agents["a1"].state.value == "acw"
    result = centre.set_presence("a1", "ready")
    assert "interaction.completed" in kinds(result)
    assert centre.agents["a1"].state.value == "ready"
