"""The optimization benchmark: problem, constraints, optimizers, truth check, infeasibility."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from co2mix.core.errors import ParamsError
from co2mix.core.params_file import parse_params
from co2mix.modeling.registry import FitSpec, Options, preprocessor
from co2mix.optimize.benchmark import Benchmark, run_benchmark
from co2mix.optimize.plant_space import (
    Candidates,
    PlantMix,
    by_target,
    candidate_columns,
    mix_frame,
    plant_space,
    plant_support,
    true_values,
)
from co2mix.optimize.solvers import Recorder, run_differential_evolution
from co2mix.optimize.surrogates import Surrogate, check_setup, monotone_refit, monotone_refits
from co2mix.physics.truth import CO2, DESIGNED_COLUMNS, REFERENCE_MIX, STRENGTH, volume_m3
from co2mix.simulate.dataset import generate
from tests.helpers import set_key, small_optimize

REFERENCE_X = np.array([[REFERENCE_MIX[v] for v in DESIGNED_COLUMNS]])


def one_process(raw):
    """One process: these surrogates are closures (test_executor.py covers the workers)."""
    return set_key(small_optimize(raw), "optimize.n_jobs", 1)


@pytest.fixture(scope="module")
def params(raw_params):
    return parse_params(one_process(raw_params))


@pytest.fixture(scope="module")
def train(params):
    """Simulated training mixes: the data support of the optimizer."""
    small = params.generate.model_copy(
        update={"reference": params.generate.reference.model_copy(update={"rows": 4000})}
    )
    return generate(small, params.data).reference.dropna(subset=list(DESIGNED_COLUMNS))


def truth_surrogate(name="truth", strength_bias=0.0) -> Surrogate:
    """The plant itself as a surrogate, optionally over-optimistic about strength."""

    def predict(frame):
        co2, strength = true_values(frame)
        return co2, strength + strength_bias

    return Surrogate(name, predict, strength_rmse=2.5)


def with_optimize(raw_params, **updates):
    raw = one_process(raw_params)
    for key, value in updates.items():
        raw = set_key(raw, f"optimize.{key}", value)
    return parse_params(raw)


# ------------------------------------------------------------------ the problem


def test_mix_frame_fills_one_cubic_metre_and_matches_the_reference_anchor(params):
    frame = mix_frame(REFERENCE_X, params)
    assert volume_m3(frame)[0] == pytest.approx(1.0)
    assert frame["co2_kg_m3"].iloc[0] == pytest.approx(402.4, abs=0.5)
    assert frame["strength_mpa"].iloc[0] == pytest.approx(40.0, abs=0.1)
    assert (frame["cement_supplier"] == params.optimize.context.cement_supplier).all()


def test_candidates_compute_the_truth_only_when_read_and_exactly_as_mix_columns(params):
    x = np.random.default_rng(0).uniform(
        [80, 0, 0, 130, 0, 900], [520, 300, 150, 220, 6, 1100], (50, 6)
    )
    eager = candidate_columns(x, params)
    lazy = Candidates(x, PlantMix(params.generate, params.optimize.context))
    assert CO2 not in lazy and STRENGTH not in lazy  # what a surrogate's run never pays for
    assert set(eager) - set(lazy) == {CO2, STRENGTH}
    for name in lazy:
        np.testing.assert_array_equal(lazy[name], eager[name])
    co2, strength = true_values(lazy)  # the plant's predictor reads them: computed now
    assert np.array_equal(co2, eager[CO2]) and np.array_equal(strength, eager[STRENGTH])
    with pytest.raises(KeyError, match="slump"):
        lazy["slump"]


def limit_violation(space, columns):
    return sum(limit.violation(columns) for limit in space.limits)


def test_limits_flag_high_water_binder_and_too_much_fly_ash(params):
    space = plant_space(params, 30.0, None, REFERENCE_X)
    wet = REFERENCE_X.copy()
    wet[0, 3] = 400 * 0.80  # w/b 0.80 > 0.65
    ashy = REFERENCE_X.copy()
    ashy[0, 0], ashy[0, 2] = 200.0, 200.0  # fly ash half the binder > 0.35
    frames = mix_frame(np.vstack([REFERENCE_X, wet, ashy]), params)
    violation = limit_violation(space, frames)
    assert violation[0] == 0.0
    assert violation[1] > 0.0 and violation[2] > 0.0


def test_strength_shortfall_is_a_violation(params):
    _, ok = plant_space(params, 39.0, None, REFERENCE_X).score(REFERENCE_X, by_target(true_values))
    _, short = plant_space(params, 45.0, None, REFERENCE_X).score(
        REFERENCE_X, by_target(true_values)
    )
    assert ok[0] == 0.0 and short[0] > 0.0


def test_data_support_accepts_training_mixes_and_rejects_far_ones(params, train):
    support = plant_support(train, params)
    inside = support.violation(mix_frame(train[list(DESIGNED_COLUMNS)].to_numpy()[:200], params))
    assert (inside == 0.0).mean() > 0.9  # the box trims 0.5 % per tail of 7 columns
    far = mix_frame(np.array([[100.0, 300.0, 150.0, 130.0, 0.0, 900.0]]), params)
    assert support.violation(far)[0] > 0.0


def test_inverted_bounds_and_limits_are_refused_when_the_params_load(raw_params):
    with pytest.raises(
        ParamsError, match=r"optimize.bounds: lower bound above upper bound: cement"
    ):
        with_optimize(raw_params, **{"bounds.cement": [400.0, 200.0]})
    with pytest.raises(ParamsError, match=r"optimize.limits.water_binder = \[0.6, 0.3\]: lower"):
        with_optimize(raw_params, **{"limits.water_binder": [0.6, 0.3]})


def test_an_unreachable_strength_target_is_refused_in_seconds_naming_the_highest(raw_params, train):
    params = with_optimize(
        raw_params, strength_target_mpa=120.0, surrogates=["poly2"], pareto_targets_mpa=[35.0]
    )
    with pytest.raises(ParamsError) as refused:
        run_benchmark(params, {"poly2": truth_surrogate("poly2")}, train)
    message = str(refused.value)
    assert message.startswith("params.yaml: optimize.strength_target_mpa = 120:")
    highest = float(message.rsplit("at most ", 1)[1].split(" MPa")[0])
    assert 40.0 < highest < 120.0


# ------------------------------------------------------------------ optimizers


def test_recorder_counts_points_and_keeps_only_feasible_mixes_within_budget():
    def score(x):
        return x[:, 0], np.where(x[:, 0] < 0.5, 1.0, 0.0)  # feasible when x >= 0.5

    rec = Recorder(score, budget=4)
    rec(np.array([[0.1], [0.9], [0.7]]))
    assert rec.best_value == pytest.approx(0.7)
    rec(np.array([[0.6], [0.55]]))  # only the first is inside the budget
    assert rec.evaluations == 5 and rec.calls == 2
    assert rec.best_value == pytest.approx(0.6)
    assert list(rec.best_at(np.array([3, 4]))) == [pytest.approx(0.7), pytest.approx(0.6)]


def test_vectorized_de_is_deterministic_and_calls_once_per_generation(params):
    space = plant_space(params, 35.0, None, REFERENCE_X)
    runs = []
    for _ in range(2):
        rec = Recorder(space.scorer(by_target(true_values)), budget=600)
        run_differential_evolution(rec, space.bounds, seed=3, popsize=5)
        runs.append(rec)
    assert np.array_equal(runs[0].best_x, runs[1].best_x)
    assert runs[0].calls == runs[0].evaluations // 30  # population 5 x 6 per call
    assert runs[0].best_x is not None


# ------------------------------------------------------------------ the benchmark


@pytest.fixture(scope="module")
def outcome(params, train):
    surrogates = {
        "linear": truth_surrogate("linear"),
        "poly2": truth_surrogate("poly2", strength_bias=4.0),
    }
    p = params.model_copy(
        update={
            "optimize": params.optimize.model_copy(
                update={"surrogates": ["linear", "poly2"], "surrogate": "linear"}
            )
        }
    )
    return run_benchmark(p, surrogates, train)


def test_a_truthful_surrogate_finds_a_truly_feasible_mix_near_the_true_optimum(outcome, params):
    m = outcome.metrics
    assert m["feasible"] is True
    answer = m["answer"]
    assert answer["truly_feasible"] is True
    assert answer["true_strength_mpa"] >= m["strength_target_mpa"] - 1e-6
    # the reported truth is the physics of the reported mix (mixes are rounded to 0.1 kg)
    again = mix_frame(np.array([[answer["mix"][v] for v in DESIGNED_COLUMNS]]), params).iloc[0]
    assert again["co2_kg_m3"] == pytest.approx(answer["true_co2_kg_m3"], abs=0.2)
    assert again["strength_mpa"] == pytest.approx(answer["true_strength_mpa"], abs=0.1)
    assert 0.0 <= answer["gap_to_optimum_pct"] < 10.0
    assert answer["reduction_pct"] > 30.0
    assert m["true_optimum"]["co2_kg_m3"] < m["reference_mix"]["co2_kg_m3"]


def test_the_answer_is_the_configured_optimizers_run(raw_params, train):
    params = with_optimize(
        raw_params,
        optimizer="dual_annealing",
        surrogates=["linear"],
        surrogate="linear",
        pareto_targets_mpa=[35.0],
    )
    outcome = run_benchmark(params, {"linear": truth_surrogate("linear")}, train)
    answer = outcome.metrics["answer"]
    assert answer["optimizer"] == "dual_annealing"
    runs = [r for r in outcome.runs if r["optimizer"] == "dual_annealing" and r["feasible"]]
    assert answer["true_co2_kg_m3"] == min(r["true_co2_kg_m3"] for r in runs)


def test_every_optimizer_is_reported_with_its_evaluations(outcome, params):
    optimizers = outcome.metrics["optimizers"]
    assert list(optimizers) == params.optimize.optimizers
    assert optimizers["direct"]["runs"] == 1  # deterministic: one run stands for all seeds
    assert optimizers["random_search"]["runs"] == len(params.optimize.seeds)
    for name in ("differential_evolution", "random_search"):
        assert optimizers[name]["evaluations"] == params.optimize.budget
    assert list(outcome.convergence.columns) == ["evaluations", *params.optimize.optimizers]
    recorded = [r for r in outcome.runs if r["benchmark"] == "optimizers"]
    assert {r["optimizer"] for r in recorded} == set(params.optimize.optimizers)
    assert all(set(r["mix"]) >= set(DESIGNED_COLUMNS) for r in recorded if r["feasible"])


def test_an_optimistic_surrogate_is_caught_by_the_truth_check(outcome):
    optimistic = outcome.metrics["surrogates"]["poly2"]["configured"]
    assert optimistic["truly_feasible_runs"] == 0
    assert optimistic["predicted_strength_mpa"] - optimistic["true_strength_mpa"] == pytest.approx(
        4.0, abs=0.01
    )
    remedied = outcome.metrics["surrogates"]["poly2"]["with_margin"]  # 1 x RMSE 2.5 MPa
    assert remedied["predicted_strength_mpa"] >= 35.0 + 2.5 - 1e-6
    assert remedied["true_strength_min_mpa"] > optimistic["true_strength_min_mpa"]


def test_without_support_the_optimizer_leaves_the_data_and_is_scored_on_its_own_optimum(
    outcome,
):
    metrics = outcome.metrics
    supported = metrics["surrogates"]["linear"]["configured"]
    unsupported = metrics["surrogates"]["linear"]["without_support"]
    free = metrics["true_optimum_without_support"]["co2_kg_m3"]
    assert free < metrics["true_optimum"]["co2_kg_m3"] - 10.0  # support only removes mixes
    assert unsupported["true_co2_kg_m3"] < supported["true_co2_kg_m3"]
    expected_gap = 100.0 * (unsupported["true_co2_kg_m3"] / free - 1.0)
    assert unsupported["gap_to_optimum_pct"] == pytest.approx(expected_gap, abs=0.05)


def test_pareto_sweep_costs_more_co2_for_more_strength(outcome, params):
    pareto = outcome.pareto
    assert list(pareto["strength_target_mpa"]) == params.optimize.pareto_targets_mpa
    assert pareto["true_optimum_co2"].is_monotonic_increasing


def test_the_benchmark_is_deterministic(params, train):
    surrogates = {"poly2": truth_surrogate("poly2")}
    p = params.model_copy(
        update={
            "optimize": params.optimize.model_copy(
                update={"surrogates": ["poly2"], "pareto_targets_mpa": [35.0]}
            )
        }
    )
    first, second = run_benchmark(p, surrogates, train), run_benchmark(p, surrogates, train)
    assert first.metrics == second.metrics
    pd.testing.assert_frame_equal(first.convergence, second.convergence)


@pytest.mark.parametrize(
    ("key", "value", "reason"),
    [
        ("strength_target_mpa", 120.0, "no mix within optimize.bounds met every constraint"),
    ],
)
def test_infeasible_setups_say_why_and_report_feasible_false(raw_params, train, key, value, reason):
    params = with_optimize(
        raw_params, **{key: value, "surrogates": ["poly2"], "pareto_targets_mpa": [35.0]}
    )
    outcome = Benchmark(params, {"poly2": truth_surrogate("poly2")}, train).run()
    assert outcome.metrics["feasible"] is False
    assert reason in outcome.metrics["reason"]
    assert "answer" not in outcome.metrics


# ------------------------------------------------------------------ remedies


def test_monotone_refit_makes_strength_fall_with_water(train):
    from sklearn.pipeline import Pipeline
    from xgboost import XGBRegressor

    features = ["cement", "slag", "fly_ash", "water", "age_days"]
    spec = FitSpec(features, [], seed=0, validation_fraction=0.2, options=Options())
    pipeline = Pipeline(
        [("prep", preprocessor(spec, scale=False)), ("model", XGBRegressor(n_estimators=80))]
    ).fit(train[features], train["strength_mpa"])
    refit = monotone_refit(pipeline, {"water": -1, "cement": 1}, train, "strength_mpa", n_jobs=1)

    grid = pd.DataFrame({c: np.full(50, train[c].median()) for c in features})
    grid["water"] = np.linspace(train["water"].min(), train["water"].max(), 50)
    assert (np.diff(refit.predict(grid)) <= 1e-9).all()
    assert refit.named_steps["model"].get_params()["monotone_constraints"] == (1, 0, 0, -1, 0)


def test_both_monotone_refits_side_by_side_equal_each_alone_on_two_threads(params, train):
    from sklearn.pipeline import Pipeline
    from xgboost import XGBRegressor

    pipelines, rows = {}, {}
    for target in (CO2, STRENGTH):
        features = params.train.features[target]
        numeric = [f for f in features if f != "cement_supplier"]
        spec = FitSpec(numeric, [], seed=0, validation_fraction=0.2, options=Options())
        model = XGBRegressor(n_estimators=60, random_state=0)
        pipeline = Pipeline([("prep", preprocessor(spec, scale=False)), ("model", model)])
        pipelines[target] = {"xgboost": pipeline.fit(train[numeric], train[target])}
        rows[target] = train
    together = monotone_refits(params, pipelines, rows)  # train.jobs threads, 1 XGBoost thread
    for target in (CO2, STRENGTH):
        signs = params.optimize.monotone.get(target, {})
        alone = monotone_refit(pipelines[target]["xgboost"], signs, train, target, n_jobs=2)
        x = train[list(alone.named_steps["prep"].feature_names_in_)]
        assert np.array_equal(together[target].predict(x), alone.predict(x))
        assert together[target].named_steps["model"].get_params()["n_jobs"] == 1


def test_surrogates_must_be_trained_models_or_remedies_checked_by_optimize_only(raw_params):
    params = parse_params(set_key(raw_params, "train.models", ["linear"]))  # other stages run
    with pytest.raises(ParamsError, match=r"optimize\.surrogates \['poly2', 'xgboost'\]"):
        check_setup(params)
    check_setup(parse_params(raw_params))
