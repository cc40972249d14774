"""optimize stage: optimizer benchmark on the surrogates, truth check, strength sweep."""

from co2mix.startup import prepare_stage_process

prepare_stage_process()  # before any heavy import (co2mix/startup.py says why)

# isort: split
import time

from co2mix.core import paths, records
from co2mix.core.contracts import read_checked
from co2mix.core.io import staged_outputs, write_timing
from co2mix.core.params_file import load_params
from co2mix.core.schemas import RefreshMetrics, TruthRecord
from co2mix.core.stage import run_stage
from co2mix.modeling.refresh import published_rows
from co2mix.optimize.benchmark import run_benchmark
from co2mix.optimize.executor import start_workers
from co2mix.optimize.plant_now import current_plant, describe_plant
from co2mix.optimize.specification import specification
from co2mix.optimize.surrogates import build_surrogates, check_setup, load_pipelines
from co2mix.plant_params.root import require_plant


def main() -> None:
    start = time.perf_counter()
    truth = records.read(paths.TRUTH, TruthRecord)
    params = current_plant(require_plant(load_params(), "optimize"), truth)
    check_setup(params)
    start_workers(params.optimize.n_jobs)
    train = read_checked(paths.TRAIN, params, "prepare")
    test = read_checked(paths.TEST, params, "prepare")
    fresh = read_checked(paths.FRESH, params, "prepare", min_rows=0)
    refreshed = records.read(paths.REFRESH_METRICS, RefreshMetrics)
    rows = published_rows(params, train, fresh, refreshed)
    surrogates = build_surrogates(params, load_pipelines(params), rows, test)
    outcome = run_benchmark(params, surrogates, train, specification(params, refreshed))
    outcome.metrics["plant"] = describe_plant(params, truth)

    with staged_outputs() as out:
        records.write(out, paths.OPTIMIZE_METRICS, outcome.metrics)
        records.write(out, paths.OPTIMIZE_RUNS, outcome.runs)
        records.write_table(out, paths.CONVERGENCE_PLOT, outcome.convergence)
        records.write_table(out, paths.PARETO_PLOT, outcome.pareto)
        records.write_table(out, paths.COST_FRONT_PLOT, outcome.cost_front)
    seconds = outcome.seconds | {"stage": time.perf_counter() - start}
    write_timing(paths.timing("optimize"), seconds)

    metrics = outcome.metrics
    for name, m in metrics.get("optimizers", {}).items():
        print(
            f"optimize: {name}: true CO2 {m.get('true_co2_kg_m3')}, gap "
            f"{m.get('gap_to_optimum_pct')} %, "
            f"truly feasible {m['truly_feasible_runs']}/{m['runs']}"
        )
    print("seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in seconds.items()))
    answer = metrics.get("answer")
    if answer is None:
        print(f"optimize: INFEASIBLE: {metrics.get('reason')}")
        return
    print(
        f"optimize: {metrics['surrogate']} + {answer['optimizer']}: "
        f"predicted {answer.get('predicted_co2_kg_m3')} kg CO2e/m3, true "
        f"{answer.get('true_co2_kg_m3')} ({answer.get('reduction_pct')} % below the reference "
        f"mix), true strength {answer.get('true_strength_mpa')} MPa (target "
        f"{metrics['strength_target_mpa']}), {answer.get('gap_to_optimum_pct')} % above the "
        "true optimum"
    )


if __name__ == "__main__":
    run_stage("optimize", main)
