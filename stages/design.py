"""design stage: the lowest-objective supported mix a dataset's design space allows.

The same stage, record (``metrics/design.json``) and search for the plant (its design
space on today's plant, the published surrogate, the truth check: loaded by name,
:data:`~co2mix.optimize.design_record.DESIGNERS`) and for a CSV dataset (params section
``design``; ``design: null`` writes why there is no design, so the pipeline's metrics
say it rather than a missing file).
"""

from co2mix.startup import prepare_stage_process

prepare_stage_process()  # before any heavy import (co2mix/startup.py says why)

# isort: split
import importlib

import pandas as pd

from co2mix.core import paths, records
from co2mix.core.contracts import read_checked
from co2mix.core.io import staged_outputs
from co2mix.core.params import CsvParams, Params
from co2mix.core.params_file import load_params
from co2mix.core.schemas import RefreshMetrics
from co2mix.core.schemas_optimize import DesignMetrics
from co2mix.core.stage import run_stage
from co2mix.modeling.store import load_published
from co2mix.optimize.csv_design import DesignTarget, csv_designer
from co2mix.optimize.design_record import DESIGNERS, Designer, design_record


def csv_inputs(params: CsvParams) -> Designer:
    """A CSV dataset's Designer: each design target's published model (``design.models``,
    else the champion) over the training and test rows."""
    assert params.design is not None
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
    return csv_designer(params, models, rows, name_column)


def designer(params: Params) -> Designer | None:
    """The dataset's Designer; None for a CSV dataset without a design space."""
    if isinstance(params, CsvParams):
        return csv_inputs(params) if params.design is not None else None
    module = importlib.import_module(DESIGNERS[params.data.source])
    built: Designer = module.designer(params)
    return built


def main() -> None:
    inputs = designer(load_params())
    if inputs is None:
        metrics: DesignMetrics = {"skipped": "no design space declared (params.yaml: design: null)"}
    else:
        metrics = design_record(inputs)
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
    truth = answer.get("truth")
    true = (
        f"; true {truth.get('true_co2_kg_m3')} kg CO2e/m3, {truth.get('true_strength_mpa')} MPa, "
        f"truly feasible {truth.get('truly_feasible')}"
        if truth
        else ""
    )
    return (
        f"design: {objective} predicted {answer['predicted'][objective]} (best real mix "
        f"{real}, {m.get('improvement_pct')} % lower); constraints held {answer['held']}"
        f"{near}{true}"
    )


if __name__ == "__main__":
    run_stage("design", main)
