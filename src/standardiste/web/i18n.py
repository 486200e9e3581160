"""Gettext catalogues of the web pages (French first, English) and language negotiation."""

from __future__ import annotations

from pathlib import Path

from babel.support import NullTranslations, Translations

DOMAIN = "standardiste"
SUPPORTED = ("fr", "en")
DEFAULT_LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
LANG_COOKIE = "sd_lang"


class Catalogues:
    """Load each language's compiled catalogue once and hand it out."""

    def __init__(self, locale_dir: Path = DEFAULT_LOCALE_DIR, default: str = "fr") -> None:
        self._dir = locale_dir
        self.default = default if default in SUPPORTED else SUPPORTED[0]
        self._cache: dict[str, NullTranslations] = {}

    def get(self, lang: str) -> NullTranslations:
        """Return the translations of `lang` (the source strings when no catalogue exists)."""
        if lang not in self._cache:
            # Translations.load falls back to NullTranslations when the .mo file is missing,
            # so a fresh checkout without compiled catalogues still renders (in French source).
            self._cache[lang] = Translations.load(str(self._dir), [lang], domain=DOMAIN)
        return self._cache[lang]

    def negotiate(self, query: str | None, cookie: str | None, accept_language: str | None) -> str:
        """Pick the page language: explicit choice, then cookie, then the browser's list."""
        for explicit in (query, cookie):
            if explicit in SUPPORTED:
                return explicit
        return best_match(accept_language or "", self.default)


def best_match(accept_language: str, default: str) -> str:
    """Return the supported language the Accept-Language header ranks highest (RFC 9110 §12.5.4)."""
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                q = float(params[2:])
            except ValueError:
                q = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in SUPPORTED and q > 0:
            # Ties keep the header's order, as the RFC leaves them to the server.
            ranked.append((-q, index, primary))
    return min(ranked)[2] if ranked else default
