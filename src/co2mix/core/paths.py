"""Every file the pipeline reads or writes, relative to the project root: the one home of
the paths (``dvc.yaml`` declares the same files; ``tests/test_layers.py`` checks they agree).

Stages run from the project root (DVC's working directory), so relative paths are the
paths DVC tracks, and the report can ask git for the same path at another revision.
"""

from __future__ import annotations

from pathlib import Path

PARAMS = Path("params.yaml")
DVC_LOCK = Path("dvc.lock")

# generate
RAW = Path("data/raw")
REFERENCE = RAW / "reference.parquet"
CURRENT = RAW / "current.parquet"
TRUTH = RAW / "truth.json"
BATCHES = {"reference": REFERENCE, "current": CURRENT}

# check
REPORTS = Path("data/reports")
CHECK_HTML = REPORTS / "check.html"
CHECK_GATE = REPORTS / "check-gate.txt"  # written unless check stopped the pipeline
TIMINGS = REPORTS / "timings"  # wall-clock seconds: beside the data, never in metrics/

# prepare
PREPARED = Path("data/prepared")
TRAIN = PREPARED / "train.parquet"
TEST = PREPARED / "test.parquet"
FRESH = PREPARED / "fresh.parquet"  # the current batch's rows no model trains on

# train, evaluate
MODELS = Path("data/models")
CHAMPIONS = Path("data/champions")

# refresh: the models the pipeline publishes (reference-trained or refreshed)
PUBLISHED = Path("data/published")

# optimize
OPTIMIZE_RUNS = Path("data/optimize/runs.json")

# committed metrics and plot data
METRICS = Path("metrics")
GENERATE_METRICS = METRICS / "generate.json"
INGEST_METRICS = METRICS / "ingest.json"  # a CSV source instead of generate
CHECK_METRICS = METRICS / "check.json"
PREPARE_METRICS = METRICS / "prepare.json"
TRAIN_METRICS = METRICS / "train"
EVALUATE_METRICS = METRICS / "evaluate.json"
EXPLANATIONS = METRICS / "explanations.json"
REFRESH_METRICS = METRICS / "refresh.json"
OPTIMIZE_METRICS = METRICS / "optimize.json"
DESIGN_METRICS = METRICS / "design.json"  # a CSV dataset's design stage
PLOTS = METRICS / "plots"
EVALUATE_PLOTS = PLOTS / "evaluate"
CONVERGENCE_PLOT = PLOTS / "convergence.csv"
PARETO_PLOT = PLOTS / "pareto.csv"
COST_FRONT_PLOT = PLOTS / "cost_front.csv"  # the answer's CO2 against its cost
FORECAST_METRICS = METRICS / "forecast.json"
FORECAST_PLOTS = PLOTS / "forecast"  # <series>.csv: the champion's backtest with intervals


def model_dir(target: str, model: str) -> Path:
    """Under the model's directory (the ``train@<model>`` cell's one output), one per
    target, so that extra files (XGBoost's native JSON) are tracked with the model and a
    restored cache is complete."""
    return MODELS / model / target


def model_file(target: str, model: str) -> Path:
    return model_dir(target, model) / "model.skops"


def published_file(target: str, model: str) -> Path:
    return PUBLISHED / target / f"{model}.skops"


def champion_file(target: str) -> Path:
    return CHAMPIONS / f"{target}.skops"


def train_metrics(model: str) -> Path:
    """The ``train@<model>`` cell's metrics: one record per target."""
    return TRAIN_METRICS / f"{model}.json"


def predictions_plot(target: str) -> Path:
    return EVALUATE_PLOTS / f"predictions-{target}.csv"


def fresh_plot(target: str) -> Path:
    return EVALUATE_PLOTS / f"fresh-{target}.csv"


def importance_plot(target: str) -> Path:
    return EVALUATE_PLOTS / f"importance-{target}.csv"


def timing(stage: str) -> Path:
    return TIMINGS / f"{stage}.json"
