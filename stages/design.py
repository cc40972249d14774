"""design stage: the best mix a CSV dataset's design space allows (params section ``design``).

Minimises the objective target's published model subject to the constraint targets'
floors and the data's support; a dataset without a design space (``design: null``)
writes why, so the pipeline's metrics say it rather than a missing file.
"""

from co2mix.startup import prepare_stage_process

prepare_stage_process()  # before any heavy import (co2mix/startup.py says why)

# isort: split
import pandas as pd

from co2mix.core import paths, records
from co2mix.core.contracts import read_checked
from co2mix.core.errors import ParamsError
from co2mix.core.io import staged_outputs
from co2mix.core.params import CsvParams
from co2mix.core.params_file import load_params
from co2mix.core.schemas import RefreshMetrics
from co2mix.core.schemas_optimize import DesignMetrics
from co2mix.core.stage import run_stage
from co2mix.modeling.store import load_published
from co2mix.optimize.csv_design import DesignTarget, design_csv_mix


def main() -> None:
    params = load_params()
    if not isinstance(params, CsvParams):
        raise ParamsError("params.yaml: the design stage is a CSV dataset's (data.source: csv)")
    if params.design is None:
        metrics: DesignMetrics = {"skipped": "no design space declared (params.yaml: design: null)"}
    else:
        published = records.read(paths.REFRESH_METRICS, RefreshMetrics) or {}
        models = {}
        for target in params.design.targets:
            name = params.design.models.get(target) or published[target]["champion"]
            models[target] = DesignTarget(
                name,
                load_published(target, name, params.train.features[target]),
                list(params.train.features[target]),
            )
        rows = pd.concat(
            [
                read_checked(paths.TRAIN, params, "prepare"),
                read_checked(paths.TEST, params, "prepare"),
            ],
            ignore_index=True,
        )
        name_column = params.ingest.group_column or params.data.id_column
        metrics = design_csv_mix(params, models, rows, name_column)
    with staged_outputs() as out:
        records.write(out, paths.DESIGN_METRICS, metrics)
    print(describe(metrics))


def describe(m: DesignMetrics) -> str:
    if "skipped" in m:
        return f"design: skipped: {m['skipped']}"
    answer, best = m.get("answer"), m.get("best_real_mix")
    objective = m.get("objective", "")
    real = f"{best['measured'][objective]} ({best['name']})" if best else "none meets the floors"
    if not answer:
        return f"design: no feasible mix: {m.get('reason')}; best real mix: {real}"
    nearest = answer.get("nearest_real_mix")
    near = (
        f", nearest real mix {nearest['name']} at {answer.get('nearest_distance_sd')} sd"
        if nearest
        else ""
    )
    return (
        f"design: {objective} predicted {answer['predicted'][objective]} (best real mix "
        f"{real}, {m.get('improvement_pct')} % lower); constraints held {answer['held']}{near}"
    )


if __name__ == "__main__":
    run_stage("design", main)
