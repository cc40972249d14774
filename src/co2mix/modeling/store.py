"""The trained-model store: one directory per (target, model) under ``data/models``."""

from __future__ import annotations

from pathlib import Path

import joblib
from sklearn.pipeline import Pipeline

from co2mix.core import paths
from co2mix.core.errors import InputError
from co2mix.core.io import StagedOutputs


def save_model(out: StagedOutputs, pipeline: Pipeline, target: str, model: str) -> None:
    """Stage the pipeline (joblib) and, for XGBoost, its native version-portable JSON."""
    path = paths.model_file(target, model)
    joblib.dump(pipeline, out.path_for(path))
    booster = getattr(pipeline.named_steps["model"], "get_booster", None)
    if booster is not None:
        booster().save_model(out.path_for(path.with_suffix(".json"), suffix=".json"))


def load_model(target: str, model: str, root: Path = Path(".")) -> Pipeline:
    """A trained pipeline; a missing or unreadable one is an :class:`InputError` naming it."""
    path = root / paths.model_file(target, model)
    if not path.exists():
        raise InputError(f"{path}: model not found (run: dvc repro train)")
    try:
        pipeline = joblib.load(path)
    except Exception as exc:  # a truncated pickle raises several types
        raise InputError(f"{path}: not a readable model file ({type(exc).__name__})") from None
    if not isinstance(pipeline, Pipeline):
        raise InputError(f"{path}: expected a scikit-learn Pipeline, found {type(pipeline)}")
    return pipeline


def load_models(targets: list[str], models: list[str]) -> dict[str, dict[str, Pipeline]]:
    """Every trained pipeline, by target then model name."""
    return {target: {m: load_model(target, m) for m in models} for target in targets}
