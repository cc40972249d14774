"""Evaluation of every trained model on the test set, the champion per target, explanations.

Metrics per target and model: RMSE, MAE, R2, MAPE, RMSE over the simulator's noise sigma
(the Bayes floor; only when truth.json knows it), RMSE when the test features get
Gaussian noise (robustness), and the same model on the fresh rows (:mod:`.fresh`).
The champion (lowest test RMSE) also gets permutation feature importance and plot data;
every model's first test rows are explained per feature (:mod:`co2mix.modeling.explain`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.inspection import permutation_importance
from sklearn.metrics import (
    mean_absolute_error,
    mean_absolute_percentage_error,
    r2_score,
    root_mean_squared_error,
)
from sklearn.pipeline import Pipeline

from co2mix.core import paths
from co2mix.core.errors import InputError
from co2mix.core.expressions import rows_where
from co2mix.core.params import Evaluate, Params, RowStructure
from co2mix.core.params_file import require_columns
from co2mix.core.records import number
from co2mix.core.schemas import (
    ExplainedRow,
    ModelScores,
    SliceScores,
    TargetEvaluation,
    TruthRecord,
    Unsupported,
)
from co2mix.modeling.cross_validation import cross_validate
from co2mix.modeling.explain import explain_rows
from co2mix.modeling.fresh_error import WEEKLY_COLUMNS, fresh_scores, weekly_error
from co2mix.modeling.models import validate_models
from co2mix.modeling.registry import unseen_levels
from co2mix.modeling.store import load_model


def regression_metrics(y: pd.Series, predicted: np.ndarray, sigma: float | None) -> ModelScores:
    rmse = root_mean_squared_error(y, predicted)
    metrics: ModelScores = {
        "rmse": number(rmse),
        "mae": number(mean_absolute_error(y, predicted)),
        "r2": number(r2_score(y, predicted)),
        "mape": number(mean_absolute_percentage_error(y, predicted)),
    }
    if sigma:
        metrics["rmse_over_sigma"] = number(rmse / sigma)
    return metrics


def perturbed_rmse(
    pipeline: Pipeline, x: pd.DataFrame, y: pd.Series, numeric: list[str], level: float, seed: int
) -> float:
    """Test RMSE after adding N(0, level x std) noise to every numeric feature."""
    rng = np.random.default_rng(seed)
    noisy = x.copy()
    for column in numeric:
        noisy[column] = noisy[column] + rng.normal(0.0, level * x[column].std(), len(x))
    return number(root_mean_squared_error(y, pipeline.predict(noisy)))


# ------------------------------------------------------------------ the whole evaluation


@dataclass(frozen=True)
class Task:
    """What is evaluated: a target, its features, its noise floor (None: unknown), and the
    id column that names explained rows."""

    target: str
    features: list[str]
    categorical: list[str]
    sigma: float | None
    id_column: str
    time_column: str
    # how the rows hang together: the cross-validation's folds
    structure: RowStructure = field(default_factory=lambda: RowStructure("random"))


@dataclass
class TargetResult:
    metrics: TargetEvaluation
    champion: str
    predictions: pd.DataFrame
    importance: pd.DataFrame
    fresh_error: pd.DataFrame  # the champion's error per week on the fresh rows
    explanations: dict[str, list[ExplainedRow] | Unsupported]


def score_models(
    task: Task,
    pipelines: dict[str, Pipeline],
    test: pd.DataFrame,
    fresh: pd.DataFrame,
    settings: Evaluate,
) -> tuple[dict[str, ModelScores], dict[str, str]]:
    """Test metrics of every model, with its RMSE under input noise (robustness) and its
    error on the fresh rows (when there are any); and the models that failed on the test
    rows, with the reason (not scored further). A target none of whose models holds up is
    refused."""
    x, y = test[task.features], test[task.target]
    exact = set(task.categorical) | set(settings.exact_features)
    numeric = [c for c in task.features if c not in exact]
    slices = {name: test_slice(test, name, query) for name, query in settings.slices.items()}
    per_model: dict[str, ModelScores] = {}
    failed: dict[str, str] = {}
    for name, pipeline in pipelines.items():
        predicted = pipeline.predict(x)
        if (why := failure_reason(y, predicted)) is not None:
            failed[name] = why
            continue
        scores = regression_metrics(y, predicted, task.sigma)
        scores["robustness"] = {
            f"rmse_noise_{level:g}": perturbed_rmse(pipeline, x, y, numeric, level, settings.seed)
            for level in settings.noise_levels
        }
        if slices:
            scores["slices"] = slice_scores(pipeline, slices, task)
        if len(fresh):
            scores["fresh"] = fresh_scores(
                fresh[task.target],
                pipeline.predict(fresh[task.features]),
                task.sigma,
                scores["rmse"],
            )
        per_model[name] = scores
    if not per_model:
        raise InputError(f"{paths.TEST}: every model of {task.target} failed: {failed}")
    return per_model, failed


def failure_reason(actual: pd.Series, predicted: np.ndarray) -> str | None:
    """Why a model's test predictions are not to be published (None: they may be): some
    are not finite, or they are worse than predicting the mean of the test rows (R2 < 0),
    which any model that learnt something beats."""
    finite = np.isfinite(predicted)
    if not finite.all():
        return f"predictions on {int((~finite).sum())} of {len(predicted)} test rows are not finite"
    r2 = r2_score(actual, predicted)
    if r2 < 0:
        rmse = root_mean_squared_error(actual, predicted)
        return f"test RMSE {rmse:.6g} is worse than predicting the mean (R2 {r2:.4g})"
    return None


def test_slice(test: pd.DataFrame, name: str, query: str) -> pd.DataFrame:
    """The test rows ``evaluate.slices.<name>`` selects; a bad query or an empty slice
    is refused naming it."""
    rows = test[rows_where(query, test, f"evaluate.slices.{name}")]
    if rows.empty:
        raise InputError(f"{paths.TEST}: evaluate.slices.{name} = {query!r} selects no test row")
    return rows


def slice_scores(
    pipeline: Pipeline, slices: dict[str, pd.DataFrame], task: Task
) -> dict[str, SliceScores]:
    """The model's RMSE, MAE and R2 on each declared slice of the test rows (BOxCrete's
    28-day strength: the same model, scored where the design constraint lives)."""
    out: dict[str, SliceScores] = {}
    for name, rows in slices.items():
        y, predicted = rows[task.target], pipeline.predict(rows[task.features])
        out[name] = {
            "rows": len(rows),
            "rmse": number(root_mean_squared_error(y, predicted)),
            "mae": number(mean_absolute_error(y, predicted)),
            "r2": number(r2_score(y, predicted)) if len(rows) > 1 else None,
        }
    return out


def champion_importance(
    task: Task, best: Pipeline, test: pd.DataFrame, settings: Evaluate
) -> pd.DataFrame:
    """Permutation importance of the champion's features, most important first."""
    importance = permutation_importance(
        best,
        test[task.features],
        test[task.target],
        scoring="neg_root_mean_squared_error",
        n_repeats=settings.importance_repeats,
        random_state=settings.seed,
    )
    return pd.DataFrame(
        {"feature": task.features, "importance": np.round(importance.importances_mean, 6)}
    ).sort_values("importance", ascending=False, kind="stable")


