"""The fresh-data loop under every drift scenario: what check flags, how much the
reference champions degrade on the fresh rows, what the retrain policy decides, how good
the refreshed champion is on the held-out latest rows, and whether the optimizer's answer
is truly feasible on the drifted plant before (reference models) and after (published).

    python bench/bench_scenarios.py [--seeds 10] [--rows 500 5000] [--scenarios ...]
                                    [--jobs 2] [--json runs.json]

Each run is the pipeline's logic in one process at the committed params, with the
scenario, seed and current-batch size changed: models linear, poly2 and XGBoost with the
committed search's best params (no search); optimize with differential evolution on the
answer's surrogate only (3 seeds, one strength target, a smaller true-optimum budget).
"""

from __future__ import annotations

import argparse
import copy
import json
import multiprocessing
import statistics
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ("none", "winter", "supplier", "recipes", "sensor_fault", "new_supplier")
STRENGTH = "strength_mpa"
SMALL_OPTIMIZE = {
    "optimizers": ["differential_evolution"],
    "surrogates": ["poly2"],
    "surrogate": "poly2",
    "pareto_targets_mpa": [35.0],
    "truth_budget": 20000,
    "n_jobs": 1,
}


def committed_best_params(targets: list[str]) -> dict[str, dict[str, Any]]:
    """The committed search's best XGBoost params per target, read once before the runs
    (a ``dvc repro`` in the same tree deletes metrics/train while it runs)."""
    searched = json.loads((ROOT / "metrics/train/xgboost.json").read_text())
    return {t: searched[t]["best_params"] for t in targets}


