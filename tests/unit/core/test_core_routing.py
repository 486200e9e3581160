"""Routing: skills, best skill then longest idle, priority with ageing, capacity, overflow."""

from __future__ import annotations

from core_helpers import AcwMode, AcwPolicy, Channel, Overflow, QueueDef, make_centre, ready
from hypothesis import given, settings
from hypothesis import strategies as st

from standardiste.domain.centre import Centre
from standardiste.domain.errors import DomainError
from standardiste.domain.interactions import Status


def test_agent_without_skill_is_never_offered():
    centre = make_centre(agents={"novice": {"tax": 1}})
    ready(centre, "novice")
    centre.create_interaction("c1", "voice", "voice")  # needs tax >= 2
    assert centre.interactions["c1"].status is Status.QUEUED


def test_best_skilled_then_longest_idle():
    centre = make_centre(agents={"lo": {"tax": 2}, "hi1": {"tax": 4}, "hi2": {"tax": 4}})
    ready(centre, "lo")
    centre.clock.advance(5)
    ready(centre, "hi2")
    centre.clock.advance(5)
    ready(centre, "hi1")
    centre.create_interaction("c1", "voice", "voice")
    assert centre.interactions["c1"].agent_id == "hi2"  # best skill; idle longer than hi1
    centre.create_interaction("c2", "voice", "voice")
    assert centre.interactions["c2"].agent_id == "hi1"
    centre.create_interaction("c3", "voice", "voice")
    assert centre.interactions["c3"].agent_id == "lo"


def test_priority_and_ageing_decide_which_task_a_freed_agent_takes():
    queues = [
        QueueDef("low", Channel.VOICE, priority=0, ageing_per_min=1.0),
        QueueDef("high", Channel.VOICE, priority=5, ageing_per_min=1.0),
    ]
    centre = make_centre(agents={"a1": {}}, queues=queues)
    centre.create_interaction("old-low", "voice", "low")
    centre.clock.advance(60)
    centre.create_interaction("new-high", "voice", "high")
    ready(centre, "a1")
    assert centre.interactions["new-high"].agent_id == "a1"  # 5 > 0 + 1 min of ageing
    centre2 = make_centre(agents={"a1": {}}, queues=queues)
    centre2.create_interaction("old-low", "voice", "low")
    centre2.clock.advance(6 * 60)
    centre2.create_interaction("new-high", "voice", "high")
    ready(centre2, "a1")
    assert centre2.interactions["old-low"].agent_id == "a1"  # 6 minutes of ageing > 5


def test_email_capacity_and_voice_interrupting_email():
    centre = make_centre(agents={"a1": {"tax": 3, "email": 1}})
    ready(centre, "a1")
    for i in range(4):
        centre.create_interaction(f"e{i}", "email", "email")
    offered = [i for i in centre.interactions.values() if i.status is Status.OFFERED]
    assert len(offered) == 3  # capacity 3; the fourth waits
    for item in offered:
        centre.accept(item.id, "a1")
    assert centre.agents["a1"].state.value == "busy_email"
    centre.create_interaction("c1", "voice", "voice")
    assert centre.interactions["c1"].agent_id == "a1"  # email is interruptible by voice
    centre.accept("c1", "a1")
    assert centre.agents["a1"].state.value == "busy_voice"
    centre.complete("e0")
    assert centre.interactions["e3"].status is Status.QUEUED  # not while on a call


def test_no_email_offered_during_a_call():
    centre = make_centre(agents={"a1": {"tax": 3, "email": 1}})
    ready(centre, "a1")
    centre.create_interaction("c1", "voice", "voice")
    centre.accept("c1", "a1")
    centre.create_interaction("e1", "email", "email")
    assert centre.interactions["e1"].status is Status.QUEUED
    centre.end("c1")
    centre.clock.advance(30)
    (timer,) = [t for t in centre.pending_timers() if t.action == "acw_timeout"]
    centre.fire(timer)
    assert centre.interactions["e1"].agent_id == "a1"


def test_overflow_relaxes_skills_then_moves_to_another_queue():
    queues = [
        QueueDef(
            "expert",
            Channel.VOICE,
            {"tax": 4},
            overflow=(Overflow(30, relax_to_level=1), Overflow(90, to_queue="general")),
        ),
        QueueDef("general", Channel.VOICE, {"general": 1}),
    ]
    centre = make_centre(agents={"junior": {"tax": 1}, "generalist": {"general": 1}}, queues=queues)
    ready(centre, "junior")
    centre.create_interaction("c1", "voice", "expert")
    assert centre.interactions["c1"].status is Status.QUEUED
    (t1,) = [t for t in centre.pending_timers() if t.action == "overflow"]
    assert t1.due == 30
    centre.clock.advance(30)
    result = centre.fire(t1)
    assert result.events[0].kind == "interaction.overflowed"
    assert centre.interactions["c1"].agent_id == "junior"  # relaxed to level 1
    centre.decline("c1", "junior")
    timers = [t for t in result.timers if t.action == "overflow"]
    assert timers and timers[0].due == 90
    ready(centre, "generalist")
    centre.clock.advance(60)
    centre.fire(timers[0])
    item = centre.interactions["c1"]
    assert (item.queue_id, item.agent_id) == ("general", "generalist")


