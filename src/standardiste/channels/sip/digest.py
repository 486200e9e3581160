"""HTTP digest authentication for SIP (RFC 3261 §22.4, RFC 7616, RFC 8760): MD5 and SHA-256."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
import time
from collections.abc import Callable
from typing import Any

from .errors import SipAuthError
from .uri import split_quoted

HASHES: dict[str, Callable[[bytes], Any]] = {
    "MD5": hashlib.md5,
    "SHA-256": hashlib.sha256,
}


def _h(algorithm: str, text: str) -> str:
    return str(HASHES[algorithm](text.encode()).hexdigest())


def parse_auth(value: str) -> tuple[str, dict[str, str]]:
    """Parse ``Digest a=b, c="d"`` into (scheme, params with lower-case names, unquoted)."""
    scheme, _, rest = value.strip().partition(" ")
    params: dict[str, str] = {}
    for item in split_quoted(rest, ","):
        name, eq, val = item.strip().partition("=")
        if not item.strip():
            continue
        if not eq or not name.strip():
            raise SipAuthError("bad digest parameter")
        val = val.strip()
        if len(val) >= 2 and val[0] == val[-1] == '"':
            val = val[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        params[name.strip().lower()] = val
    return scheme, params


def digest_response(
    algorithm: str,
    username: str,
    realm: str,
    password: str,
    method: str,
    uri: str,
    nonce: str,
    nc: str | None = None,
    cnonce: str | None = None,
    qop: str | None = None,
) -> str:
    """Compute the request-digest (RFC 7616 §3.4.1)."""
    if algorithm not in HASHES:
        raise SipAuthError(f"unsupported algorithm {algorithm}")
    ha1 = _h(algorithm, f"{username}:{realm}:{password}")
    ha2 = _h(algorithm, f"{method}:{uri}")
    if qop:
        return _h(algorithm, f"{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}")
    return _h(algorithm, f"{ha1}:{nonce}:{ha2}")


def build_challenge(realm: str, nonce: str, algorithm: str, *, stale: bool = False) -> str:
    """Build a WWW-Authenticate value offering qop=auth."""
    value = f'Digest realm="{realm}", nonce="{nonce}", algorithm={algorithm}, qop="auth"'
    return value + (", stale=true" if stale else "")


def build_authorization(
    challenge: str,
    username: str,
    password: str,
    method: str,
    uri: str,
    *,
    nc: int = 1,
    cnonce: str | None = None,
) -> str:
    """Answer a challenge (client side: tests, and future outbound registration)."""
    _, p = parse_auth(challenge)
    algorithm = p.get("algorithm", "MD5").upper()
    qop = "auth" if "auth" in p.get("qop", "").split(",") else None
    cnonce = cnonce or secrets.token_hex(8)
    ncs = f"{nc:08x}"
    resp = digest_response(
        algorithm, username, p["realm"], password, method, uri, p["nonce"], ncs, cnonce, qop
    )
    value = (
        f'Digest username="{username}", realm="{p["realm"]}", nonce="{p["nonce"]}", '
        f'uri="{uri}", response="{resp}", algorithm={algorithm}'
    )
    if qop:
        value += f', qop={qop}, nc={ncs}, cnonce="{cnonce}"'
    return value


class NonceManager:
    """Stateless HMAC nonces with expiry (stale detection) plus nonce-count replay checks."""

    def __init__(
        self,
        ttl: float = 300.0,
        *,
        key: bytes | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.ttl = ttl
        self._key = key or secrets.token_bytes(32)
        self._clock = clock
        self._nc: dict[str, tuple[float, int]] = {}

    def new(self) -> str:
        """Return a fresh nonce embedding its issue time."""
        stamp = struct.pack(">d", self._clock())
        mac = hmac.new(self._key, stamp, hashlib.sha256).digest()[:16]
        return base64.urlsafe_b64encode(stamp + mac).decode().rstrip("=")

    def check(self, nonce: str) -> str:
        """Return "ok", "stale" (ours but expired) or "invalid"."""
        try:
            raw = base64.urlsafe_b64decode(nonce + "=" * (-len(nonce) % 4))
        except (ValueError, TypeError):
            return "invalid"
        if len(raw) != 24:
            return "invalid"
        stamp, mac = raw[:8], raw[8:]
        if not hmac.compare_digest(mac, hmac.new(self._key, stamp, hashlib.sha256).digest()[:16]):
            return "invalid"
        issued = struct.unpack(">d", stamp)[0]
        return "ok" if 0 <= self._clock() - issued <= self.ttl else "stale"

    def accept_nc(self, nonce: str, nc: int) -> bool:
        """Return False when ``nc`` was already used with ``nonce`` (replay, RFC 7616 §3.4)."""
        now = self._clock()
        if len(self._nc) > 10000:
            self._nc = {k: v for k, v in self._nc.items() if now - v[0] <= self.ttl}
        last = self._nc.get(nonce)
        if last is not None and nc <= last[1]:
            return False
        self._nc[nonce] = (last[0] if last else now, nc)
        return True
