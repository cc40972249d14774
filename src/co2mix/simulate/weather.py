"""Production calendar and the weather it meets.

Batches are produced Monday to Saturday, 06:00 to 18:00. Ambient temperature follows
the season (coldest around 20 January), the hour of the day, and a weather anomaly
shared by all batches of the same day, so cold spells are cold for the whole day.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

ANNUAL_MEAN_C = 11.0
ANNUAL_AMPLITUDE_C = 9.0
COLDEST_DAY_OF_YEAR = 20
DIURNAL_AMPLITUDE_C = 4.0
DAILY_ANOMALY_SD_C = 2.5
READING_SD_C = 0.8


def production_times(
    rng: np.random.Generator, n: int, start: dt.date, end: dt.date
) -> pd.DatetimeIndex:
    """``n`` sorted production timestamps (whole seconds) on working days in [start, end)."""
    days = pd.date_range(start, end, freq="D", inclusive="left")
    workdays = days[days.dayofweek < 6]
    if len(workdays) == 0:
        raise ValueError(f"no working day between {start} and {end}")
    day = rng.integers(0, len(workdays), size=n)
    seconds = rng.integers(6 * 3600, 18 * 3600, size=n)
    stamps = workdays.values[day] + seconds.astype("timedelta64[s]")
    return pd.DatetimeIndex(np.sort(stamps)).as_unit("ns")


def season_c(times: pd.DatetimeIndex) -> np.ndarray:
    """The seasonal mean temperature of each timestamp's day."""
    doy = times.dayofyear.to_numpy()
    return ANNUAL_MEAN_C - ANNUAL_AMPLITUDE_C * np.cos(
        2 * np.pi * (doy - COLDEST_DAY_OF_YEAR) / 365.25
    )


def diurnal_c(hour: np.ndarray) -> np.ndarray:
    """The hour of the day's departure from the day's mean (warmest mid-afternoon)."""
    return DIURNAL_AMPLITUDE_C * np.sin(2 * np.pi * (np.asarray(hour) - 9.0) / 24.0)


def daily_anomaly_c(rng: np.random.Generator, times: pd.DatetimeIndex) -> pd.Series:
    """The weather anomaly of each production day in ``times`` (one draw per day, in day
    order): what makes a cold spell cold for the whole day."""
    day_codes = np.unique(times.normalize().to_numpy())
    return pd.Series(rng.normal(0.0, DAILY_ANOMALY_SD_C, size=len(day_codes)), index=day_codes)


def ambient_temp_c(
    rng: np.random.Generator, times: pd.DatetimeIndex, offset_c: float = 0.0
) -> np.ndarray:
    """Seasonal + diurnal + daily-anomaly temperature at each timestamp."""
    hour = times.hour.to_numpy() + times.minute.to_numpy() / 60.0
    anomaly = daily_anomaly_c(rng, times).reindex(times.normalize()).to_numpy()
    reading = rng.normal(0.0, READING_SD_C, size=len(times))
    return season_c(times) + diurnal_c(hour) + anomaly + reading + offset_c


def forecast_error_sd_c(lead_days: np.ndarray, base_c: float, per_day_c: float) -> np.ndarray:
    """A weather forecast's error (standard deviation, deg C) at ``lead_days`` ahead."""
    return base_c + per_day_c * np.asarray(lead_days, dtype=float)


FLOOR_NODES = 9  # forecast_posterior(): Gauss-Hermite nodes over the posterior


def hermite_nodes(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights (summing to one) of an ``n``-point Gauss-Hermite rule for the
    mean of a function of a standard normal variable."""
    from scipy.special import roots_hermitenorm

    z, weights = roots_hermitenorm(n)
    return np.asarray(z), np.asarray(weights) / float(np.sum(weights))


def forecast_posterior(
    climate_c: np.ndarray, forecast_c: np.ndarray, error_sd_c: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """What a day's mean temperature may be once its forecast is known: nodes (one row
    per node, one column per day) and their weights for averaging any function of it.

    The day's temperature is its climate plus an anomaly of sd ``DAILY_ANOMALY_SD_C``;
    the forecast is the temperature plus an error of sd ``error_sd_c``. Given the
    forecast the temperature is normal around ``climate + k (forecast - climate)`` with
    variance ``k error_sd**2``, ``k = anomaly_var / (anomaly_var + error_var)``: a
    long-lead forecast is shrunk toward the season. The expectation of a series over
    these nodes is the best forecast anyone holding that weather forecast can make
    (the forecast floor); plugging the forecast in instead is beaten by a model that
    learns the shrinkage, and is no floor."""
    climate_c, forecast_c = np.asarray(climate_c, float), np.asarray(forecast_c, float)
    error_var = np.square(np.asarray(error_sd_c, float))
    k = DAILY_ANOMALY_SD_C**2 / (DAILY_ANOMALY_SD_C**2 + error_var)
    mean = climate_c + k * (forecast_c - climate_c)
    sd = np.sqrt(k * error_var)
    z, weights = hermite_nodes(FLOOR_NODES)
    return mean[None, :] + z[:, None] * sd[None, :], weights


def humidity_pct(rng: np.random.Generator, times: pd.DatetimeIndex) -> np.ndarray:
    """Relative humidity: higher in winter and in the morning, smoothly kept below 100 %."""
    doy = times.dayofyear.to_numpy()
    hour = times.hour.to_numpy()
    season = 72.0 + 8.0 * np.cos(2 * np.pi * (doy - COLDEST_DAY_OF_YEAR) / 365.25)
    morning = 6.0 * np.cos(2 * np.pi * (hour - 6.0) / 24.0)
    raw = season + morning + rng.normal(0.0, 6.0, size=len(times))
    return 100.0 - np.logaddexp(0.0, 100.0 - raw)  # ~raw below 95 %, never reaches 100 %
