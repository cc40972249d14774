"""``co2mix profile new``: a CSV file becomes a dataset profile in one command.

    co2mix profile new NAME --csv PATH --target COL [--target COL2] [--group COL] [--time COL]

writes ``profiles/NAME/params.yaml`` (inferred from the file) and ``profiles/NAME/dvc.yaml``
(the CSV pipeline every profile shares), after which ``dvc repro profiles/NAME/dvc.yaml``
runs with no edit. What is inferred, and the rules it follows:

- column names: the header, lower-cased, every run of other characters than letters and
  digits made one ``_`` ("Cement (kg/m3)" -> ``cement_kg_m3``);
- kinds: a column whose every present value is a number is numeric, any other is
  categorical (its levels are what the data has);
- ``data.ranges``: each numeric column's [min, max] widened by :data:`RANGE_MARGIN` of its
  span on each side (not below 0 for a column with no negative value): a later file
  whose values leave them is refused by every stage, naming the column and row;
- features: every column but the targets, the group and the time column, less the
  columns it refuses, each said on the way: a constant column (it cannot teach anything),
  a categorical column with a different value on every row (an id), and a numeric column
  whose rank correlation with a target is :data:`LEAK_RANK_CORRELATION` or more (a row
  number of a file sorted by the target: a leak, not a predictor);
- the split: grouped by ``--group`` (all rows of a group on one side), by time with
  ``--time``, random otherwise; everything else takes the values the committed profiles use.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from co2mix.core.errors import InputError, ParamsError
from co2mix.core.io import staged_outputs
from co2mix.core.params_file import parse_params

RANGE_MARGIN = 0.5
LEAK_RANK_CORRELATION = 0.99
PIPELINE = Path("profiles/diamonds/dvc.yaml")  # the CSV pipeline, the same for every profile


def snake(header: str) -> str:
    name = re.sub(r"[^0-9a-zA-Z]+", "_", header).strip("_").lower()
    return name if name and not name[0].isdigit() else f"c_{name}"


@dataclass
class Inferred:
    """What the file says, and what was left out with the reason."""

    columns: dict[str, str]  # header -> name
    numeric: list[str]
    categorical: list[str]
    features: list[str]
    ranges: dict[str, list[float | None]]
    left_out: dict[str, str] = field(default_factory=dict)  # name -> why


def _read(csv: Path) -> pd.DataFrame:
    if not csv.is_file():
        raise InputError(f"--csv {csv}: file not found")
    try:
        frame = pd.read_csv(csv)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise InputError(f"--csv {csv}: not a readable CSV file: {exc}") from None
    if len(frame) < 20:
        raise InputError(f"--csv {csv}: {len(frame)} data rows; a profile needs at least 20")
    return frame


def _range(values: pd.Series) -> list[float | None]:
    low, high = float(values.min()), float(values.max())
    pad = RANGE_MARGIN * (high - low)
    lower = low - pad if low < 0 else max(0.0, low - pad)
    return [float(f"{lower:.6g}"), float(f"{high + pad:.6g}")]


def infer(frame: pd.DataFrame, targets: list[str], special: list[str]) -> Inferred:
    """Names, kinds, ranges and features of ``frame`` (its columns already renamed)."""
    numbers = {c: pd.to_numeric(frame[c], errors="coerce") for c in frame.columns}
    numeric = [c for c in frame.columns if (numbers[c].notna() == frame[c].notna()).all()]
    for target in targets:
        if target not in numeric:
            raise InputError(f"--target {target}: not a numeric column (found text in it)")
        if frame[target].nunique() < 2:
            raise InputError(f"--target {target}: a constant column cannot be predicted")
    inferred = Inferred({}, numeric, [], [], {})
    for column in frame.columns:
        if column in targets or column in special:
            continue
        distinct = frame[column].nunique()
        if distinct < 2:
            inferred.left_out[column] = "constant: a single value on every row"
        elif column not in numeric and distinct == len(frame):
            inferred.left_out[column] = "a different value on every row: an id, not a feature"
        elif column in numeric and (leak := _leaked_target(numbers, column, targets)):
            inferred.left_out[column] = leak
        else:
            inferred.features.append(column)
    inferred.categorical = [c for c in inferred.features if c not in numeric]
    for column in [*targets, *inferred.features]:
        if column in numeric:
            inferred.ranges[column] = _range(numbers[column])
    return inferred


def _leaked_target(numbers: dict[str, pd.Series], column: str, targets: list[str]) -> str:
    for target in targets:
        rho = numbers[column].corr(numbers[target], method="spearman")
        if abs(rho) >= LEAK_RANK_CORRELATION:
            return (
                f"rank correlation {rho:+.4f} with target {target}: it leaks the target "
                f"(|rho| >= {LEAK_RANK_CORRELATION}), left out"
            )
    return ""


# The sections profile new does not infer: the values the committed profiles use.
CHECK_THRESHOLDS = {
    "feature_drift": 0.08,
    "categorical_drift": 0.10,
    "label_drift": 0.06,
    "multivariate_drift": 0.20,
    "max_null_ratio": 0.10,
    "max_duplicate_ratio": 0.02,
    "max_stuck_ratio": 0.02,
    "max_spike_ratio": 0.01,
}
XGBOOST = {
    "n_trials": 50,
    "timeout_s": 1800,
    "max_estimators": 2000,
    "early_stopping_rounds": 50,
    "n_jobs": 1,
    "parallel_trials": 2,
    "pruning": True,
}
EVALUATE = {
    "seed": 42,
    "noise_levels": [0.01, 0.05],
    "exact_features": [],
    "explain_rows": 5,
    "importance_repeats": 5,
    "plot_rows": 1000,
    "slices": {},
}
REFRESH = {  # a CSV has no fresh rows: the reference-trained models are published
    "retrain": "never",
    "degradation_threshold": 1.15,
    "holdout_fraction": 0.5,
    "recent_share": 0.95,
    "min_rows": 50,
    "interval_level": 0.9,
}


SMALL_ROWS = 2000  # fewer rows than this: a test split is a few hundred rows, too noisy alone
CV_FOLDS = 5


def cross_validation_folds(frame: pd.DataFrame, group: str | None) -> int:
    """K for ``train.cv_folds`` and ``evaluate.cv_folds``: 5 for a grouped or a small
    dataset (fewer when the training side has fewer groups), 0 for a large random one,
    whose single validation and test splits are large enough to trust."""
    if group is None:
        return CV_FOLDS if len(frame) < SMALL_ROWS else 0
    training_groups = int(0.8 * frame[group].nunique())
    return min(CV_FOLDS, training_groups) if training_groups >= 2 else 0


def _sections(
    inferred: Inferred, targets: list[str], split: dict[str, Any], folds: int
) -> dict[str, Any]:
    """Every section but ``data`` and ``ingest``: the values the committed profiles use;
    cross-validation with ``folds`` folds (0: none)."""
    numeric_features = [c for c in inferred.features if c in inferred.numeric]
    return {
        "detect": {"stuck_min_readings": 2, "spike_z": 6.0},
        "check": {
            "features": inferred.features,
            "sample_rows": 0,
            "false_alarm_rate": 0.05,
            "outlier_rows": 1000,
            "seed": 42,
            "thresholds": CHECK_THRESHOLDS,
            "on_fail": "warn",
        },
        "prepare": {
            "use": "both",
            "split": "batches",
            "test_fraction": split["test_fraction"],
            "seed": 42,
            "knn_k": 5,
            "knn_fit_rows": 0,
        },
        "train": {
            "seed": 42,
            "validation_fraction": 0.2,
            "cv_folds": max(folds, 1),
            "engine": "local",
            "jobs": 1,
            "cluster": {"workers": 2, "threads_per_worker": 1},
            "models": ["linear", "poly2", "xgboost"],
            "target_transform": {},
            "features": {t: inferred.features for t in targets},
            "linear": {"fit_intercept": True},
            "poly2": {"alphas": [0.001, 0.01, 0.1, 1.0, 10.0, 100.0]},
            "xgboost": XGBOOST,
        },
        "evaluate": EVALUATE | {"cv_folds": folds, "champion_by": "cv" if folds else "test"},
        "refresh": REFRESH,
        "design": None,
        "serve": {
            "max_rows": 1000,
            "non_negative": [c for c in numeric_features if inferred.ranges[c][0] == 0.0],
            "similar_keys": inferred.categorical[:2],
            "similar_numeric": numeric_features[:3] or [targets[0]],
            "advise_seconds": 2.0,
            "advise_seed": 0,
        },
    }


def profile_params(
    frame: pd.DataFrame,
    csv_path: str,
    targets: list[str],
    group: str | None = None,
    time: str | None = None,
) -> tuple[dict[str, Any], Inferred]:
    """The params of a profile of ``frame`` (read from ``csv_path``, relative to the
    profile's folder); and what was inferred, for the command to say."""
    columns = {header: snake(str(header)) for header in frame.columns}
    renamed = frame.rename(columns=columns)
    by_name = {snake(t) if t in columns else t: t for t in [*targets, group, time] if t}
    unknown = [given for given in by_name.values() if snake(given) not in renamed.columns]
    if unknown:
        raise InputError(f"{unknown}: no such column; the file has {list(frame.columns)}")
    targets = [snake(t) for t in targets]
    special = [snake(c) for c in (group, time) if c]
    inferred = infer(renamed, targets, special)
    inferred.columns = columns
    split: dict[str, Any] = {"split": "random", "group_column": None, "test_fraction": 0.2}
    if group:
        split |= {"split": "group", "group_column": snake(group)}
    elif time:
        split |= {"split": "time"}
    data = {
        "source": "csv",
        "id_column": "row" if "row" not in renamed.columns else "row_number",
        "time_column": snake(time) if time else None,
        "targets": targets,
        "categorical": inferred.categorical,
        "ordinal": {},
        "sensor_columns": [],
        "ranges": inferred.ranges,
    }
    kept = {header: name for header, name in columns.items() if name not in inferred.left_out}
    ingest = {"path": csv_path, "columns": kept, "filters": [], **split, "seed": 42}
    folds = cross_validation_folds(renamed, snake(group) if group else None)
    raw = {"data": data, "ingest": ingest, **_sections(inferred, targets, split, folds)}
    parse_params(raw)  # what is written is valid, or nothing is
    return raw, inferred


def write_profile(
    root: Path, name: str, csv: Path, targets: list[str], group: str | None, time: str | None
) -> Inferred:
    """``profiles/<name>/params.yaml`` and ``dvc.yaml`` under ``root``; both or neither."""
    if not re.fullmatch(r"[a-z][a-z0-9_-]*", name):
        raise InputError(f"NAME {name!r}: expected lower-case letters, digits, _ or -")
    folder = root / "profiles" / name
    if folder.exists():
        raise InputError(f"{folder}: already exists (remove it, or choose another NAME)")
    frame = _read(csv)
    relative = Path(os.path.relpath(csv.resolve(), folder.resolve()))
    raw, inferred = profile_params(frame, str(relative), targets, group, time)
    header = (
        f"# {name}: made by `co2mix profile new` from {csv.name} ({len(frame)} rows).\n"
        f"# Reproduce: dvc repro profiles/{name}/dvc.yaml   (metrics in profiles/{name}/metrics/)\n"
        f"# Left out: {inferred.left_out or 'nothing'}\n\n"
    )
    with staged_outputs() as out:
        text = yaml.safe_dump(raw, sort_keys=False, width=100, default_flow_style=None)
        out.text(header + text, folder / "params.yaml")
        out.text((root / PIPELINE).read_text(), folder / "dvc.yaml")
    return inferred


def add_profile_arguments(parser: argparse.ArgumentParser) -> None:
    """``co2mix profile new``'s options (the command line itself is :mod:`co2mix.cli`)."""
    parser.add_argument("name", metavar="NAME", help="the profile: profiles/NAME/")
    parser.add_argument("--csv", type=Path, required=True, help="the data file")
    parser.add_argument(
        "--target", action="append", required=True, help="a column to predict (repeatable)"
    )
    parser.add_argument("--group", help="rows of one group stay on one side of the split")
    parser.add_argument("--time", help="production order: the latest rows are the test set")
    parser.add_argument("--root", type=Path, default=Path("."), help="the project directory")


def profile_command(args: argparse.Namespace) -> int:
    try:
        inferred = write_profile(args.root, args.name, args.csv, args.target, args.group, args.time)
    except (InputError, ParamsError) as exc:
        print(f"co2mix profile new: {exc}", file=sys.stderr)
        return 2
    for column, why in inferred.left_out.items():
        print(f"co2mix profile new: left out {column}: {why}", file=sys.stderr)
    print(
        f"co2mix profile new: profiles/{args.name}/params.yaml: {len(inferred.features)} "
        f"features ({len(inferred.categorical)} categorical), targets {args.target}; "
        f"run: dvc repro profiles/{args.name}/dvc.yaml"
    )
    return 0
