"""A CSV dataset a test writes itself (a regression with a categorical and an ordinal
column), and the params that make it a co2mix profile: what a user does for their data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from tests.helpers import ROOT

GRADES = ["low", "mid", "high"]  # an ordinal column's levels, in order


def synthetic_csv(path: Path, rows: int = 500, seed: int = 0) -> pd.DataFrame:
    """y = 3 a - 2 b + grade effect + site effect + noise; a group column ``batch``."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "A value": rng.uniform(0, 10, rows).round(3),
            "b": rng.normal(5, 2, rows).round(3),
            "site": rng.choice(["north", "south", "east"], rows),
            "grade": rng.choice(GRADES, rows),
            "batch": rng.integers(0, 50, rows),
        }
    )
    effect = frame["grade"].map({"low": 0.0, "mid": 4.0, "high": 9.0}) + frame["site"].map(
        {"north": 0.0, "south": 2.0, "east": -1.0}
    )
    frame["y"] = (3 * frame["A value"] - 2 * frame["b"] + effect + rng.normal(0, 1, rows)).round(3)
    frame.to_csv(path, index=False)
    return frame


def csv_params(path: str, **ingest: Any) -> dict[str, Any]:
    """A CSV profile's params for :func:`synthetic_csv`'s file (small, fast models)."""
    diamonds = yaml.safe_load((ROOT / "profiles/diamonds/params.yaml").read_text())
    raw: dict[str, Any] = {
        "data": {
            "source": "csv",
            "id_column": "row",
            "time_column": None,
            "targets": ["y"],
            "categorical": ["site", "grade"],
            "ordinal": {"grade": GRADES},
            "sensor_columns": [],
        },
        "ingest": {
            "path": path,
            "columns": {
                "A value": "a",
                "b": "b",
                "site": "site",
                "grade": "grade",
                "batch": "batch",
                "y": "y",
            },
            "filters": ["b > -100"],
            "split": "group",
            "group_column": "batch",
            "test_fraction": 0.2,
            "seed": 1,
        }
        | ingest,
        "detect": diamonds["detect"],
        "check": diamonds["check"] | {"features": ["a", "b", "site", "grade"], "outlier_rows": 100},
        "prepare": diamonds["prepare"],
        "train": {
            "seed": 0,
            "validation_fraction": 0.2,
            "engine": "local",
            "jobs": 1,
            "cluster": {"workers": 2, "threads_per_worker": 1},
            "models": ["linear", "xgboost", "gp"],
            "target_transform": {},
            "features": {"y": ["a", "b", "site", "grade"]},
            "linear": {"fit_intercept": True},
            "xgboost": diamonds["train"]["xgboost"]
            | {"n_trials": 3, "max_estimators": 100, "early_stopping_rounds": 5},
            "gp": {"restarts": 0, "max_rows": 1000},
        },
        "evaluate": diamonds["evaluate"],
        "refresh": diamonds["refresh"],
        "design": None,
    }
    return raw
