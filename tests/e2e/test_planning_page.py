"""The /planning page in headless Chromium on a real server: calculator, staffing plan, a11y."""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from sd_testing import DEMO_CONFIG, LiveServer

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration" / "planning"))
from planning_history import SLOTS, generate, profile, seed  # noqa: E402


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Serve the demo over an event log holding four weeks of a known profile."""
    tmp = tmp_path_factory.mktemp("planning-e2e")
    config = tmp / "demo.toml"
    shutil.copy(DEMO_CONFIG, config)
    db_url = f"sqlite:///{tmp / 'events.db'}"
    seed(db_url, generate(time.time()))
    srv = LiveServer(tmp, config, db_url=db_url).start(timeout=60)
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def logged_in(browser: Browser, server: LiveServer) -> Iterator[Page]:
    """Log supervisor1 in once through the real form (French browser), from /planning."""
    context: BrowserContext = browser.new_context(
        locale="fr-FR", viewport={"width": 1366, "height": 900}
    )
    page = context.new_page()
    try:
        page.goto(f"{server.url}/planning")
        assert "/login" in page.url  # not logged in: sent to the login page, then back
        page.get_by_label("Identifiant").fill("supervisor1")
        page.get_by_label("Mot de passe").fill("demo")
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_url(f"{server.url}/planning")
        yield page
    finally:
        context.close()


@pytest.fixture
def planning_page(logged_in: Page, server: LiveServer) -> Iterator[Page]:
    """Open a fresh /planning in French; script errors fail the test."""
    errors: list[str] = []

    def record(exc: Exception) -> None:
        errors.append(str(exc))

    logged_in.on("pageerror", record)
    logged_in.goto(f"{server.url}/planning?lang=fr")
    logged_in.wait_for_selector("body[data-ready='1']")
    yield logged_in
    logged_in.remove_listener("pageerror", record)
    assert errors == []


def test_calculator_highlights_fourteen_agents(planning_page: Page, e2e) -> None:
    page = planning_page
    expect(page.get_by_role("heading", level=1)).to_have_text("Planification des effectifs")
    page.get_by_label("Appels présentés").fill("100")
    page.locator("#e-interval").fill("1800")
    page.locator("#e-aht").fill("180")
    page.locator("#e-target").fill("80/20")
    page.get_by_role("button", name="Calculer").click()
    answer = page.locator("#erlang-table tbody tr.answer")
    expect(answer).to_have_count(1)
    expect(answer).to_have_attribute("data-agents", "14")
    expect(answer).to_have_attribute("aria-current", "true")
    expect(answer.locator("[data-f=agents]")).to_have_text("14 (réponse)")
    expect(answer.locator("[data-f=service_level]")).to_have_text("88,8 %")
    expect(page.locator("#erlang-table tbody tr")).to_have_count(7)  # 11 .. 17
    expect(page.locator("#erlang-status")).to_contain_text("14")
    # The highlight is visible, not only announced: the row's background differs.
    colours = page.evaluate(
        """() => [...document.querySelectorAll('#erlang-table tbody tr')]
            .map((tr) => getComputedStyle(tr).backgroundColor)"""
    )
    assert len(set(colours)) == 2 and colours.count(colours[3]) == 1
    assert e2e.axe(page) == []


def test_invalid_input_is_marked_and_focused(planning_page: Page) -> None:
    page = planning_page
    page.locator("#e-calls").fill("beaucoup")
    page.locator("#e-target").fill("80")
    page.get_by_role("button", name="Calculer").click()
    expect(page.locator("#erlang-status")).to_have_text("Vérifiez les champs signalés.")
    expect(page.locator("#e-calls")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#e-target")).to_have_attribute("aria-invalid", "true")
    assert page.evaluate("document.activeElement.id") == "e-calls"
    expect(page.locator("#e-calls-error")).not_to_be_empty()
    expect(page.locator("#erlang-table")).to_be_hidden()
    # A French decimal comma is a number: 100,0 calls is fine.
    page.locator("#e-calls").fill("100,0")
    page.locator("#e-target").fill("80/20")
    page.get_by_role("button", name="Calculer").click()
    expect(page.locator("#erlang-table tbody tr.answer")).to_have_attribute("data-agents", "14")
    expect(page.locator("#e-calls")).not_to_have_attribute("aria-invalid", "true")


def test_staffing_plan_table_and_chart(planning_page: Page, e2e) -> None:
    page = planning_page
    page.get_by_role("button", name="Afficher le plan").click()
    expect(page.locator("#plan-chart canvas")).to_have_count(1, timeout=30_000)
    rows = page.locator("#plan-table tbody tr")
    expect(rows).to_have_count(5 * len(SLOTS))
    inputs = page.locator('#plan-queues tr[data-queue="income-tax-voice"]')
    expect(inputs.locator("[data-f=aht]")).to_have_text("240 s (mesurée)")
    expect(inputs.locator("[data-f=model]")).to_have_text("Erlang A")
    stamps = page.evaluate(
        "() => [...document.querySelectorAll('#plan-table tbody tr')].map((r) => +r.dataset.ts)"
    )
    calls = page.evaluate(
        """() => [...document.querySelectorAll('#plan-table tbody tr [data-f=calls]')]
            .map((td) => td.textContent)"""
    )
    from datetime import datetime
    from zoneinfo import ZoneInfo

    for ts, text in zip(stamps, calls, strict=True):
        start = datetime.fromtimestamp(ts, ZoneInfo("Europe/Paris"))
        expected = profile(start.weekday(), (start.hour * 60 + start.minute) // 30)
        assert text == f"{expected},0"
    assert int(page.locator("#plan-chart").get_attribute("data-points") or 0) >= 7 * 48 - 2
    expect(page.locator("#plan-status")).to_contain_text("agents")
    assert e2e.axe(page) == []
    e2e.shoot(page, "planning-plan")


def test_english_through_the_catalogue(planning_page: Page, server: LiveServer) -> None:
    page = planning_page
    page.goto(f"{server.url}/planning?lang=en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Workforce planning")
    page.get_by_label("Calls offered").fill("100")
    page.get_by_role("button", name="Calculate").click()
    expect(page.locator("#erlang-table tbody tr.answer [data-f=agents]")).to_have_text(
        "14 (answer)"
    )
    expect(page.locator("#erlang-table thead th").first).to_have_text("Agents")
