"""Interaction lifecycle: offers, timeouts, hold, after-call work, transfers, illegal actions."""

from __future__ import annotations

import pytest
from core_helpers import kinds, make_centre, ready

from standardiste.domain.errors import Conflict, IllegalTransition, InvalidRequest, NotFound
from standardiste.domain.interactions import ALLOWED, Status


def offered_call(centre, agent="a1", iid="c1"):
    """Create a voice interaction offered to one ready agent."""
    ready(centre, agent)
    centre.create_interaction(iid, "voice", "voice", {"caller": "+33500000000"})
    assert centre.interactions[iid].status is Status.OFFERED
    return centre.interactions[iid]


def test_full_call_has_exact_segments():
    centre = make_centre()
    offered_call(centre)
    c = centre.clock
    c.advance(4)
    centre.accept("c1", "a1")
    c.advance(50)
    centre.hold("c1")
    c.advance(20)
    centre.resume("c1")
    c.advance(10)
    centre.end("c1", "caller")
    c.advance(30)
    (timer,) = [t for t in centre.pending_timers() if t.action == "acw_timeout"]
    result = centre.fire(timer)
    assert "interaction.completed" in kinds(result)
    item = centre.interactions["c1"]
    assert item.status is Status.COMPLETED
    assert item.totals() == {"queue": 0.0, "alert": 4.0, "handle": 60.0, "hold": 20.0, "acw": 30.0}


def test_offer_timeout_requeues_at_head_and_marks_agent_missed():
    centre = make_centre(agents={"a1": {"tax": 2}, "a2": {"tax": 2}})
    ready(centre, "a1")
    centre.create_interaction("old", "voice", "voice")
    centre.clock.advance(1)
    result = centre.create_interaction("new", "voice", "voice")
    assert centre.interactions["new"].status is Status.QUEUED
    (timer,) = [t for t in centre.pending_timers() if t.action == "offer_timeout"]
    centre.clock.advance(10)
    result = centre.fire(timer)
    assert kinds(result)[:3] == ["interaction.offer_ended", "interaction.queued", "agent.presence"]
    assert result.events[0].data["cause"] == "timeout"
    agent = centre.agents["a1"]
    assert (agent.state.value, agent.state_reason) == ("not_ready", "missed")
    # The re-queued call is ahead of the newer one: the next ready agent gets it.
    centre.login("a2")
    centre.set_presence("a2", "ready")
    assert centre.interactions["old"].agent_id == "a2"
    assert centre.interactions["new"].status is Status.QUEUED


def test_stale_timer_does_nothing():
    centre = make_centre()
    offered_call(centre)
    (timer,) = [t for t in centre.pending_timers() if t.action == "offer_timeout"]
    centre.accept("c1", "a1")
    assert centre.fire(timer).events == []


def test_decline_and_refusal_requeue_and_pause_agent():
    for cause in ("declined", "refused"):
        centre = make_centre()
        offered_call(centre)
        result = centre.decline("c1", "a1", cause)
        assert result.events[0].data["cause"] == cause
        assert centre.interactions["c1"].status is Status.QUEUED
        assert centre.agents["a1"].state_reason == "missed"


def test_caller_hangup_while_queued_or_ringing_is_an_abandon_with_wait():
    centre = make_centre()
    centre.create_interaction("q1", "voice", "voice")
    centre.clock.advance(12)
    result = centre.end("q1", "caller")
    assert kinds(result) == ["interaction.abandoned"]
    assert result.events[0].data["wait_s"] == 12.0
    offered_call(centre, iid="c2")
    centre.clock.advance(3)
    result = centre.abandon("c2")
    assert centre.agents["a1"].state.value == "ready"
    assert centre.interactions["c2"].status is Status.ABANDONED
    assert centre.abandon("c2").events == []


def test_accept_by_other_agent_and_double_accept():
    centre = make_centre()
    offered_call(centre)
    centre.login("a2")
    with pytest.raises(Conflict) as err:
        centre.accept("c1", "a2")
    assert err.value.error_id == "interaction.offered_to_other"
    centre.accept("c1", "a1")
    assert centre.accept("c1", "a1").events == []  # double click: nothing duplicated
    with pytest.raises(Conflict) as err:
        centre.accept("c1", "a2")
    assert err.value.error_id == "interaction.taken"


