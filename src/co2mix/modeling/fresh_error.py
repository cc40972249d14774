"""The models judged on fresh data: the current batch's rows no model trained on.

A random test split of the reference says how well a model learnt the past; a plant
needs to know how well it predicts this month's concrete. A drift report can flag the
weaker cement while the test RMSE stays where it was: only the error on fresh rows
shows that the strength model now over-predicts (a negative bias), and by how much.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import mean_absolute_error, root_mean_squared_error

from co2mix.core.records import number
from co2mix.core.schemas import FreshScores

WEEK = pd.Timedelta(days=7)
WEEKLY_COLUMNS = ["week", "rows", "rmse", "bias"]


def fresh_scores(
    actual: pd.Series, predicted: np.ndarray, sigma: float | None, test_rmse: float
) -> FreshScores:
    """RMSE, MAE and bias on the fresh rows, and the degradation against the test RMSE."""
    rmse = root_mean_squared_error(actual, predicted)
    scores: FreshScores = {
        "rows": len(actual),
        "rmse": number(rmse),
        "mae": number(mean_absolute_error(actual, predicted)),
        "bias": number(float(np.mean(actual.to_numpy() - predicted))),
    }
    if sigma:
        scores["rmse_over_sigma"] = number(rmse / sigma)
    if test_rmse > 0:
        scores["degradation"] = number(rmse / test_rmse)
    return scores


def weekly_error(times: pd.Series, actual: pd.Series, predicted: np.ndarray) -> pd.DataFrame:
    """The error over production time: RMSE and bias per week since the first fresh row
    (the DVC plot of a model that drifts out of date)."""
    residual = actual.to_numpy() - predicted
    if len(residual) == 0:
        return pd.DataFrame(columns=WEEKLY_COLUMNS)
    week = ((times - times.min()) // WEEK).astype(int).to_numpy()
    frame = pd.DataFrame({"week": week, "residual": residual})
    grouped = frame.groupby("week", sort=True)["residual"]
    return pd.DataFrame(
        {
            "week": grouped.size().index,
            "rows": grouped.size().to_numpy(),
            "rmse": np.round(np.sqrt(grouped.apply(lambda r: np.mean(r**2)).to_numpy()), 4),
            "bias": np.round(grouped.mean().to_numpy(), 4),
        }
    )