def prediction_plot(
    task: Task, best: Pipeline, test: pd.DataFrame, settings: Evaluate
) -> pd.DataFrame:
    """Actual, predicted and residual on a seeded sample of test rows."""
    rows = test.sample(n=min(settings.plot_rows, len(test)), random_state=settings.seed)
    predicted = best.predict(rows[task.features])
    return pd.DataFrame(
        {
            "actual": rows[task.target].round(4).to_numpy(),
            "predicted": np.round(predicted, 4),
            "residual": np.round(rows[task.target].to_numpy() - predicted, 4),
        }
    )


def evaluate_target(
    task: Task,
    pipelines: dict[str, Pipeline],
    test: pd.DataFrame,
    fresh: pd.DataFrame,
    settings: Evaluate,
    all_rows: pd.DataFrame | None = None,
) -> TargetResult:
    """Score every model of ``task.target``; pick, explain and plot the champion. Fresh
    rows with a level the models never saw are counted and named, not scored (the models
    of one target share their training rows, so their levels). With ``evaluate.cv_folds``
    every model that did not fail is also cross-validated over ``all_rows``."""
    fresh = fresh.dropna(subset=[task.target])
    scorable, reason = unseen_levels(next(iter(pipelines.values())), fresh[task.features])
    fresh, not_scored = fresh[scorable], int((~scorable).sum())
    per_model, failed = score_models(task, pipelines, test, fresh, settings)
    if settings.cv_folds:
        add_cross_validation(task, pipelines, per_model, all_rows, settings)
    champion = min(per_model, key=lambda name: (champion_score(per_model[name], settings), name))
    best = pipelines[champion]
    importance = champion_importance(task, best, test, settings)

    explained = test.head(settings.explain_rows)
    explanations: dict[str, list[ExplainedRow] | Unsupported] = {}
    for name, pipeline in pipelines.items():
        if name in failed:
            explanations[name] = {"unsupported": f"failed: {failed[name]}"}
            continue
        try:
            explanations[name] = explain_rows(
                pipeline, explained[task.features], explained[task.id_column]
            )
        except TypeError as exc:
            explanations[name] = {"unsupported": str(exc)}

    metrics: TargetEvaluation = {
        "sigma": task.sigma,
        "champion": champion,
        "models": per_model,
        "champion_importance": dict(
            zip(importance["feature"], importance["importance"], strict=True)
        ),
        "fresh_rows_scored": len(fresh),
    }
    if settings.champion_by == "cv":
        metrics["champion_by"] = "cv rmse_mean"
    if failed:
        metrics["failed"] = failed
    if not_scored:
        metrics["fresh_not_scored"] = {"rows": not_scored, "reason": reason}
    plot = prediction_plot(task, best, test, settings)
    fresh_error = (
        weekly_error(
            fresh[task.time_column], fresh[task.target], best.predict(fresh[task.features])
        )
        if len(fresh)
        else pd.DataFrame(columns=WEEKLY_COLUMNS)
    )
    return TargetResult(metrics, champion, plot, importance, fresh_error, explanations)


