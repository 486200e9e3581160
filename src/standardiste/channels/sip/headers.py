"""An ordered, case-insensitive SIP header list with compact forms (RFC 3261 §7.3)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from .uri import split_quoted

# §7.3.3 compact forms, plus those registered by later RFCs (3265, 3515, 3841, 4028, 3892)
COMPACT: dict[str, str] = {
    "i": "Call-ID",
    "m": "Contact",
    "e": "Content-Encoding",
    "l": "Content-Length",
    "c": "Content-Type",
    "f": "From",
    "s": "Subject",
    "k": "Supported",
    "t": "To",
    "v": "Via",
    "o": "Event",
    "r": "Refer-To",
    "b": "Referred-By",
    "u": "Allow-Events",
    "x": "Session-Expires",
    "a": "Accept-Contact",
    "j": "Reject-Contact",
    "d": "Request-Disposition",
    "y": "Identity",
    "n": "Identity-Info",
}

_CANONICAL = [
    "Via",
    "From",
    "To",
    "Call-ID",
    "CSeq",
    "Contact",
    "Max-Forwards",
    "Route",
    "Record-Route",
    "Content-Type",
    "Content-Length",
    "Content-Encoding",
    "Allow",
    "Supported",
    "Require",
    "Proxy-Require",
    "Unsupported",
    "Expires",
    "Min-Expires",
    "User-Agent",
    "Server",
    "Subject",
    "Accept",
    "Accept-Encoding",
    "Accept-Language",
    "Allow-Events",
    "Event",
    "Refer-To",
    "Referred-By",
    "Subscription-State",
    "WWW-Authenticate",
    "Authorization",
    "Proxy-Authenticate",
    "Proxy-Authorization",
    "Authentication-Info",
    "Alert-Info",
    "Call-Info",
    "Error-Info",
    "Warning",
    "Reason",
    "P-Asserted-Identity",
    "Session-Expires",
    "Date",
    "Timestamp",
    "Retry-After",
    "Organization",
    "Priority",
    "In-Reply-To",
    "Reply-To",
    "Accept-Contact",
    "Reject-Contact",
    "Request-Disposition",
    "Identity",
    "Identity-Info",
    "MIME-Version",
    "Path",
    "Service-Route",
    "Min-SE",
    "RSeq",
    "RAck",
]
CANONICAL: dict[str, str] = {name.lower(): name for name in _CANONICAL}
for _short, _long in COMPACT.items():
    CANONICAL[_short] = _long

# Headers whose grammar is a comma-separated list (§7.3.1); others may contain commas
# (WWW-Authenticate, Date...) and must not be split.
LIST_HEADERS = frozenset(
    n.lower()
    for n in (
        "Via",
        "Route",
        "Record-Route",
        "Contact",
        "Allow",
        "Supported",
        "Require",
        "Proxy-Require",
        "Unsupported",
        "Accept",
        "Accept-Encoding",
        "Accept-Language",
        "Allow-Events",
        "Content-Encoding",
        "In-Reply-To",
        "Alert-Info",
        "Call-Info",
        "Error-Info",
        "Warning",
        "P-Asserted-Identity",
        "Path",
        "Service-Route",
        "Reason",
    )
)


def canonical(name: str) -> str:
    """Return the canonical spelling of a header name (expanding compact forms)."""
    return CANONICAL.get(name.lower(), name)


_KEYS: dict[str, str] = {}


def _key(name: str) -> str:
    # memoised lower-cased canonical name: header lookups are the parser's hot path
    try:
        return _KEYS[name]
    except KeyError:
        key = canonical(name).lower()
        if len(_KEYS) < 4096:
            _KEYS[name] = key
        return key


class Headers:
    """Ordered header list; names compare case-insensitively, compact forms expanded."""

    __slots__ = ("_items",)

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        self._items: list[tuple[str, str, str]] = [(_key(n), canonical(n), v) for n, v in items]

    def get(self, name: str, default: str | None = None) -> str | None:
        """Return the first raw value of ``name``."""
        key = _key(name)
        for k, _, v in self._items:
            if k == key:
                return v
        return default

    def get_all(self, name: str) -> list[str]:
        """Return every value of ``name``, splitting comma-separated list headers."""
        key = _key(name)
        values = [v for k, _, v in self._items if k == key]
        if key not in LIST_HEADERS:
            return values
        out: list[str] = []
        for value in values:
            out.extend(p.strip() for p in split_quoted(value, ",") if p.strip())
        return out

    def add(self, name: str, value: str) -> None:
        """Append a header line."""
        self._items.append((_key(name), canonical(name), value))

    def prepend(self, name: str, value: str) -> None:
        """Insert a header line before all others (used for Via, §16.6 / §8.1.1.7)."""
        self._items.insert(0, (_key(name), canonical(name), value))

    def set(self, name: str, value: str) -> None:
        """Replace every ``name`` line with one line holding ``value`` (at the first position)."""
        key = _key(name)
        new = (key, canonical(name), value)
        out: list[tuple[str, str, str]] = []
        placed = False
        for item in self._items:
            if item[0] != key:
                out.append(item)
            elif not placed:
                out.append(new)
                placed = True
        if not placed:
            out.append(new)
        self._items = out

    def remove(self, name: str) -> None:
        """Remove every ``name`` line."""
        key = _key(name)
        self._items = [item for item in self._items if item[0] != key]

    def copy(self) -> Headers:
        """Return a shallow copy."""
        new = Headers()
        new._items = list(self._items)
        return new

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return ((n, v) for _, n, v in self._items)

    def __len__(self) -> int:
        return len(self._items)
