"""SDP session descriptions (RFC 4566/8866): parse, build, direction and hold detection."""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import SdpError
from .uri import is_digits

DIRECTIONS = ("sendrecv", "sendonly", "recvonly", "inactive")
STATIC_PT = {0: ("PCMU", 8000), 8: ("PCMA", 8000)}


@dataclass
class Origin:
    """The o= line; ``version`` must increase on every new offer (RFC 3264 §8)."""

    username: str = "-"
    session_id: int = 0
    version: int = 0
    address: str = "127.0.0.1"

    def __str__(self) -> str:
        family = "IP6" if ":" in self.address else "IP4"
        return f"{self.username} {self.session_id} {self.version} IN {family} {self.address}"


@dataclass
class MediaDescription:
    """One m= section with its c= and a= lines."""

    media: str
    port: int
    proto: str
    formats: list[str]
    connection: str | None = None
    attributes: list[tuple[str, str | None]] = field(default_factory=list)
    other: list[tuple[str, str]] = field(default_factory=list)

    def attr(self, name: str) -> str | None:
        """Return the first value of ``a=name:value`` (None if absent or flag)."""
        for n, v in self.attributes:
            if n == name:
                return v
        return None

    def rtpmap(self) -> dict[int, tuple[str, int]]:
        """Return {payload type: (encoding, clock rate)} including static types."""
        out: dict[int, tuple[str, int]] = {}
        for fmt in self.formats:
            if is_digits(fmt) and int(fmt) in STATIC_PT:
                out[int(fmt)] = STATIC_PT[int(fmt)]
        for n, v in self.attributes:
            if n != "rtpmap" or not v:
                continue
            pt, _, enc = v.partition(" ")
            name, _, rest = enc.partition("/")
            clock = rest.partition("/")[0]
            if is_digits(pt) and is_digits(clock):
                out[int(pt)] = (name.upper(), int(clock))
        return out

    @property
    def direction(self) -> str | None:
        """Return the media-level direction attribute, if any."""
        for n, v in self.attributes:
            if n in DIRECTIONS and v is None:
                return n
        return None


@dataclass
class SessionDescription:
    """A whole SDP body."""

    origin: Origin = field(default_factory=Origin)
    name: str = "-"
    connection: str | None = None
    times: list[str] = field(default_factory=lambda: ["0 0"])
    attributes: list[tuple[str, str | None]] = field(default_factory=list)
    media: list[MediaDescription] = field(default_factory=list)
    other: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def parse(cls, body: bytes | str) -> SessionDescription:
        """Parse an SDP body; raise SdpError when malformed."""
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        sdp = cls(times=[])
        seen_v = seen_o = False
        current: MediaDescription | None = None
        for raw in text.replace("\r\n", "\n").split("\n"):
            line = raw.strip()
            if not line:
                continue
            if len(line) < 2 or line[1] != "=":
                raise SdpError(f"bad SDP line {line[:40]!r}")
            kind, value = line[0], line[2:]
            if kind == "v":
                if value != "0":
                    raise SdpError("unsupported SDP version")
                seen_v = True
            elif kind == "o":
                sdp.origin = _parse_origin(value)
                seen_o = True
            elif kind == "s" and current is None:
                sdp.name = value
            elif kind == "t" and current is None:
                sdp.times.append(value)
            elif kind == "m":
                current = _parse_media(value)
                sdp.media.append(current)
            elif kind == "c":
                addr = _parse_connection(value)
                if current is None:
                    sdp.connection = addr
                else:
                    current.connection = addr
            elif kind == "a":
                name, colon, val = value.partition(":")
                pair = (name.strip(), val.strip() if colon else None)
                (sdp.attributes if current is None else current.attributes).append(pair)
            else:
                (sdp.other if current is None else current.other).append((kind, value))
        if not (seen_v and seen_o):
            raise SdpError("SDP without v= or o= line")
        if not sdp.times:
            sdp.times.append("0 0")
        return sdp

    def encode(self) -> bytes:
        """Serialise with the line order required by RFC 4566 §5."""
        lines = ["v=0", f"o={self.origin}", f"s={self.name}"]
        lines += [f"{k}={v}" for k, v in self.other if k in "iuepb"]
        if self.connection:
            lines.append(f"c={_conn(self.connection)}")
        lines += [f"t={t}" for t in self.times]
        lines += [f"{k}={v}" for k, v in self.other if k not in "iuepb"]
        lines += [_attr(n, v) for n, v in self.attributes]
        for m in self.media:
            lines.append(f"m={m.media} {m.port} {m.proto} {' '.join(m.formats)}")
            lines += [f"{k}={v}" for k, v in m.other if k == "i"]
            if m.connection:
                lines.append(f"c={_conn(m.connection)}")
            lines += [f"{k}={v}" for k, v in m.other if k != "i"]
            lines += [_attr(n, v) for n, v in m.attributes]
        return ("\r\n".join(lines) + "\r\n").encode()

    def audio(self) -> MediaDescription | None:
        """Return the first active audio stream."""
        for m in self.media:
            if m.media == "audio" and m.port != 0:
                return m
        return None

    def direction(self) -> str:
        """Return the effective direction of the audio stream, counting c=0.0.0.0 as hold."""
        m = self.audio()
        if m is None:
            return "inactive"
        session_dir = next((n for n, v in self.attributes if n in DIRECTIONS and v is None), None)
        direction = m.direction or session_dir or "sendrecv"
        if (m.connection or self.connection) == "0.0.0.0":
            # RFC 3264 §8.4: c=0.0.0.0 is the RFC 2543 way to stop receiving media
            direction = {"sendrecv": "sendonly", "recvonly": "inactive"}.get(direction, direction)
        return direction

    def is_hold(self) -> bool:
        """Return True when the sender of this SDP puts the other side on hold."""
        return self.direction() in ("sendonly", "inactive")

    def media_address(self) -> tuple[str, int] | None:
        """Return (address, port) of the audio stream."""
        m = self.audio()
        addr = m and (m.connection or self.connection)
        return (addr, m.port) if m and addr else None


def _parse_origin(value: str) -> Origin:
    parts = value.split()
    if len(parts) != 6 or not is_digits(parts[1]) or not is_digits(parts[2]):
        raise SdpError("bad o= line")
    return Origin(parts[0], int(parts[1]), int(parts[2]), parts[5])


def _parse_media(value: str) -> MediaDescription:
    parts = value.split()
    if len(parts) < 3:
        raise SdpError("bad m= line")
    port = parts[1].partition("/")[0]
    if not is_digits(port) or int(port) > 65535:
        raise SdpError("bad m= port")
    return MediaDescription(parts[0], int(port), parts[2], parts[3:])


def _parse_connection(value: str) -> str:
    parts = value.split()
    if len(parts) != 3 or parts[0] != "IN":
        raise SdpError("bad c= line")
    return parts[2].partition("/")[0]


def _conn(address: str) -> str:
    return f"IN {'IP6' if ':' in address else 'IP4'} {address}"


def _attr(name: str, value: str | None) -> str:
    return f"a={name}" if value is None else f"a={name}:{value}"
