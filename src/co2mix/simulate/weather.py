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


def ambient_temp_c(
    rng: np.random.Generator, times: pd.DatetimeIndex, offset_c: float = 0.0
) -> np.ndarray:
    """Seasonal + diurnal + daily-anomaly temperature at each timestamp."""
    doy = times.dayofyear.to_numpy()
    hour = times.hour.to_numpy() + times.minute.to_numpy() / 60.0
    season = ANNUAL_MEAN_C - ANNUAL_AMPLITUDE_C * np.cos(
        2 * np.pi * (doy - COLDEST_DAY_OF_YEAR) / 365.25
    )
    diurnal = DIURNAL_AMPLITUDE_C * np.sin(2 * np.pi * (hour - 9.0) / 24.0)
    day_codes, day_index = np.unique(times.normalize().to_numpy(), return_inverse=True)
    anomaly = rng.normal(0.0, DAILY_ANOMALY_SD_C, size=len(day_codes))[day_index]
    reading = rng.normal(0.0, READING_SD_C, size=len(times))
    return season + diurnal + anomaly + reading + offset_c


def humidity_pct(rng: np.random.Generator, times: pd.DatetimeIndex) -> np.ndarray:
    """Relative humidity: higher in winter and in the morning, smoothly kept below 100 %."""
    doy = times.dayofyear.to_numpy()
    hour = times.hour.to_numpy()
    season = 72.0 + 8.0 * np.cos(2 * np.pi * (doy - COLDEST_DAY_OF_YEAR) / 365.25)
    morning = 6.0 * np.cos(2 * np.pi * (hour - 6.0) / 24.0)
    raw = season + morning + rng.normal(0.0, 6.0, size=len(times))
    return 100.0 - np.logaddexp(0.0, 100.0 - raw)  # ~raw below 95 %, never reaches 100 %
