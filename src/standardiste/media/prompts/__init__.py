"""Shipped prompts (8 kHz mono 16-bit WAV, made by ``scripts/make_prompts.py``)."""

from __future__ import annotations

from pathlib import Path

PROMPTS_DIR = Path(__file__).resolve().parent
MUSIC_ON_HOLD = PROMPTS_DIR / "moh.wav"
LANGUAGES = ("fr", "en")
NAMES = (
    "recording_notice",
    "welcome_menu",
    "please_hold",
    "your_position_is",
    "estimated_wait",
    "minutes",
    "closed",
    "invalid_choice",
)


def prompt(lang: str, name: str) -> Path:
    """Return the path of a named prompt (``name`` may be a number 0-20) in ``lang``."""
    if lang not in LANGUAGES:
        raise ValueError(f"no prompts in language {lang!r}")
    if name not in NAMES and not (name.isdigit() and 0 <= int(name) <= 20):
        raise ValueError(f"no prompt named {name!r}")
    return PROMPTS_DIR / lang / f"{name}.wav"


def number(lang: str, value: int) -> Path:
    """Return the prompt that says ``value`` (0 to 20)."""
    if not 0 <= value <= 20:
        raise ValueError(f"no number prompt for {value}")
    return prompt(lang, str(value))
