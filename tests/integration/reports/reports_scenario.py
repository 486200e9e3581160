"""A generated contact plan with known outcomes, driven through the real domain `Centre`.

The plan is the oracle: each contact's queue, outcome, wait, talk, hold and after-call work are
chosen first, then realised by commands with explicit timestamps (agents stay on break except
when they take the planned contact, so routing cannot choose differently). `expected_*` compute
the figures from the plan with plain datetime arithmetic, independently of the report code.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, insert

from standardiste.config import Config, centre_definition, parse_config
from standardiste.domain.centre import Centre, Result
from standardiste.domain.clock import FakeClock
from standardiste.domain.events import Event
from standardiste.store.schema import events as events_table

TZ = ZoneInfo("Europe/Paris")
# Monday 23 November 2026, 21:50 local: the plan runs past midnight into Tuesday.
START = datetime(2026, 11, 23, 21, 50, tzinfo=TZ).timestamp()
SHORT_S = 5.0
TEAMS = {"t-l1": ("s-lille", 6, "a"), "t-l2": ("s-lille", 4, "a"),
         "t-m1": ("s-metz", 5, "mail"), "t-n1": ("s-nice", 7, "b")}  # fmt: skip
SL_T = {"q-a": 20.0, "q-b": 30.0, "q-mail": 3600.0}
QUEUE_SITE = {"q-a": "s-lille", "q-b": "s-nice", "q-mail": "s-metz"}
QUEUE_CHANNEL = {"q-a": "voice", "q-b": "voice", "q-mail": "email"}
SITE_REGION = {"s-lille": "r-north", "s-metz": "r-north", "s-nice": "r-south"}
OVERFLOW_AFTER = 60.0
KINDS = ("answered", "answered", "answered", "abandoned", "short", "overflow", "transfer", "moved",
         "mail")  # fmt: skip


def scenario_config(k: int = 5) -> Config:
    """Return the configuration of the scenario (a team of 4 included)."""
    return parse_config(scenario_mapping(k))


def scenario_mapping(k: int = 5) -> dict[str, Any]:
    """Return the configuration of the scenario as the mapping a TOML file would hold."""
    agents = []
    for team, (_site, size, skill) in TEAMS.items():
        agents += [{"id": f"{team}-{i}", "name": f"{team} {i}", "team": team,
                    "skills": {skill: 2}} for i in range(size)]  # fmt: skip
    return {
        "centre": {"timezone": "Europe/Paris", "short_abandon_s": SHORT_S},
        "security": {"k_anonymity": k},
        "regions": [{"id": "r-north"}, {"id": "r-south"}],
        "sites": [{"id": s, "region": r} for s, r in SITE_REGION.items()],
        "teams": [{"id": t, "site": s} for t, (s, _n, _k) in TEAMS.items()],
        "queues": [
            {
                "id": "q-a",
                "channel": "voice",
                "site": "s-lille",
                "skills": {"a": 1},
                "service_level": {"percent": 80, "seconds": SL_T["q-a"]},
                "acw": {"mode": "timeboxed", "seconds": 120},
                "overflow": [{"after": OVERFLOW_AFTER, "to_queue": "q-b"}],
            },
            {
                "id": "q-b",
                "channel": "voice",
                "site": "s-nice",
                "skills": {"b": 1},
                "service_level": {"percent": 80, "seconds": SL_T["q-b"]},
            },
            {
                "id": "q-mail",
                "channel": "email",
                "site": "s-metz",
                "skills": {"mail": 1},
                "service_level": {"percent": 90, "seconds": SL_T["q-mail"]},
                "acw": {"mode": "optional"},
            },
            # The configuration requires a postal-mail queue; the plan sends it nothing.
            {"id": "q-post", "channel": "mail", "site": "s-metz", "skills": {"mail": 1}},
        ],  # fmt: skip
        "agents": agents,
    }


@dataclass
class Leg:
    """One planned queue visit and how it ends."""

    queue: str
    start: float
    outcome: str  # answered | abandoned | overflow_out | transfer_out
    wait: float
    agent: str | None = None
    talk: float = 0.0
    hold: float = 0.0
    acw: float = 0.0
    transferred: bool = False  # answered, then transferred by the agent
    cause: str = "new"


@dataclass
class Plan:
    """The contacts of the scenario and the agents' login spans."""

    legs: list[Leg] = field(default_factory=list)
    logins: dict[str, tuple[float, float]] = field(default_factory=dict)


