"""The pull-request report's forecast section: the backtest's skill table (every model,
the served one marked, against the oracle; the served one against the forecast floor
too) and one chart of the served forecast of
daily CO2 against the actual days."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from co2mix.core import paths
from co2mix.core.schemas_forecast import ForecastMetrics
from co2mix.reporting.charts import mermaid

UNITS = {"co2_t": "t CO2e", "heating_energy_kwh": "kWh", "batches": "batches"}


def forecast_section(record: ForecastMetrics | None, root: Path) -> list[str]:
    if record is None:
        return []
    served = record["served"]
    lines = [
        "## Forecast (daily, backtest)",
        "",
        f"Served: `{served}`; scenario `{record['scenario']}`. MASE is against seasonal "
        "naive; RMSE / oracle against the expected series at the realized weather; RMSE / "
        "floor against the best forecast given the weather forecast (the gap between the "
        "two floors is the weather forecast's error).",
        "",
        "| series | model | MASE | RMSE | RMSE / oracle | RMSE / floor | 80 % / 95 % coverage |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for series, skill in record["series"].items():
        cover = record["coverage"][series]
        for model, score in skill["models"].items():
            mark = f"**{model}**" if model == served else model
            covered = f"{cover['80']:.0%} / {cover['95']:.0%}" if model == served else ""
            floor = f"{skill['served']['rmse_vs_forecast_floor']:.2f}" if model == served else ""
            lines.append(
                f"| {series} | {mark} | {score['mase']:.3f} | {score['rmse']:.4g} "
                f"| {score['rmse_vs_oracle']:.2f} | {floor} | {covered} |"
            )
    lines += hourly_table(record)
    chart = root / paths.FORECAST_PLOTS / "co2_t.csv"
    if chart.exists():
        lines += ["", *served_chart(chart, "co2_t")]
    return [*lines, ""]


def hourly_table(record: ForecastMetrics) -> list[str]:
    """The served model's hour-by-hour backtest, one row per series."""
    hourly = record.get("hourly")
    if not hourly:
        return []
    lines = [
        "",
        f"Hourly, the next {hourly['horizon_hours']} hours (`{record['served']}`, working "
        "hours of the scored origins):",
        "",
        "| series | MASE | RMSE | RMSE / oracle | RMSE / floor | 80 % / 95 % coverage |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for series, skill in hourly["series"].items():
        score, cover = skill["served"], hourly["coverage"][series]
        lines.append(
            f"| {series} | {score['mase']:.3f} | {score['rmse']:.4g} "
            f"| {score['rmse_vs_oracle']:.2f} | {score['rmse_vs_forecast_floor']:.2f} "
            f"| {cover['80']:.0%} / {cover['95']:.0%} |"
        )
    return lines


def served_chart(path: Path, series: str, days: int = 28) -> list[str]:
    """The last ``days`` scored days: the served forecast, its 80 % band, the actual."""
    frame = pd.read_csv(path).tail(days)
    return mermaid(
        f"Served forecast of {series} (last {len(frame)} scored days)",
        "day",
        [d[5:] for d in frame["day"]],
        UNITS.get(series, series),
        [
            ("line", "actual", list(frame["actual"])),
            ("line", "forecast", list(frame["forecast"])),
            ("line", "80 % low", list(frame["lo80"])),
            ("line", "80 % high", list(frame["hi80"])),
        ],
    )
