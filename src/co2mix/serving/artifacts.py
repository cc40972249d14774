"""What the service serves, read from the pipeline's outputs and nothing else.

The published champions (``data/champions``, the refresh stage's DVC artifacts), the
published models of the optimizer's answer surrogate, the prepared training rows (the
data support and the similar-rows search), the committed metrics (test scores, the
conformal intervals) and the hashes ``dvc.lock`` records for them. From the working
tree by default; from another git revision through ``dvc.api`` (the local DVC cache)
with ``rev``.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from sklearn.pipeline import Pipeline

from co2mix.core import paths
from co2mix.core.errors import InputError
from co2mix.core.locked import checked_bytes, locked_outs, repository_of
from co2mix.core.params import CsvParams, Params
from co2mix.core.params_file import parse_params
from co2mix.core.params_serve import Serve
from co2mix.core.records import check
from co2mix.core.schemas import (
    CheckMetrics,
    ConformalInterval,
    EvaluateMetrics,
    RefreshMetrics,
)
from co2mix.core.schemas_forecast import ForecastMetrics
from co2mix.modeling.model_format import from_bytes
from co2mix.plant_params.root import PlantParams

Reader = Callable[[Path], bytes]  # a repository path -> its bytes (FileNotFoundError if none)


class ArtifactsMissing(InputError):
    """The pipeline has not produced what the service needs."""


@dataclass(frozen=True)
class TargetModel:
    """One target's published champion and what is known of it."""

    target: str
    model: str  # its registry name
    pipeline: Pipeline
    features: list[str]
    interval: ConformalInterval | None
    test_metrics: dict[str, float]
    md5: str  # of the champion file, as DVC's cache names it


@dataclass(frozen=True)
class Artifacts:
    params: Params
    rev: str | None
    champions: dict[str, TargetModel]  # by target
    # the models a design searches with, by target: the plant's optimize.surrogate, or a
    # CSV dataset's design.models (its published champion where none is named)
    surrogate: dict[str, Pipeline] | None
    train: pd.DataFrame
    lock_hashes: dict[str, str] = field(default_factory=dict)  # dvc.lock: path -> md5
    forecast: ForecastMetrics | None = None  # the plant's forecast stage record, if any
    refresh: RefreshMetrics | None = None  # the refresh decisions (the page's status)
    check: CheckMetrics | None = None  # the latest data check (the page's status)
    design_rows: pd.DataFrame | None = None  # a CSV design space's real mixes (train + test)

    @property
    def serve(self) -> Serve:
        assert self.params.serve is not None  # load_artifacts refuses a dataset without it
        return self.params.serve

    @property
    def plant(self) -> PlantParams | None:
        """The plant's params (its optimizer: mix advice); None for a CSV dataset."""
        return self.params if isinstance(self.params, PlantParams) else None

    @property
    def features(self) -> list[str]:
        """Every feature some champion needs, in a stable order."""
        seen: dict[str, None] = {}
        for model in self.champions.values():
            seen.update(dict.fromkeys(model.features))
        return list(seen)

    def categories(self, column: str) -> list[str] | None:
        """The allowed values of a categorical column (None for a numeric one): an ordinal
        column's declared levels, else the categories the models were trained on."""
        data = self.params.data
        if column in data.ordinal:
            return list(data.ordinal[column])
        if column not in self.train:
            return None
        dtype = self.train[column].dtype
        if isinstance(dtype, pd.CategoricalDtype):
            return [str(c) for c in dtype.categories]
        if column in data.categorical:
            return sorted(str(c) for c in self.train[column].dropna().unique())
        return None


def local_reader(root: Path) -> Reader:
    return lambda path: (root / path).read_bytes()


def revision_reader(root: Path, rev: str) -> Reader:
    """Files as they were at git revision ``rev``: DVC outputs from the local cache. A
    dataset profile (``root`` = ``profiles/<name>``) reads its files inside the repository
    that holds it."""
    import dvc.api

    root = root.resolve()
    repo = next((d for d in [root, *root.parents] if (d / ".dvc").is_dir()), root)
    inside = root.relative_to(repo)

    def read(path: Path) -> bytes:
        try:
            data = dvc.api.read(str(inside / path), repo=str(repo), rev=rev, mode="rb")
        except Exception as exc:  # dvc raises its own types for a missing path or rev
            raise FileNotFoundError(f"{path}@{rev}: {exc}") from None
        return bytes(data)

    return read


def _need(read: Reader, path: Path, what: str) -> bytes:
    try:
        return read(path)
    except FileNotFoundError:
        raise ArtifactsMissing(
            f"{path}: {what} not found: run `dvc repro` first (or `dvc pull`)"
        ) from None


