"""Tolerant header accessors: broken or 8-bit headers give text, never an exception.

The MIME tree is parsed with the fast compat32 policy; headers that carry RFC 2047 words or
addresses are decoded with `policy.default`'s header registry, one header at a time.
"""

from __future__ import annotations

import email.header
import email.headerregistry
import email.policy
import email.utils
import functools
import re
from email.message import Message

_MSGID = re.compile(r"<[^<>\s]+>")
# Raw bytes that were not valid in the declared charset come back as lone surrogates.
_SURROGATE = re.compile("[\udc80-\udcff]")
_FACTORY = email.policy.default.header_factory
_REGISTRY = email.headerregistry.HeaderRegistry()  # the same classes, typed for lookups
# The common shapes `Name <a@b.c>` and `a@b.c`, with a plain name (no quotes, comments,
# encoded words or specials) and a dot-atom address: the header registry's parser gives the
# same pair for these at a tenth of the cost; anything else goes through the registry.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_ADDR = rf"{_ATEXT}(?:\.{_ATEXT})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"
_SIMPLE = re.compile(rf"\s*(?:([A-Za-z0-9][A-Za-z0-9 ]*?)?\s*<({_ADDR})>|({_ADDR}))\s*")


def repair(text: str) -> str:
    """Turn surrogate-escaped raw bytes (8-bit headers) back into text: UTF-8, else cp1252."""
    if _SURROGATE.search(text) is None:
        return text
    raw = text.encode("utf-8", "surrogateescape")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", "replace")


def _raw(msg: Message, name: str) -> str | None:
    lowered = name.lower()
    return next((str(v) for k, v in msg.raw_items() if k.lower() == lowered), None)


def raw_token(msg: Message, name: str) -> str:
    """Return a header's raw unfolded value, for headers made of tokens and ids (no RFC 2047)."""
    raw = _raw(msg, name)
    return " ".join(repair(raw).split()) if raw else ""


def header_text(msg: Message, name: str) -> str:
    """Return a decoded header value (RFC 2047 words decoded), or '' when absent or broken."""
    raw = _raw(msg, name)
    if raw is None:
        return ""
    if _SURROGATE.search(raw) is not None:
        # 8-bit header: the parser would turn each raw byte into U+FFFD; decode it ourselves.
        value: object = repair(raw)
    elif "=?" not in raw and _unstructured(name):
        # Without encoded words the registry returns an unstructured value unchanged; it
        # would still build a header class per call (a tenth of a millisecond).
        value = raw
    else:
        try:
            value = _FACTORY(name, raw.strip())
        except Exception:  # noqa: BLE001 - the header parser has corner-case crashes on junk
            value = raw
    return " ".join(repair(str(value)).split())


@functools.cache
def _unstructured(name: str) -> bool:
    return issubclass(_REGISTRY[name], email.headerregistry.UnstructuredHeader)


def decode_words(text: str) -> str:
    """Decode RFC 2047 encoded words found where they are not allowed (Outlook filenames)."""
    if "=?" not in text:
        return repair(text)
    try:
        return repair(str(email.header.make_header(email.header.decode_header(text))))
    except (LookupError, ValueError, UnicodeError):
        return repair(text)


def message_ids(value: str) -> tuple[str, ...]:
    """Extract `<id>` tokens (RFC 5322 §3.6.4), lower-cased for matching; junk is ignored."""
    return tuple(dict.fromkeys(m.lower() for m in _MSGID.findall(value)))


def addresses(msg: Message, name: str) -> tuple[tuple[str, str], ...]:
    """Return (display name, address) pairs from an address header, tolerating junk."""
    raw = [v for k, v in msg.raw_items() if k.lower() == name.lower()]
    if not raw:
        return ()
    simple = _SIMPLE.fullmatch(str(raw[0])) if len(raw) == 1 else None
    if simple is not None:
        display, angled, bare = simple.groups()
        return ((" ".join((display or "").split()), (angled or bare).lower()),)
    return parsed_addresses(name, [str(v) for v in raw])


def parsed_addresses(name: str, raw: list[str]) -> tuple[tuple[str, str], ...]:
    """Return (display name, address) pairs through the header registry, tolerating junk."""
    try:
        pairs: list[tuple[str, str]] = []
        for value in raw:
            header = _FACTORY(name, " ".join(value.split()))
            pairs.extend(
                (repair(a.display_name), repair(a.addr_spec).lower())
                for a in getattr(header, "addresses", ())
                if a.addr_spec and "@" in a.addr_spec
            )
        return tuple(pairs)
    except Exception:  # noqa: BLE001 - fall back to the lenient legacy parser
        fixed = [repair(v) for v in raw]
        return tuple((n, a.lower()) for n, a in email.utils.getaddresses(fixed) if a and "@" in a)


def date_epoch(msg: Message) -> float | None:
    """Return the Date header as epoch seconds, or None when absent or unparseable."""
    value = raw_token(msg, "Date")
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:
        return None
    return parsed.timestamp()