def add_cross_validation(
    task: Task,
    pipelines: dict[str, Pipeline],
    per_model: dict[str, ModelScores],
    all_rows: pd.DataFrame | None,
    settings: Evaluate,
) -> None:
    """Every scored model's cross-validated scores over ``all_rows`` (``evaluate.cv_folds``
    folds, grouped or ordered in time as the split), into its ``cv`` entry."""
    if all_rows is None:
        raise ValueError("evaluate.cv_folds needs all rows (train and test)")
    for name, scores in per_model.items():
        scores["cv"] = cross_validate(
            pipelines[name],
            all_rows,
            (task.features, task.target),
            task.structure,
            settings.cv_folds,
            settings.seed,
        )


def champion_score(scores: ModelScores, settings: Evaluate) -> float:
    """The score ``evaluate.champion_by`` picks the champion by: the test RMSE, or the mean
    cross-validated RMSE (steadier where the test split holds a few dozen groups)."""
    if settings.champion_by == "cv":
        return scores["cv"]["rmse_mean"]
    return scores["rmse"]


def evaluate_all(
    params: Params,
    train: pd.DataFrame,
    test: pd.DataFrame,
    fresh: pd.DataFrame,
    truth: TruthRecord | None,
) -> dict[str, TargetResult]:
    """Every target of ``data.targets`` with every model of ``train.models``, on the test
    and the fresh rows (and cross-validated over the train and test rows, with
    ``evaluate.cv_folds``); the noise floor comes from the simulator's truth record (a CSV
    source has none)."""
    validate_models(params.train)
    if test.empty:
        raise InputError(f"{paths.TEST}: no rows (expected the test split: run dvc repro prepare)")
    sigmas = truth["noise_sigma"] if truth else {}
    all_rows = pd.concat([train, test], ignore_index=True) if params.evaluate.cv_folds else test
    results = {}
    for target in params.data.targets:
        features = params.train.features[target]
        require_columns(f"train.features.{target}", features, list(test.columns), str(paths.TEST))
        require_columns(f"train.features.{target}", features, list(fresh.columns), str(paths.FRESH))
        task = Task(
            target=target,
            features=features,
            categorical=params.data.categorical_in(features),
            sigma=sigmas.get(target),
            id_column=params.data.id_column,
            time_column=params.data.order_column,
            structure=params.row_structure(),
        )
        pipelines = {
            m: load_model(target, m, params.train.features[target]) for m in params.train.models
        }
        results[target] = evaluate_target(task, pipelines, test, fresh, params.evaluate, all_rows)
    return results
