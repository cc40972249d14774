"""Plots as Mermaid ``xychart-beta`` blocks, which GitHub renders in a comment without
uploading any image."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from co2mix.core import paths

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd")
COLOUR_NAMES = ("blue", "orange", "green", "red", "purple")


def mermaid(
    title: str, x_label: str, x: list[Any], y_label: str, series: list[tuple[str, str, list[float]]]
) -> list[str]:
    """An xychart-beta block; colours are listed below it because the chart has no legend."""
    values = [v for _, _, s in series for v in s]
    low, high = min(values), max(values)
    pad = 0.05 * (high - low or 1.0)
    palette = ", ".join(PALETTE[: len(series)])
    lines = [
        "```mermaid",
        f'%%{{init: {{"themeVariables": {{"xyChart": {{"plotColorPalette": "{palette}"}}}}}}}}%%',
        "xychart-beta",
        f'    title "{title}"',
        f'    x-axis "{x_label}" [{", ".join(json.dumps(str(v)) for v in x)}]',
        f'    y-axis "{y_label}" {low - pad:.4g} --> {high + pad:.4g}',
    ]
    lines += [f"    {kind} [{', '.join(f'{v:.4g}' for v in s)}]" for kind, _, s in series]
    legend = "; ".join(f"{COLOUR_NAMES[i]}: {name}" for i, (_, name, _) in enumerate(series))
    return [*lines, "```", f"<sub>{legend}</sub>", ""]


def predicted_vs_actual(path: Path, target: str, bins: int = 10) -> list[str]:
    """Binned calibration: mean prediction per bin of the actual value (xychart has no scatter)."""
    frame = pd.read_csv(path)
    edges = pd.qcut(frame["actual"], bins, duplicates="drop")
    grouped = frame.groupby(edges, observed=True)[["actual", "predicted"]].mean()
    labels = [f"{v:.0f}" for v in grouped["actual"]]
    return mermaid(
        f"Champion {target}: predicted vs actual (test rows in {len(grouped)} bins)",
        "mean actual per bin",
        labels,
        target,
        [
            ("bar", "mean predicted", list(grouped["predicted"])),
            ("line", "perfect (predicted = actual)", list(grouped["actual"])),
        ],
    )


def convergence_chart(path: Path, points: int = 12) -> list[str]:
    frame = pd.read_csv(path)
    series = [c for c in frame.columns if c != "evaluations" and frame[c].notna().any()]
    frame = frame.dropna(subset=series)
    if frame.empty:
        return []
    step = max(len(frame) // points, 1)
    frame = pd.concat([frame.iloc[::step], frame.iloc[[-1]]]).drop_duplicates("evaluations")
    return mermaid(
        "Optimizer convergence: best feasible predicted CO2 (median over seeds that found one)",
        "evaluations",
        list(frame["evaluations"]),
        "kg CO2e / m3",
        [("line", name, list(frame[name])) for name in series],
    )


def pareto_chart(path: Path) -> list[str]:
    frame = pd.read_csv(path).dropna()
    if frame.empty:
        return []
    return mermaid(
        "CO2 of the optimized mix against the strength target",
        "strength target, MPa",
        [f"{v:g}" for v in frame["strength_target_mpa"]],
        "kg CO2e / m3",
        [
            ("line", "predicted (surrogate)", list(frame["predicted_co2"])),
            ("line", "true (simulator)", list(frame["true_co2"])),
            ("line", "true optimum", list(frame["true_optimum_co2"])),
        ],
    )


def cost_front_table(path: Path) -> list[str]:
    frame = pd.read_csv(path).dropna(subset=["cost_per_m3", "true_co2"])
    if frame.empty:
        return []
    lines = [
        "CO2 against material cost at the specified strength (the answer's setup with cost",
        "weighted into its objective; efficient: no other mix is cheaper and lower in CO2):",
        "",
        "| cost weight | cost per m3 | true kg CO2e/m3 | share below target | efficient |",
        "|---|---|---|---|---|",
    ]
    for row in frame.itertuples():
        lines.append(
            f"| {row.cost_weight:g} | {row.cost_per_m3:.2f} | {row.true_co2:.1f} | "
            f"{row.true_fraction_below_target:.3f} | {'yes' if row.efficient else ''} |"
        )
    return [*lines, ""]


def plots_section(root: Path, targets: list[str]) -> list[str]:
    lines = ["## Plots", ""]
    for target in targets:
        path = root / paths.predictions_plot(target)
        if path.exists():
            lines += predicted_vs_actual(path, target)
    for path, draw in (
        (root / paths.CONVERGENCE_PLOT, convergence_chart),
        (root / paths.PARETO_PLOT, pareto_chart),
        (root / paths.COST_FRONT_PLOT, cost_front_table),
    ):
        if path.exists():
            lines += draw(path)
    return lines if len(lines) > 2 else []
