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

# no ``from __future__ import annotations``: FastAPI reads the route's body type (built
# at startup from the params) from the live annotation
import threading
from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel

from co2mix.core.params import CsvParams
from co2mix.core.schemas_optimize import DesignMetrics
from co2mix.optimize.design_space import DesignTarget, design_csv_mix
from co2mix.serving.artifacts import Artifacts
from co2mix.serving.schemas import design_request


class NoFeasibleDesign(ValueError):
    """No supported mix meets the request's floors: the reason, for a 422."""


class DesignAdvisor:
    """A CSV dataset's design space, with its models and real mixes loaded once."""

    def __init__(self, art: Artifacts):
        params = art.params
        assert isinstance(params, CsvParams) and params.design is not None
        assert art.surrogate is not None and art.design_rows is not None
        self.params, self.rows = params, art.design_rows
        self.models = {
            target: DesignTarget(
                params.design.models.get(target) or art.champions[target].model,
                pipeline,
                list(params.train.features[target]),
            )
            for target, pipeline in art.surrogate.items()
        }
        self.name_column = params.ingest.group_column or params.data.id_column

    def advise(self, request: dict[str, Any]) -> DesignMetrics:
        """The design for the request: ``constraints`` (target -> floor) and ``context``
        (column -> value), each defaulting to the params'."""
        design = self.params.design
        assert design is not None
        asked = design.model_copy(
            update={
                "constraints": {**design.constraints, **request.get("constraints", {})},
                "context": {**design.context, **request.get("context", {})},
            }
        )
        params = self.params.model_copy(update={"design": asked})
        answer = design_csv_mix(params, self.models, self.rows, self.name_column)
        if not answer.get("answer"):
            raise NoFeasibleDesign(f"constraints {asked.constraints}: {answer.get('reason')}")
        return answer


def add_design_route(router: APIRouter, art: Artifacts, predicting: list[Any]) -> bool:
    """``POST /advise`` on ``router`` when the dataset declares a design space; False
    (nothing added) when it does not."""
    asked = design_request(art)
    if asked is None:
        return False
    _design_route(router, DesignAdvisor(art), *asked, predicting)
    return True


def _design_route(
    router: APIRouter,
    advisor: DesignAdvisor,
    request: type[BaseModel],
    floors: list[str],
    predicting: list[Any],
) -> None:
    """``POST /advise`` on a CSV dataset's design space (one search at a time, as the
    plant's: the search is CPU-bound)."""
    busy = threading.Lock()

    @router.post(
        "/advise",
        responses={
            422: {"description": "no supported mix meets the floors"},
            429: {"description": "an advice is being computed: retry after a moment"},
        },
        dependencies=predicting,
    )
    def advise(body: request) -> dict[str, Any]:  # type: ignore[valid-type]
        if not busy.acquire(blocking=False):
            raise HTTPException(429, "another advice is being computed; retry in a moment")
        try:
            values = body.model_dump()  # type: ignore[attr-defined]
            asked = {
                "constraints": {k: v for k, v in values.items() if k in floors},
                "context": {k: v for k, v in values.items() if k not in floors},
            }
            return dict(advisor.advise(asked))
        except NoFeasibleDesign as exc:
            raise HTTPException(422, str(exc)) from None
        finally:
            busy.release()
