"""An agent's day in headless Chromium against `standardiste serve --sip ... --smtp ...`.

Camille (agent1) logs in, gets ready, declines a SIPp call (her phone stops ringing), gets ready
again and accepts it (her SIPp phone auto-answers), holds, resumes, records it, loses the network
mid-call (the screen recovers the truth), hangs up and wraps up; an e-mail sent in over SMTP is
offered while she is cut off, then answered from the composer with a canned response (the reply
reaches the relay sink, threaded); she processes a scanned letter, goes to lunch and logs out.
The event log must then hold every step, in order, with consistent durations, and the recording
the two tones of the call. Every other agent stays logged out, so routing is deterministic.
Run with SD_SCREENSHOTS=docs/screenshots to refresh docs/screenshots/agent-day-*.png.
"""

from __future__ import annotations

import re
import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import tomli_w
from agent_day_mail import RelaySink, scanned_letter, send_citizen_mail, smtp_port
from agent_day_sipp import HOST, Sipp, dominant_hz, rtp_slice, sip_port, stereo
from playwright.sync_api import BrowserContext, Locator, Page, expect

if TYPE_CHECKING:
    from collections.abc import Callable

    from conftest import ApiClient, Helpers, Server

REPO = Path(__file__).resolve().parents[2]
CALLER = "0612345678"
CALLER_HZ, PHONE_HZ = 440.0, 1000.0
SUBJECT = "Délai de paiement de mon impôt"
PERSONAL = "Un délai de trois mois vous est accordé."
LETTER = ["AVIS D'IMPOSITION 2026", "Demande de remise gracieuse"]


@dataclass
class Day:
    """The running server and everything standing around it."""

    server: Server
    sink: RelaySink
    sip: int
    smtp: int
    phone_port: int
    folder: Path
    sipps: list[Sipp] = field(default_factory=list)

    def sipp(self, name: str, *args: Any, **kwargs: Any) -> Sipp:
        """Start a SIPp in its own folder; stopped at teardown."""
        proc = Sipp(self.folder / name, *args, **kwargs)
        self.sipps.append(proc)
        return proc


def _config(folder: Path, phone_port: int, relay_port: int) -> Path:
    """Write the demo configuration with agent1's phone and the relay sink."""
    raw = tomllib.loads((REPO / "examples" / "demo.toml").read_text(encoding="utf-8"))
    # A phone that does not register: the SIPp agent phone listens there.
    raw["voice"]["static_contacts"] = {"1001": f"sip:1001@{HOST}:{phone_port}"}
    raw["email"] = {"relay": {"host": HOST, "port": relay_port, "base_backoff_s": 1.0}}
    path = folder / "agent-day.toml"
    path.write_bytes(tomli_w.dumps(raw).encode())
    return path


@pytest.fixture
def day(tmp_path: Path, server_factory: Callable[..., Server]) -> Iterator[Day]:
    """Serve the demo with SIP, media and SMTP on this test's ports, plus a relay sink."""
    sink = RelaySink()
    sink.start()
    phone_port, sip, smtp = sip_port(), sip_port(), smtp_port()
    low, high = rtp_slice()
    flags = ["--sip", f"{HOST}:{sip}", "--rtp-ports", f"{low}-{high}", "--smtp", f"{HOST}:{smtp}"]
    the_day = Day(
        server_factory(_config(tmp_path, phone_port, sink.port), flags),
        sink, sip, smtp, phone_port, tmp_path,
    )  # fmt: skip
    try:
        yield the_day
    finally:
        for proc in the_day.sipps:
            proc.stop()
        sink.stop()


def _seconds(text: str) -> int:
    """Return the seconds of an on-screen duration (MM:SS or H:MM:SS)."""
    total = 0
    for part in text.strip().split(":"):
        total = total * 60 + int(part)
    return total


def _handled_s(item: dict[str, Any], now: float) -> float:
    """Return the handling time the server measured (handle segments, the running one to now)."""
    return sum(
        (s["end"] if s["end"] is not None else now) - s["start"]
        for s in item["segments"]
        if s["kind"] == "handle"
    )


