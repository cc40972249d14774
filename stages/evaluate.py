"""evaluate stage: test metrics of every model, champions, robustness, plots, explanations."""

from co2mix.startup import prepare_stage_process

prepare_stage_process()  # before any heavy import (co2mix/startup.py says why)

# isort: split
from co2mix.core import paths, records
from co2mix.core.contracts import read_checked
from co2mix.core.io import staged_outputs
from co2mix.core.params_file import load_params
from co2mix.core.schemas import TruthRecord
from co2mix.core.stage import run_stage
from co2mix.modeling.evaluate import evaluate_all


def main() -> None:
    params = load_params()
    train = read_checked(paths.TRAIN, params, "prepare")
    test = read_checked(paths.TEST, params, "prepare")
    fresh = read_checked(paths.FRESH, params, "prepare", min_rows=0)
    results = evaluate_all(params, train, test, fresh, records.read(paths.TRUTH, TruthRecord))

    with staged_outputs() as out:
        records.write(out, paths.EVALUATE_METRICS, {t: r.metrics for t, r in results.items()})
        records.write(out, paths.EXPLANATIONS, {t: r.explanations for t, r in results.items()})
        for target, result in results.items():
            records.write_table(out, paths.predictions_plot(target), result.predictions)
            records.write_table(out, paths.importance_plot(target), result.importance)
            records.write_table(out, paths.fresh_plot(target), result.fresh_error)
    for target, result in results.items():
        m = result.metrics["models"][result.champion]
        floor = f", RMSE/sigma {m['rmse_over_sigma']:.3f}" if "rmse_over_sigma" in m else ""
        scores = f"RMSE {m['rmse']:.4f}, R2 {m['r2']:.4f}{floor}"
        print(f"evaluate {target}: champion {result.champion}, {scores}")
        if "fresh" in m:
            f = m["fresh"]
            print(
                f"evaluate {target}: champion on {f['rows']} fresh rows: RMSE {f['rmse']:.4f}, "
                f"bias {f['bias']:+.4f} (actual - predicted), "
                f"x{f.get('degradation', 1):.2f} the test RMSE"
            )


if __name__ == "__main__":
    run_stage("evaluate", main)
