"""Cross-validated scores over all rows (``evaluate.cv_folds``): a second opinion on a test
split that is small or grouped.

BOxCrete's test split holds 32 mixes: one draw of 32 recipes, whose score moves by a
megapascal with the draw. Each model is refit K times on all rows but one fold (train and
test rows together, folds grouped or ordered in time by
:func:`co2mix.modeling.folds.validation_folds`, as every split inside training) and
scored on the fold it did not see; the mean says how the model does, the spread across
folds how far one split's score may stray.

What is refit is the model *as trained*: the hyper-parameters training chose are held
(XGBoost's searched parameters and tree count, poly2's penalty, the GP's kernel), not
searched again inside every fold. Training chose them on the training rows, which are
most of every fold's fitting rows and part of its validation rows, so the mean is a
little optimistic for the tuned models; a nested search (K searches) would remove that at
K times the cost of training.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.compose import TransformedTargetRegressor
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.linear_model import Ridge, RidgeCV
from sklearn.metrics import r2_score, root_mean_squared_error
from sklearn.pipeline import Pipeline

from co2mix.core.params import RowStructure
from co2mix.core.records import number
from co2mix.core.schemas import CrossValidatedScores
from co2mix.modeling.folds import describe_folds, validation_folds
from co2mix.modeling.registry import final_estimator


def as_trained(pipeline: Pipeline) -> Pipeline:
    """An unfitted copy of ``pipeline`` with the hyper-parameters its training chose held
    fixed: a ridge at the chosen penalty, a GP with the fitted kernel (not re-optimized);
    every other model's parameters are its own (XGBoost's are the search's best)."""
    copy = clone(pipeline)
    chosen = final_estimator(pipeline)
    if isinstance(chosen, RidgeCV):
        held = Ridge(alpha=float(chosen.alpha_), fit_intercept=chosen.fit_intercept)
    elif isinstance(chosen, GaussianProcessRegressor):
        held = clone(chosen).set_params(kernel=chosen.kernel_, optimizer=None)
    else:
        return copy
    name, last = copy.steps[-1]
    if isinstance(last, TransformedTargetRegressor):
        last.set_params(regressor=held)
    else:
        copy.steps[-1] = (name, held)
    return copy


def cross_validate(
    pipeline: Pipeline,
    rows: pd.DataFrame,
    columns: tuple[list[str], str],
    structure: RowStructure,
    folds: int,
    seed: int,
) -> CrossValidatedScores:
    """``pipeline`` as trained, refit on K-1 folds of ``rows`` and scored on the K-th, for
    every fold; ``columns`` are the (features, target), and rows without a target value
    are left out."""
    features, target = columns
    rows = rows.dropna(subset=[target]).reset_index(drop=True)
    labels = rows[structure.column] if structure.column else None
    x, y = rows[features], rows[target]
    rmses, r2s = [], []
    for fit, val in validation_folds(structure, labels, rows.index, folds, 1 / folds, seed):
        model = as_trained(pipeline).fit(x.iloc[fit], y.iloc[fit])
        predicted = model.predict(x.iloc[val])
        rmses.append(root_mean_squared_error(y.iloc[val], predicted))
        r2s.append(r2_score(y.iloc[val], predicted))
    return {
        "folds": folds,
        "validation": describe_folds(structure, folds, 1 / folds),
        "rmse_mean": number(float(np.mean(rmses))),
        "rmse_std": number(float(np.std(rmses, ddof=1))),
        "r2_mean": number(float(np.mean(r2s))),
        "rmse_folds": [number(float(r)) for r in rmses],
    }
