"""Built-in media plane: Python RTP worker processes (uvloop), no external daemon."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .plane import BuiltinMediaPlane

__all__ = ["BuiltinMediaPlane"]


def __getattr__(name: str) -> Any:
    """Import the parent-side plane lazily: worker processes never need it."""
    if name == "BuiltinMediaPlane":
        from .plane import BuiltinMediaPlane

        return BuiltinMediaPlane
    raise AttributeError(name)
