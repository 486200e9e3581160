"""Reject pause reason codes revealing health, private life or other Art. 9 data (R-STATE-1)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

# Whole words (after accent folding): short or ambiguous terms must match a full token,
# e.g. "sante" must not fire on "plaisante", nor "ill" on "illustration".
_FORBIDDEN_WORDS = frozenset(
    {
        # health, body (EN)
        "health", "sick", "ill", "illness", "toilet", "toilets", "wc", "loo", "restroom",
        "bathroom", "lavatory", "bio", "nurse", "nursing", "pharmacy", "dentist", "clinic",
        "injury", "migraine", "covid",
        # health, body (FR)
        "sante", "malade", "maladie", "toilette", "toilettes", "sanitaire", "sanitaires",
        "pipi", "infirmerie", "infirmier", "infirmiere", "pharmacie", "dentiste", "clinique",
        "douleur", "blessure", "soin", "soins",
        # religion, union membership, political opinion: Art. 9 special categories
        "pray", "prayer", "priere", "religion", "religious", "religieux", "religieuse",
        "union", "strike", "greve", "syndicat", "syndical", "syndicale",
        # private/family life
        "pregnant", "pregnancy", "enceinte", "grossesse", "breastfeeding", "allaitement",
    }
)  # fmt: skip

# Stems specific enough to match inside a token ("medicale", "toiletbreak", "therapeute").
_FORBIDDEN_STEMS = (
    "medic", "medecin", "doctor", "docteur", "toilet", "malad", "pregnan", "grossess",
    "enceint", "allait", "breastfeed", "lactat", "menstru", "therap", "hospital", "hopital",
    "handicap", "disabil", "syndic", "psychiat", "psycholog", "sickness",
)  # fmt: skip


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def sensitive_terms(reason: str) -> list[str]:
    """Return the forbidden words or stems found in one pause reason (empty when acceptable)."""
    tokens = [t for t in re.split(r"[^a-z0-9]+", _fold(reason)) if t]
    found = [t for t in tokens if t in _FORBIDDEN_WORDS]
    found += [s for s in _FORBIDDEN_STEMS for t in tokens if s in t and t not in found]
    return sorted(set(found))


def check_pause_reasons(reasons: Iterable[str], path: str = "agents.pause_reasons") -> list[str]:
    """Return one error per pause reason that reveals health or private life."""
    errors = []
    for i, reason in enumerate(reasons):
        terms = sensitive_terms(reason)
        if terms:
            errors.append(
                f"{path}[{i}]: pause reason {reason!r} reveals health or private life "
                f"({', '.join(terms)}); use a coarse code such as 'break' (R-STATE-1, GDPR Art. 9)"
            )
    return errors