def _offer(page: Page, text: str) -> Locator:
    """Return the single offer on screen once it mentions `text`."""
    offer = page.locator("li.offer")
    expect(offer).to_have_count(1, timeout=15000)
    expect(offer).to_contain_text(text)
    return offer


def _wrap_up(card: Locator, code: str) -> None:
    card.get_by_label("Code de qualification").select_option(code)
    card.get_by_role("button", name="Terminer").click()
    expect(card).to_have_count(0)


def _call(page: Page, context: BrowserContext, day: Day, e2e: Helpers) -> str:
    """Take a SIPp call from offer to wrap-up, with a network cut mid-call; return its id."""
    label = page.locator("#state-label")
    phone = day.sipp("phone", "agent_day_phone", day.phone_port, hz=PHONE_HZ, calls=3)
    time.sleep(0.2)  # let the phone bind before anyone calls it (INVITE is retransmitted anyway)
    caller = day.sipp("caller", "agent_day_caller", sip_port(), day.sip, hz=CALLER_HZ)

    def rings() -> int:
        return phone.trace().count(f"\nINVITE sip:1001@{HOST}")

    # First ring: Camille is not quite ready and declines; the phone stops ringing at once
    # (CANCEL, RFC 3261 section 9.1) rather than at its ring timeout (offer timeout + 2 s).
    offer = _offer(page, CALLER)
    iid = offer.get_attribute("data-id") or ""
    expect(offer).to_contain_text("Impôt sur le revenu (téléphone)")
    expect(label).to_have_text("Proposition entrante")
    e2e.wait_until(lambda: rings() == 1, timeout=10)  # the INVITE carries the caller (RFC 3325)
    offer.get_by_role("button", name="Refuser").click()
    expect(page.locator("li.offer")).to_have_count(0)
    expect(page.locator("#state-reason")).to_have_text("Proposition manquée")
    e2e.wait_until(lambda: f"\nCANCEL sip:1001@{HOST}" in phone.trace(), timeout=3)

    # Ready again: the same call, first in line, is offered again; this time she accepts.
    page.get_by_role("button", name="Prêt", exact=True).click()
    offer = _offer(page, CALLER)
    assert offer.get_attribute("data-id") == iid
    e2e.wait_until(lambda: rings() == 2, timeout=10)
    offer.get_by_role("button", name="Accepter").click()
    card = page.locator(f'article.work-card[data-id="{iid}"]')
    expect(label).to_have_text("En communication", timeout=10000)
    expect(card.locator('[data-slot="status"]')).to_have_text("En cours")
    expect(page.locator("li.offer")).to_have_count(0)
    assert rings() == 3 and "answer-after=0" in phone.trace()  # Accept: the phone picks up

    card.get_by_role("button", name="Mettre en attente").click()
    expect(card.locator('[data-slot="status"]')).to_have_text("En attente")
    expect(card.locator('[data-slot="hold"]')).to_have_text("00:01", timeout=4000)
    card.get_by_role("button", name="Reprendre").click()
    expect(card.locator('[data-slot="status"]')).to_have_text("En cours")
    expect(card.locator('[data-slot="hold"]')).to_be_hidden()

    expect(card.locator(".recording")).to_contain_text("incivility_evidence")
    card.get_by_role("button", name="Démarrer l'enregistrement").click()
    status = card.locator('[data-slot="rec-status"]')
    expect(status).to_have_text("Enregistrement")
    recording_since = time.monotonic()
    assert e2e.axe(page) == []
    e2e.shoot(page, "agent-day-call")
    # Both tones flow through the bridge into the recorder for at least 1.5 s.
    time.sleep(max(0.0, 1.5 - (time.monotonic() - recording_since)))
    card.get_by_role("button", name="Arrêter l'enregistrement").click()
    expect(status).to_have_text("Enregistrement arrêté")

    # Cut the network mid-call; meanwhile the call is put on hold (the phone's hold key, here
    # the calls API). Back online, the screen shows the truth: same call, on hold, its timers.
    connects = page.evaluate("window.__sdStream.connects")
    context.set_offline(True)
    expect(page.locator("#conn")).to_have_attribute("data-state", "offline")
    day.server.admin().post(f"/api/v1/calls/{iid}/hold")
    expect(card.locator('[data-slot="status"]')).to_have_text("En cours")  # stale until back
    context.set_offline(False)
    expect(page.locator("#conn")).to_have_attribute("data-state", "online", timeout=15000)
    assert page.evaluate("window.__sdStream.connects") == connects + 1
    expect(card.locator('[data-slot="status"]')).to_have_text("En attente")
    expect(page.locator("article.work-card")).to_have_count(1)
    expect(page.locator("li.offer")).to_have_count(0)
    expect(page.locator("#offer-count")).to_have_text("0")
    expect(card.locator('[data-slot="hold"]')).to_be_visible()
    # The handling timer is the server's: frozen on hold at the handled total so far.
    item = day.server.admin().get(f"/api/v1/interactions/{iid}")
    shown = _seconds(card.locator('[data-slot="talk"]').inner_text())
    assert abs(shown - _handled_s(item, time.time())) < 1.5, (shown, item["segments"])
    expect(label).to_have_text("En communication")
    card.get_by_role("button", name="Reprendre").click()
    expect(card.locator('[data-slot="status"]')).to_have_text("En cours")
    expect(card.locator('[data-slot="talk"]')).not_to_have_text(
        card.locator('[data-slot="talk"]').inner_text(), timeout=3000
    )  # running again

    card.get_by_role("button", name="Raccrocher").click()
    expect(label).to_have_text("Après-appel")
    expect(card.locator('[data-slot="acw-left"]')).to_contain_text("reste 00:")
    assert caller.finish() == 0, caller.report()  # both legs got the centre's BYE
    assert phone.finish() == 0, phone.report()
    _wrap_up(card, "answered")
    expect(label).to_have_text("Prêt")
    return iid


