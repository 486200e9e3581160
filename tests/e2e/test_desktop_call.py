"""The call panel (hold, transfer, recording, hang-up, after-call work) and a network cut."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import BrowserContext, Page, expect

if TYPE_CHECKING:
    from conftest import ApiClient, Helpers, Server


@pytest.fixture(scope="module")
def server(shared_server: Server) -> Server:
    """Share one server between the desktop modules (each uses its own agents)."""
    return shared_server


CALLER = {"caller": "+33 5 61 00 00 42", "ivr_choice": "2 - prélèvement à la source"}


def _call(admin: ApiClient) -> dict:
    return admin.post(
        "/api/v1/interactions",
        {"channel": "voice", "queue_id": "income-tax-voice", "attributes": CALLER},
    )


def test_call_hold_record_cut_transfer_then_acw(
    page: Page, context: BrowserContext, server: Server, admin_api: ApiClient, e2e: Helpers
) -> None:
    """Work a call; cut the network mid-call while it is transferred; wrap up a second call."""
    e2e.login_page(page, server, "agent4")
    label = page.locator("#state-label")
    page.get_by_role("button", name="Prêt", exact=True).click()
    expect(label).to_have_text("Prêt")

    first = _call(admin_api)
    offer = page.locator(f'li.offer[data-id="{first["id"]}"]')
    expect(offer).to_contain_text(CALLER["caller"])
    expect(offer).to_contain_text(CALLER["ivr_choice"])
    expect(offer).to_contain_text("Impôt sur le revenu (téléphone)")
    offer.get_by_role("button", name="Accepter").click()
    card = page.locator(f'article.work-card[data-id="{first["id"]}"]')
    expect(card).to_contain_text("Choix au serveur vocal")
    expect(label).to_have_text("En communication")
    expect(page.get_by_role("button", name="Téléphone")).to_have_attribute("aria-pressed", "true")

    card.get_by_role("button", name="Mettre en attente").click()
    expect(card.locator('[data-slot="status"]')).to_have_text("En attente")
    expect(card.locator('[data-slot="hold"]')).to_be_visible()
    expect(card.locator('[data-slot="hold"]')).to_have_text("00:01", timeout=3000)
    card.get_by_role("button", name="Reprendre").click()
    expect(card.locator('[data-slot="status"]')).to_have_text("En cours")
    expect(card.locator('[data-slot="hold"]')).to_be_hidden()

    # The purpose is on screen before anything is recorded.
    expect(card.locator(".recording")).to_contain_text("incivility_evidence")
    expect(card.locator(".recording")).to_contain_text(re.compile(r"conservé \d+ jours"))
    card.get_by_role("button", name="Démarrer l'enregistrement").click()
    banner = page.locator("#banner-text")
    status = card.locator('[data-slot="rec-status"]')
    e2e.wait_until(lambda: banner.is_visible() or status.inner_text() == "Enregistrement")
    if banner.is_visible():  # the voice channel's recording routes are not mounted here
        expect(banner).to_have_text("Cette fonction n'est pas encore disponible sur ce serveur.")
        expect(status).to_have_text("Pas d\u2019enregistrement")
        page.get_by_role("button", name="Fermer").click()
    else:
        card.get_by_role("button", name="Arrêter l'enregistrement").click()
        expect(status).to_have_text("Enregistrement arrêté")
    assert e2e.axe(page) == []
    e2e.shoot(page, "desktop-call")

    # The transfer picker lists the voice queues and says who can take the call.
    card.get_by_role("button", name="Transférer…").click()
    dialog = page.get_by_role("dialog", name="Transférer")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Taxe foncière (téléphone)")).to_be_visible()
    expect(dialog.get_by_label("Messagerie sécurisée")).to_have_count(0)  # not a voice queue
    expect(dialog.locator("#transfer-agents")).not_to_be_empty()
    assert e2e.axe(page) == []
    dialog.get_by_role("button", name="Annuler").click()
    expect(dialog).to_be_hidden()
    expect(card).to_be_visible()

    # Cut the network mid-call; meanwhile a supervisor moves the call to another queue and a
    # new call is offered to this agent. Back online, the screen shows exactly the truth.
    connects = page.evaluate("window.__sdStream.connects")
    context.set_offline(True)
    expect(page.locator("#conn")).to_have_attribute("data-state", "offline")
    moved = {"to_queue": "property-tax-voice"}
    admin_api.post(f"/api/v1/interactions/{first['id']}/transfer", moved)
    second = _call(admin_api)
    e2e.wait_until(lambda: admin_api.get("/api/v1/agents/agent4")["offers"])
    expect(card).to_be_visible()  # still the stale screen
    context.set_offline(False)
    expect(page.locator("#conn")).to_have_attribute("data-state", "online", timeout=15000)
    assert page.evaluate("window.__sdStream.connects") == connects + 1
    expect(card).to_have_count(0)  # the call is gone
    offer = page.locator(f'li.offer[data-id="{second["id"]}"]')
    expect(offer).to_have_count(1)  # the new one is there, once
    expect(page.locator("#offer-list > li")).to_have_count(1)
    expect(page.locator("#offer-count")).to_have_text("1")
    # The countdown comes from the replayed interaction.offered event (timeout_s).
    expect(offer.locator('[data-slot="countdown-text"]')).to_contain_text("s pour répondre")
    expect(label).to_have_text("Proposition entrante")

    offer.get_by_role("button", name="Accepter").click()
    card = page.locator(f'article.work-card[data-id="{second["id"]}"]')
    card.get_by_role("button", name="Raccrocher").click()
    expect(label).to_have_text("Après-appel")
    expect(page.get_by_role("button", name="Après-appel")).to_have_attribute("aria-pressed", "true")
    expect(card.locator('[data-slot="acw-left"]')).to_contain_text("reste 00:2")
    expect(card.get_by_role("button", name="Raccrocher")).to_be_hidden()
    assert e2e.axe(page) == []
    e2e.shoot(page, "desktop-acw")
    card.get_by_label("Code de qualification").select_option("callback")
    card.get_by_role("button", name="Terminer").click()
    expect(card).to_have_count(0)
    expect(label).to_have_text("Prêt")
    assert page.errors == []  # type: ignore[attr-defined]
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url("**/login")
    # Leave nothing queued for the other modules' agents (shared server).
    admin_api.post(f"/api/v1/interactions/{first['id']}/abandon")

    events = e2e.read_log(server)
    kinds = [e["kind"] for e in events if e["data"].get("interaction_id") == first["id"]]
    assert kinds[:7] == [
        "interaction.created",
        "interaction.queued",
        "interaction.offered",
        "interaction.connected",
        "interaction.held",
        "interaction.resumed",
        "interaction.transferred",
    ]
    mine = [e for e in events if e["data"].get("interaction_id") == second["id"]]
    assert [e["kind"] for e in mine].count("interaction.offered") == 1
    ended = next(e for e in mine if e["kind"] == "interaction.ended")
    done = next(e for e in mine if e["kind"] == "interaction.completed")
    assert ended["data"]["acw"] == "timeboxed"
    assert done["data"]["disposition"] == "callback"
    acw = [
        e
        for e in events
        if e["kind"] == "agent.state"
        and e["data"]["agent_id"] == "agent4"
        and e["data"]["prev_state"] == "acw"
    ]
    assert len(acw) == 1
    assert abs(acw[0]["data"]["prev_duration_s"] - (done["ts"] - ended["ts"])) < 0.05
