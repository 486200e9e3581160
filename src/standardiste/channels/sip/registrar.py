"""Registrar for agent extensions (RFC 3261 §10.3) with digest authentication."""

from __future__ import annotations

import email.utils
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from .digest import NonceManager, build_challenge, digest_response, parse_auth
from .errors import SipAuthError, SipParseError
from .message import SipRequest, SipResponse
from .uri import Address, SipUri, is_digits

_LOG = logging.getLogger(__name__)
SecretLookup = Callable[[str], Awaitable[str | None]]


@dataclass
class Binding:
    """One registered contact of an extension."""

    contact: Address
    expires_at: float  # monotonic
    call_id: str
    cseq: int


class Registrar:
    """Binds extensions to contacts; ``lookup(username)`` returns the password or None."""

    def __init__(
        self,
        lookup: SecretLookup,
        *,
        realm: str,
        algorithms: tuple[str, ...] = ("SHA-256", "MD5"),
        nonce_ttl: float = 300.0,
        min_expires: int = 60,
        max_expires: int = 3600,
        default_expires: int = 3600,
        static: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.monotonic,
        on_change: Callable[[str, list[SipUri]], None] | None = None,
    ) -> None:
        self._lookup = lookup
        self.realm = realm
        self.algorithms = algorithms
        self.nonces = NonceManager(nonce_ttl)
        self.min_expires = min_expires
        self.max_expires = max_expires
        self.default_expires = default_expires
        self._clock = clock
        self._on_change = on_change
        self._bindings: dict[str, dict[str, Binding]] = {}
        self._static: dict[str, SipUri] = {k: SipUri.parse(v) for k, v in (static or {}).items()}

    # -- lookups -------------------------------------------------------------------------------
    def set_static(self, extension: str, contact: str | None) -> None:
        """Configure (or remove, with None) a static contact for ``extension``."""
        if contact is None:
            self._static.pop(extension, None)
        else:
            self._static[extension] = SipUri.parse(contact)

    def bindings(self, extension: str) -> list[Binding]:
        """Return the live bindings of ``extension`` (expired ones are purged)."""
        now = self._clock()
        current = self._bindings.get(extension, {})
        for key in [k for k, b in current.items() if b.expires_at <= now]:
            del current[key]
        return list(current.values())

    def lookup(self, extension: str) -> list[SipUri]:
        """Return where to ring ``extension``: registered contacts first, then the static one."""
        found = [b.contact.uri for b in self.bindings(extension)]
        static = self._static.get(extension)
        return found + ([static] if static is not None else [])

    # -- REGISTER ------------------------------------------------------------------------------
    async def handle_register(self, request: SipRequest) -> SipResponse:
        """Authenticate and apply a REGISTER (§10.3 steps 1-8)."""
        try:
            extension = request.to.uri.user or ""
            denied = await self._authenticate(request, extension)
            if denied is not None:
                return denied
            return self._apply(request, extension)
        except (SipParseError, SipAuthError) as err:
            return request.create_response(400, f"Bad Request ({err.reason})")

    async def _authenticate(self, request: SipRequest, extension: str) -> SipResponse | None:
        header = request.header("Authorization")
        if header is None:
            return self._challenge(request, stale=False)
        scheme, p = parse_auth(header)
        algorithm = p.get("algorithm", "MD5").upper()
        needed = ("username", "realm", "nonce", "uri", "response")
        if scheme.lower() != "digest" or any(k not in p for k in needed):
            raise SipAuthError("incomplete Authorization")
        if algorithm not in self.algorithms or p["realm"] != self.realm:
            return self._challenge(request, stale=False)
        state = self.nonces.check(p["nonce"])
        if state != "ok":
            return self._challenge(request, stale=state == "stale")
        if p["username"] != extension:
            return request.create_response(403, "Username Does Not Match AOR")
        secret = await self._lookup(p["username"])
        qop = p.get("qop")
        if qop is not None:
            nc = p.get("nc", "")
            if qop != "auth" or "cnonce" not in p or len(nc) != 8:
                raise SipAuthError("bad qop parameters")
            try:
                count = int(nc, 16)
            except ValueError as err:
                raise SipAuthError("bad nc") from err
        if secret is None:
            _LOG.info("REGISTER for unknown extension %s", extension)
            return request.create_response(403)
        expected = digest_response(
            algorithm,
            p["username"],
            self.realm,
            secret,
            request.method,
            p["uri"],
            p["nonce"],
            p.get("nc"),
            p.get("cnonce"),
            qop,
        )
        if not _consteq(expected, p["response"].lower()):
            _LOG.info("bad digest response for extension %s", extension)
            return request.create_response(403)
        if qop is not None and not self.nonces.accept_nc(p["nonce"], count):
            return self._challenge(request, stale=True)  # replayed nonce-count
        return None

    def _challenge(self, request: SipRequest, *, stale: bool) -> SipResponse:
        resp = request.create_response(401, to_tag="reg")
        nonce = self.nonces.new()
        for algorithm in self.algorithms:  # RFC 8760 §2.4: one challenge per algorithm
            resp.add_header(
                "WWW-Authenticate", build_challenge(self.realm, nonce, algorithm, stale=stale)
            )
        return resp

    def _apply(self, request: SipRequest, extension: str) -> SipResponse:
        header_exp = request.header("Expires")
        if header_exp is not None and not is_digits(header_exp.strip()):
            raise SipParseError("bad Expires")
        raw_contacts = request.headers.get_all("Contact")
        current = self._bindings.setdefault(extension, {})
        now = self._clock()
        call_id, cseq = request.call_id, request.cseq[0]
        if raw_contacts == ["*"]:
            if header_exp is None or int(header_exp) != 0:
                return request.create_response(400, "Wildcard Contact Needs Expires 0")
            current.clear()
            self._changed(extension)
            return self._ok(request, extension)
        updates: list[tuple[Address, int]] = []
        for contact in request.contacts:
            value = contact.params.get("expires") or header_exp
            if value is not None and not is_digits(value):
                raise SipParseError("bad expires parameter")
            expires = min(
                int(value) if value is not None else self.default_expires, self.max_expires
            )
            if 0 < expires < self.min_expires:
                resp = request.create_response(423, to_tag="reg")
                resp.add_header("Min-Expires", str(self.min_expires))
                return resp
            updates.append((contact, expires))
        for contact, expires in updates:
            key = str(contact.uri)
            old = current.get(key)
            if old is not None and old.call_id == call_id and cseq <= old.cseq:
                return request.create_response(500, "Out Of Order CSeq")  # §10.3 step 7
            if expires == 0:
                current.pop(key, None)
            else:
                bare = Address(contact.uri, contact.display_name)
                current[key] = Binding(bare, now + expires, call_id, cseq)
        if updates:
            self._changed(extension)
        return self._ok(request, extension)

    def _ok(self, request: SipRequest, extension: str) -> SipResponse:
        resp = request.create_response(200, to_tag="reg")
        now = self._clock()
        for b in self.bindings(extension):
            resp.add_header(
                "Contact", f"<{b.contact.uri}>;expires={max(0, round(b.expires_at - now))}"
            )
        resp.add_header("Date", email.utils.formatdate(usegmt=True))
        return resp

    def _changed(self, extension: str) -> None:
        if self._on_change is not None:
            self._on_change(extension, self.lookup(extension))


def _consteq(a: str, b: str) -> bool:
    import hmac

    return hmac.compare_digest(a.encode(), b.encode())
