"""SIP URIs, name-addr/addr-spec addresses and Via values (RFC 3261 §19.1, §20.10, §20.42)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .errors import SipParseError

Params = dict[str, str | None]

_HOST_RE = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.\-_]*[A-Za-z0-9])?)$")
_SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*$")
# §20.42: LWS is allowed around the slashes of sent-protocol
_VIA_RE = re.compile(r"^\s*SIP\s*/\s*2\.0\s*/\s*([A-Za-z0-9\-.!%*_+`'~]+)\s+(.*)$", re.I | re.S)
_TOKEN_RE = re.compile(r"^[A-Za-z0-9\-.!%*_+`'~]+$")


def is_digits(text: str) -> bool:
    """Return True for a non-empty ASCII digit string (str.isdigit accepts '²')."""
    return text.isascii() and text.isdigit()


def split_quoted(text: str, sep: str) -> list[str]:
    """Split on ``sep`` outside quoted strings and angle brackets."""
    if sep not in text:
        return [text]
    if '"' not in text and "<" not in text:
        return text.split(sep)  # fast path: nothing can hide a separator
    parts: list[str] = []
    depth = 0
    quoted = False
    start = 0
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if quoted:
            if ch == "\\":
                i += 1
            elif ch == '"':
                quoted = False
        elif ch == '"':
            quoted = True
        elif ch == "<":
            depth += 1
        elif ch == ">":
            depth = max(0, depth - 1)
        elif ch == sep and depth == 0:
            parts.append(text[start:i])
            start = i + 1
        i += 1
    if quoted:
        raise SipParseError("unterminated quoted string")
    parts.append(text[start:])
    return parts


def parse_params(text: str) -> Params:
    """Parse ``;name=value;flag`` into a dict with lower-cased names (§7.3.1)."""
    params: Params = {}
    if not text:
        return params
    for item in split_quoted(text, ";"):
        item = item.strip()
        if not item:
            continue
        name, eq, value = item.partition("=")
        name = name.strip().lower()
        if not name or not _TOKEN_RE.match(name):
            raise SipParseError(f"bad parameter name {name!r}")
        params[name] = value.strip() if eq else None
    return params


def format_params(params: Params) -> str:
    """Serialise parameters back to ``;name=value`` form."""
    return "".join(f";{k}" if v is None else f";{k}={v}" for k, v in params.items())


def parse_hostport(text: str) -> tuple[str, int | None]:
    """Parse ``host[:port]`` with IPv6 references in brackets."""
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise SipParseError("unterminated IPv6 reference")
        host, rest = text[: end + 1], text[end + 1 :]
    else:
        host, _, port_s = text.partition(":")
        rest = ":" + port_s if _ else ""
    if not _HOST_RE.match(host):
        raise SipParseError(f"bad host {host!r}")
    if not rest:
        return host.lower(), None
    if not rest.startswith(":") or not is_digits(rest[1:]) or len(rest) > 6:
        raise SipParseError(f"bad port in {text!r}")
    port = int(rest[1:])
    if not 0 < port < 65536:
        raise SipParseError(f"port out of range in {text!r}")
    return host.lower(), port


@dataclass
class SipUri:
    """A sip:, sips: or tel: URI; parameter names are case-insensitive."""

    scheme: str = "sip"
    user: str | None = None
    host: str = ""
    port: int | None = None
    params: Params = field(default_factory=dict)
    headers: str = ""
    password: str | None = None

    @classmethod
    def parse(cls, text: str) -> SipUri:
        """Parse a URI; raise SipParseError when malformed."""
        text = text.strip()
        scheme, colon, rest = text.partition(":")
        if not colon or not _SCHEME_RE.match(scheme) or not rest:
            raise SipParseError(f"bad URI {text[:60]!r}")
        scheme = scheme.lower()
        if scheme == "tel":
            number, _, ptext = rest.partition(";")
            return cls(scheme="tel", user=number, params=parse_params(ptext))
        if scheme not in ("sip", "sips"):
            raise SipParseError(f"unsupported URI scheme {scheme!r}")
        rest, _, headers = rest.partition("?")
        user: str | None = None
        password: str | None = None
        at = rest.find("@")
        if at >= 0:
            user, _, pw = rest[:at].partition(":")
            password = pw if _ else None
            if not user:
                raise SipParseError("empty user part")
            rest = rest[at + 1 :]
        hostport, _, ptext = rest.partition(";")
        host, port = parse_hostport(hostport)
        return cls(scheme, user, host, port, parse_params(ptext), headers, password)

    def param(self, name: str) -> str | None:
        """Return a parameter value (None if absent or a flag)."""
        return self.params.get(name.lower())

    @property
    def hostport(self) -> str:
        """Return ``host[:port]``."""
        return self.host if self.port is None else f"{self.host}:{self.port}"

    def __str__(self) -> str:
        if self.scheme == "tel":
            return f"tel:{self.user}{format_params(self.params)}"
        userinfo = ""
        if self.user is not None:
            userinfo = self.user + (f":{self.password}" if self.password is not None else "") + "@"
        hdrs = f"?{self.headers}" if self.headers else ""
        return f"{self.scheme}:{userinfo}{self.hostport}{format_params(self.params)}{hdrs}"


def _parse_display(text: str) -> str | None:
    text = text.strip()
    if not text:
        return None
    if text.startswith('"'):
        if len(text) < 2 or not text.endswith('"'):
            raise SipParseError("bad quoted display name")
        return text[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return text


@dataclass
class Address:
    """A name-addr or addr-spec with header parameters (From, To, Contact, Route...)."""

    uri: SipUri
    display_name: str | None = None
    params: Params = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str) -> Address:
        """Parse ``"Name" <uri>;tag=x`` or ``uri;tag=x`` (§20.10: then params are the header's)."""
        text = text.strip()
        lt = -1
        if '"' in text:
            # the quoted display name may itself contain '<'
            end = text.find('"', text.find('"') + 1)
            while end > 0 and text[end - 1] == "\\":
                end = text.find('"', end + 1)
            if end < 0:
                raise SipParseError("unterminated display name")
            lt = text.find("<", end)
        else:
            lt = text.find("<")
        if lt >= 0:
            gt = text.find(">", lt)
            if gt < 0:
                raise SipParseError("missing '>' in address")
            display = _parse_display(text[:lt])
            uri = SipUri.parse(text[lt + 1 : gt])
            return cls(uri, display, parse_params(text[gt + 1 :]))
        uri_text, _, ptext = text.partition(";")
        return cls(SipUri.parse(uri_text), None, parse_params(ptext))

    @property
    def tag(self) -> str | None:
        """Return the ``tag`` parameter (dialog identification, §19.3)."""
        return self.params.get("tag")

    def with_tag(self, tag: str) -> Address:
        """Return a copy carrying ``tag``."""
        return Address(self.uri, self.display_name, {**self.params, "tag": tag})

    def __str__(self) -> str:
        name = ""
        if self.display_name:
            escaped = self.display_name.replace("\\", "\\\\").replace('"', '\\"')
            name = f'"{escaped}" '
        return f"{name}<{self.uri}>{format_params(self.params)}"


@dataclass
class Via:
    """One Via value: ``SIP/2.0/UDP host:port;branch=...`` (§20.42)."""

    transport: str
    host: str
    port: int | None = None
    params: Params = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str) -> Via:
        """Parse one Via value; raise SipParseError when malformed."""
        m = _VIA_RE.match(text)
        if m is None:
            raise SipParseError(f"bad Via {text[:40]!r}")
        transport, rest = m.group(1), m.group(2)
        hostport, _, ptext = rest.strip().partition(";")
        host, port = parse_hostport(hostport.strip())
        return cls(transport.upper(), host, port, parse_params(ptext))

    @property
    def branch(self) -> str | None:
        """Return the branch parameter (transaction id, §17.2.3)."""
        return self.params.get("branch")

    @property
    def sent_by(self) -> str:
        """Return ``host:port`` with the default port filled in."""
        return f"{self.host}:{self.port or 5060}"

    def __str__(self) -> str:
        hp = self.host if self.port is None else f"{self.host}:{self.port}"
        return f"SIP/2.0/{self.transport} {hp}{format_params(self.params)}"
