"""Jinja2 environments for the server-rendered pages, one per language with gettext installed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from standardiste.web.i18n import LANG_COOKIE, SUPPORTED, Catalogues

DEFAULT_TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
# Scripts and styles come from /static only; e-mail HTML is shown in a sandboxed frame, and
# remote images (tracking pixels) are blocked by img-src.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; frame-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


class Templates:
    """Render page templates in the request's language."""

    def __init__(self, catalogues: Catalogues, templates_dir: Path = DEFAULT_TEMPLATES_DIR) -> None:
        self.catalogues = catalogues
        loader = FileSystemLoader(str(templates_dir))
        # One environment per language: install_gettext_translations mutates the environment's
        # globals, so sharing one between concurrent requests would mix languages.
        self._envs: dict[str, Environment] = {}
        for lang in SUPPORTED:
            env = Environment(
                loader=loader,
                autoescape=select_autoescape(["html"]),
                extensions=["jinja2.ext.i18n"],
                trim_blocks=True,
                lstrip_blocks=True,
            )
            env.install_gettext_translations(catalogues.get(lang), newstyle=True)  # type: ignore[attr-defined]
            self._envs[lang] = env

    def language(self, request: Request) -> str:
        """Return the language of a request (query `lang`, cookie, then Accept-Language)."""
        return self.catalogues.negotiate(
            request.query_params.get("lang"),
            request.cookies.get(LANG_COOKIE),
            request.headers.get("accept-language"),
        )

    def render(self, name: str, lang: str, **context: Any) -> str:
        """Render a template in `lang`."""
        env = self._envs.get(lang) or self._envs[self.catalogues.default]
        return env.get_template(name).render(lang=lang, **context)

    def response(self, request: Request, name: str, **context: Any) -> HTMLResponse:
        """Render a page for a request and remember an explicit language choice."""
        lang = self.language(request)
        html = self.render(name, lang, **context)
        response = HTMLResponse(html)
        if request.query_params.get("lang") in SUPPORTED:
            response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax", path="/")
        # Pages hold no secrets but do carry the CSRF-reading script: never let them be framed.
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Content-Security-Policy"] = CSP
        response.headers["Cache-Control"] = "no-store"
        return response


def templates_for(request: Request) -> Templates:
    """Return the app's Templates, building them on first use from the runtime's language."""
    state = request.app.state
    templates: Templates | None = getattr(state, "templates", None)
    if templates is None:
        default = "fr"
        runtime = getattr(state, "runtime", None)
        config = getattr(runtime, "config", None)
        if config is not None:
            default = config.centre.language
        templates = Templates(Catalogues(default=default))
        state.templates = templates
    return templates
