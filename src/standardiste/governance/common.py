"""Small shared helpers of the governance package: clock protocol, canonical JSON."""

from __future__ import annotations

import json
import re
from typing import Any, Protocol

DAY_S = 86_400.0


class WallClock(Protocol):
    """Anything with `wall()` returning epoch seconds (the domain Clock satisfies it)."""

    def wall(self) -> float:
        """Return the current wall-clock time in epoch seconds."""
        ...


def canonical_json(value: Any) -> str:
    """Serialise deterministically: sorted keys, no spaces, UTF-8 kept, NaN refused."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def normalize_caller(identifier: str) -> str:
    """Normalise an e-mail (lower case) or a French/E.164 phone number (+33...)."""
    identifier = identifier.strip()
    if "@" in identifier:
        return identifier.lower()
    digits = re.sub(r"[^\d+]", "", identifier)
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    elif re.fullmatch(r"0\d{9}", digits):
        digits = "+33" + digits[1:]
    return digits
