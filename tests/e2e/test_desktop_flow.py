"""An agent's working session in the browser, checked against the server's event log."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Page, expect

if TYPE_CHECKING:
    from conftest import ApiClient, Helpers, Server


@pytest.fixture(scope="module")
def server(shared_server: Server) -> Server:
    """Share one server between the desktop modules (each uses its own agents)."""
    return shared_server


EMAIL = {"from": "camille.usager@example.org", "subject": "Ma déclaration de revenus"}


def _states(events: list[dict], agent_id: str) -> list[dict]:
    return [e for e in events if e["kind"] == "agent.state" and e["data"]["agent_id"] == agent_id]


def test_login_ready_email_wrapup_pause_logout(
    page: Page, server: Server, admin_api: ApiClient, e2e: Helpers
) -> None:
    """Log in, get ready, take an e-mail, wrap it up, go to lunch, log out; the log agrees."""
    start = admin_api.get("/api/v1/agents/agent1")  # logged out: nothing before this test
    assert start["state"] == "logged_out"
    page.goto(f"{server.base_url}/login")
    assert e2e.axe(page) == []
    e2e.shoot(page, "login")
    e2e.login_page(page, server, "agent1")
    expect(page).to_have_url(f"{server.base_url}/agent")
    label = page.locator("#state-label")
    expect(label).to_have_text("Pause")
    expect(page.locator("#state-reason")).to_have_text("Vient de se connecter")
    expect(page.locator("#conn")).to_have_text("En direct")

    page.get_by_role("button", name="Prêt", exact=True).click()
    expect(label).to_have_text("Prêt")
    expect(page.get_by_role("button", name="Prêt", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )

    item = admin_api.post(
        "/api/v1/interactions",
        {"channel": "email", "queue_id": "email-general", "attributes": EMAIL},
    )
    offer = page.locator(f'li.offer[data-id="{item["id"]}"]')
    expect(offer).to_contain_text(EMAIL["from"])
    expect(offer).to_contain_text("Messagerie sécurisée")
    expect(offer).to_contain_text(EMAIL["subject"])
    expect(offer.locator('[data-slot="countdown-text"]')).to_contain_text("s pour répondre")
    expect(label).to_have_text("Proposition entrante")
    assert e2e.axe(page) == []
    e2e.shoot(page, "desktop-offer")

    offer.get_by_role("button", name="Accepter").click()
    card = page.locator(f'article.work-card[data-id="{item["id"]}"]')
    expect(card).to_be_visible()
    expect(offer).to_have_count(0)
    expect(label).to_have_text("Traitement d'un courriel")
    expect(page.get_by_role("button", name="Courriel", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )
    # The handling timer counts from the server's connect time.
    expect(card.locator('[data-slot="talk"]')).to_have_text("00:01", timeout=3000)
    assert e2e.axe(page) == []
    e2e.shoot(page, "desktop-email")

    card.get_by_label("Code de qualification").select_option(label="Répondu")
    card.get_by_label("Notes").fill("Délai de paiement expliqué")
    card.get_by_role("button", name="Terminer").click()
    expect(card).to_have_count(0)
    expect(label).to_have_text("Prêt")

    page.get_by_role("button", name="Pause").click()
    page.get_by_role("button", name="Déjeuner").click()
    expect(label).to_have_text("Pause")
    expect(page.locator("#state-reason")).to_have_text("Déjeuner")

    page.get_by_role("link", name="Ma journée").click()
    expect(page.locator("#totals tbody")).to_contain_text("Traitement d'un courriel")
    expect(page.locator("#handled tbody")).to_contain_text("Répondu")
    expect(page.locator("#handled tbody")).to_contain_text("Messagerie sécurisée")
    expect(page.locator("#timeline tbody tr")).to_have_count(6)
    # The governance notice (generated from the processing register) is shown as text.
    expect(page.locator("#notice")).to_contain_text("7")
    expect(page.locator("#notice")).not_to_contain_text("pas disponible")
    expect(page.locator("#recordings tbody")).to_have_text("Personne pour l'instant.")
    assert e2e.axe(page) == []
    e2e.shoot(page, "my-day")

    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url("**/login")
    assert page.errors == []  # type: ignore[attr-defined]

    events = e2e.read_log(server)
    states = _states(events, "agent1")
    assert [(s["data"]["state"], s["data"]["reason"]) for s in states] == [
        ("not_ready", "login"),
        ("ready", None),
        ("alerting", None),
        ("busy_email", None),
        ("ready", None),
        ("not_ready", "lunch"),
        ("logged_out", None),
    ]
    # Each change closes the previous state with a duration equal to the gap between the two
    # timestamps (monotonic vs wall clock: allow a few milliseconds).
    for before, after in zip(states, states[1:], strict=False):
        assert after["data"]["prev_state"] == before["data"]["state"]
        gap = after["ts"] - before["ts"]
        assert abs(after["data"]["prev_duration_s"] - gap) < 0.05, (before, after)
    kinds = [e["kind"] for e in events if e["data"].get("interaction_id") == item["id"]]
    assert kinds == [
        "interaction.created",
        "interaction.queued",
        "interaction.offered",
        "interaction.connected",
        "interaction.ended",
        "interaction.completed",
    ]
    mine = [e for e in events if e["data"].get("interaction_id") == item["id"]]
    done = next(e for e in mine if e["kind"] == "interaction.completed")
    assert done["data"]["disposition"] == "answered"
    assert done["data"]["notes"] == "Délai de paiement expliqué"
    busy = next(s for s in states if s["data"]["prev_state"] == "busy_email")
    connected = next(e for e in mine if e["kind"] == "interaction.connected")
    assert abs(busy["data"]["prev_duration_s"] - (done["ts"] - connected["ts"])) < 0.05


def test_english_and_keyboard_only(page: Page, server: Server, admin_api: ApiClient) -> None:
    """The desktop speaks English on request and the frequent actions work from the keyboard."""
    page.goto(f"{server.base_url}/login?lang=en")
    page.get_by_label("Username").fill("agent2")
    page.get_by_label("Password").fill("demo")
    page.get_by_label("Password").press("Enter")
    page.wait_for_url("**/agent")
    expect(page.get_by_role("heading", name="Offers")).to_be_visible()
    label = page.locator("#state-label")
    expect(label).to_have_text("Pause")
    expect(page.locator("#conn")).to_have_text("Live")

    page.keyboard.press("Alt+Shift+R")
    expect(label).to_have_text("Ready")
    item = admin_api.post(
        "/api/v1/interactions",
        {"channel": "email", "queue_id": "email-general", "attributes": EMAIL},
    )
    expect(page.locator(f'li.offer[data-id="{item["id"]}"]')).to_be_visible()
    page.keyboard.press("Alt+Shift+A")
    expect(label).to_have_text("Handling an e-mail")
    # Capacity allows several e-mails at once: two more are offered while the first is open.
    more = [
        admin_api.post(
            "/api/v1/interactions",
            {"channel": "email", "queue_id": "email-general", "attributes": EMAIL},
        )
        for _ in range(2)
    ]
    for extra in more:
        page.locator(f'li.offer[data-id="{extra["id"]}"]').get_by_role("button").first.click()
    expect(page.locator("article.work-card")).to_have_count(3)
    expect(page.locator("#work-count")).to_have_text("3")
    for extra in more:
        done = page.locator(f'article.work-card[data-id="{extra["id"]}"]')
        done.get_by_role("button", name="Done").click()
        expect(done).to_have_count(0)

    page.keyboard.press("Alt+Shift+W")
    focused = page.evaluate("document.activeElement.name")
    assert focused == "disposition"
    page.keyboard.press("Tab")  # to notes: the form is usable without a mouse
    page.keyboard.type("ok")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(label).to_have_text("Ready")

    # The state bar is one toolbar: arrows move between tabs, the pause menu opens and closes.
    page.keyboard.press("Alt+Shift+P")
    expect(page.locator("#pause-menu")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#pause-menu")).to_be_hidden()
    assert page.evaluate("document.activeElement.id") == "pause-toggle"
    page.keyboard.press("Alt+Shift+P")
    page.keyboard.press("Tab")  # second reason: lunch
    page.keyboard.press("Enter")
    expect(page.locator("#state-reason")).to_have_text("Lunch")
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login")
    assert page.errors == []  # type: ignore[attr-defined]
