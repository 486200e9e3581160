"""SIP request/response model, parser and serialiser (RFC 3261 §7, §8.2.6, §18.3)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from .errors import SipParseError
from .headers import Headers
from .uri import Address, SipUri, Via, is_digits

REASONS: dict[int, str] = {
    100: "Trying",
    180: "Ringing",
    181: "Call Is Being Forwarded",
    182: "Queued",
    183: "Session Progress",
    200: "OK",
    202: "Accepted",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    407: "Proxy Authentication Required",
    408: "Request Timeout",
    415: "Unsupported Media Type",
    420: "Bad Extension",
    423: "Interval Too Brief",
    480: "Temporarily Unavailable",
    481: "Call/Transaction Does Not Exist",
    482: "Loop Detected",
    483: "Too Many Hops",
    486: "Busy Here",
    487: "Request Terminated",
    488: "Not Acceptable Here",
    491: "Request Pending",
    500: "Server Internal Error",
    501: "Not Implemented",
    503: "Service Unavailable",
    603: "Decline",
}

_T = TypeVar("_T")
_LINE_RE = re.compile(r"\r?\n")
_TOKEN_RE = re.compile(r"^[A-Za-z0-9\-.!%*_+`'~]+$")
_MAX_MESSAGE = 65535


class SipMessage:
    """Common part of requests and responses; mutate headers through the methods here."""

    __slots__ = ("headers", "body", "_cache", "arrival")

    def __init__(self, headers: Headers | None = None, body: bytes = b"") -> None:
        self.headers = headers if headers is not None else Headers()
        self.body = body
        self._cache: dict[str, Any] = {}
        # (wall, monotonic) stamped by the transport when the datagram arrived
        self.arrival: Any = None

    # -- header mutation (invalidates the parsed cache) --------------------------------------
    def set_header(self, name: str, value: str) -> None:
        """Replace ``name`` with a single value."""
        self.headers.set(name, value)
        self._cache.clear()

    def add_header(self, name: str, value: str) -> None:
        """Append a header line."""
        self.headers.add(name, value)
        self._cache.clear()

    def prepend_header(self, name: str, value: str) -> None:
        """Insert a header line first."""
        self.headers.prepend(name, value)
        self._cache.clear()

    def remove_header(self, name: str) -> None:
        """Remove every line of ``name``."""
        self.headers.remove(name)
        self._cache.clear()

    def header(self, name: str) -> str | None:
        """Return the first raw value of ``name``."""
        return self.headers.get(name)

    # -- parsed accessors (raise SipParseError on malformed values) --------------------------
    def _cached(self, key: str, build: Callable[[], _T]) -> _T:
        try:
            return self._cache[key]  # type: ignore[no-any-return]
        except KeyError:
            value = self._cache[key] = build()
            return value

    @property
    def vias(self) -> list[Via]:
        """Return every Via value, topmost first (multiple lines and comma lists)."""
        return self._cached("via", lambda: [Via.parse(v) for v in self.headers.get_all("Via")])

    @property
    def top_via(self) -> Via:
        """Return the topmost Via."""
        vias = self.vias
        if not vias:
            raise SipParseError("missing Via")
        return vias[0]

    @property
    def from_(self) -> Address:
        """Return the parsed From header."""
        return self._cached("from", lambda: Address.parse(self._required("From")))

    @property
    def to(self) -> Address:
        """Return the parsed To header."""
        return self._cached("to", lambda: Address.parse(self._required("To")))

    @property
    def call_id(self) -> str:
        """Return the Call-ID."""
        return self._required("Call-ID").strip()

    @property
    def cseq(self) -> tuple[int, str]:
        """Return (sequence number, method) from CSeq."""
        return self._cached("cseq", self._parse_cseq)

    @property
    def contacts(self) -> list[Address]:
        """Return parsed Contact values ('*' is not an address: check the raw header)."""
        return self._cached(
            "contact", lambda: [Address.parse(c) for c in self.headers.get_all("Contact")]
        )

    @property
    def content_type(self) -> str:
        """Return the media type without parameters, lower-cased."""
        return (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()

    def _required(self, name: str) -> str:
        value = self.headers.get(name)
        if value is None:
            raise SipParseError(f"missing {name}")
        return value

    def _parse_cseq(self) -> tuple[int, str]:
        num, _, method = self._required("CSeq").strip().partition(" ")
        method = method.strip()
        if not is_digits(num) or len(num) > 10 or not _TOKEN_RE.match(method or "?"):
            raise SipParseError("bad CSeq")
        return int(num), method.upper()

    def validate(self) -> None:
        """Parse the headers every transaction relies on (§8.1.1)."""
        self.vias  # noqa: B018 - parsing is the point
        self.top_via  # noqa: B018
        self.from_  # noqa: B018
        self.to  # noqa: B018
        self.call_id  # noqa: B018
        self.cseq  # noqa: B018

    def _encode(self, start: str) -> bytes:
        lines = [start]
        for name, value in self.headers:
            if name != "Content-Length":
                lines.append(f"{name}: {value}")
        lines.append(f"Content-Length: {len(self.body)}")
        head = "\r\n".join(lines) + "\r\n\r\n"
        return head.encode("utf-8", "surrogateescape") + self.body


class SipRequest(SipMessage):
    """A SIP request."""

    __slots__ = ("method", "uri")

    def __init__(
        self, method: str, uri: SipUri, headers: Headers | None = None, body: bytes = b""
    ) -> None:
        super().__init__(headers, body)
        self.method = method.upper()
        self.uri = uri

    def encode(self) -> bytes:
        """Serialise to bytes with a correct Content-Length."""
        return self._encode(f"{self.method} {self.uri} SIP/2.0")

    def create_response(
        self,
        status: int,
        reason: str | None = None,
        *,
        to_tag: str | None = None,
        body: bytes = b"",
    ) -> SipResponse:
        """Build a response copying Via, From, To, Call-ID, CSeq (§8.2.6.2)."""
        headers = Headers()
        for name, value in self.headers:
            if name in ("Via", "From", "Call-ID", "CSeq"):
                headers.add(name, value)
            elif name == "To":
                if to_tag and status > 100 and self.to.tag is None:
                    value = str(self.to.with_tag(to_tag))
                headers.add(name, value)
            elif name == "Record-Route" and 100 < status < 300:
                # §12.1.1: a dialog-creating response copies Record-Route
                headers.add(name, value)
        return SipResponse(status, reason or REASONS.get(status, "Unknown"), headers, body)

    def __repr__(self) -> str:
        return f"<SipRequest {self.method} {self.uri}>"


class SipResponse(SipMessage):
    """A SIP response."""

    __slots__ = ("status", "reason")

    def __init__(
        self, status: int, reason: str = "", headers: Headers | None = None, body: bytes = b""
    ) -> None:
        super().__init__(headers, body)
        self.status = status
        self.reason = reason or REASONS.get(status, "Unknown")

    def encode(self) -> bytes:
        """Serialise to bytes with a correct Content-Length."""
        return self._encode(f"SIP/2.0 {self.status} {self.reason}")

    def __repr__(self) -> str:
        return f"<SipResponse {self.status} {self.reason}>"


def _split_head(data: bytes) -> tuple[bytes, bytes]:
    sep = data.find(b"\r\n\r\n")
    if sep >= 0:
        return data[:sep], data[sep + 4 :]
    sep = data.find(b"\n\n")
    if sep >= 0:
        return data[:sep], data[sep + 2 :]
    raise SipParseError("no end of headers")


def _parse_start(line: str) -> tuple[str, str, str]:
    parts = line.split(" ", 2)
    if len(parts) != 3:
        raise SipParseError("bad start line")
    return parts[0], parts[1], parts[2]


def parse_message(data: bytes) -> SipRequest | SipResponse:
    """Parse one datagram; raise SipParseError (and nothing else) when it is malformed."""
    if len(data) > _MAX_MESSAGE:
        raise SipParseError("message too large")
    head_b, rest = _split_head(data)
    head = head_b.decode("utf-8", "surrogateescape")
    lines = _LINE_RE.split(head)
    first = lines[0]
    if not first:
        raise SipParseError("empty start line")
    headers = Headers()
    raw: list[list[str]] = []
    for line in lines[1:]:
        if line[:1] in (" ", "\t"):
            if not raw:
                raise SipParseError("continuation line before any header")
            raw[-1][1] += " " + line.strip()  # §7.3.1 header folding
            continue
        name, colon, value = line.partition(":")
        name = name.strip()
        if not colon or not _TOKEN_RE.match(name):
            raise SipParseError(f"bad header line {line[:40]!r}")
        raw.append([name, value.strip()])
    for name, value in raw:
        headers.add(name, value)
    body = rest
    clen = headers.get("Content-Length")
    if clen is not None:
        clen = clen.strip()
        if not is_digits(clen) or len(clen) > 6:
            raise SipParseError("bad Content-Length")
        n = int(clen)
        if n > len(rest):
            raise SipParseError("body shorter than Content-Length")
        body = rest[:n]  # §18.3: bytes beyond Content-Length are discarded
    msg: SipRequest | SipResponse
    a, b, c = _parse_start(first)
    if a == "SIP/2.0":
        if len(b) != 3 or not is_digits(b) or not 100 <= int(b) <= 699:
            raise SipParseError("bad status code")
        msg = SipResponse(int(b), c.strip(), headers, body)
    else:
        if c.strip() != "SIP/2.0":
            raise SipParseError("bad SIP version")
        if not _TOKEN_RE.match(a):
            raise SipParseError("bad method")
        msg = SipRequest(a, SipUri.parse(b), headers, body)
        if msg.cseq[1] != msg.method:
            raise SipParseError("CSeq method does not match request method")
        mf = headers.get("Max-Forwards")
        if mf is not None and (not is_digits(mf.strip()) or len(mf.strip()) > 3):
            raise SipParseError("bad Max-Forwards")
    msg.validate()
    return msg
