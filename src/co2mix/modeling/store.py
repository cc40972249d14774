"""The trained-model store: one directory per (target, model) under ``data/models``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from sklearn.pipeline import Pipeline

from co2mix.core import paths
from co2mix.core.errors import InputError
from co2mix.core.io import StagedOutputs
from co2mix.core.locked import read_locked
from co2mix.modeling.model_format import from_bytes, to_bytes
from co2mix.modeling.registry import final_estimator


def save_model(out: StagedOutputs, pipeline: Pipeline, target: str, model: str) -> None:
    """Stage the pipeline (:mod:`co2mix.modeling.model_format`) and, for XGBoost, its
    native version-portable JSON too (for tools outside co2mix)."""
    path = paths.model_file(target, model)
    save_pipeline(out, pipeline, path)
    booster = getattr(final_estimator(pipeline), "get_booster", None)
    if booster is not None:
        booster().save_model(out.path_for(path.with_suffix(".json"), suffix=".json"))


def save_pipeline(out: StagedOutputs, pipeline: Pipeline, path: Path) -> None:
    """Stage ``pipeline`` at ``path`` as a model file that cannot run code."""
    out.path_for(path).write_bytes(to_bytes(pipeline))


def load_model(target: str, model: str, features: Sequence[str]) -> Pipeline:
    """A trained pipeline; a missing or unreadable one is an :class:`InputError` naming it."""
    return load_pipeline(paths.model_file(target, model), "train", features)


def load_published(target: str, model: str, features: Sequence[str]) -> Pipeline:
    """A model the refresh stage published (reference-trained or refreshed)."""
    return load_pipeline(paths.published_file(target, model), "refresh", features)


def load_pipeline(path: Path, stage: str, features: Sequence[str] | None = None) -> Pipeline:
    """The pipeline at ``path``, fitted on ``features`` in that order; missing, not the
    file ``dvc.lock`` recorded (:mod:`co2mix.core.locked`), unreadable or of another
    shape is an :class:`InputError` naming it."""
    if not path.exists():
        raise InputError(f"{path}: model not found (run: dvc repro {stage})")
    raw = read_locked(path)  # the bytes dvc.lock recorded, or refused unread
    pipeline = from_bytes(raw, str(path))  # trusted types only, or refused unbuilt
    fitted_on = list(getattr(pipeline, "feature_names_in_", []))
    if features is not None and fitted_on != list(features):
        raise InputError(
            f"{path}: a model of the features {fitted_on}, expected {list(features)} "
            f"(params.yaml train.features changed since: dvc repro {stage})"
        )
    return pipeline


def load_models(
    features: Mapping[str, Sequence[str]], targets: list[str], models: list[str]
) -> dict[str, dict[str, Pipeline]]:
    """Every published pipeline, by target then model name (``features`` by target)."""
    return {
        target: {m: load_published(target, m, features[target]) for m in models}
        for target in targets
    }