def test_ready_agent_takes_the_oldest_waiting_task_on_becoming_ready():
    centre = make_centre(agents={"a1": {"email": 1}})
    centre.create_interaction("e1", "email", "email")
    centre.clock.advance(1)
    centre.create_interaction("e2", "email", "email")
    ready(centre, "a1")
    assert centre.interactions["e1"].agent_id == "a1"
    assert centre.interactions["e2"].agent_id == "a1"


def snapshot(centre: Centre) -> dict[str, object]:
    """Return the comparable state of a centre."""
    return {
        "agents": {
            a.id: (
                a.presence,
                a.reason,
                a.state,
                a.state_reason,
                dict(a.offers),
                dict(a.work),
                dict(a.acw),
            )
            for a in centre.agents.values()
        },
        "interactions": {i.id: i.as_dict() for i in centre.interactions.values()},
        "waiting": {q: [i.id for i in centre.waiting(q)] for q in centre.definition.queues},
    }


OPS = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "login",
                "ready",
                "pause",
                "logout",
                "create",
                "accept",
                "decline",
                "hold",
                "resume",
                "end",
                "complete",
                "abandon",
                "transfer",
                "tick",
            ]
        ),
        st.sampled_from(["a1", "a2"]),
        st.integers(0, 5),
        st.sampled_from(["voice", "email", "mail"]),
    ),
    max_size=60,
)


def run_op(live, timers, op, agent, iid, channel, n, idx):
    """Apply one random operation to the live centre."""
    if op == "tick":
        live.clock.advance(idx * 7)
        return None, [live.fire(t) for t in timers]
    calls = {
        "login": lambda: live.login(agent),
        "ready": lambda: live.set_presence(agent, "ready"),
        "pause": lambda: live.set_presence(agent, "not_ready", "break"),
        "logout": lambda: live.logout(agent),
        "create": lambda: live.create_interaction(f"i{n}", channel, channel),
        "accept": lambda: live.accept(iid, agent),
        "decline": lambda: live.decline(iid, agent),
        "hold": lambda: live.hold(iid),
        "resume": lambda: live.resume(iid),
        "end": lambda: live.end(iid),
        "complete": lambda: live.complete(iid),
        "abandon": lambda: live.abandon(iid),
        "transfer": lambda: live.transfer(iid, to_queue=channel),
    }
    return calls[op]()


@settings(max_examples=150, deadline=None)
@given(OPS)
def test_replaying_the_log_rebuilds_the_same_projection(ops):
    live = make_centre(
        queues=[
            QueueDef(
                "voice",
                Channel.VOICE,
                {"tax": 2},
                offer_timeout_s=10,
                acw=AcwPolicy(AcwMode.TIMEBOXED, 30),
                overflow=(Overflow(20, relax_to_level=1),),
            ),
            QueueDef("email", Channel.EMAIL, {"email": 1}),
            QueueDef("mail", Channel.MAIL, {"postal": 1}, acw=AcwPolicy(AcwMode.OPTIONAL)),
        ]
    )
    log = []
    timers = []
    for n, (op, agent, idx, channel) in enumerate(ops):
        iid = f"i{idx}"
        try:
            out = run_op(live, timers, op, agent, iid, channel, n, idx)
        except DomainError:
            continue
        results = out[1] if op == "tick" else [out]
        for result in results:
            log.extend(result.events)
            timers.extend(result.timers)
    rebuilt = Centre(live.definition, live.clock)
    rebuilt.replay(log)
    assert snapshot(rebuilt) == snapshot(live)
    # Every accounted second: consecutive agent.state events chain without gaps.
    for agent_id in ("a1", "a2"):
        states = [e for e in log if e.kind == "agent.state" and e.data["agent_id"] == agent_id]
        for prev, cur in zip(states, states[1:], strict=False):
            assert cur.data["prev_state"] == prev.data["state"]
            assert cur.data["prev_duration_s"] == round(cur.ts - prev.ts, 3)


def test_follow_up_goes_back_to_the_preferred_agent_when_available():
    centre = make_centre(agents={"a1": {"email": 1}, "a2": {"email": 3}})
    ready(centre, "a1", "a2")
    centre.create_interaction("e1", "email", "email", {"preferred_agent_id": "a1"})
    assert centre.interactions["e1"].agent_id == "a1"  # not the better-skilled a2
    centre.set_presence("a1", "not_ready", "break")
    centre.create_interaction("e2", "email", "email", {"preferred_agent_id": "a1"})
    assert centre.interactions["e2"].agent_id == "a2"  # a1 is away: routed as usual
