"""The model registry, training through it, and per-feature explanations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.neighbors import KNeighborsRegressor
from sklearn.pipeline import Pipeline

from co2mix.core.errors import ParamsError
from co2mix.modeling import registry
from co2mix.modeling.evaluate import Task, evaluate_target
from co2mix.modeling.explain import contributions
from co2mix.modeling.model_format import to_bytes
from co2mix.modeling.models import validate_models
from co2mix.modeling.train import fit_spec, train_cell, train_one

SMALL_SEARCH = {
    "train.xgboost.n_trials": 3,
    "train.xgboost.max_estimators": 150,
    "train.xgboost.early_stopping_rounds": 10,
}


@pytest.fixture(scope="module")
def frame():
    """Plant-like rows: strength depends nonlinearly on w/b and age, with a category."""
    rng = np.random.default_rng(0)
    n = 1500
    x = pd.DataFrame(
        {
            "cement": rng.uniform(200, 450, n),
            "slag": rng.uniform(0, 200, n),
            "fly_ash": rng.uniform(0, 100, n),
            "water": rng.uniform(150, 200, n),
            "superplasticizer": rng.uniform(0, 4, n),
            "coarse_agg": rng.uniform(950, 1050, n),
            "age_days": rng.choice([3, 7, 28, 56], n),
            "curing_temp_c": rng.uniform(5, 25, n),
            "cement_supplier": pd.Categorical(rng.choice(["A", "B", "C"], n)),
            "mixing_energy_kwh": rng.uniform(2, 4, n),
            "heating_energy_kwh": rng.uniform(0, 10, n),
            "transport_km": rng.uniform(2, 60, n),
        }
    )
    wb = x["water"] / (x["cement"] + 0.8 * x["slag"] + 0.4 * x["fly_ash"])
    x["strength_mpa"] = 96 / 7**wb * np.exp(0.25 * (1 - np.sqrt(28 / x["age_days"])))
    x["strength_mpa"] += rng.normal(0, 1.0, n)
    x["co2_kg_m3"] = 0.95 * x["cement"] + 0.083 * x["slag"] + rng.normal(0, 3, n)
    x["batch_id"] = np.arange(n)
    return x


@pytest.fixture
def toy_model():
    """A model added through the public API, removed again after the test."""

    class ToyOptions(registry.Options):
        n_neighbors: int

    @registry.register("toy_knn", ToyOptions)
    def toy_knn(spec, x, y):
        knn = KNeighborsRegressor(n_neighbors=spec.options.n_neighbors)
        pipeline = Pipeline([("prep", registry.preprocessor(spec, scale=True)), ("model", knn)])
        return registry.fit_with_validation(spec, pipeline, x, y)

    yield "toy_knn"
    del registry.REGISTRY["toy_knn"]


def test_a_model_added_through_the_registry_trains_through_the_same_path(
    make_all_params, frame, toy_model
):
    params = make_all_params(
        **{"train.models": ["linear", toy_model], f"train.{toy_model}": {"n_neighbors": 7}}
    )
    result = train_one(params, frame, "strength_mpa", toy_model, "frame")
    assert result.metrics["model"] == toy_model
    assert result.metrics["validation_rmse"] > 0
    assert result.fitted.pipeline.named_steps["model"].n_neighbors == 7
    with pytest.raises(ParamsError, match=r"train\.toy_knn\.n_neighbors"):
        validate_models(
            make_all_params(**{"train.models": [toy_model], f"train.{toy_model}": {}}).train
        )


@pytest.mark.parametrize("name", ["linear", "poly2"])
def test_linear_contributions_plus_intercept_equal_the_prediction(make_all_params, frame, name):
    params = make_all_params()
    result = train_one(params, frame, "strength_mpa", name, "frame")
    features = params.train.features["strength_mpa"]
    rows = frame[features].head(50)
    shares, constant = contributions(result.fitted.pipeline, rows)
    assert list(shares.columns) == features  # one contribution per raw feature
    total = shares.sum(axis=1).to_numpy() + constant
    np.testing.assert_allclose(total, result.fitted.pipeline.predict(rows), atol=1e-6)


def test_xgboost_contributions_sum_to_the_margin(make_all_params, frame):
    params = make_all_params(**SMALL_SEARCH)
    result = train_one(params, frame, "strength_mpa", "xgboost", "frame")
    pipeline = result.fitted.pipeline
    rows = frame[params.train.features["strength_mpa"]].head(50)
    shares, constant = contributions(pipeline, rows)
    margin = pipeline.named_steps["model"].predict(
        pipeline[:-1].transform(rows), output_margin=True
    )
    np.testing.assert_allclose(shares.sum(axis=1).to_numpy() + constant, margin, atol=1e-3)
    assert result.metrics["trials"] == 3
    assert set(result.metrics["best_params"]) >= {"learning_rate", "max_depth", "n_estimators"}


def model_bytes(pipeline):
    """The pipeline's model file, as the store writes it: what byte-for-byte comparisons
    compare."""
    return to_bytes(pipeline)


def test_xgboost_search_is_byte_reproducible(make_all_params, frame):
    params = make_all_params(**SMALL_SEARCH)

    def dumped():
        result = train_one(params, frame, "co2_kg_m3", "xgboost", "frame")
        return model_bytes(result.fitted.pipeline), result.metrics

    first, second = dumped(), dumped()
    assert first[1] == second[1]
    assert first[0] == second[0]


def test_a_cell_fits_its_targets_side_by_side_as_one_after_another(
    make_all_params, frame, tmp_path
):
    """train.jobs is speed only: the models of both targets, fitted on two threads at
    once, are byte for byte those fitted one after another."""
    source = tmp_path / "train.parquet"
    frame.to_parquet(source)

    def dumped(jobs):
        params = make_all_params(**SMALL_SEARCH, **{"train.jobs": jobs})
        results = train_cell(params, source, "xgboost")
        assert list(results) == params.data.targets
        return {
            target: (model_bytes(r.fitted.pipeline), r.metrics) for target, r in results.items()
        }

    side_by_side, one_by_one = dumped(2), dumped(1)
    assert side_by_side == one_by_one
    assert side_by_side["co2_kg_m3"][0] != side_by_side["strength_mpa"][0]


def test_a_search_two_trials_at_a_time_is_byte_reproducible(make_all_params, frame):
    """Trials side by side on threads: every trial asked and told, the same model twice
    (the batch's parameters are drawn before its threads start)."""
    params = make_all_params(
        **SMALL_SEARCH | {"train.xgboost.n_trials": 6, "train.xgboost.parallel_trials": 2}
    )

    def searched():
        result = train_one(params, frame, "strength_mpa", "xgboost", "frame", progress=False)
        return model_bytes(result.fitted.pipeline), result.metrics

    first, second = searched(), searched()
    assert first == second
    assert first[1]["trials"] + first[1]["trials_pruned"] == 6


def test_unknown_names_and_bad_options_name_the_key(make_all_params, frame):
    with pytest.raises(ParamsError, match=r"train\.models: unknown model 'forest'"):
        validate_models(make_all_params(**{"train.models": ["linear", "forest"]}).train)
    with pytest.raises(ParamsError, match=r"train\.xgboost\.n_trials = 0"):
        validate_models(make_all_params(**{"train.xgboost.n_trials": 0}).train)
    params = make_all_params()
    with pytest.raises(ParamsError, match=r"data\.targets has no target 'slump'"):
        fit_spec(params, "slump", "linear")
    bad = make_all_params(**{"train.features.co2_kg_m3": ["cement", "clinker_kg"]})
    with pytest.raises(ParamsError, match=r"train\.features\.co2_kg_m3 names unknown column"):
        train_one(bad, frame, "co2_kg_m3", "linear", "data/prepared/train.parquet")
    with pytest.raises(ParamsError, match=r"train\.features must list"):
        make_all_params(**{"train.features": {"co2_kg_m3": ["cement"]}})


def test_evaluation_picks_the_lowest_rmse_and_reports_the_floor(make_all_params, frame):
    params = make_all_params()
    train, test = frame.iloc[:1200], frame.iloc[1200:]
    features = params.train.features["strength_mpa"]
    pipelines = {
        name: train_one(params, train, "strength_mpa", name, "frame").fitted.pipeline
        for name in ("linear", "poly2")
    }
    task = Task("strength_mpa", features, ["cement_supplier"], 1.0, "batch_id", "produced_at")
    result = evaluate_target(task, pipelines, test, test.iloc[:0], params.evaluate)
    scores = result.metrics["models"]
    assert result.champion == min(scores, key=lambda m: scores[m]["rmse"])
    assert scores["poly2"]["rmse_over_sigma"] == pytest.approx(scores["poly2"]["rmse"] / 1.0)
    noisy = scores["linear"]["robustness"]
    assert noisy["rmse_noise_0.05"] >= noisy["rmse_noise_0.01"] >= scores["linear"]["rmse"] * 0.99
    assert len(result.predictions) == len(test)
    assert set(result.explanations) == {"linear", "poly2"}
    assert "fresh" not in scores["linear"] and result.fresh_error.empty  # no fresh rows


# ------------------------------------------------------------------ categoricals, log target, GP


def csv_rows(n: int = 400, seed: int = 3) -> pd.DataFrame:
    """price = exp(0.5 a + grade step + site effect + noise): multiplicative, like diamonds."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "a": rng.uniform(0, 4, n),
            "grade": rng.choice(["low", "mid", "high"], n),
            "site": rng.choice(["north", "south"], n),
        }
    )
    step = frame["grade"].map({"low": 0.0, "mid": 0.4, "high": 0.9})
    frame["price"] = np.exp(0.5 * frame["a"] + step + 0.2 * (frame["site"] == "south"))
    frame["price"] *= np.exp(rng.normal(0, 0.05, n))
    return frame


def csv_spec(name: str, options: registry.Options, transform: str | None = "log"):
    return registry.FitSpec(
        features=["a", "grade", "site"],
        categorical=["grade", "site"],
        seed=0,
        validation_fraction=0.2,
        options=options,
        ordinal={"grade": ["low", "mid", "high"]},
        target_transform=transform,
    )


@pytest.mark.parametrize("name", ["linear", "poly2", "xgboost", "gp"])
def test_ordinal_and_nominal_categories_and_the_log_target_in_every_model(name, raw_params):
    from co2mix.core.params import Train
    from co2mix.modeling.models import fit_model, model_options

    blocks = {
        "gp": {"restarts": 0, "max_rows": 1000},
        "xgboost": raw_params["train"]["xgboost"] | {"n_trials": 3, "max_estimators": 200},
    }
    train = Train.model_validate(
        raw_params["train"] | {"gp": blocks["gp"], "xgboost": blocks["xgboost"]}
    )
    data = csv_rows()
    pipeline = fit_model(
        name, csv_spec(name, model_options(train, name)), data, data["price"]
    ).pipeline
    predicted = pipeline.predict(data[["a", "grade", "site"]])
    assert (predicted > 0).all()  # on the price scale, not the log scale
    relative = np.abs(predicted / data["price"] - 1)
    assert np.median(relative) < 0.15
    if name == "xgboost":  # ordered codes: one column for grade
        assert "grade" in list(pipeline[0].get_feature_names_out())
    if name == "gp":  # a kernel machine: no additive split of its prediction
        with pytest.raises(TypeError, match="no per-feature contributions"):
            contributions(pipeline, data[["a", "grade", "site"]].head(5))
    else:  # in price units: they add up to the predicted price
        shares, constant = contributions(pipeline, data[["a", "grade", "site"]].head(5))
        np.testing.assert_allclose(shares.sum(axis=1) + constant, predicted[:5], rtol=1e-4)
    bad = data[["a", "grade", "site"]].head(2).assign(grade=["low", "legendary"])
    with pytest.raises(ValueError, match="column 'grade': unknown category 'legendary'"):
        pipeline.predict(bad)
    unseen = data[["a", "grade", "site"]].head(2).assign(site=["east", "north"])
    with pytest.raises(ValueError, match="column 'site': unknown category 'east'"):
        pipeline.predict(unseen)


def test_the_gp_refuses_more_rows_than_it_can_afford(raw_params):
    from co2mix.modeling.models import GaussianProcessOptions, gaussian_process

    data = csv_rows(60)
    spec = csv_spec("gp", GaussianProcessOptions(restarts=0, max_rows=50), None)
    with pytest.raises(ParamsError, match="60 training rows is more than max_rows 50"):
        gaussian_process(spec, data[["a", "grade", "site"]], data["price"])


def test_evaluate_slices_score_every_model_where_the_query_selects(raw_params):
    from co2mix.core.errors import InputError
    from co2mix.modeling.evaluate import slice_scores, test_slice

    data = csv_rows(300)
    from co2mix.modeling.models import LinearOptions

    pipeline = fit_model_named("linear", csv_spec("linear", LinearOptions(), "log"), data)
    task = Task("price", ["a", "grade", "site"], ["grade", "site"], None, "row", "row")
    queries = {"high": "grade == 'high'", "all": "a >= 0"}
    slices = {name: test_slice(data, name, query) for name, query in queries.items()}
    scores = slice_scores(pipeline, slices, task)
    high = data[data["grade"] == "high"]
    assert scores["high"]["rows"] == len(high) and scores["all"]["rows"] == len(data)
    predicted = pipeline.predict(high[task.features])
    assert scores["high"]["mae"] == pytest.approx(
        np.mean(np.abs(predicted - high["price"])), rel=1e-5
    )
    with pytest.raises(ParamsError, match=r"evaluate.slices.bad"):
        test_slice(data, "bad", "nope > 1")
    with pytest.raises(InputError, match=r"evaluate.slices.none .* selects no test row"):
        test_slice(data, "none", "a > 1000")


def fit_model_named(name, spec, data):
    from co2mix.modeling.models import fit_model

    return fit_model(name, spec, data, data["price"]).pipeline