def test_transfer_to_queue_and_to_agent():
    centre = make_centre(agents={"a1": {"tax": 3}, "a2": {"tax": 2}})
    offered_call(centre)
    centre.accept("c1", "a1")
    with pytest.raises(Conflict) as err:
        centre.transfer("c1", to_agent="a2")  # a2 is not logged in
    assert err.value.error_id == "agent.unavailable"
    centre.login("a2")
    centre.set_presence("a2", "ready")
    result = centre.transfer("c1", to_agent="a2")
    assert kinds(result)[:3] == [
        "interaction.transferred",
        "interaction.queued",
        "interaction.offered",
    ]
    item = centre.interactions["c1"]
    assert (item.status, item.agent_id) == (Status.OFFERED, "a2")
    assert centre.agents["a1"].state.value == "ready"
    centre.accept("c1", "a2")
    result = centre.transfer("c1", to_queue="voice")
    # Blind transfer to a queue: a1 (best skilled, ready) gets it.
    assert centre.interactions["c1"].agent_id == "a1"
    assert "interaction.transferred" in kinds(result)


def test_transfer_validation():
    centre = make_centre()
    offered_call(centre)
    centre.accept("c1", "a1")
    with pytest.raises(InvalidRequest):
        centre.transfer("c1")
    with pytest.raises(InvalidRequest):
        centre.transfer("c1", to_queue="voice", to_agent="a2")
    with pytest.raises(NotFound):
        centre.transfer("c1", to_queue="nowhere")
    with pytest.raises(InvalidRequest):
        centre.transfer("c1", to_queue="email")


def test_unknown_queue_channel_mismatch_and_duplicate_id():
    centre = make_centre()
    with pytest.raises(NotFound):
        centre.create_interaction("x", "voice", "nowhere")
    with pytest.raises(InvalidRequest):
        centre.create_interaction("x", "email", "voice")
    with pytest.raises(InvalidRequest):
        centre.create_interaction("x", "fax", "voice")
    centre.create_interaction("x", "voice", "voice")
    with pytest.raises(Conflict):
        centre.create_interaction("x", "voice", "voice")


ACTIONS = {
    "accept": lambda c: c.accept("i", "a1"),
    "decline": lambda c: c.decline("i", "a1"),
    "hold": lambda c: c.hold("i"),
    "resume": lambda c: c.resume("i"),
    "abandon": lambda c: c.abandon("i"),
    "complete": lambda c: c.complete("i", "answered"),
}


def bring_to(centre, status: Status) -> None:
    """Bring interaction "i" (email queue, a1) to a status."""
    if status is not Status.QUEUED:
        ready(centre, "a1")
    centre.create_interaction("i", "email", "email")
    if status in (Status.QUEUED, Status.OFFERED):
        return
    centre.accept("i", "a1")
    if status is Status.HELD:
        centre.hold("i")
    elif status is Status.COMPLETED:
        centre.complete("i")
    elif status is Status.ABANDONED:
        raise AssertionError


@pytest.mark.parametrize(
    "status", [Status.QUEUED, Status.OFFERED, Status.CONNECTED, Status.HELD, Status.COMPLETED]
)
@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_action_matrix(status, action):
    centre = make_centre()
    bring_to(centre, status)
    assert centre.interactions["i"].status is status
    legal = status in ALLOWED[action]
    # A repeated accept by the same agent is a double click, answered without change.
    idempotent = (action, status) in {("accept", Status.CONNECTED), ("accept", Status.HELD)}
    if legal or idempotent:
        ACTIONS[action](centre)
    else:
        with pytest.raises((IllegalTransition, Conflict)) as err:
            ACTIONS[action](centre)
        assert err.value.status == 409
        assert err.value.error_id.startswith("interaction.")


def test_forget_finished_drops_only_what_finished_before_the_horizon():
    centre = make_centre()
    c = centre.clock
    t0 = c.wall()
    offered_call(centre, iid="done")
    centre.accept("done", "a1")
    centre.end("done", "caller")
    centre.complete("done")  # finished at t0
    c.advance(60)
    centre.create_interaction("gone", "voice", "voice", {})
    centre.abandon("gone")  # finished at t0 + 60
    c.advance(60)
    centre.create_interaction("open", "voice", "voice", {})  # still waiting
    assert centre.forget_finished(t0) == 0  # nothing finished strictly before t0
    assert centre.forget_finished(t0 + 30) == 1
    assert "done" not in centre.interactions and "gone" in centre.interactions
    assert centre.forget_finished(c.wall() + 1) == 1
    assert list(centre.interactions) == ["open"]
    # The projection keeps working: the freed agent takes the waiting call.
    assert centre.interactions["open"].status is Status.OFFERED
