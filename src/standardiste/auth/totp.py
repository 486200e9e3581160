"""TOTP second factor (RFC 6238) with pyotp: enrolment, verification, replay protection.

Roles that reach recordings or individual data must present a code at login
(`MFA_REQUIRED_ROLES`); other roles may add one to step up (a supervisor opening a recording).
Secrets are stored wrapped by the node's master key (AES-256-GCM, bound to the user id).
In demo mode only, a user who has not enrolled uses a fixed secret derived from their id
(`demo_secret`), documented in docs/governance.md, so the demo can be explored without a phone.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from typing import Protocol

import pyotp
from sqlalchemy import BigInteger, Column, Engine, Float, MetaData, String, Table, select

from standardiste.governance.crypto import KeyRing

MFA_REQUIRED_ROLES = frozenset({"admin", "dpo", "incident_officer", "legal_officer"})
STEP = 30  # seconds per code (RFC 6238 section 5.2 default)
WINDOW = 1  # accept one step of clock drift either way (RFC 6238 section 6)
CHALLENGE_TTL_S = 300.0
_DEMO_SALT = b"standardiste-demo-totp-v1|"

_meta = MetaData()
totp_table = Table(
    "auth_totp",
    _meta,
    Column("user_id", String(64), primary_key=True),
    Column("wrapped_secret", String(200), nullable=False),
    Column("enrolled_at", Float(precision=53), nullable=False),
    Column("last_counter", BigInteger, nullable=False, default=0),
)


class _Clock(Protocol):
    def wall(self) -> float: ...
    def mono(self) -> float: ...


def demo_secret(user_id: str) -> str:
    """Return the fixed demo secret of a user (demo mode only; documented, never secret)."""
    digest = hashlib.sha256(_DEMO_SALT + user_id.encode("utf-8")).digest()[:20]
    return base64.b32encode(digest).decode("ascii")


def demo_code(user_id: str, at: float | None = None) -> str:
    """Return the current demo code of a user (for scripts and tests against the demo)."""
    totp = pyotp.TOTP(demo_secret(user_id), interval=STEP)
    return totp.at(at) if at is not None else totp.now()


def new_secret() -> str:
    """Return a fresh 256-bit base32 secret (unpadded)."""
    return base64.b32encode(os.urandom(32)).decode("ascii").rstrip("=")


def _secret_bytes(secret: str) -> bytes:
    return base64.b32decode(secret + "=" * (-len(secret) % 8))


def matched_counter(secret: str, code: str, now: float) -> int | None:
    """Return the time step whose code equals `code` within the drift window, else None."""
    if not code.isdigit() or len(code) != 6:
        return None
    totp = pyotp.TOTP(secret, interval=STEP)
    current = int(now // STEP)
    for counter in range(current - WINDOW, current + WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(counter), code):
            return counter
    return None


@dataclass
class _Challenge:
    user_id: str
    expires: float
    pending_secret: str | None = None


class TotpStore:
    """Enrolled secrets in the database; login challenges and pending enrolments in memory."""

    def __init__(self, engine: Engine, keys: KeyRing | None, clock: _Clock, *, demo: bool) -> None:
        self._engine, self._keys, self._clock, self.demo = engine, keys, clock, demo
        self._challenges: dict[str, _Challenge] = {}
        self._demo_counters: dict[str, int] = {}

    # -- challenges between the password step and the code step ----------------------------

    def challenge(self, user_id: str) -> str:
        """Issue a short-lived token proving the password step succeeded."""
        now = self._clock.mono()
        self._challenges = {k: c for k, c in self._challenges.items() if c.expires > now}
        token = secrets.token_urlsafe(24)
        self._challenges[token] = _Challenge(user_id, now + CHALLENGE_TTL_S)
        return token

    def challenged_user(self, token: str) -> str | None:
        """Return the user of a live challenge."""
        found = self._challenges.get(token)
        if found is None or found.expires <= self._clock.mono():
            return None
        return found.user_id

    def end_challenge(self, token: str) -> None:
        """Forget a challenge (used once)."""
        self._challenges.pop(token, None)

    # -- enrolment --------------------------------------------------------------------------

    async def enrolled(self, user_id: str) -> bool:
        """Tell whether the user has a personal secret."""
        return await asyncio.to_thread(self._load, user_id) is not None

    def begin_enrolment(self, token: str, issuer: str) -> tuple[str, str]:
        """Create a pending secret for a challenge; return (secret, otpauth URI)."""
        found = self._challenges[token]
        found.pending_secret = new_secret()
        uri = pyotp.TOTP(found.pending_secret).provisioning_uri(
            name=found.user_id, issuer_name=issuer
        )
        return found.pending_secret, uri

    async def confirm_enrolment(self, token: str, code: str) -> bool:
        """Store the pending secret if `code` proves the user's app holds it."""
        found = self._challenges.get(token)
        if found is None or found.pending_secret is None or self._keys is None:
            return False
        counter = matched_counter(found.pending_secret, code, self._clock.wall())
        if counter is None:
            return False
        wrapped = self._keys.wrap(_secret_bytes(found.pending_secret), f"totp:{found.user_id}")
        row = {"user_id": found.user_id, "wrapped_secret": wrapped,
               "enrolled_at": self._clock.wall(), "last_counter": counter}  # fmt: skip
        await asyncio.to_thread(self._store, row)
        return True

    # -- verification -----------------------------------------------------------------------

    async def verify(self, user_id: str, code: str) -> bool:
        """Check a code once: a code already used (same time step or older) is refused."""
        stored = await asyncio.to_thread(self._load, user_id)
        if stored is None:
            if not self.demo:
                return False
            counter = matched_counter(demo_secret(user_id), code, self._clock.wall())
            if counter is None or counter <= self._demo_counters.get(user_id, -1):
                return False
            self._demo_counters[user_id] = counter
            return True
        secret, _last = stored
        counter = matched_counter(secret, code, self._clock.wall())
        if counter is None:
            return False
        return await asyncio.to_thread(self._advance, user_id, counter)

    def available(self, user_id: str, enrolled: bool) -> bool:
        """Tell whether the user can present a code now (enrolled, or demo secret)."""
        return enrolled or self.demo

    # -- blocking ---------------------------------------------------------------------------

    def _load(self, user_id: str) -> tuple[str, int] | None:
        t = totp_table
        with self._engine.connect() as conn:
            row = conn.execute(
                select(t.c.wrapped_secret, t.c.last_counter).where(t.c.user_id == user_id)
            ).first()
        if row is None or self._keys is None:
            return None
        raw = self._keys.unwrap(row.wrapped_secret, f"totp:{user_id}")
        return base64.b32encode(raw).decode("ascii").rstrip("="), int(row.last_counter)

    def _store(self, row: dict[str, object]) -> None:
        t = totp_table
        with self._engine.begin() as conn:
            conn.execute(t.delete().where(t.c.user_id == row["user_id"]))
            conn.execute(t.insert().values(**row))

    def _advance(self, user_id: str, counter: int) -> bool:
        t = totp_table
        # Compare-and-set: two requests racing with the same code cannot both pass.
        stmt = (
            t.update()
            .where(t.c.user_id == user_id, t.c.last_counter < counter)
            .values(last_counter=counter)
        )
        with self._engine.begin() as conn:
            return bool(conn.execute(stmt).rowcount)
