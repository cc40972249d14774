"""The page's parts: labels with units, inputs held to the declared ranges, charts drawn
on the server as SVG (no script, no chart library to ship), and the champions' status.

Units come from the column's name (``_kg_m3``, ``_mpa``, ``_c``, ``_km``...) and, for the
plant's masses (``cement``, ``water``...), from the mix they dose: a column of a CSV
dataset without such a suffix is labelled by its name alone.
"""

from __future__ import annotations

from html import escape
from typing import Any, Literal, get_args, get_origin

from pydantic.fields import FieldInfo

from co2mix.core.schemas import CheckMetrics, RefreshMetrics

SUFFIX_UNITS = (  # longest first: _kg_m3 before _m3
    ("_kg_m3", "kg/m3"),
    ("_kwh", "kWh"),
    ("_mpa", "MPa"),
    ("_pct", "%"),
    ("_days", "days"),
    ("_km", "km"),
    ("_rpm", "rpm"),
    ("_c", "deg C"),
    ("_s", "s"),
)
MASSES = {"cement", "slag", "fly_ash", "water", "superplasticizer", "coarse_agg", "fine_agg"}


def label(column: str) -> str:
    """``strength_target_mpa`` -> ``strength target (MPa)``; ``cement`` -> ``cement (kg/m3)``."""
    for suffix, unit in SUFFIX_UNITS:
        if column.endswith(suffix):
            return f"{column.removesuffix(suffix).replace('_', ' ')} ({unit})"
    if column in MASSES:
        return f"{column.replace('_', ' ')} (kg/m3)"
    return column.replace("_", " ")


def _bound(info: FieldInfo, name: str) -> float | None:
    for item in info.metadata:
        value = getattr(item, name, None)
        if value is not None:
            return float(value)
    return None


def field_input(form: str, name: str, info: FieldInfo, value: str) -> str:
    """One form field: a list of the levels for a category, a number box held to the
    field's declared bounds otherwise (the server validates again)."""
    ident = f"{form}-{escape(name)}"
    caption = f"<span>{escape(label(name))}</span>"
    if get_origin(info.annotation) is Literal:
        options = "".join(
            f"<option{' selected' if str(level) == value else ''}>{escape(str(level))}</option>"
            for level in get_args(info.annotation)
        )
        return (
            f'<label>{caption}<select name="{escape(name)}" id="{ident}">{options}</select></label>'
        )
    limits = "".join(
        f' {attr}="{bound:g}"'
        for attr, bound in (("min", _bound(info, "ge")), ("max", _bound(info, "le")))
        if bound is not None
    )
    return (
        f'<label>{caption}<input type="number" step="any"{limits} name="{escape(name)}" '
        f'id="{ident}" value="{escape(value)}"></label>'
    )


def bar_chart(ident: str, title: str, unit: str, bars: list[tuple[str, float]]) -> str:
    """Horizontal bars (negative to the left of zero) as inline SVG with a title."""
    width, row, left = 560, 22, 170
    low = min(0.0, *(v for _, v in bars))
    high = max(0.0, *(v for _, v in bars))
    span = (high - low) or 1.0
    scale = (width - left - 60) / span
    zero = left + (-low) * scale
    parts = [
        f'<svg id="{ident}" role="img" width="{width}" height="{row * len(bars) + 30}" '
        f'viewBox="0 0 {width} {row * len(bars) + 30}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        f'<text x="0" y="14" font-size="12">{escape(title)} ({escape(unit)})</text>',
    ]
    for i, (name, value) in enumerate(bars):
        y = 22 + i * row
        x = zero if value >= 0 else zero + value * scale
        colour = "#2a7" if value <= 0 else "#c54"
        parts += [
            f'<text x="0" y="{y + 14}" font-size="11">{escape(name)}</text>',
            f'<rect x="{x:.1f}" y="{y + 3}" width="{abs(value) * scale:.1f}" height="14" '
            f'fill="{colour}"/>',
            f'<text x="{max(x + abs(value) * scale, zero) + 4:.1f}" y="{y + 14}" '
            f'font-size="11">{value:.1f}</text>',
        ]
    parts.append(
        f'<line x1="{zero:.1f}" x2="{zero:.1f}" y1="20" y2="{row * len(bars) + 24}" stroke="#888"/>'
    )
    return "".join(parts) + "</svg>"


def status_table(
    champions: dict[str, Any], refresh: RefreshMetrics | None, check: CheckMetrics | None
) -> str:
    """Per target: the served champion, the last refresh decision and why, its interval's
    level, and whether the latest check saw drift."""
    drift = "not checked"
    if check is not None:
        drifted = check["drifted_features"] + check["drifted_labels"]
        drift = f"drift in {', '.join(drifted)}" if check["drift_detected"] else "no drift"
    rows = []
    for target, model in champions.items():
        record = (refresh or {}).get(target)
        decision = f"{record['decision']}: {record['reason']}" if record else "not refreshed"
        level = model.interval["level"] if model.interval else None
        rows.append(
            f"<tr><td>{escape(label(target))}</td><td>{escape(model.model)}</td>"
            f"<td>{escape(decision)}</td><td>{'' if level is None else f'{level:.0%}'}</td>"
            f"<td>{escape(drift)}</td></tr>"
        )
    return (
        '<table id="status"><tr><th>target</th><th>champion</th><th>last refresh</th>'
        f"<th>interval</th><th>latest check</th></tr>{''.join(rows)}</table>"
    )


def band(interval: Any) -> str:
    """An interval as "(low to high)", nothing when there is none."""
    return "" if interval is None else f"({interval[0]:.1f} to {interval[1]:.1f})"
