"""The real-data matrix: public regression datasets that installed packages ship, each
through ``co2mix profile new`` and ``dvc repro`` unedited, the champion set against two
baselines fitted on the very same training rows and scored on the very same test rows:
XGBoost with its default parameters and ordinary least squares (categoricals one-hot).

    python bench/bench_real_data.py [--datasets diabetes grunfeld fair randhie]
                                    [--committed boxcrete]

The committed grouped profiles (BOxCrete) are read as ``make repro`` left them.

Nothing is downloaded: scikit-learn ships diabetes, statsmodels ships the others. Each
dataset runs in a throw-away copy of the project; prints one Markdown table.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]


def diabetes() -> pd.DataFrame:
    from sklearn.datasets import load_diabetes

    return load_diabetes(as_frame=True, scaled=False).frame


def statsmodels_data(name: str) -> Callable[[], pd.DataFrame]:
    def load() -> pd.DataFrame:
        import statsmodels.api as sm

        return getattr(sm.datasets, name).load_pandas().data

    return load


# name -> (loader, target, profile new options)
DATASETS: dict[str, tuple[Callable[[], pd.DataFrame], str, list[str]]] = {
    "diabetes": (diabetes, "target", []),
    "grunfeld": (statsmodels_data("grunfeld"), "invest", ["--group", "firm"]),
    "fair": (statsmodels_data("fair"), "affairs", []),
    "randhie": (statsmodels_data("randhie"), "mdvis", []),
}


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.exit(f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def project_copy(where: Path) -> Path:
    for name in ("dvc.yaml", "params.yaml", "pyproject.toml", ".dvcignore", ".gitignore"):
        shutil.copy2(ROOT / name, where / name)
    for name in ("src", "stages"):
        shutil.copytree(ROOT / name, where / name, ignore=shutil.ignore_patterns("__pycache__"))
    (where / "profiles/diamonds").mkdir(parents=True)
    for name in ("dvc.yaml", "params.yaml"):
        shutil.copy2(ROOT / "profiles/diamonds" / name, where / "profiles/diamonds" / name)
    run(["git", "init", "-q", "-b", "main"], where)
    run(["dvc", "init", "-q"], where)
    return where


def scores(actual: pd.Series, predicted: np.ndarray) -> dict[str, float]:
    from sklearn.metrics import mean_absolute_error, r2_score, root_mean_squared_error

    return {
        "mae": mean_absolute_error(actual, predicted),
        "rmse": root_mean_squared_error(actual, predicted),
        "r2": r2_score(actual, predicted),
    }


def baselines(profile: Path, target: str) -> dict[str, dict[str, float]]:
    """XGBoost defaults and OLS on the profile's own prepared training and test rows."""
    from sklearn.linear_model import LinearRegression
    from xgboost import XGBRegressor

    params = yaml.safe_load((profile / "params.yaml").read_text())
    features = params["train"]["features"][target]
    train = pd.read_parquet(profile / "data/prepared/train.parquet").dropna(subset=[target])
    test = pd.read_parquet(profile / "data/prepared/test.parquet").dropna(subset=[target])
    both = pd.get_dummies(pd.concat([train[features], test[features]]), dtype=float)
    x_train, x_test = both.iloc[: len(train)], both.iloc[len(train) :]
    out = {}
    for name, model in (
        ("xgboost defaults", XGBRegressor(random_state=0, n_jobs=1)),
        ("linear", LinearRegression()),
    ):
        model.fit(x_train, train[target])
        out[name] = scores(test[target], model.predict(x_test))
    return out


def summary(name: str, profile: Path, target: str, split: str) -> dict[str, Any]:
    """What one profile's evaluate found, beside the baselines on its rows."""
    evaluation = json.loads((profile / "metrics/evaluate.json").read_text())[target]
    prepared = json.loads((profile / "metrics/prepare.json").read_text())["rows_out"]
    return {
        "dataset": name,
        "rows": f"{prepared['train']} / {prepared['test']}",
        "split": split,
        "champion": evaluation["champion"],
        "champion_by": evaluation.get("champion_by", "test rmse"),
        "models": evaluation["models"],
        "baselines": baselines(profile, target),
        "failed": evaluation.get("failed", {}),
    }


def one(name: str) -> dict[str, Any]:
    load, target, options = DATASETS[name]
    with tempfile.TemporaryDirectory() as tmp:
        project = project_copy(Path(tmp))
        load().to_csv(project / f"{name}.csv", index=False)
        new = ["co2mix", "profile", "new", name, "--csv", f"{name}.csv", "--target", target]
        run([*new, *options], project)
        run(["dvc", "repro", f"profiles/{name}/dvc.yaml"], project)
        split = "grouped" if "--group" in options else "random"
        return summary(name, project / "profiles" / name, target, split)


COMMITTED = {"boxcrete": ["strength_mpa", "gwp_kg_m3"]}  # committed grouped profiles


def committed(name: str, target: str) -> dict[str, Any]:
    """A committed profile as ``make repro`` left it (its prepared rows must exist)."""
    return summary(f"{name}: {target}", ROOT / "profiles" / name, target, "grouped")


def row(r: dict[str, Any]) -> str:
    models, b = r["models"], r["baselines"]
    s = models[r["champion"]]
    cv = f"{s['cv']['rmse_mean']:.4g} ± {s['cv']['rmse_std']:.2g}" if "cv" in s else "-"
    tuned = f"{models['xgboost']['rmse']:.4g}" if "xgboost" in models else "failed"
    cells = [
        f"{r['champion']} ({r['champion_by']})",
        f"{s['mae']:.4g}",
        f"{s['rmse']:.4g}",
        f"{s['r2']:.3f}",
        cv,
        tuned,
        f"{b['xgboost defaults']['rmse']:.4g}",
        f"{b['linear']['rmse']:.4g}",
    ]
    return f"| {r['dataset']} | {r['rows']} | {r['split']} | " + " | ".join(cells) + " |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=DATASETS)
    parser.add_argument("--committed", nargs="*", default=list(COMMITTED), choices=COMMITTED)
    args = parser.parse_args()
    print(
        "| dataset | train / test rows | split | champion (picked by) | MAE | RMSE | R2 "
        "| champion CV RMSE (mean ± sd) | tuned XGBoost RMSE | XGBoost defaults RMSE "
        "| linear RMSE |"
    )
    print("|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|")
    results = [one(name) for name in args.datasets]
    results += [committed(name, t) for name in args.committed for t in COMMITTED[name]]
    for r in results:
        print(row(r))
        if r["failed"]:
            print(f"|  | failed: {r['failed']} ||||||||||")


if __name__ == "__main__":
    main()
