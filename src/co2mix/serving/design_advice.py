"""Mix advice on a CSV dataset that declares a design space (BOxCrete): the design
stage's own search (:func:`co2mix.optimize.design_space.design_csv_mix`, the plant's
differential evolution) with the request's floors and context in place of the params'.

The design's own seeds (``design.seeds``), as the stage: one seed of differential
evolution is no global optimizer (measured on BOxCrete: one seed answered a 35 MPa floor
at 80.7 kg CO2e/m3 and a 45 MPa floor at 74.7, a mix that meets both). The same request
gives the same mix. The answer is
the stage's record: the mix, what each model predicts and holds, the nearest real mix
and the best real one under the same floors.
"""

# no ``from __future__ import annotations``: FastAPI reads the route's body dependency (built
# at startup from the params) from the live annotation
import threading
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel

from co2mix.core.params import CsvParams
from co2mix.core.schemas_optimize import DesignMetrics
from co2mix.optimize.design_space import DesignTarget, design_csv_mix
from co2mix.serving.artifacts import Artifacts
from co2mix.serving.schemas import body_of, design_request


class NoFeasibleDesign(ValueError):
    """No supported mix meets the request's floors: the reason, for a 422."""


class DesignBusy(RuntimeError):
    """Another design is being searched (one at a time: the search is CPU-bound)."""


class DesignAdvisor:
    """A CSV dataset's design space, with its models and real mixes loaded once."""

    def __init__(self, art: Artifacts):
        params = art.params
        assert isinstance(params, CsvParams) and params.design is not None
        assert art.surrogate is not None and art.design_rows is not None
        self.art, self.params, self.rows = art, params, art.design_rows
        self.models = {
            target: DesignTarget(
                params.design.models.get(target) or art.champions[target].model,
                pipeline,
                list(params.train.features[target]),
            )
            for target, pipeline in art.surrogate.items()
        }
        self.name_column = params.ingest.group_column or params.data.id_column
        self._busy = threading.Lock()

    def advise(self, values: dict[str, Any]) -> DesignMetrics:
        """The design for a request's ``values``: a constraint target's floor or a context
        column's value, each defaulting to the params'. One search at a time, whichever
        door it came in by (the API or the page): :class:`DesignBusy` otherwise."""
        design = self.params.design
        assert design is not None
        floors = {k: v for k, v in values.items() if k in design.constraints}
        context = {k: v for k, v in values.items() if k not in design.constraints}
        asked = design.model_copy(
            update={
                "constraints": {**design.constraints, **floors},
                "context": {**design.context, **context},
            }
        )
        params = self.params.model_copy(update={"design": asked})
        if not self._busy.acquire(blocking=False):
            raise DesignBusy("another advice is being computed; retry in a moment")
        try:
            answer = design_csv_mix(params, self.models, self.rows, self.name_column)
        finally:
            self._busy.release()
        if not answer.get("answer"):
            raise NoFeasibleDesign(f"constraints {asked.constraints}: {answer.get('reason')}")
        return answer


def add_design_route(router: APIRouter, advisor: DesignAdvisor, predicting: list[Any]) -> None:
    """``POST /advise`` on a CSV dataset's design space: a body of its floors and context
    (:func:`co2mix.serving.schemas.design_request`); busy is a 429, no mix a 422."""
    request = design_request(advisor.art)

    @router.post(
        "/advise",
        responses={
            422: {"description": "no supported mix meets the floors"},
            429: {"description": "an advice is being computed: retry after a moment"},
        },
        dependencies=predicting,
    )
    def advise(body: Annotated[BaseModel, Depends(body_of(request))]) -> dict[str, Any]:
        try:
            return dict(advisor.advise(body.model_dump()))
        except DesignBusy as exc:
            raise HTTPException(429, str(exc)) from None
        except NoFeasibleDesign as exc:
            raise HTTPException(422, str(exc)) from None
