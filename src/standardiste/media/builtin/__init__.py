"""Built-in media plane: Python RTP worker processes (uvloop), no external daemon."""

from __future__ import annotations

from .plane import BuiltinMediaPlane

__all__ = ["BuiltinMediaPlane"]
