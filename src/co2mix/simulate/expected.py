"""What the plant's daily series should be, by day: the forecaster's oracle, and the
weather forecast a real plant would have had.

A forecaster of next week's CO2 or heating energy cannot know how many batches each day
will bring (they land on working days at random: about 32 +- 5.6 a day in the reference
years), nor each batch's noise. The best any forecaster can do is the **expected** series
given the production calendar and the weather: on a working day, the batch period's
planned rate (its rows over its working days) times what one batch is expected to emit
and to need for heating at that day's weather. This module computes it from the
simulator's own parts: the day's weather is re-drawn from the very random streams the
plant drew it from (:func:`realized_days`, same seed, same draws), and a batch's
expectation at a day's weather is averaged over a fixed-seed sample of the plant's
batches (their mixes, hours of the day, delivery distances, drum speeds).

The forecaster never sees the realized temperature: :func:`forecast_temp_c` is the
plant's weather forecast of each day's mean temperature, issued on a given day, with an
error growing with lead time (``forecast.weather_error_c``), drawn from its own stream.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from co2mix.physics import truth
from co2mix.plant_params.sections import Generate, Period
from co2mix.simulate import weather
from co2mix.simulate.dataset import CURRENT_STREAM, REFERENCE_STREAM
from co2mix.simulate.plant import Drivers, batch_rng
from co2mix.simulate.recipes import recipe_table, recipe_weights, sample_mixes
from co2mix.simulate.scenarios import drivers_for

SAMPLE_BATCHES = 4000  # the sample a batch's expectation is averaged over
_SAMPLE_STREAM = 101  # random streams of this module (the plant's are 0-4)
_FORECAST_STREAM = 102
WORKING_HOURS = (6.0, 18.0)  # production hours (simulate.weather.production_times)


@dataclass(frozen=True)
class BatchPeriod:
    """One of the plant's batches (reference or current) as the forecaster's oracle sees it."""

    period: Period
    stream: int  # the plant's random stream of this batch (simulate.dataset)
    drivers: Drivers


def workdays(start: dt.date, end: dt.date) -> pd.DatetimeIndex:
    days = pd.date_range(start, end, freq="D", inclusive="left")
    return days[days.dayofweek < 6]


def working_hours_diurnal_c() -> float:
    """The diurnal swing's mean over the working hours: a working day's mean temperature
    is this much above the day's mean."""
    return float(np.mean(weather.diurnal_c(np.linspace(*WORKING_HOURS, 481))))


def realized_days(params: Generate, batch: BatchPeriod) -> pd.DataFrame:
    """Each calendar day of the batch period: whether the plant works, its planned rate
    (batches), and the day's mean temperature over working hours as the plant met it
    (the season, the anomaly it drew that day, the scenario's offset)."""
    period = batch.period
    times = weather.production_times(
        batch_rng(params.seed, batch.stream, 0), period.rows, period.start, period.end
    )
    anomaly = weather.daily_anomaly_c(batch_rng(params.seed, batch.stream, 1), times)
    days = pd.date_range(period.start, period.end, freq="D", inclusive="left")
    working = days.dayofweek < 6
    temp = (
        weather.season_c(days)
        + anomaly.reindex(days, fill_value=0.0).to_numpy()
        + working_hours_diurnal_c()
        + batch.drivers.ambient_offset_c
    )
    rate = period.rows / len(workdays(period.start, period.end))
    return pd.DataFrame(
        {"workday": working, "rate": np.where(working, rate, 0.0), "temp_c": temp},
        index=pd.DatetimeIndex(days, name="day"),
    )


def batch_sample(params: Generate, drivers: Drivers) -> pd.DataFrame:
    """A fixed-seed sample of the plant's batches without their weather: mixes, the hour
    each is made, its drum speed, mixing time and delivery distance."""
    rng = np.random.default_rng([params.seed, _SAMPLE_STREAM])
    n = SAMPLE_BATCHES
    weights = recipe_weights(recipe_table(), drivers.scm_tilt)
    frame = sample_mixes(rng, n, weights, params.noise.dosing_cv)
    frame["hour"] = rng.uniform(*WORKING_HOURS, n)
    frame["reading_c"] = rng.normal(0.0, weather.READING_SD_C, n)
    scm = truth.scm_share(frame)
    mixing_s = 60.0 + 60.0 * scm + 8.0 * frame["superplasticizer"]
    frame["mixing_time_s"] = np.clip(mixing_s, 40.0, 240.0)
    frame["drum_rpm"] = rng.normal(12.0, 0.8, n)
    frame["mixing_energy_kwh"] = truth.mixing_energy_kwh(frame)
    km = rng.lognormal(np.log(params.process.transport_km_median), 0.6, n)
    frame["transport_km"] = np.clip(km, 2.0, 90.0)
    return frame


