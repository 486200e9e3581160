"""The mailroom page in headless Chromium: pick scans, import them, read the results table."""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from mail_fakes import encode, render_page, small_png
from mail_real import RealCentre, real_intake
from playwright.async_api import async_playwright, expect

import standardiste.web
from standardiste.auth.principal import Principal
from standardiste.web.api.mail import MailApiDeps, build_router
from standardiste.web.errors import install_error_handlers
from standardiste.web.i18n import Catalogues
from standardiste.web.templating import Templates

STATIC = Path(standardiste.web.__file__).parent / "static"
CHROMIUM = "/usr/bin/chromium"


def clerk() -> Principal:
    return Principal("u-clerk", "agent", agent_id="a9")


@pytest.fixture
async def base_url(centre: RealCentre, tmp_path: Path) -> AsyncIterator[str]:
    intake, adapter = real_intake(tmp_path / "mail", centre.service)
    await intake.prepare()
    app = FastAPI()
    install_error_handlers(app)
    deps = MailApiDeps(uploader=clerk, reader=clerk)
    app.include_router(build_router(intake, intake.store, adapter, deps))
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    templates = Templates(Catalogues())

    @app.get("/mailroom", response_class=HTMLResponse)
    async def page(request: Request) -> HTMLResponse:
        return templates.response(request, "mailroom.html", centre_name="Test", max_mb=20)

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    for _ in range(500):
        if server.started:
            break
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task
        sock.close()


async def test_mailroom_page_imports_scans_and_shows_results(
    base_url: str, centre: RealCentre, tmp_path: Path
) -> None:
    letter = tmp_path / "lettre.png"
    letter.write_bytes(encode([render_page(["avis d'imposition", "revenu"])], "PNG"))
    blank = tmp_path / "blanc.png"
    blank.write_bytes(small_png(70))
    bogus = tmp_path / "notes.pdf"
    bogus.write_bytes(b"just text, not a PDF")
    errors: list[str] = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        try:
            page = await browser.new_page()
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            await page.goto(f"{base_url}/mailroom?lang=en")
            await page.click("#mailroom-submit")
            assert await page.text_content("#mailroom-status") == "Choose at least one file."
            await page.set_input_files("#mailroom-files", [str(letter), str(blank), str(bogus)])
            await page.click("#mailroom-submit")
            # The page's CSP forbids eval, so wait with a locator rather than wait_for_function.
            status = page.locator("#mailroom-status")
            await expect(status).to_have_text(re.compile(r"^3 of 3"), timeout=60_000)
            rows = await page.eval_on_selector_all(
                "#mailroom-results tbody tr",
                "rows => rows.map(r => [...r.cells].map(c => c.textContent))",
            )
            await page.screenshot(path=str(tmp_path / "mailroom.png"))
        finally:
            await browser.close()
    by_name = {row[0]: row for row in rows}
    assert by_name["lettre.png"][1:3] == ["Imported", "mail-impots"]
    assert by_name["lettre.png"][4:] == ["1", "Text recognised"]
    assert by_name["blanc.png"][1:3] == ["Imported", "mail-general"]
    assert by_name["notes.pdf"][1] == "Not a PDF, TIFF, PNG or JPEG file."
    assert by_name["notes.pdf"][2] == ""
    assert len(centre.events("mail.received")) == 2
    # 415 for the bogus file is expected; nothing else may go wrong in the page.
    assert [e for e in errors if "415" not in e] == []
