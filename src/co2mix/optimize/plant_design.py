"""The plant's inputs to the design stage: its design space on today's plant, the
published surrogate ``optimize.surrogate``, and the truth check.

Loaded by name from the design stage (:data:`co2mix.optimize.design_record.DESIGNERS`),
so a CSV dataset's design stage never loads the plant. The plant designs for the current
batch's plant (:mod:`co2mix.optimize.plant_now`: a drifted supplier or a colder year),
its strength specified by ``optimize.strength`` (the characteristic basis's required
mean from the published champion's spread), and every answer is poured on the
simulator's physics (:class:`~co2mix.optimize.truth_check.PlantTruth`). With the same
params the answer is the benchmark's (``metrics/optimize.json``): the same space, runs
and seeds.
"""

from __future__ import annotations

import numpy as np

from co2mix.core import paths, records
from co2mix.core.contracts import read_checked
from co2mix.core.params import Params
from co2mix.core.schemas import RefreshMetrics, TruthRecord
from co2mix.core.schemas_optimize import TruthCheck
from co2mix.modeling.refresh import published_rows
from co2mix.optimize.design import Budget
from co2mix.optimize.design_record import Designer
from co2mix.optimize.plant_now import current_plant
from co2mix.optimize.plant_space import by_target, plant_space, plant_support, starting_mixes
from co2mix.optimize.specification import specification
from co2mix.optimize.summary import rounded_check
from co2mix.optimize.surrogates import build_surrogates, check_setup, load_pipelines
from co2mix.optimize.truth_check import PlantTruth
from co2mix.physics.truth import CO2, STRENGTH
from co2mix.plant_params.root import require_plant


def designer(loaded: Params) -> Designer:
    """The plant's Designer from the pipeline's files (prepared rows, published models,
    the refresh record, the current batch's drift)."""
    truth = records.read(paths.TRUTH, TruthRecord)
    params = current_plant(require_plant(loaded, "design"), truth)
    check_setup(params)
    opt = params.optimize
    train = read_checked(paths.TRAIN, params, "prepare")
    test = read_checked(paths.TEST, params, "prepare")
    fresh = read_checked(paths.FRESH, params, "prepare", min_rows=0)
    refreshed = records.read(paths.REFRESH_METRICS, RefreshMetrics)
    rows = published_rows(params, train, fresh, refreshed)
    surrogate = build_surrogates(params, load_pipelines(params), rows, test, [opt.surrogate])
    answer = surrogate[opt.surrogate]
    spec = specification(params, refreshed)
    required = spec.required_mean(spec.target_mpa) + opt.safety_margin_rmse * answer.strength_rmse
    support = plant_support(train, params) if opt.support.enabled else None
    plant = PlantTruth(params, spec)

    def check(x: np.ndarray) -> TruthCheck:
        checked = plant.check(x, answer.predict, spec.target_mpa, None)
        return rounded_check(checked)

    return Designer(
        space=plant_space(params, required, support, starting_mixes(train, params)),
        predict=by_target(answer.predict),
        models={CO2: opt.surrogate, STRENGTH: opt.surrogate},
        constraints={STRENGTH: spec.target_mpa},
        margin_std=0.0,
        optimizer=opt.optimizer,
        seeds=list(opt.seeds),
        budget=Budget(opt.budget, opt.popsize),
        rows=train,
        name_column=params.data.id_column,
        specification=spec.record(),
        check=check,
    )