def expected_per_batch(params: Generate, sample: pd.DataFrame, temp_c: np.ndarray) -> dict:
    """One batch's expected CO2 (kg) and heating energy (kWh) at each day's mean
    temperature ``temp_c``: averaged over the sample's mixes and hours of the day (a
    day by sample matrix: the plant's own formulas broadcast over it)."""
    unheated = sample.assign(heating_energy_kwh=0.0)
    co2_unheated = truth.co2_kg_m3(unheated, params.emission_factors, params.process)
    hour = sample["hour"].to_numpy()
    departure = weather.diurnal_c(hour) - working_hours_diurnal_c() + sample["reading_c"].to_numpy()
    columns = {c: sample[c].to_numpy() for c in truth.MIX_COLUMNS}
    ambient = np.asarray(temp_c, dtype=float)[:, None] + departure[None, :]
    heating = truth.heating_energy_kwh(columns | {"ambient_temp_c": ambient}, params.process)
    per_day = heating.mean(axis=1)
    co2 = float(np.mean(co2_unheated)) + params.emission_factors.grid_kwh * per_day
    return {"heating_energy_kwh": per_day, "co2_kg": co2}


def expected_daily(params: Generate, batch: BatchPeriod, days: pd.DataFrame) -> pd.DataFrame:
    """The oracle on ``days`` (:func:`realized_days`): ``batches``, ``co2_t`` and
    ``heating_energy_kwh`` expected given the calendar and the realized weather (each
    batch one cubic metre)."""
    per_batch = expected_per_batch(
        params, batch_sample(params, batch.drivers), days["temp_c"].to_numpy()
    )
    return pd.DataFrame(
        {
            "batches": days["rate"],
            "co2_t": days["rate"] * per_batch["co2_kg"] / 1000.0,
            "heating_energy_kwh": days["rate"] * per_batch["heating_energy_kwh"],
        },
        index=days.index,
    )


def forecast_temp_c(
    seed: int,
    realized: pd.Series,
    issued: pd.Timestamp,
    days: pd.DatetimeIndex,
    error_c: tuple[float, float],
) -> np.ndarray:
    """The weather forecast issued on ``issued`` of each day's mean temperature: the
    realized value plus an error of standard deviation ``base + per_day x lead`` (deg C),
    drawn from a stream of its own keyed by the issue day, so one forecast is the same
    whichever days are asked of it."""
    lead = np.asarray((days - issued).days, dtype=float)
    sd = weather.forecast_error_sd_c(lead, *error_c)
    rng = np.random.default_rng([seed, _FORECAST_STREAM, int(issued.toordinal())])
    draws = rng.standard_normal(int(lead.max()) + 1 if len(lead) else 0)
    error = draws[np.clip(lead.astype(int), 0, None)] * sd
    return realized.reindex(days).to_numpy() + error


def batch_periods(params: Generate) -> list[BatchPeriod]:
    """The reference and the current batch, each with its stream and its scenario."""
    current = params.current
    return [
        BatchPeriod(params.reference, REFERENCE_STREAM, Drivers()),
        BatchPeriod(current, CURRENT_STREAM, drivers_for(current.scenario, current.magnitude)),
    ]


def oracle_and_weather(params: Generate) -> pd.DataFrame:
    """By calendar day over both batches: the expected series and the realized mean
    temperature (``temp_c``)."""
    parts = []
    for batch in batch_periods(params):
        days = realized_days(params, batch)
        parts.append(expected_daily(params, batch, days).assign(temp_c=days["temp_c"]))
    return pd.concat(parts).sort_index()


def future_temp_c(params: Generate, days: pd.DatetimeIndex) -> pd.Series:
    """The climate of days after the log (the season, the working hours, the current
    scenario's offset): their realized weather is not simulated yet."""
    current = params.current
    offset = drivers_for(current.scenario, current.magnitude).ambient_offset_c
    values = weather.season_c(days) + working_hours_diurnal_c() + offset
    return pd.Series(values, index=days)


def climate_c(params: Generate, days: pd.DatetimeIndex) -> np.ndarray:
    """Each day's working-hours mean temperature before its anomaly is drawn: the
    season, the working hours, and the offset of the batch period it falls in (the
    current scenario's after the reference): the prior a weather forecast updates."""
    offset = np.zeros(len(days))
    for batch in batch_periods(params):
        inside = days >= pd.Timestamp(batch.period.start)
        offset[inside] = batch.drivers.ambient_offset_c
    return np.asarray(weather.season_c(days) + working_hours_diurnal_c() + offset)


