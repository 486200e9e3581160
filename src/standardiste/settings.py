"""Runtime settings: where the config, the database and the listeners are."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


def parse_hostport(value: str, default_port: int) -> tuple[str, int]:
    """Split HOST:PORT (IPv6 in brackets allowed)."""
    if value.startswith("["):
        host, _, rest = value[1:].partition("]")
        port = rest.lstrip(":")
    else:
        host, sep, port = value.rpartition(":")
        if not sep:
            host, port = value, ""
    if port and not port.isdigit():
        raise ValueError(f"bad port in {value!r}")
    return host or "127.0.0.1", int(port) if port else default_port


def parse_port_range(value: str) -> tuple[int, int]:
    """Parse LOW-HIGH."""
    low, sep, high = value.partition("-")
    if not sep or not low.isdigit() or not high.isdigit() or int(low) >= int(high):
        raise ValueError(f"bad port range {value!r} (expected LOW-HIGH)")
    return int(low), int(high)


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the composition root needs to start a node."""

    config_path: Path
    db_url: str
    data_dir: Path
    http: tuple[str, int] = ("127.0.0.1", 8080)
    sip: tuple[str, int] | None = None
    rtp_ports: tuple[int, int] = (20000, 29999)
    smtp: tuple[str, int] | None = None
    traffic: bool = False
    extra: dict[str, str] = field(default_factory=dict)
