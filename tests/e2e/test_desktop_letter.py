"""The postal-mail panel: a scanned letter's page beside its recognised text, then an outcome."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import pytest
from PIL import Image, ImageDraw, ImageFont
from playwright.sync_api import Page, expect

if TYPE_CHECKING:
    from conftest import ApiClient, Helpers, Server

LINES = ["AVIS D'IMPOSITION 2026", "Demande de delai de paiement", "Madame, Monsieur,"]


@pytest.fixture(scope="module")
def server(shared_server: Server) -> Server:
    """Share one server between the desktop modules (each uses its own agents)."""
    return shared_server


def _scan() -> bytes:
    """Return an A4-ish PNG page with large printed text, as a scanner would produce."""
    page = Image.new("L", (1240, 1754), 255)
    draw = ImageDraw.Draw(page)
    font = ImageFont.load_default(size=56)
    for i, line in enumerate(LINES):
        draw.text((120, 200 + i * 120), line, fill=0, font=font)
    out = io.BytesIO()
    page.save(out, "PNG")
    return out.getvalue()


def test_letter_pages_text_outcome(
    page: Page, server: Server, admin_api: ApiClient, e2e: Helpers
) -> None:
    """A scanned letter is offered, read page beside text, and completed with an outcome."""
    e2e.login_page(page, server, "agent10")
    label = page.locator("#state-label")
    page.get_by_role("button", name="Prêt", exact=True).click()
    expect(label).to_have_text("Prêt")

    upload = admin_api.http.post(
        "/api/v1/mail/letters", files={"file": ("lettre.png", _scan(), "image/png")}, timeout=120
    )
    assert upload.status_code == 201, upload.text
    letter = upload.json()
    offer = page.locator(f'li.offer[data-id="{letter["interaction_id"]}"]')
    expect(offer).to_contain_text("Courrier", timeout=10000)
    offer.get_by_role("button", name="Accepter").click()
    card = page.locator(f'article.work-card[data-id="{letter["interaction_id"]}"]')
    expect(label).to_have_text("Traitement d'un courrier")
    expect(page.get_by_role("button", name="Courrier", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )
    image = card.get_by_role("img", name="Page 1 sur 1")
    expect(image).to_be_visible()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
    )
    expect(card.locator("pre")).to_contain_text("IMPOSITION", ignore_case=True)
    expect(card.get_by_role("button", name="Page suivante")).to_be_disabled()
    assert e2e.axe(page) == []
    e2e.shoot(page, "desktop-letter")

    outcome = card.get_by_label("Code de qualification")
    card.get_by_role("button", name="Terminer").click()
    expect(card.locator('[data-slot="error"]')).to_have_text(
        "Cette file exige un code de qualification."
    )
    expect(outcome).to_have_attribute("aria-invalid", "true")
    outcome.select_option("forwarded")
    card.get_by_role("button", name="Terminer").click()
    expect(card.get_by_label("Transmis à")).to_be_focused()
    card.get_by_label("Transmis à").fill("Service des impôts des particuliers")
    card.get_by_role("button", name="Terminer").click()
    expect(card).to_have_count(0)
    expect(label).to_have_text("Prêt")
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url("**/login")
    assert page.errors == []  # type: ignore[attr-defined]

    done = [
        e
        for e in e2e.read_log(server)
        if e["kind"] == "interaction.completed"
        and e["data"]["interaction_id"] == letter["interaction_id"]
    ]
    assert len(done) == 1
    assert done[0]["data"]["disposition"] == "forwarded"
    assert done[0]["data"]["notes"].startswith("forwarded_to: Service des impôts")