def weather_forecasts(
    params: Generate,
    realized: pd.Series,
    issues: pd.DatetimeIndex,
    horizon: int,
    error_c: tuple[float, float],
) -> tuple[pd.Series, dict[pd.Timestamp, np.ndarray]]:
    """The temperatures a forecaster sees: for every past day, its forecast issued one to
    seven days before (a different lead by day: what a model is trained on); for every
    issue day, its forecast of the ``horizon`` days from it."""
    lead = 1 + np.array([day.toordinal() % 7 for day in realized.index])
    issued_on = realized.index - pd.to_timedelta(lead, unit="D")
    past = pd.Series(np.nan, index=realized.index)
    for issued in issued_on.unique():  # its days at once: the same draws as one by one
        days = realized.index[issued_on == issued]
        past[days] = forecast_temp_c(params.seed, realized, issued, days, error_c)
    ahead = {}
    for issue in issues:
        days = pd.date_range(issue, periods=horizon, freq="D")
        known = realized.combine_first(future_temp_c(params, days))
        ahead[issue] = forecast_temp_c(
            params.seed, known, issue - pd.Timedelta(days=1), days, error_c
        )
    return past, ahead


def expected_at(
    params: Generate, days: pd.DatetimeIndex, temp_c: np.ndarray, rate: np.ndarray
) -> pd.DataFrame:
    """The expected series of ``days`` had their weather been ``temp_c`` (one row per
    day given, repeats allowed): the plant's expectation with the forecast temperature
    plugged in (a model that shrinks a long-lead forecast toward the season can beat it)."""
    per_batch = {"co2_kg": np.zeros(len(days)), "heating_energy_kwh": np.zeros(len(days))}
    for batch in batch_periods(params):
        inside = (days >= pd.Timestamp(batch.period.start)) & (
            days < pd.Timestamp(batch.period.end)
        )
        if inside.any():
            values = expected_per_batch(
                params, batch_sample(params, batch.drivers), np.asarray(temp_c)[inside]
            )
            for key, array in per_batch.items():
                array[inside] = values[key]
    return pd.DataFrame(
        {
            "batches": rate,
            "co2_t": rate * per_batch["co2_kg"] / 1000.0,
            "heating_energy_kwh": rate * per_batch["heating_energy_kwh"],
        }
    )


def expected_at_hours(
    params: Generate, hours: pd.DatetimeIndex, temp_c: np.ndarray, rate: np.ndarray
) -> pd.DataFrame:
    """The expected hourly series of ``hours``, given each hour's day's working-hours mean
    temperature ``temp_c`` (realized: the oracle; a posterior node: the forecast floor) and its
    planned batches ``rate`` (a twelfth of the day's on a working hour: production is
    uniform over 06:00-18:00). A batch's expectation is the plant's at that hour of the
    day: the sample's mixes made within the hour, at the day's temperature plus the
    hour's diurnal departure."""
    temp_c, rate = np.asarray(temp_c, dtype=float), np.asarray(rate, dtype=float)
    co2_kg, heating = np.zeros(len(hours)), np.zeros(len(hours))
    for batch in batch_periods(params):
        inside = (hours >= pd.Timestamp(batch.period.start)) & (
            hours < pd.Timestamp(batch.period.end)
        )
        sample = batch_sample(params, batch.drivers)
        within = sample["hour"].to_numpy() % 1.0
        for hour in range(int(WORKING_HOURS[0]), int(WORKING_HOURS[1])):
            chosen = inside & (hours.hour == hour)
            if chosen.any():
                at = expected_per_batch(params, sample.assign(hour=hour + within), temp_c[chosen])
                co2_kg[chosen] = at["co2_kg"]
                heating[chosen] = at["heating_energy_kwh"]
    return pd.DataFrame(
        {"batches": rate, "co2_t": rate * co2_kg / 1000.0, "heating_energy_kwh": rate * heating},
        index=hours,
    )


def hourly_temp_c(day_temp_c: pd.Series, hours: pd.DatetimeIndex) -> np.ndarray:
    """Each hour's temperature from its day's working-hours mean (``day_temp_c``, by day):
    plus the hour's diurnal departure, the climate of the plant's site that any weather
    forecast carries too."""
    departure = weather.diurnal_c(hours.hour.to_numpy() + 0.5) - working_hours_diurnal_c()
    return day_temp_c.reindex(hours.floor("D")).to_numpy() + departure
