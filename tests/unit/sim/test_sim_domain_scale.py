"""What the simulator relies on from the domain at scale: bounded indexes, lean replay."""

from __future__ import annotations

import random

from standardiste.domain.centre import Centre
from standardiste.domain.clock import FakeClock
from standardiste.domain.events import Event
from standardiste.domain.model import AgentDef, CentreDef, Channel, QueueDef


def _centre(retain: bool = True) -> Centre:
    queues = {
        "a": QueueDef("a", Channel.VOICE, {"x": 1}),
        "b": QueueDef("b", Channel.VOICE, {"y": 1}),
        "e": QueueDef("e", Channel.EMAIL, {"x": 1}),
    }
    agents = {f"g{i}": AgentDef(f"g{i}", "t", {"x": 1 + i % 3, "y": 1}) for i in range(8)}
    return Centre(CentreDef(queues, agents), FakeClock(), retain_finished=retain)


def _day(centre: Centre, steps: int, seed: int = 7) -> list[Event]:
    """Drive arrivals, answers and hang-ups at random; return the log."""
    rng = random.Random(seed)
    log: list[Event] = []
    for aid in centre.agents:
        log += centre.login(aid).events + centre.set_presence(aid, "ready").events
    talking: list[str] = []
    for n in range(steps):
        centre.clock.advance(rng.uniform(0.5, 5.0))  # type: ignore[attr-defined]
        qid = rng.choice(["a", "b", "e"])
        channel = "email" if qid == "e" else "voice"
        result = centre.create_interaction(f"i{n}", channel, qid)
        log += result.events
        pending = [e for e in result.events if e.kind == "interaction.offered"]
        while pending:
            offer = pending.pop()
            accepted = centre.accept(offer.data["interaction_id"], offer.data["agent_id"])
            log += accepted.events
            talking.append(offer.data["interaction_id"])
            pending += [e for e in accepted.events if e.kind == "interaction.offered"]
        while len(talking) > 6 or (talking and rng.random() < 0.4):
            done = talking.pop(rng.randrange(len(talking)))
            ended = centre.end(done)
            log += ended.events
            pending = [e for e in ended.events if e.kind == "interaction.offered"]
            while pending:
                offer = pending.pop()
                accepted = centre.accept(offer.data["interaction_id"], offer.data["agent_id"])
                log += accepted.events
                talking.append(offer.data["interaction_id"])
                pending += [e for e in accepted.events if e.kind == "interaction.offered"]
        if rng.random() < 0.1:
            waiting = [i.id for i in centre.interactions.values() if i.status.value == "queued"]
            if waiting:
                log += centre.abandon(rng.choice(waiting)).events
    return log


def _agents(centre: Centre) -> dict[str, tuple[object, ...]]:
    return {
        a.id: (a.presence, a.state, a.state_reason, dict(a.offers), dict(a.work), a.held)
        for a in centre.agents.values()
    }


def test_router_heaps_stay_bounded_over_a_long_run():
    centre = _centre()
    _day(centre, 3000)
    heaps = centre.router._agent_heaps
    # Every availability change pushes entries; compaction keeps each heap near its agents.
    assert max(len(h) for h in heaps.values()) <= 64 + 2 * 8
    assert sum(1 for e in _day(_centre(), 300) if e.kind == "interaction.offered") > 200


def test_a_centre_that_forgets_finished_work_replays_to_the_same_state():
    lean = _centre(retain=False)
    log = _day(lean, 1500)
    kept = _centre()
    kept.replay(log)
    rebuilt = _centre(retain=False)
    rebuilt.replay(log)
    assert _agents(rebuilt) == _agents(lean) == _agents(kept)
    open_ids = {
        i.id for i in kept.interactions.values() if i.status.value not in ("completed", "abandoned")
    }
    assert set(lean.interactions) == set(rebuilt.interactions) == open_ids
    assert len(kept.interactions) == 1500
    # The next routing decision is the same whether finished work was kept or not.
    ts, mono = lean.clock.wall() + 1.0, lean.clock.mono() + 1.0
    made = [c.create_interaction("z", "voice", "a", ts=ts, mono=mono) for c in (rebuilt, kept)]
    assert [e.as_dict() for e in made[0].events] == [e.as_dict() for e in made[1].events]
    assert any(e.kind == "interaction.offered" for e in made[0].events)
