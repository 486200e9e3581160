"""Authentication and authorisation: principals, passwords, sessions, scopes."""

from standardiste.auth.principal import Principal

__all__ = ["Principal"]
