"""Markdown pieces: values, deltas and tables as the report prints them."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

MISSING = "—"


def fmt(value: Any) -> str:
    if value is None:
        return MISSING
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        if math.isnan(value):
            return MISSING
        return f"{value:.4g}" if abs(value) < 1e4 else f"{value:,.0f}"
    if isinstance(value, list):
        return ", ".join(fmt(v) for v in value) or "[]"
    return str(value)


def delta(old: Any, new: Any) -> str:
    numbers = (int, float)
    if old is None and new is not None:
        return "new"
    if new is None and old is not None:
        return "removed"
    if isinstance(old, bool) or isinstance(new, bool):
        return "changed" if old != new else ""
    if isinstance(old, numbers) and isinstance(new, numbers):
        diff = new - old
        if diff == 0:
            return "0"
        pct = f" ({100 * diff / abs(old):+.1f} %)" if old else ""
        return f"{diff:+.4g}{pct}"
    return ""


def table(header: list[str], rows: Iterable[list[Any]]) -> list[str]:
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|",
    ]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return lines