@dataclass(frozen=True)
class Lock:
    """The ``dvc.lock`` outputs models are checked against, and DVC's cache (where a
    directory output's manifest is)."""

    outs: dict[str, str]
    cache: Path
    root: Path | None  # the working tree, to rebuild a manifest from (None: a revision)


def _model(read: Reader, path: Path, lock: Lock) -> Pipeline:
    return _pipeline(_need(read, path, "model"), path, lock)


def _pipeline(raw: bytes, path: Path, lock: Lock) -> Pipeline:
    """The pipeline in ``raw``, read only if they are the bytes ``dvc.lock`` records, and
    built only from trusted types (:mod:`co2mix.modeling.model_format`)."""
    checked_bytes(raw, path.as_posix(), lock.outs, lock.cache, lock.root)
    try:
        return from_bytes(raw, str(path))
    except InputError as exc:
        raise ArtifactsMissing(str(exc)) from None


def _json(read: Reader, path: Path, schema: Any) -> Any:
    return check(json.loads(_need(read, path, "metrics")), schema, str(path))


def load_artifacts(root: Path = Path("."), rev: str | None = None) -> Artifacts:
    """Everything the service needs; :class:`ArtifactsMissing` names the first absent file."""
    read = local_reader(root) if rev is None else revision_reader(root, rev)
    params = parse_params(yaml.safe_load(_need(read, paths.PARAMS, "params")))
    if params.serve is None:
        raise ArtifactsMissing(f"{paths.PARAMS}: no serve section: this dataset is not served")
    refreshed: RefreshMetrics = _json(read, paths.REFRESH_METRICS, RefreshMetrics)
    evaluation: EvaluateMetrics = _json(read, paths.EVALUATE_METRICS, EvaluateMetrics)
    lock = Lock(
        locked_outs(_need(read, paths.DVC_LOCK, "dvc.lock")),
        repository_of(root) / ".dvc" / "cache",
        root if rev is None else None,
    )
    champions = {}
    for target in params.data.targets:
        if target not in refreshed:
            raise ArtifactsMissing(
                f"{paths.REFRESH_METRICS}: no target {target!r}: run `dvc repro`"
            )
        record = refreshed[target]
        path = paths.champion_file(target)
        raw = _need(read, path, "champion")
        scores = evaluation[target]["models"][record["champion"]]
        champions[target] = TargetModel(
            target=target,
            model=record["champion"],
            pipeline=_pipeline(raw, path, lock),
            features=list(params.train.features[target]),
            interval=record.get("interval"),
            test_metrics={k: float(v) for k, v in scores.items() if isinstance(v, int | float)},
            md5=hashlib.md5(raw).hexdigest(),
        )
    train = pd.read_parquet(io.BytesIO(_need(read, paths.TRAIN, "prepared training rows")))
    surrogate, design_rows = _design_models(read, params, refreshed, lock, train)
    forecast = _optional(read, paths.FORECAST_METRICS, ForecastMetrics)
    if not isinstance(params, PlantParams):
        forecast = None
    checked = _optional(read, paths.CHECK_METRICS, CheckMetrics)
    return Artifacts(
        params,
        rev,
        champions,
        surrogate,
        train,
        lock.outs,
        forecast,
        refreshed,
        checked,
        design_rows,
    )


def _design_models(
    read: Reader, params: Params, refreshed: RefreshMetrics, lock: Lock, train: pd.DataFrame
) -> tuple[dict[str, Pipeline] | None, pd.DataFrame | None]:
    """The models a design searches with (the plant's ``optimize.surrogate``; a CSV
    design's ``design.models``, else its champions) and a CSV design's real mixes."""
    if isinstance(params, PlantParams):
        name = params.optimize.surrogate
        models = {t: _model(read, paths.published_file(t, name), lock) for t in params.data.targets}
        return models, None
    if not isinstance(params, CsvParams) or params.design is None:
        return None, None
    design = params.design
    named = {t: design.models.get(t) or refreshed[t]["champion"] for t in design.targets}
    models = {t: _model(read, paths.published_file(t, m), lock) for t, m in named.items()}
    test = pd.read_parquet(io.BytesIO(_need(read, paths.TEST, "prepared test rows")))
    return models, pd.concat([train, test], ignore_index=True)


def _optional(read: Reader, path: Path, schema: Any) -> Any:
    """A record the service can do without (the forecast, the check): None when absent,
    e.g. at a revision from before its stage existed."""
    try:
        raw = read(path)
    except FileNotFoundError:
        return None
    return check(json.loads(raw), schema, str(path))
