"""Make untrusted e-mail content safe to show: sanitised HTML, plain-text fallbacks."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import nh3

# Remote images are dropped (tracking pixels leak that a taxpayer's mail was read); inline
# images travel as attachments and are referenced by cid: (RFC 2392).
_IMAGE_SCHEMES = ("cid:",)
_LINK_SCHEMES = {"http", "https", "mailto", "cid"}
_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "div", "dl", "dt", "em",
    "font", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "li", "ol", "p", "pre", "s",
    "small", "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead",
    "tr", "u", "ul",
}  # fmt: skip
_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align"},
    "*": {"dir", "lang"},
}


def _filter(tag: str, attribute: str, value: str) -> str | None:
    """Drop image sources that would fetch something remote."""
    if tag == "img" and attribute == "src":
        return value if value.strip().lower().startswith(_IMAGE_SCHEMES) else None
    return value


def sanitize_html(fragment: str) -> str:
    """Return `fragment` reduced to inert markup (no script, handler, style or remote fetch)."""
    return nh3.clean(
        fragment,
        tags=_TAGS,
        clean_content_tags={"script", "style", "title", "head"},
        attributes=_ATTRIBUTES,
        attribute_filter=_filter,
        url_schemes=_LINK_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


class _TextExtractor(HTMLParser):
    """Collect the visible text of an HTML document."""

    _BLOCKS = frozenset({"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "table", "hr"})
    _HIDDEN = frozenset({"script", "style", "head", "title"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._HIDDEN:
            self._hidden += 1
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._HIDDEN and self._hidden:
            self._hidden -= 1
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def html_to_text(document: str) -> str:
    """Return the readable text of an HTML body (for the text fallback and for search)."""
    parser = _TextExtractor()
    try:
        parser.feed(document)
        parser.close()
    except Exception:  # noqa: BLE001 - hostile HTML must never block the queue
        return re.sub(r"<[^>]*>", " ", document)
    text = "".join(parser.parts)
    text = re.sub(r"[ \t\r\f\v]+", " ", text)
    return re.sub(r"\n\s*\n+", "\n\n", text).strip()


def text_to_html(text: str) -> str:
    """Render plain text as escaped HTML (for displays that only take HTML)."""
    return "<pre>" + html.escape(text) + "</pre>"
