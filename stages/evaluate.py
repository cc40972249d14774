"""evaluate stage: test metrics of every model, champions, robustness, plots, explanations."""

import shutil
from pathlib import Path

from co2mix.cli import run_stage
from co2mix.evaluate import evaluate_target
from co2mix.io import load_model, model_path, read_json, read_parquet, staged_outputs
from co2mix.params import load_params, require_columns
from co2mix.train import fit_spec

TEST = Path("data/prepared/test.parquet")
MODELS = Path("data/models")


def main() -> None:
    params = load_params()
    test = read_parquet(TEST, stage_hint="prepare")
    truth = read_json("data/raw/truth.json")
    sigmas = (truth or {}).get("noise_sigma", {})  # CSV sources have no known noise floor

    results = {}
    for target in params.data.targets:
        spec = fit_spec(params, target, params.train.models[0])
        require_columns(f"train.features.{target}", spec.features, list(test.columns), str(TEST))
        pipelines = {m: load_model(MODELS, target, m) for m in params.train.models}
        results[target] = evaluate_target(
            target,
            pipelines,
            test,
            spec.features,
            spec.categorical,
            sigmas.get(target),
            params.evaluate,
            params.data.id_column,
        )

    with staged_outputs() as out:
        out.json({t: r.metrics for t, r in results.items()}, "metrics/evaluate.json")
        out.json({t: r.explanations for t, r in results.items()}, "metrics/explanations.json")
        for target, result in results.items():
            out.text(
                result.predictions.to_csv(index=False),
                f"metrics/plots/evaluate/predictions-{target}.csv",
            )
            out.text(
                result.importance.to_csv(index=False),
                f"metrics/plots/evaluate/importance-{target}.csv",
            )
            shutil.copyfile(
                model_path(MODELS, target, result.champion),
                out.path_for(Path("data/champions") / f"{target}.joblib"),
            )
    for target, result in results.items():
        m = result.metrics["models"][result.champion]
        floor = f", RMSE/sigma {m['rmse_over_sigma']:.3f}" if "rmse_over_sigma" in m else ""
        scores = f"RMSE {m['rmse']:.4f}, R2 {m['r2']:.4f}{floor}"
        print(f"evaluate {target}: champion {result.champion}, {scores}")


if __name__ == "__main__":
    run_stage("evaluate", main)