def _email(page: Page, context: BrowserContext, day: Day, e2e: Helpers) -> tuple[str, str]:
    """Answer an e-mail from the composer with a canned response; return (id, Message-ID)."""
    label = page.locator("#state-label")
    text = "Bonjour,\nJe souhaite un délai de paiement pour mon impôt 2026.\nCamille"
    # The e-mail arrives and is offered while the desktop is cut off: once back, the offer is
    # there, once (the snapshot and the replayed events must not show it twice).
    context.set_offline(True)
    expect(page.locator("#conn")).to_have_attribute("data-state", "offline")
    message_id = send_citizen_mail(day.smtp, "contact@impots.example", SUBJECT, text)
    e2e.wait_until(lambda: day.server.admin().get("/api/v1/agents/agent1")["offers"], 10)
    context.set_offline(False)
    expect(page.locator("#conn")).to_have_attribute("data-state", "online", timeout=15000)
    offer = _offer(page, "camille.usager@example.org")
    expect(page.locator("#offer-count")).to_have_text("1")
    iid = offer.get_attribute("data-id") or ""
    expect(offer).to_contain_text(SUBJECT)
    expect(offer).to_contain_text("Messagerie sécurisée")
    offer.get_by_role("button", name="Accepter").click()
    card = page.locator(f'article.work-card[data-id="{iid}"]')
    expect(label).to_have_text("Traitement d'un courriel")
    expect(card.locator(".thread")).to_contain_text("délai de paiement")

    card.get_by_label("Réponse type").select_option(label="Accusé de réception")
    area = card.get_by_label("Message")
    expect(area).to_have_value(re.compile(r"Nous avons bien reçu votre message \(référence \S+\)"))
    # The agent completes the template in the box: what the box holds is what is sent.
    area.fill(area.input_value().replace("Cordialement,", PERSONAL + "\n\nCordialement,"))
    e2e.shoot(page, "agent-day-email")
    card.get_by_role("button", name="Envoyer la réponse").click()
    # Once the relay accepts the reply the e-mail is done (the queue has no after-work):
    # the card goes and the agent is ready again.
    expect(card).to_have_count(0, timeout=15000)
    expect(label).to_have_text("Prêt")

    (reply,) = day.sink.wait(1)
    assert reply["In-Reply-To"] == message_id
    assert message_id in reply["References"].split()
    assert "camille.usager@example.org" in reply["To"]
    assert reply["Subject"].startswith("Re:") or SUBJECT in reply["Subject"]
    body = reply.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Nous avons bien reçu votre message" in body
    assert PERSONAL in body
    assert "{reference}" not in body
    return iid, message_id


