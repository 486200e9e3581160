"""A tiny SVG line-chart writer (no plotting library): lines, 95 % bands, axes, legend."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf")
WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 900, 420, 60, 170, 40, 60


@dataclass(frozen=True, slots=True)
class Series:
    """One line; `band` holds the half-width of its interval (NaN or empty: no band)."""

    name: str
    values: Sequence[float]
    band: Sequence[float] = field(default_factory=tuple)
    dashed: bool = False


def line_chart(
    title: str, labels: Sequence[str], series: Sequence[Series], y_max: float | None = None
) -> str:
    """Return an SVG document plotting the series against the x labels."""
    finite = [v for s in series for v in s.values if not math.isnan(v)]
    top = y_max if y_max is not None else (max(finite) * 1.1 if finite else 1.0)
    top = top or 1.0
    n = max(len(labels), 2)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(i: int) -> float:
        return LEFT + plot_w * i / (n - 1)

    def y(v: float) -> float:
        return TOP + plot_h * (1 - min(max(v, 0.0), top) / top)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'font-family="sans-serif" font-size="11">',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
        f'<text x="{LEFT}" y="22" font-size="14">{escape(title)}</text>',
    ]
    for k in range(6):
        v = top * k / 5
        out.append(
            f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{y(v):.1f}" y2="{y(v):.1f}" '
            f'stroke="#ddd"/><text x="{LEFT - 6}" y="{y(v) + 4:.1f}" text-anchor="end">'
            f"{v:.3g}</text>"
        )
    step = max(1, len(labels) // 12)
    for i in range(0, len(labels), step):
        out.append(
            f'<text x="{x(i):.1f}" y="{TOP + plot_h + 16}" text-anchor="middle">'
            f"{escape(labels[i])}</text>"
        )
    for idx, s in enumerate(series):
        color = PALETTE[idx % len(PALETTE)]
        out.extend(_band(s, x, y, color))
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(s.values) if _ok(v))
        dash = ' stroke-dasharray="5,4"' if s.dashed else ""
        out.append(
            f'<polyline fill="none" stroke="{color}" stroke-width="2"{dash} points="{points}"/>'
        )
        ly = TOP + 16 * idx
        out.append(
            f'<rect x="{WIDTH - RIGHT + 12}" y="{ly}" width="12" height="3" fill="{color}"/>'
            f'<text x="{WIDTH - RIGHT + 30}" y="{ly + 5}">{escape(s.name)}</text>'
        )
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _ok(v: float) -> bool:
    return not math.isnan(v)


def _band(s: Series, x: object, y: object, color: str) -> list[str]:
    if not s.band:
        return []
    assert callable(x) and callable(y)
    idx = [i for i, v in enumerate(s.values) if _ok(v) and _ok(s.band[i])]
    if len(idx) < 2:
        return []
    upper = [f"{x(i):.1f},{y(s.values[i] + s.band[i]):.1f}" for i in idx]
    lower = [f"{x(i):.1f},{y(s.values[i] - s.band[i]):.1f}" for i in reversed(idx)]
    return [f'<polygon fill="{color}" fill-opacity="0.18" points="{" ".join(upper + lower)}"/>']
