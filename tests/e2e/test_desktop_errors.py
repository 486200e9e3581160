"""Bad input on the desktop: clear messages, nothing duplicated."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from standardiste.auth.totp import demo_code

if TYPE_CHECKING:
    from conftest import ApiClient, Helpers, Server


@pytest.fixture(scope="module")
def server(shared_server: Server) -> Server:
    """Share one server between the desktop modules (each uses its own agents)."""
    return shared_server


EMAIL = {"from": "usager@example.org", "subject": "Avis d'imposition"}


def _email(admin: ApiClient) -> dict:
    return admin.post(
        "/api/v1/interactions",
        {"channel": "email", "queue_id": "email-general", "attributes": EMAIL},
    )


def _token(context: BrowserContext) -> str:
    return next(c["value"] for c in context.cookies() if c["name"] == "sd_session")


def test_login_errors(browser: Browser, page: Page, server: Server, e2e: Helpers) -> None:
    """A wrong password and a second desktop for the same agent are refused in plain words."""
    page.goto(f"{server.base_url}/login")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("alert")).to_have_text("Veuillez remplir ce champ.")
    expect(page.get_by_label("Identifiant")).to_have_attribute("aria-invalid", "true")
    page.get_by_label("Identifiant").fill("agent5")
    page.get_by_label("Mot de passe").fill("wrong")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("alert")).to_have_text("Identifiant ou mot de passe incorrect.")
    assert e2e.axe(page) == []

    e2e.login_page(page, server, "agent5")
    other = browser.new_context(locale="fr-FR")
    try:
        second = other.new_page()
        second.goto(f"{server.base_url}/login")
        second.get_by_label("Identifiant").fill("agent5")
        second.get_by_label("Mot de passe").fill("demo")
        second.get_by_role("button", name="Se connecter").click()
        expect(second.get_by_role("alert")).to_contain_text("déjà connecté sur un autre poste")
        assert second.url.endswith("/login")
    finally:
        other.close()
    # A role that needs a second factor gets a code field after the password (demo secret).
    officer = browser.new_context(locale="fr-FR")
    try:
        dpo = officer.new_page()
        dpo.goto(f"{server.base_url}/login?next=/agent")
        dpo.get_by_label("Identifiant").fill("dpo1")
        dpo.get_by_label("Mot de passe").fill("demo")
        dpo.get_by_role("button", name="Se connecter").click()
        code = dpo.get_by_label("Code de vérification")
        expect(code).to_be_focused()
        code.fill("12")
        dpo.get_by_role("button", name="Se connecter").click()
        expect(dpo.get_by_role("alert")).to_have_text("Saisissez les 6 chiffres du code.")
        assert e2e.axe(dpo) == []
        code.fill(demo_code("dpo1"))
        dpo.get_by_role("button", name="Se connecter").click()
        dpo.wait_for_url(lambda url: "/login" not in url)
        assert any(c["name"] == "sd_session" for c in officer.cookies())
    finally:
        officer.close()
    # Unauthenticated pages send the visitor to the login form and back.
    anonymous = browser.new_context(locale="fr-FR")
    try:
        visitor = anonymous.new_page()
        visitor.goto(f"{server.base_url}/agent/day")
        assert visitor.url == f"{server.base_url}/login?next=/agent/day"
    finally:
        anonymous.close()


def test_expired_session(page: Page, context: BrowserContext, server: Server, e2e: Helpers) -> None:
    """When the session ends elsewhere, the next action says so and links to the login."""
    e2e.login_page(page, server, "agent6")
    expect(page.locator("#conn")).to_have_text("En direct")
    # The session is closed elsewhere (expiry, or an administrator), not by this page.
    response = httpx.post(
        f"{server.base_url}/api/v1/auth/logout",
        headers={"Authorization": f"Bearer {_token(context)}"},
    )
    assert response.status_code == 200
    page.get_by_role("button", name="Prêt", exact=True).click()
    expect(page.locator("#banner-text")).to_have_text(
        "Votre session a expiré. Veuillez vous reconnecter."
    )
    login = page.get_by_role("link", name="Se reconnecter")
    expect(login).to_be_visible()
    expect(page.locator("#state-label")).not_to_have_text("Prêt")
    login.click()
    page.wait_for_url("**/login?next=/agent")
    page.get_by_label("Identifiant").fill("agent6")
    page.get_by_label("Mot de passe").fill("demo")
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{server.base_url}/agent")
    expect(page.locator("#conn")).to_have_text("En direct")


def test_taken_by_someone_else(
    page: Page, context: BrowserContext, server: Server, admin_api: ApiClient, e2e: Helpers
) -> None:
    """Accepting an offer another agent already took says so and removes the stale card."""
    e2e.login_page(page, server, "agent7")
    page.get_by_role("button", name="Prêt", exact=True).click()
    expect(page.locator("#state-label")).to_have_text("Prêt")
    item = _email(admin_api)
    offer = page.locator(f'li.offer[data-id="{item["id"]}"]')
    expect(offer).to_be_visible()

    # Freeze this screen (no more events), then let the offer move on to a colleague.
    page.evaluate("window.__sdStream.close()")
    colleague = server.api("agent8")
    colleague.put("/api/v1/agents/agent8/state", {"state": "ready"})
    declined = httpx.post(
        f"{server.base_url}/api/v1/interactions/{item['id']}/decline",
        headers={"Authorization": f"Bearer {_token(context)}"},
    )
    assert declined.status_code == 200
    e2e.wait_until(lambda: colleague.get("/api/v1/agents/agent8")["offers"])
    colleague.post(f"/api/v1/interactions/{item['id']}/accept")

    expect(offer).to_be_visible()  # stale
    offer.get_by_role("button", name="Accepter").click()
    expect(page.locator("#banner-text")).to_have_text(
        "Un autre agent a déjà pris cette interaction."
    )
    expect(offer).to_have_count(0)
    expect(page.locator("article.work-card")).to_have_count(0)
    assert e2e.axe(page) == []
    connected = [
        e
        for e in e2e.read_log(server)
        if e["kind"] == "interaction.connected" and e["data"]["interaction_id"] == item["id"]
    ]
    assert [e["data"]["agent_id"] for e in connected] == ["agent8"]
    colleague.post(f"/api/v1/interactions/{item['id']}/complete", {"disposition": "answered"})
    colleague.put("/api/v1/agents/agent8/state", {"state": "not_ready", "reason": "break"})


def test_double_click_accept(
    page: Page, server: Server, admin_api: ApiClient, e2e: Helpers
) -> None:
    """A double click on Accept sends one request and shows one piece of work."""
    e2e.login_page(page, server, "agent9")
    page.get_by_role("button", name="Prêt", exact=True).click()
    expect(page.locator("#state-label")).to_have_text("Prêt")
    item = _email(admin_api)
    accepts: list[str] = []
    page.on(
        "request",
        lambda r: accepts.append(r.url) if r.url.endswith(f"{item['id']}/accept") else None,
    )
    offer = page.locator(f'li.offer[data-id="{item["id"]}"]')
    offer.get_by_role("button", name="Accepter").dblclick()
    card = page.locator(f'article.work-card[data-id="{item["id"]}"]')
    expect(card).to_have_count(1)
    expect(page.locator("#work-count")).to_have_text("1")
    expect(page.locator("#banner")).to_be_hidden()
    assert len(accepts) == 1
    # The keyboard shortcut on an offer already being accepted does nothing either.
    page.keyboard.press("Alt+Shift+A")
    page.wait_for_timeout(300)
    assert len(accepts) == 1
    connected = [
        e
        for e in e2e.read_log(server)
        if e["kind"] == "interaction.connected" and e["data"]["interaction_id"] == item["id"]
    ]
    assert len(connected) == 1
    assert page.errors == []  # type: ignore[attr-defined]
    # Logging out with work open is refused in words; the work stays.
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.locator("#banner-text")).to_have_text(
        "Terminez ou transférez vos interactions en cours avant de vous déconnecter."
    )
    expect(card).to_have_count(1)
    card.get_by_role("button", name="Terminer").click()
    expect(card).to_have_count(0)
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url("**/login")


def test_offer_withdrawn_before_accept(
    page: Page, server: Server, admin_api: ApiClient, e2e: Helpers
) -> None:
    """Accepting an offer whose caller gave up says it is gone, not that someone took it."""
    e2e.login_page(page, server, "agent11")
    page.get_by_role("button", name="Prêt", exact=True).click()
    expect(page.locator("#state-label")).to_have_text("Prêt")
    item = _email(admin_api)
    offer = page.locator(f'li.offer[data-id="{item["id"]}"]')
    expect(offer).to_be_visible()
    page.evaluate("window.__sdStream.close()")  # the screen misses what follows
    admin_api.post(f"/api/v1/interactions/{item['id']}/abandon")
    offer.get_by_role("button", name="Accepter").click()
    expect(page.locator("#banner-text")).to_have_text(
        "Cette proposition n'est plus disponible : elle a été retirée ou son délai est écoulé."
    )
    expect(offer).to_have_count(0)
    expect(page.locator("#state-label")).to_have_text("Prêt")
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url("**/login")
