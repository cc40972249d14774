"""Hyper-parameter search for XGBoost with Optuna (seeded TPE, early stopping, pruning).

Each trial fits on the training rows minus a validation split and stops adding trees
when the validation RMSE has not improved for ``early_stopping_rounds``. With
``pruning`` on, Optuna's median pruner also stops a trial whose validation RMSE, round
by round (optuna-integration's XGBoost callback), is worse than the median of the
earlier trials at the same round: most of the search's time went into trials with small
learning rates and thousands of trees that were never going to win. The best trial's
parameters and tree count are then refit on all training rows. Deterministic for a fixed
seed as long as ``n_trials`` (not ``timeout_s``, a safety net) ends the search.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import optuna
import pandas as pd
from optuna.distributions import BaseDistribution, FloatDistribution, IntDistribution
from sklearn.base import clone
from sklearn.pipeline import Pipeline
from xgboost import XGBRegressor
from xgboost.callback import TrainingCallback

from co2mix.core.records import significant
from co2mix.core.schemas import FitInfo
from co2mix.modeling.registry import (
    FitSpec,
    Fitted,
    on_target_scale,
    preprocessor,
)
from co2mix.modeling.xgboost_options import XGBoostOptions

PRUNE_AFTER_TRIALS = 5  # the median needs a few complete trials before it judges
PRUNE_AFTER_ROUNDS = 30  # and a trial gets this many rounds before it is judged
SCORE_DIGITS = 6  # what the search's decisions see of a validation RMSE (RoundedPruning)


class RoundedPruning(TrainingCallback):
    """Reports each round's validation RMSE to the median pruner, rounded to
    ``SCORE_DIGITS`` significant digits (optuna-integration's callback reports it raw).

    Why rounded: the pruner's verdict compares a trial's score with the median of earlier
    trials, and a trial near the median flips on the last bits of its score, which move
    with the CPU's floating point. A flipped trial changes the search's history, so what
    TPE samples next, so the model: the search was chaotic (another CPU pruned 17 instead
    of 18 trials). Rounded, two scores within the last bits are equal (a tie is not
    pruned), and a flip needs a score to straddle a rounding boundary: about one chance
    in a million per comparison instead of one whenever two trials are close."""

    def __init__(self, trial: optuna.Trial) -> None:
        self.trial = trial

    def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
        self.trial.report(significant(evals_log["validation_0"]["rmse"][-1], SCORE_DIGITS), epoch)
        if self.trial.should_prune():
            raise optuna.TrialPruned(f"pruned at round {epoch}")
        return False  # never stops the training itself


def regressor(
    params: dict[str, Any], options: XGBoostOptions, seed: int, **extra: Any
) -> XGBRegressor:
    return XGBRegressor(
        tree_method="hist",
        objective="reg:squarederror",
        random_state=seed,
        n_jobs=options.n_jobs,
        **params,
        **extra,
    )


# The searched parameters, in the order they are sampled (the order fixes the draws).
SPACE: dict[str, FloatDistribution | IntDistribution] = {
    "learning_rate": FloatDistribution(0.01, 0.3, log=True),
    "max_depth": IntDistribution(2, 10),
    "min_child_weight": FloatDistribution(1.0, 50.0, log=True),
    "subsample": FloatDistribution(0.5, 1.0),
    "colsample_bytree": FloatDistribution(0.5, 1.0),
    "reg_lambda": FloatDistribution(1e-3, 10.0, log=True),
    "reg_alpha": FloatDistribution(1e-3, 10.0, log=True),
}


def search_space(trial: optuna.Trial) -> dict[str, Any]:
    """The trial's parameters: sampled now, or the ones it was asked with."""
    return {
        name: trial.suggest_int(name, d.low, d.high)
        if isinstance(d, IntDistribution)
        else trial.suggest_float(name, d.low, d.high, log=d.log)
        for name, d in SPACE.items()
    }


@dataclass(frozen=True)
class SearchFold:
    """One (fitting, validation) split as the trees see it: encoded matrices."""

    fit_matrix: Any
    y_fit: pd.Series
    val_matrix: Any
    y_val: pd.Series


def search_folds(
    spec: FitSpec[XGBoostOptions], prep: Any, x: pd.DataFrame, y: pd.Series
) -> list[SearchFold]:
    """The folds every trial is scored on (``train.cv_folds``; grouped or ordered in time
    as the rows are), each encoded by the preprocessor fitted on its own fitting rows."""
    folds = []
    for fit, val in spec.folds(x, spec.cv_folds):
        encode = clone(prep)
        folds.append(
            SearchFold(
                encode.fit_transform(x.iloc[fit]),
                y.iloc[fit],
                encode.transform(x.iloc[val]),
                y.iloc[val],
            )
        )
    return folds


def fold_objective(
    spec: FitSpec[XGBoostOptions], folds: list[SearchFold]
) -> Callable[[optuna.Trial], float]:
    """A trial's score: the mean over ``folds`` of the early-stopped validation RMSE (on
    the fitted scale, rounded: what TPE ranks); its mean tree count and, for a log
    target, its RMSE on the target's own scale go into the trial's attributes."""
    options = spec.options

    def objective(trial: optuna.Trial) -> float:
        sampled = search_space(trial)
        scores, trees, rmses = [], [], []
        for k, fold in enumerate(folds):
            pruning = [RoundedPruning(trial)] if options.pruning and k == 0 else []
            model = regressor(
                sampled,
                options,
                spec.seed,
                n_estimators=options.max_estimators,
                early_stopping_rounds=options.early_stopping_rounds,
                eval_metric="rmse",
                callbacks=pruning,
            )
            model.fit(
                fold.fit_matrix, fold.y_fit, eval_set=[(fold.val_matrix, fold.y_val)], verbose=False
            )
            scores.append(float(model.best_score))
            trees.append(int(model.best_iteration) + 1)
            if spec.target_transform == "log":  # reported on the target's own scale
                predicted = np.exp(model.predict(fold.val_matrix))
                rmses.append(float(np.sqrt(np.mean((predicted - np.exp(fold.y_val)) ** 2))))
        trial.set_user_attr("n_estimators", round(float(np.mean(trees))))
        if rmses:
            trial.set_user_attr("validation_rmse", float(np.mean(rmses)))
        return significant(float(np.mean(scores)), SCORE_DIGITS)

    return objective


def tune_xgboost(spec: FitSpec[XGBoostOptions], x: pd.DataFrame, y: pd.Series) -> Fitted:
    """XGBoost (hist) tuned by Optuna's seeded TPE sampler, early stopping on validation.

    With ``train.cv_folds`` K > 1 a trial is the mean of K fits, one per fold, each
    stopping on its own validation rows; the pruner judges a trial on its first fold, and
    the refit on all rows takes the folds' mean tree count."""
    options = spec.options
    prep = preprocessor(spec, scale=False, drop_first=False, ordinal_codes=True)
    # the search scores on the scale the trees are fitted on (log price: relative errors)
    searched = np.log(y) if spec.target_transform == "log" else y
    folds = search_folds(spec, prep, x, searched)

    objective = fold_objective(spec, folds)
    study = new_study(options, spec.seed)
    if options.parallel_trials > 1:
        run_side_by_side(study, objective, options)
    else:
        study.optimize(
            objective,
            n_trials=options.n_trials,
            timeout=options.timeout_s,
            show_progress_bar=spec.progress,
        )
    n_estimators = study.best_trial.user_attrs["n_estimators"]
    final = Pipeline(
        [
            ("prep", clone(prep)),
            (
                "model",
                on_target_scale(
                    spec,
                    regressor(
                        study.best_trial.params, options, spec.seed, n_estimators=n_estimators
                    ),
                ),
            ),
        ]
    )
    final.fit(x, y)
    info = search_info(study, options, n_estimators)
    if spec.structure.kind != "random" or spec.cv_folds > 1:
        info["validation"] = spec.validation_name(spec.cv_folds)
    return Fitted(final, info)


def run_side_by_side(
    study: optuna.Study, objective: Callable[[optuna.Trial], float], options: XGBoostOptions
) -> None:
    """The search ``options.parallel_trials`` trials at a time, each on its own thread
    (XGBoost releases the GIL), for a cell with more cores than targets: a one-target
    dataset's search on two cores. XGBoost's own threads (``n_jobs``) were the other
    way to use them, and they spin: on a loaded machine a diamonds search took 27 s on
    2 of them against 6 s as two 1-thread trials.

    A batch's parameters are sampled here, in order, when its trials are asked (a
    ``suggest`` in the threads would draw from the shared sampler in whatever order they
    ran); they are told in order once all of them ended. So it is deterministic: TPE
    samples a batch from the trials finished before it, and the median pruner judges a
    trial by the completed ones (a running trial is neither). The results can differ from
    one trial at a time (TPE learns after every batch, not every trial): a param of the
    search, not only of its speed."""
    width = options.parallel_trials
    deadline = time.monotonic() + options.timeout_s
    space: dict[str, BaseDistribution] = dict(SPACE)

    def attempt(trial: optuna.Trial) -> float | None:
        try:
            return objective(trial)
        except optuna.TrialPruned:
            return None

    with ThreadPoolExecutor(width, thread_name_prefix="trial") as pool:
        while len(study.trials) < options.n_trials and time.monotonic() < deadline:
            # sampled here, in order: the threads only read them (search_space)
            size = min(width, options.n_trials - len(study.trials))
            batch = [study.ask(space) for _ in range(size)]
            for trial, value in zip(batch, pool.map(attempt, batch), strict=True):
                if value is None:
                    study.tell(trial, state=optuna.trial.TrialState.PRUNED)
                else:
                    study.tell(trial, value)


def new_study(options: XGBoostOptions, seed: int) -> optuna.Study:
    """A seeded TPE study, with the median pruner when ``pruning`` is on."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    pruner = (
        optuna.pruners.MedianPruner(PRUNE_AFTER_TRIALS, PRUNE_AFTER_ROUNDS)
        if options.pruning
        else optuna.pruners.NopPruner()
    )
    return optuna.create_study(
        direction="minimize", sampler=optuna.samplers.TPESampler(seed=seed), pruner=pruner
    )


def search_info(study: optuna.Study, options: XGBoostOptions, n_estimators: int) -> FitInfo:
    """The search's result; the validation RMSE on the target's own scale."""
    best = study.best_trial
    assert best.value is not None  # a completed trial has a value
    completed = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    return {
        "validation_rmse": round(float(best.user_attrs.get("validation_rmse", best.value)), 6),
        "best_params": {k: _rounded_value(v) for k, v in best.params.items()}
        | {"n_estimators": n_estimators},
        "trials": len(completed),
        "trials_pruned": sum(t.state == optuna.trial.TrialState.PRUNED for t in study.trials),
        "trials_requested": options.n_trials,
    }


def _rounded_value(value: Any) -> Any:
    return round(float(value), 8) if isinstance(value, float | np.floating) else value
