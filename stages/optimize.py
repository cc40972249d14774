"""optimize stage: optimizer benchmark on the surrogates, truth check, strength sweep."""

import time
from pathlib import Path

from co2mix.cli import run_stage
from co2mix.io import dumps_json, read_parquet, staged_outputs
from co2mix.optimize.benchmark import optimizer_table, run_benchmark
from co2mix.optimize.surrogates import build_surrogates, load_pipelines
from co2mix.params import load_params

TRAIN = Path("data/prepared/train.parquet")
TEST = Path("data/prepared/test.parquet")
MODELS = Path("data/models")
PLOTS = Path("metrics/plots")


def main() -> None:
    start = time.perf_counter()
    params = load_params()
    params.check_optimize()
    train = read_parquet(TRAIN, stage_hint="prepare")
    test = read_parquet(TEST, stage_hint="prepare")
    surrogates = build_surrogates(params, load_pipelines(params, MODELS), train, test)
    outcome = run_benchmark(params, surrogates, train)

    with staged_outputs() as out:
        out.json(outcome.metrics, "metrics/optimize.json")
        out.json(outcome.runs, "data/optimize/runs.json")
        out.text(outcome.convergence.to_csv(index=False), PLOTS / "convergence.csv")
        out.text(outcome.pareto.to_csv(index=False), PLOTS / "pareto.csv")
    # Wall-clock seconds change every run: printed and kept beside the data, never in metrics/.
    seconds = outcome.seconds | {"stage": time.perf_counter() - start}
    Path("data/reports/timings").mkdir(parents=True, exist_ok=True)
    Path("data/reports/timings/optimize.json").write_text(
        dumps_json({k: round(v, 3) for k, v in seconds.items()})
    )

    metrics = outcome.metrics
    print("\n".join(optimizer_table(metrics)))
    print("seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in seconds.items()))
    if not metrics["feasible"]:
        print(f"optimize: INFEASIBLE: {metrics['reason']}")
        return
    answer = metrics["answer"]
    print(
        f"optimize: {metrics['surrogate']} + {answer['optimizer']}: "
        f"predicted {answer['predicted_co2_kg_m3']} kg CO2e/m3, true {answer['true_co2_kg_m3']} "
        f"({answer['reduction_pct']} % below the reference mix), true strength "
        f"{answer['true_strength_mpa']} MPa (target {metrics['strength_target_mpa']}), "
        f"{answer['gap_to_optimum_pct']} % above the true optimum"
    )


if __name__ == "__main__":
    run_stage("optimize", main)
