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

from typing import Any

import numpy as np
import optuna
import pandas as pd
from optuna_integration import XGBoostPruningCallback
from sklearn.base import clone
from sklearn.pipeline import Pipeline
from xgboost import XGBRegressor

from co2mix.core.schemas import FitInfo
from co2mix.modeling.registry import (
    FitSpec,
    Fitted,
    on_target_scale,
    preprocessor,
    validation_split,
)
from co2mix.modeling.xgboost_options import XGBoostOptions

PRUNE_AFTER_TRIALS = 5  # the median needs a few complete trials before it judges
PRUNE_AFTER_ROUNDS = 30  # and a trial gets this many rounds before it is judged


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


def search_space(trial: optuna.Trial) -> dict[str, Any]:
    return {
        "learning_rate": trial.suggest_float("learning_rate", 0.01, 0.3, log=True),
        "max_depth": trial.suggest_int("max_depth", 2, 10),
        "min_child_weight": trial.suggest_float("min_child_weight", 1.0, 50.0, log=True),
        "subsample": trial.suggest_float("subsample", 0.5, 1.0),
        "colsample_bytree": trial.suggest_float("colsample_bytree", 0.5, 1.0),
        "reg_lambda": trial.suggest_float("reg_lambda", 1e-3, 10.0, log=True),
        "reg_alpha": trial.suggest_float("reg_alpha", 1e-3, 10.0, log=True),
    }


def tune_xgboost(spec: FitSpec[XGBoostOptions], x: pd.DataFrame, y: pd.Series) -> Fitted:
    """XGBoost (hist) tuned by Optuna's seeded TPE sampler, early stopping on validation."""
    options = spec.options
    prep = preprocessor(spec, scale=False, drop_first=False, ordinal_codes=True)
    # the search scores on the scale the trees are fitted on (log price: relative errors)
    searched = np.log(y) if spec.target_transform == "log" else y
    x_fit, x_val, y_fit, y_val = validation_split(spec, x, searched)
    fit_matrix = prep.fit_transform(x_fit)
    val_matrix = prep.transform(x_val)

    def objective(trial: optuna.Trial) -> float:
        pruning = [XGBoostPruningCallback(trial, "validation_0-rmse")] if options.pruning else []
        model = regressor(
            search_space(trial),
            options,
            spec.seed,
            n_estimators=options.max_estimators,
            early_stopping_rounds=options.early_stopping_rounds,
            eval_metric="rmse",
            callbacks=pruning,
        )
        model.fit(fit_matrix, y_fit, eval_set=[(val_matrix, y_val)], verbose=False)
        trial.set_user_attr("n_estimators", int(model.best_iteration) + 1)
        if spec.target_transform == "log":  # reported on the target's own scale
            predicted = np.exp(model.predict(val_matrix))
            rmse = float(np.sqrt(np.mean((predicted - np.exp(y_val)) ** 2)))
            trial.set_user_attr("validation_rmse", rmse)
        return float(model.best_score)

    study = new_study(options, spec.seed)
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
    return Fitted(final, search_info(study, options, n_estimators))


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
        "best_params": {k: _plain(v) for k, v in best.params.items()}
        | {"n_estimators": n_estimators},
        "trials": len(completed),
        "trials_pruned": sum(t.state == optuna.trial.TrialState.PRUNED for t in study.trials),
        "trials_requested": options.n_trials,
    }


def _plain(value: Any) -> Any:
    return round(float(value), 8) if isinstance(value, float | np.floating) else value
