"""Mix advice on a CSV dataset that declares a design space (BOxCrete): the design
stage's own search (:func:`co2mix.optimize.design_record.design_record`, the plant's
differential evolution) with the request's floors and context in place of the params'.

The design's own seeds (``design.seeds``), as the stage: one seed of differential
evolution is no global optimizer (measured on BOxCrete: one seed answered a 35 MPa floor
at 80.7 kg CO2e/m3 and a 45 MPa floor at 74.7, a mix that meets both). The same request
gives the same mix. The answer is
the stage's record: the mix, what each model predicts and holds, the nearest real mix
and the best real one under the same floors.
"""

from __future__ import annotations

from html import escape
from typing import Any

from co2mix.core.params import CsvParams
from co2mix.optimize.csv_design import DesignTarget, csv_designer
from co2mix.optimize.design_record import design_record
from co2mix.serving.advice import AdviceRefused, OneAtATime
from co2mix.serving.artifacts import Artifacts
from co2mix.serving.page_parts import bar_chart, label
from co2mix.serving.schemas import design_request


class DesignAdvisor:
    """A CSV dataset's design space, with its models and real mixes loaded once."""

    response = None  # the design stage's record (co2mix.core.schemas_optimize.DesignMetrics)
    refused = "no supported mix meets the floors"

    def __init__(self, art: Artifacts, params: CsvParams):
        assert params.design is not None and art.surrogate is not None
        assert art.design_rows is not None  # the caller checked
        self.art, self.params, self.rows = art, params, art.design_rows
        self.request = design_request(art)
        self.models = {
            target: DesignTarget(
                params.design.models.get(target) or art.champions[target].model,
                pipeline,
                list(params.train.features[target]),
            )
            for target, pipeline in art.surrogate.items()
        }
        self.name_column = params.ingest.group_column or params.data.id_column
        self.searching = OneAtATime()

    def advise(self, values: dict[str, Any]) -> dict[str, Any]:
        """The design for a request's ``values``: a constraint target's floor, a context
        column's value or the exposure class, each defaulting to the params'."""
        design = self.params.design
        assert design is not None
        floors = {k: v for k, v in values.items() if k in design.constraints}
        context = {k: v for k, v in values.items() if k in design.context}
        asked = design.model_copy(
            update={
                "constraints": {**design.constraints, **floors},
                "context": {**design.context, **context},
                "exposure_class": values.get("exposure_class", design.exposure_class),
            }
        )
        params = self.params.model_copy(update={"design": asked})
        with self.searching.held():
            designer = csv_designer(params, self.models, self.rows, self.name_column)
            answer = design_record(designer)
        if not answer.get("answer"):
            raise AdviceRefused(f"constraints {asked.constraints}: {answer.get('reason')}")
        return dict(answer)

    def page_result(self, advice: dict[str, Any]) -> str:
        """The designed mix, each target as predicted and held, against the best real mix."""
        answer, objective = advice["answer"], advice["objective"]
        mix = "".join(
            f"<tr><td>{escape(label(k))}</td><td>{v:g}</td></tr>" for k, v in answer["mix"].items()
        )
        targets = "".join(
            f"<tr><td>{escape(label(t))}</td><td id='design-{escape(t)}'>{v:g}</td>"
            f"<td>{answer['held'].get(t, '')}</td></tr>"
            for t, v in answer["predicted"].items()
        )
        best, near = advice.get("best_real_mix"), answer.get("nearest_real_mix")
        bars = [("designed", float(answer["predicted"][objective]))]
        if best is not None:
            bars.append((f"best real ({best['name']})", float(best["measured"][objective])))
        chart = bar_chart(
            "design-chart", "The designed mix against the best real one", label(objective), bars
        )
        nearest = (
            f"<p>Nearest real mix: {escape(near['name'])}, "
            f"{answer.get('nearest_distance_sd')} sd away.</p>"
            if near
            else ""
        )
        return (
            f'<div class="result" id="design"><h3>Designed mix</h3><table>{mix}</table>'
            f"<table><tr><th>target</th><th>predicted</th><th>held (mean - k sd)</th></tr>"
            f"{targets}</table>{chart}{nearest}</div>"
        )
