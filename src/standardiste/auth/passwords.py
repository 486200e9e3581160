"""Password hashing with argon2id."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError


class Passwords:
    """Hash and verify passwords; the demo password works only in demo mode."""

    DEMO_PASSWORD = "demo"

    def __init__(self, *, demo: bool) -> None:
        self._hasher = PasswordHasher()
        self._demo = demo
        # Verifying against a real hash even for unknown users keeps timing uniform.
        self._dummy = self._hasher.hash("not-a-password")

    def hash(self, password: str) -> str:
        """Return an argon2id hash of a password."""
        return self._hasher.hash(password)

    def verify(self, stored_hash: str | None, password: str) -> bool:
        """Tell whether the password matches the stored hash (or demo mode allows it)."""
        if stored_hash:
            try:
                return self._hasher.verify(stored_hash, password)
            except (VerifyMismatchError, VerificationError, InvalidHashError):
                return False
        try:
            self._hasher.verify(self._dummy, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            pass
        return self._demo and password == self.DEMO_PASSWORD
