"""The optimizer runs on worker processes: the same results as one by one, to the bit."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import Pipeline

from co2mix.core.params_file import parse_params
from co2mix.modeling.registry import FitSpec, Options, preprocessor
from co2mix.optimize.benchmark import Benchmark
from co2mix.optimize.executor import Request, Setting, solve_all
from co2mix.optimize.plant_space import mix_frame, plant_space, plant_support
from co2mix.optimize.surrogates import Members, Surrogate
from co2mix.physics.truth import CO2, DESIGNED_COLUMNS, STRENGTH
from co2mix.simulate.dataset import generate
from tests.helpers import set_key, small_optimize

FEATURES = {
    CO2: ["cement", "slag", "fly_ash", "water", "superplasticizer", "coarse_agg"],
    STRENGTH: ["cement", "slag", "fly_ash", "water", "age_days", "cement_supplier"],
}


def fitted(train, target):
    spec = FitSpec(FEATURES[target], ["cement_supplier"], 0, 0.2, Options())
    model = Pipeline([("prep", preprocessor(spec, scale=True)), ("model", LinearRegression())])
    return model.fit(train[FEATURES[target]], train[target])


@pytest.fixture(scope="module")
def params(raw_params):
    raw = set_key(small_optimize(raw_params), "optimize.surrogates", ["linear"])
    raw = set_key(raw, "optimize.surrogate", "linear")
    return parse_params(set_key(raw, "optimize.pareto_targets_mpa", [35.0]))


@pytest.fixture(scope="module")
def train(params):
    small = params.generate.model_copy(
        update={"reference": params.generate.reference.model_copy(update={"rows": 3000})}
    )
    frame = generate(small, params.data).reference
    return frame.dropna(subset=[*DESIGNED_COLUMNS, *FEATURES[STRENGTH], CO2, STRENGTH])


@pytest.fixture(scope="module")
def surrogates(train):
    """A real compiled surrogate: it reaches the workers as pipelines and compiles there."""
    members = Members([fitted(train, CO2)], [fitted(train, STRENGTH)])
    return {"linear": Surrogate("linear", members.compiled(), strength_rmse=2.5)}


def with_jobs(params, n_jobs):
    return params.model_copy(
        update={"optimize": params.optimize.model_copy(update={"n_jobs": n_jobs})}
    )


def test_a_compiled_surrogate_predicts_the_same_after_pickling(surrogates, params, train):
    import pickle

    predict = surrogates["linear"].predict
    again = pickle.loads(pickle.dumps(predict))
    columns = mix_frame(train[list(DESIGNED_COLUMNS)].to_numpy()[:50], params)
    for before, after in zip(predict(columns), again(columns), strict=True):
        assert np.array_equal(before, after)


def test_workers_give_the_runs_of_one_process_bit_for_bit(surrogates, params, train):
    support = plant_support(train, params)
    starts = train[list(DESIGNED_COLUMNS)].to_numpy()
    space = plant_space(params, 35.0, support, starts)
    setting = Setting(space, {"linear": surrogates["linear"].predict})
    requests = [
        Request("linear", optimizer, seed, 300, 5, 35.0, supported)
        for optimizer in ("differential_evolution", "dual_annealing")
        for seed in (1, 2)
        for supported in (True, False)
    ]
    alone, workers = solve_all(setting, requests, 1), solve_all(setting, requests, 2)
    assert list(alone) and set(alone) == set(workers) == set(requests)
    for request in requests:
        (one, _), (other, _) = alone[request], workers[request]
        assert one.best_value == other.best_value and one.trace == other.trace
        assert np.array_equal(one.best_x, other.best_x)
    assert any(r.best_x is not None for r, _ in workers.values())
    with pytest.raises(RuntimeError, match="does not score"):
        workers[requests[0]][0](starts[:1])


def test_the_benchmark_is_the_same_on_two_processes_and_plans_every_run(
    surrogates, params, train, monkeypatch
):
    alone = Benchmark(with_jobs(params, 1), surrogates, train).run()

    def no_solving_here(self, request):
        raise AssertionError(f"the planning walk missed {request}")

    # the workers import a fresh co2mix; in this process no run may be made after the plan
    monkeypatch.setattr(Setting, "solve", no_solving_here)
    workers = Benchmark(with_jobs(params, 2), surrogates, train).run()
    assert workers.metrics == alone.metrics
    assert workers.runs == alone.runs
    assert workers.pareto.equals(alone.pareto) and workers.convergence.equals(alone.convergence)
    assert workers.metrics["feasible"] is True