class Driver:
    """Realise a plan through `Centre` commands with explicit wall and monotonic times."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.centre = Centre(centre_definition(config), FakeClock(START))
        self.events: list[Event] = []
        self._rr: dict[str, int] = defaultdict(int)

    def _do(self, result: Result) -> Result:
        self.events.extend(result.events)
        return result

    def agent_for(self, skill: str) -> str:
        """Pick the next agent with a skill, round robin."""
        pool = [a.id for a in self.config.agents if skill in a.skills]
        self._rr[skill] += 1
        return pool[self._rr[skill] % len(pool)]

    def answer(self, iid: str, agent: str, ts: float) -> None:
        """Make the agent ready so routing offers it the waiting contact, then accept."""
        self._do(self.centre.set_presence(agent, "ready", ts=ts, mono=ts))
        self._do(self.centre.accept(iid, agent, ts=ts, mono=ts))

    def talk(self, iid: str, leg: Leg, ts: float) -> float:
        """Talk (with an optional hold in the middle); return when the talk ends."""
        if leg.hold:
            half = leg.talk / 2
            self._do(self.centre.hold(iid, ts=ts + half, mono=ts + half))
            self._do(self.centre.resume(iid, ts=ts + half + leg.hold, mono=ts + half + leg.hold))
        return ts + leg.talk + leg.hold

    def finish(self, iid: str, leg: Leg, ts: float) -> None:
        """End the conversation, do the after-call work, go back on break."""
        assert leg.agent is not None
        self._do(self.centre.end(iid, ts=ts, mono=ts))
        item = self.centre.interactions[iid]
        if item.status.value == "acw":
            self._do(self.centre.complete(iid, ts=ts + leg.acw, mono=ts + leg.acw))
            ts += leg.acw
        self._do(self.centre.set_presence(leg.agent, "not_ready", "break", ts=ts, mono=ts))


def build_plan(seed: int, config: Config, count: int = 60) -> tuple[Plan, list[Event]]:
    """Generate `count` contacts with random known outcomes and realise them."""
    rng = random.Random(seed)
    driver = Driver(config)
    plan = Plan()
    first, last = START - 600, START
    for agent in config.agents:
        driver._do(driver.centre.login(agent.id, ts=first, mono=first))
        driver._do(driver.centre.set_presence(agent.id, "not_ready", "break", ts=first + 1,
                                              mono=first + 1))  # fmt: skip
    t = START
    for n in range(count):
        iid = f"c{n}"
        if n == 5:  # one contact waits across a 15-minute boundary
            t = (t // 900 + 1) * 900 - 10
        kind = "answered" if n == 5 else rng.choice(KINDS)
        queue = "q-mail" if kind == "mail" else "q-a"
        channel = QUEUE_CHANNEL[queue]
        created = driver._do(driver.centre.create_interaction(iid, channel, queue, ts=t, mono=t))
        if kind in ("answered", "mail", "transfer"):
            wait = 45.0 if n == 5 else rng.choice([0.0, 5.0, 19.0, 20.0, 21.0, 45.0])
            leg = Leg(queue, t, "answered", wait,
                      talk=rng.uniform(30, 400), hold=rng.choice([0.0, 0.0, 25.0]),
                      acw=0.0 if kind == "transfer" else rng.choice([0.0, 15.0, 40.0]))  # fmt: skip
            leg.agent = driver.agent_for("mail" if kind == "mail" else "a")
            driver.answer(iid, leg.agent, t + leg.wait)
            end = driver.talk(iid, leg, t + leg.wait)
            plan.legs.append(leg)
            if kind == "transfer":
                leg.transferred = True
                driver._do(driver.centre.transfer(iid, to_queue="q-b", ts=end, mono=end))
                driver._do(driver.centre.set_presence(leg.agent, "not_ready", "break", ts=end,
                                                      mono=end))  # fmt: skip
                t = end
                leg = Leg("q-b", end, "answered", rng.choice([3.0, 31.0]), talk=60.0,
                          cause="transfer")  # fmt: skip
                leg.agent = driver.agent_for("b")
                driver.answer(iid, leg.agent, end + leg.wait)
                end = driver.talk(iid, leg, end + leg.wait)
                plan.legs.append(leg)
            driver.finish(iid, leg, end)
            t = end + leg.acw
        elif kind in ("abandoned", "short"):
            wait = rng.uniform(0.5, SHORT_S) if kind == "short" else rng.uniform(SHORT_S + 1, 59)
            plan.legs.append(Leg(queue, t, "abandoned", wait))
            driver._do(driver.centre.abandon(iid, ts=t + wait, mono=t + wait))
            t += wait
        elif kind == "overflow":
            timer = next(x for x in created.timers if x.action == "overflow")
            assert timer.due == t + OVERFLOW_AFTER
            driver._do(driver.centre.fire(timer, ts=timer.due, mono=timer.due))
            plan.legs.append(Leg(queue, t, "overflow_out", OVERFLOW_AFTER))
            t += OVERFLOW_AFTER
            leg = Leg("q-b", t, "answered", rng.choice([2.0, 40.0]), talk=90.0, cause="overflow")
            leg.agent = driver.agent_for("b")
            driver.answer(iid, leg.agent, t + leg.wait)
            end = driver.talk(iid, leg, t + leg.wait)
            driver.finish(iid, leg, end)
            plan.legs.append(leg)
            t = end
        else:  # moved: a supervisor transfers the waiting contact to q-b
            wait = 10.0
            driver._do(driver.centre.transfer(iid, to_queue="q-b", ts=t + wait, mono=t + wait))
            plan.legs.append(Leg(queue, t, "transfer_out", wait))
            t += wait
            leg = Leg("q-b", t, "answered", 1.0, talk=50.0, cause="transfer")
            leg.agent = driver.agent_for("b")
            driver.answer(iid, leg.agent, t + leg.wait)
            end = driver.talk(iid, leg, t + leg.wait)
            driver.finish(iid, leg, end)
            plan.legs.append(leg)
            t = end
        t += rng.uniform(20, 200)
        last = t
    end = last + 600
    for agent in config.agents:
        driver._do(driver.centre.logout(agent.id, ts=end, mono=end))
        plan.logins[agent.id] = (first, end)
    return plan, driver.events


def b15(ts: float) -> int:
    """Return the 15-minute interval start (oracle side)."""
    return int(ts // 900 * 900)


def day_of(ts: float) -> int:
    """Return the local midnight epoch of the day of `ts` (oracle side)."""
    d = datetime.fromtimestamp(ts, TZ)
    return int(d.replace(hour=0, minute=0, second=0, microsecond=0).timestamp())


def expected_queue(plan: Plan, config: Config, key: str) -> dict[tuple[int, str], dict[str, float]]:
    """Return expected queue counters per (bucket, queue); key "15m" or "day"."""
    bucket = b15 if key == "15m" else day_of
    out: dict[tuple[int, str], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for leg in plan.legs:
        row = out[(bucket(leg.start), leg.queue)]
        row["offered"] += 1
        if leg.cause == "overflow":
            row["overflow_in"] += 1
        if leg.cause == "transfer":
            row["transfer_in"] += 1
        if leg.outcome == "answered":
            row["answered"] += 1
            row["wait_answered_s"] += leg.wait
            row["answered_in_sl"] += leg.wait <= SL_T[leg.queue]
            row["handled"] += 1
            row["talk_s"] += leg.talk
            row["hold_s"] += leg.hold
            row["acw_s"] += leg.acw
            row["transfers"] += leg.transferred
        elif leg.outcome == "abandoned":
            row["short_abandoned" if leg.wait <= SHORT_S else "abandoned"] += 1
            row["abandoned_in_sl"] += leg.wait <= SL_T[leg.queue]
            row["wait_abandoned_s"] += leg.wait
        else:
            row[leg.outcome] += 1
    return out


def team_of(agent: str) -> str:
    """Return the team of a scenario agent."""
    return agent.rsplit("-", 1)[0]


def insert_events(engine: Engine, events: list[Event], first_seq: int = 1) -> int:
    """Append events to the log table with consecutive sequence numbers; return the last."""
    rows: list[dict[str, Any]] = []
    for offset, e in enumerate(events):
        rows.append({"seq": first_seq + offset, "ts": e.ts, "kind": e.kind,
                     "agent_id": e.agent_id, "interaction_id": e.interaction_id,
                     "data": json.dumps(e.data)})  # fmt: skip
    with engine.begin() as conn:
        conn.execute(insert(events_table), rows)
    return first_seq + len(events) - 1
