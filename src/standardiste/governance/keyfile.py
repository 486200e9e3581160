"""Find the master key ring of a node: environment, then a key file under the data folder."""

from __future__ import annotations

import base64
import logging
import os
from collections.abc import Mapping
from pathlib import Path

from standardiste.governance.crypto import KEK_ENV_VAR, KeyRing

log = logging.getLogger(__name__)

KEY_FILE = Path("keys") / "kek"


def key_file(data_dir: Path) -> Path:
    """Return where a node keeps its master key file."""
    return data_dir / KEY_FILE


def create_key_file(path: Path, kid: str = "k1") -> None:
    """Write a fresh random 256-bit KEK, readable by the owner only (0600 from creation)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    line = f"{kid}:{base64.urlsafe_b64encode(os.urandom(32)).decode('ascii')}\n"
    # O_EXCL: never overwrite a key, it would make every recording unreadable.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(line)


def load_keyring(data_dir: Path, environ: Mapping[str, str], *, demo: bool) -> KeyRing | None:
    """Return the KEK ring: $STANDARDISTE_KEK, else the key file (created in demo mode only)."""
    if environ.get(KEK_ENV_VAR):
        return KeyRing.from_env(environ)
    path = key_file(data_dir)
    if not path.exists():
        if not demo:
            log.warning(
                "no master key (%s or %s): recordings and second factors are unavailable",
                KEK_ENV_VAR,
                path,
            )
            return None
        create_key_file(path)
        log.warning("demo mode: created a master key file at %s", path)
    return KeyRing.from_file(path)