def fitted_models(
    params: Any, train: Any, best_params: dict[str, dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """linear and poly2 as the train stage fits them; XGBoost at the committed best params."""
    from sklearn.pipeline import Pipeline
    from xgboost import XGBRegressor

    from co2mix.modeling.registry import preprocessor
    from co2mix.modeling.train import fit_spec, train_one

    models: dict[str, dict[str, Any]] = {}
    for target in params.data.targets:
        models[target] = {
            m: train_one(params, train, target, m, "train").fitted.pipeline
            for m in ("linear", "poly2")
        }
        spec = fit_spec(params, target, "xgboost")
        xgb = XGBRegressor(**best_params[target], tree_method="hist", n_jobs=1, random_state=42)
        pipeline = Pipeline(
            [("prep", preprocessor(spec, scale=False, drop_first=False)), ("model", xgb)]
        )
        models[target]["xgboost"] = pipeline.fit(train[spec.features], train[target])
    return models


def answer_strength(
    params: Any, models: dict[str, dict[str, Any]], rows: Any, train: Any, test: Any
) -> float:
    """The answer's true strength on the drifted plant (the best feasible poly2 + DE
    proposal over the optimizer seeds, as the optimize stage picks it; 0 when no seed
    found a mix that meets every constraint): truly feasible when it is at least the
    target - optimize.truth_tolerance_mpa."""
    from co2mix.optimize.benchmark import Benchmark
    from co2mix.optimize.surrogates import build_surrogates

    surrogates = build_surrogates(params, models, rows, test)
    outcome = Benchmark(params, surrogates, train).run()
    answer = outcome.metrics.get("answer")
    return float(answer.get("true_strength_mpa") or 0.0) if answer else 0.0


def one_run(
    scenario: str, rows: int, seed: int, raw: dict[str, Any], best: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    from sklearn.metrics import root_mean_squared_error

    from co2mix.core.params_file import parse_params
    from co2mix.data.checks import run_checks
    from co2mix.data.clean import prepare
    from co2mix.modeling.fresh_error import fresh_scores
    from co2mix.modeling.refresh import TargetData, published_rows, refresh_target, split_fresh
    from co2mix.modeling.registry import unseen_levels
    from co2mix.optimize.plant_now import current_plant
    from co2mix.simulate.dataset import generate

    raw = copy.deepcopy(raw)
    raw["generate"].update(seed=seed)
    raw["generate"]["current"].update(rows=rows, scenario=scenario)
    raw["optimize"].update(SMALL_OPTIMIZE)
    params = parse_params(raw)
    data = generate(params.generate, params.data)
    check = run_checks(
        data.reference, data.current, params.data, params.check, params.detect
    ).metrics
    batches = {"reference": data.reference, "current": data.current}
    prep = prepare(batches, params.data, params.detect, params.prepare, data.truth)
    models = fitted_models(params, prep.train, best)
    parts = split_fresh(prep.fresh, params.data.time_column, params.refresh.holdout_fraction)
    out: dict[str, Any] = {
        "scenario": scenario,
        "rows": rows,
        "seed": seed,
        "drifted": check["drifted_features"]
        + check["drifted_labels"]
        + (["multivariate"] if check["multivariate_drift"]["drifted"] else []),
    }
    decisions, published = {}, {}
    for target in params.data.targets:
        features = params.train.features[target]
        sigma = data.truth["noise_sigma"][target]
        test_rmse = {
            m: root_mean_squared_error(prep.test[target], p.predict(prep.test[features]))
            for m, p in models[target].items()
        }
        champion = min(test_rmse, key=test_rmse.__getitem__)
        # rows of a level the champion never saw (new_supplier) are not scored, as in evaluate
        scorable, _ = unseen_levels(models[target][champion], prep.fresh[features])
        known = prep.fresh[scorable]
        fresh = fresh_scores(
            known[target],
            models[target][champion].predict(known[features]),
            sigma,
            test_rmse[champion],
        )
        task = TargetData(target, features, sigma, champion, test_rmse[champion])
        record, published[target] = refresh_target(
            task, models[target], prep.train, parts, params.refresh, check["drift_detected"]
        )
        decisions[target] = record
        out[target] = {"champion": champion, "degradation": fresh["degradation"], **record}
    plant = current_plant(params, data.truth)
    reference_rows = {t: prep.train for t in params.data.targets}
    floor = params.optimize.strength_target_mpa - params.optimize.truth_tolerance_mpa
    before = answer_strength(plant, models, reference_rows, prep.train, prep.test)
    rows_now = published_rows(params, prep.train, prep.fresh, decisions)
    after = answer_strength(plant, published, rows_now, prep.train, prep.test)
    out.update(strength_before=before, strength_after=after)
    out.update(feasible_before=before >= floor, feasible_after=after >= floor)
    return out


def summarize(results: list[dict[str, Any]]) -> None:
    header = [
        "scenario",
        "current rows",
        "runs",
        "drift flagged (most common)",
        "strength champion degradation",
        "retrained (strength)",
        "refreshed RMSE / sigma (latest rows)",
        "answer truly feasible: before / after",
        "answer's true strength, lowest over seeds, MPa: before / after",
    ]
    print("| " + " | ".join(header) + " |")
    print("|---|---:|---:|---|---:|---:|---:|---:|---:|")
    for scenario in SCENARIOS:
        for rows in sorted({r["rows"] for r in results}):
            rs = [r for r in results if r["scenario"] == scenario and r["rows"] == rows]
            if not rs:
                continue
            flagged = sum(bool(r["drifted"]) for r in rs)
            names = [n for r in rs for n in r["drifted"]]
            common = max(set(names), key=names.count) if names else "-"
            s = [r[STRENGTH] for r in rs]
            degradation = statistics.median(x["degradation"] for x in s)
            retrained = sum(x["decision"] == "refreshed" for x in s)
            sigma = [x["refreshed"]["rmse_over_sigma"] for x in s if "refreshed" in x]
            refreshed = f"{statistics.median(sigma):.3f} (max {max(sigma):.3f})" if sigma else "-"
            before = sum(r["feasible_before"] for r in rs)
            after = sum(r["feasible_after"] for r in rs)
            low = min(r["strength_before"] for r in rs), min(r["strength_after"] for r in rs)
            print(
                f"| {scenario} | {rows} | {len(rs)} | {flagged}/{len(rs)} ({common}) | "
                f"{degradation:.3f} | {retrained}/{len(rs)} | {refreshed} | "
                f"{before}/{len(rs)} / {after}/{len(rs)} | {low[0]:.1f} / {low[1]:.1f} |"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--rows", type=int, nargs="+", default=[500, 5000])
    parser.add_argument("--scenarios", nargs="+", default=list(SCENARIOS), choices=SCENARIOS)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--json", type=Path, help="also write every run's record here")
    args = parser.parse_args()
    raw = yaml.safe_load((ROOT / "params.yaml").read_text())
    best = committed_best_params(raw["data"]["targets"])
    tasks = [
        (s, n, seed, raw, best)
        for s in args.scenarios
        for n in args.rows
        for seed in range(args.seeds)
    ]
    # terminate, not close: deepchecks' joblib workers can keep a worker from exiting
    with multiprocessing.get_context("spawn").Pool(args.jobs) as pool:
        results = pool.starmap(one_run, tasks, chunksize=1)
        pool.terminate()
    summarize(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=str))


if __name__ == "__main__":
    main()
