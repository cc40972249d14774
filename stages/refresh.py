"""refresh stage: refit every model on fresh data, decide which models to publish."""

from co2mix.startup import prepare_stage_process

prepare_stage_process()  # before any heavy import (co2mix/startup.py says why)

# isort: split
from co2mix.core import paths, records
from co2mix.core.contracts import read_checked
from co2mix.core.io import staged_outputs
from co2mix.core.params_file import load_params
from co2mix.core.schemas import CheckMetrics, EvaluateMetrics, TruthRecord
from co2mix.core.stage import run_stage
from co2mix.modeling.refresh import refresh_all
from co2mix.modeling.store import save_pipeline


def main() -> None:
    params = load_params()
    published = refresh_all(
        params,
        read_checked(paths.TRAIN, params, "prepare"),
        read_checked(paths.FRESH, params, "prepare", min_rows=0),
        records.read(paths.EVALUATE_METRICS, EvaluateMetrics),
        records.read(paths.CHECK_METRICS, CheckMetrics),
        records.read(paths.TRUTH, TruthRecord),
    )
    with staged_outputs() as out:
        records.write(out, paths.REFRESH_METRICS, published.metrics)
        for target, models in published.models.items():
            for name, pipeline in models.items():
                save_pipeline(out, pipeline, paths.published_file(target, name))
            champion = models[published.champions[target]]
            save_pipeline(out, champion, paths.champion_file(target))
    for target, record in published.metrics.items():
        scores = ""
        if "reference" in record and "refreshed" in record:
            old, new = record["reference"], record["refreshed"]
            scores = (
                f"; on {record['latest_rows']} latest rows RMSE {old['rmse']:.4f} "
                f"(bias {old['bias']:+.3f}) reference, {new['rmse']:.4f} "
                f"(bias {new['bias']:+.3f}) refreshed"
            )
        print(f"refresh {target}: publish {record['decision']} ({record['reason']}){scores}")
        for scored in (record.get("reference"), record.get("refreshed")):
            if scored is not None and "not_scored" in scored:
                skipped = scored["not_scored"]
                print(
                    f"refresh {target}: {skipped['rows']} latest rows not scored: "
                    f"{skipped['reason']}"
                )
        if "interval" in record:
            band = record["interval"]
            print(
                f"refresh {target}: {band['level']:.0%} interval +- {band['half_width']:.3f}, "
                f"coverage {band['coverage']:.3f} on {band['evaluation_rows']} later rows"
            )


if __name__ == "__main__":
    run_stage("refresh", main)