def _letter(page: Page, day: Day, e2e: Helpers) -> str:
    """Process a scanned letter uploaded by the mailroom; return its interaction id."""
    label = page.locator("#state-label")
    upload = day.server.admin().http.post(
        "/api/v1/mail/letters",
        files={"file": ("lettre.png", scanned_letter(LETTER), "image/png")},
        timeout=60,
    )
    assert upload.status_code == 201, upload.text
    iid = upload.json()["interaction_id"]
    offer = _offer(page, "Courrier")
    assert offer.get_attribute("data-id") == iid
    offer.get_by_role("button", name="Accepter").click()
    card = page.locator(f'article.work-card[data-id="{iid}"]')
    expect(label).to_have_text("Traitement d'un courrier")
    image = card.get_by_role("img", name="Page 1 sur 1")
    expect(image).to_be_visible()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
    )
    expect(card.locator("pre")).to_contain_text("IMPOSITION", ignore_case=True, timeout=20000)
    e2e.shoot(page, "agent-day-letter")
    _wrap_up(card, "answered_email")
    expect(label).to_have_text("Prêt")
    return iid


def _check_recording(server: Server, iid: str, events: list[dict[str, Any]]) -> None:
    """The recording covers the recorded window only: caller left, phone right; all audited."""
    officer = server.api("incident1")  # the recipient named in the processing register
    (rec,) = officer.get(f"/api/v1/recordings?interaction_id={iid}")
    assert rec["purpose"] == "incivility_evidence"
    assert rec["agents"] == ["agent1"]
    mine = {e["kind"]: e["ts"] for e in events if e["data"].get("interaction_id") == iid}
    assert mine["interaction.connected"] < rec["started_at"] < rec["ended_at"]
    assert rec["ended_at"] < mine["interaction.ended"]
    span = rec["ended_at"] - rec["started_at"]
    assert 1.5 <= span < 8.0, rec  # at least 1.5 s between the two clicks
    opened = officer.post(
        f"/api/v1/recordings/{rec['id']}/access", {"action": "play", "reason": "plainte 2026-1"}
    )
    audio = officer.http.get(opened["stream_url"])
    assert audio.status_code == 200, audio.text
    frames = stereo(audio.content)
    assert abs(len(frames) / 8000 - span) < 0.5, (len(frames), span)
    middle = frames[len(frames) // 4 : 3 * len(frames) // 4].astype(float)
    assert abs(dominant_hz(middle[:, 0]) - CALLER_HZ) < 10  # SIPp's RTP crossed the plane
    assert abs(dominant_hz(middle[:, 1]) - PHONE_HZ) < 10

    audit = server.api("dpo1").get("/api/v1/governance/audit?limit=5000")["entries"]
    trail = [a for a in audit if a["subject"] == f"recording:{rec['id']}"]
    assert [a["action"] for a in trail] == [
        "recording.started",
        "recording.stopped",
        "recording.accessed",
    ], trail
    assert [a["actor"] for a in trail] == ["agent1", "agent1", "incident1"], trail


def test_agent_day(page: Page, context: BrowserContext, day: Day, e2e: Helpers) -> None:
    """Play the day through the desktop, then check the event log step by step."""
    started = time.monotonic()
    server = day.server
    e2e.login_page(page, server, "agent1")
    label = page.locator("#state-label")
    expect(label).to_have_text("Pause")
    expect(page.locator("#conn")).to_have_text("En direct")
    page.get_by_role("button", name="Prêt", exact=True).click()
    expect(label).to_have_text("Prêt")

    call = _call(page, context, day, e2e)
    mail, message_id = _email(page, context, day, e2e)
    letter = _letter(page, day, e2e)

    page.get_by_role("button", name="Pause").click()
    page.get_by_role("button", name="Déjeuner").click()
    expect(label).to_have_text("Pause")
    expect(page.locator("#state-reason")).to_have_text("Déjeuner")
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url("**/login")
    assert page.errors == []  # type: ignore[attr-defined]

    events = e2e.read_log(server)
    _check_log(server.admin(), events, call, mail, letter)
    _check_recording(server, call, events)
    print(f"agent's day played in {time.monotonic() - started:.1f} s")


def _check_log(
    admin: ApiClient, events: list[dict[str, Any]], call: str, mail: str, letter: str
) -> None:
    """Each step is in the log, in order, with durations that add up."""
    states = [e for e in events if e["kind"] == "agent.state" and e["data"]["agent_id"] == "agent1"]
    assert [(s["data"]["state"], s["data"]["reason"]) for s in states] == [
        ("not_ready", "login"),
        ("ready", None),
        ("alerting", None),
        ("not_ready", "missed"),
        ("ready", None),
        ("alerting", None),
        ("busy_voice", None),
        ("acw", None),
        ("ready", None),
        ("alerting", None),
        ("busy_email", None),
        ("ready", None),
        ("alerting", None),
        ("busy_mail", None),
        ("ready", None),
        ("not_ready", "lunch"),
        ("logged_out", None),
    ]
    for before, after in zip(states, states[1:], strict=False):
        assert after["data"]["prev_state"] == before["data"]["state"]
        gap = after["ts"] - before["ts"]
        assert abs(after["data"]["prev_duration_s"] - gap) < 0.05, (before, after)
        # Zero only for "ready" when a call was already waiting (offered in the same instant).
        zero_ok = before["data"]["state"] == "ready" and after["data"]["state"] == "alerting"
        assert after["data"]["prev_duration_s"] > 0 or zero_ok, (before, after)

    def kinds(iid: str) -> list[str]:
        return [e["kind"] for e in events if e["data"].get("interaction_id") == iid]

    core = ("interaction.", "agent.")
    assert [k for k in kinds(call) if k.startswith(core)] == [
        "interaction.created",
        "interaction.queued",
        "interaction.offered",
        "interaction.offer_ended",
        "interaction.queued",
        "interaction.offered",
        "interaction.connected",
        "interaction.held",
        "interaction.resumed",
        "interaction.held",
        "interaction.resumed",
        "interaction.ended",
        "interaction.completed",
    ]
    for iid in (mail, letter):
        assert [k for k in kinds(iid) if k.startswith(core)] == [
            "interaction.created",
            "interaction.queued",
            "interaction.offered",
            "interaction.connected",
            "interaction.ended",
            "interaction.completed",
        ], kinds(iid)
    # The three pieces of work follow each other: each is completed before the next arrives.
    seq = {(e["data"].get("interaction_id"), e["kind"]): e["seq"] for e in events}
    assert seq[(call, "interaction.completed")] < seq[(mail, "interaction.created")]
    assert seq[(mail, "interaction.completed")] < seq[(letter, "interaction.created")]
    assert {"email.received", "email.sent"} <= set(kinds(mail)), kinds(mail)
    ended = next(e for e in events if e["kind"] == "interaction.ended" and
                 e["data"]["interaction_id"] == mail)  # fmt: skip
    assert ended["data"]["by"] == "reply_sent"

    segments = admin.get(f"/api/v1/interactions/{call}")["segments"]
    assert [s["kind"] for s in segments] == [
        "queue", "alert", "queue", "alert", "handle", "hold", "handle", "hold", "handle", "acw",
    ]  # fmt: skip
    # The agent was ready: the call is offered as it arrives (queue time zero), every later
    # segment lasts.
    assert segments[0]["duration"] >= 0
    assert all(s["duration"] > 0 for s in segments[1:]), segments
    for a, b in zip(segments, segments[1:], strict=False):
        assert a["end"] == b["start"]  # no gap, no overlap
    by_kind = {k: [s for s in segments if s["kind"] == k] for k in ("alert", "hold", "acw")}
    assert by_kind["hold"][0]["duration"] >= 1.0  # the screen showed 00:01 on hold
    done = next(e for e in events if e["kind"] == "interaction.completed" and
                e["data"]["interaction_id"] == call)  # fmt: skip
    acw_state = next(s for s in states if s["data"]["prev_state"] == "acw")
    assert abs(acw_state["data"]["prev_duration_s"] - by_kind["acw"][0]["duration"]) < 0.05
    assert done["data"]["disposition"] == "answered"
    (declined,) = [e for e in events if e["kind"] == "interaction.offer_ended"]
    assert declined["data"] == declined["data"] | {"interaction_id": call, "cause": "declined"}
