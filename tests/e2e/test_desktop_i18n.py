"""Catalogues, language choice and safe redirects of the pages (no browser needed)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from standardiste.web.i18n import DEFAULT_LOCALE_DIR, Catalogues, best_match
from standardiste.web.pages.login import safe_next
from standardiste.web.templating import Templates

PO = DEFAULT_LOCALE_DIR / "fr" / "LC_MESSAGES" / "standardiste.po"
MO = PO.with_suffix(".mo")
PLACEHOLDER = re.compile(r"%\(\w+\)s|\{\w+\}")


def test_french_catalogue_is_complete_and_compiled() -> None:
    """Every source string has a French translation with the same placeholders, compiled."""
    with PO.open("rb") as f:
        po = read_po(f)
    with MO.open("rb") as f:
        mo = read_mo(f)
    missing = [m.id for m in po if m.id and not m.string]
    assert missing == []
    for message in po:
        if not message.id:
            continue
        assert sorted(PLACEHOLDER.findall(message.id)) == sorted(
            PLACEHOLDER.findall(message.string)
        ), message.id
        # The compiled file matches the source: no edit of the .po left uncompiled.
        assert mo.get(message.id) is not None, message.id
        assert mo[message.id].string == message.string, message.id


def test_pages_render_in_both_languages(tmp_path: Path) -> None:
    """The login page speaks French by default and English on request."""
    templates = Templates(Catalogues())
    fr = templates.render("login.html", "fr", centre_name="C", next_url="", notice=None)
    en = templates.render("login.html", "en", centre_name="C", next_url="", notice=None)
    assert '<html lang="fr">' in fr and "Mot de passe" in fr
    assert '<html lang="en">' in en and "Password" in en
    # The scripts' strings travel as JSON in the page, translated.
    assert '"state.ready": "Pr\\u00eat"' in fr or '"state.ready": "Prêt"' in fr
    # A missing catalogue falls back to the source strings instead of failing.
    bare = Templates(Catalogues(tmp_path))
    assert "Password" in bare.render("login.html", "fr", centre_name="C", next_url="")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("", "fr"),
        ("en-GB,en;q=0.9", "en"),
        ("de-DE,de;q=0.9,en;q=0.5,fr;q=0.4", "en"),
        ("en;q=0.2, fr;q=0.8", "fr"),
        ("en;q=0, de", "fr"),
        ("en;q=abc", "fr"),
        ("FR-ca", "fr"),
    ],
)
def test_accept_language(header: str, expected: str) -> None:
    """The browser's ranked list picks a supported language (RFC 9110 section 12.5.4)."""
    assert best_match(header, "fr") == expected


def test_explicit_choice_wins() -> None:
    """A `lang` parameter beats the cookie, which beats the browser's list."""
    catalogues = Catalogues(default="en")
    assert catalogues.negotiate("fr", "en", "en") == "fr"
    assert catalogues.negotiate(None, "fr", "en") == "fr"
    assert catalogues.negotiate("xx", None, None) == "en"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "/agent"),
        ("/agent/day", "/agent/day"),
        ("//evil.example/agent", "/agent"),
        ("/\\evil.example", "/agent"),
        ("https://evil.example/", "/agent"),
        ("javascript:alert(1)", "/agent"),
        ("agent", "/agent"),
    ],
)
def test_next_is_same_site_only(value: str | None, expected: str) -> None:
    """After login the page goes only to a path of this site (no open redirect)."""
    assert safe_next(value) == expected
