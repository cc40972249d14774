"""The XGBoost search's options (``train.xgboost``), apart from the search itself.

Every stage that validates params or loads models needs this class; only the train
cell that searches needs Optuna and XGBoost's training path (:mod:`co2mix.modeling.search`),
whose imports are a tenth of a second of every other stage process.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from co2mix.modeling.registry import Options


class XGBoostOptions(Options):
    n_trials: Annotated[int, Field(ge=1)]
    timeout_s: Annotated[float, Field(gt=0)]
    max_estimators: Annotated[int, Field(ge=10)]
    early_stopping_rounds: Annotated[int, Field(ge=1)]
    n_jobs: Annotated[int, Field(ge=1)]
    pruning: bool
    # trials run side by side (threads), each XGBoost on n_jobs threads; the search's
    # results depend on it (co2mix.modeling.search.run_side_by_side)
    parallel_trials: Annotated[int, Field(ge=1)] = 1
