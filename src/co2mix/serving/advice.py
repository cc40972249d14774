"""Mix advice, one door for every dataset that declares a design space: the plant's
optimizer (:mod:`.plant_advice`) or a CSV dataset's ``design`` (:mod:`.design_advice`).

``POST /v1/advise`` and the page's "Advise a mix" form both call an :class:`Advisor`;
neither knows which kind it is. Each advisor validates its own request model, runs one
search at a time (a search is CPU-bound: two side by side only slow each other down)
and says no in one of three ways, each an :class:`AdviceError` carrying its HTTP status
(the API and the page both answer with it): :class:`AdviceRefused` (no supported mix
meets the request, 422), :class:`AdviceBusy` (another search runs, 429 with
``Retry-After``) or :class:`AdviceLate` (not within ``serve.advise_seconds``, 503).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from pydantic import BaseModel


class AdviceError(Exception):
    """Why there is no advice, with the HTTP status that says so."""

    status = 500


class AdviceRefused(AdviceError, ValueError):
    """No supported mix meets the request: the reason."""

    status = 422


class AdviceBusy(AdviceError, RuntimeError):
    """Another advice is being computed (one at a time, whichever door it came in by)."""

    status = 429


class AdviceLate(AdviceError, RuntimeError):
    """The search ran past ``serve.advise_seconds``."""

    status = 503

    def __init__(self, seconds: float):
        super().__init__(f"no advice within serve.advise_seconds = {seconds:g} s; try again")


class Advisor(Protocol):
    """A dataset's design space with its models and real mixes, loaded once."""

    @property
    def request(self) -> type[BaseModel]:
        """The body of /v1/advise and the page form's fields."""
        ...

    @property
    def response(self) -> type[BaseModel] | None:
        """The answer's schema in the API docs (None: a record of the design stage's)."""
        ...

    @property
    def refused(self) -> str:
        """What a 422 means, for the API docs."""
        ...

    def advise(self, values: dict[str, Any]) -> dict[str, Any]:
        """The advice for a validated request's values."""
        ...

    def page_result(self, advice: dict[str, Any]) -> str:
        """The advice as the page shows it (HTML)."""
        ...


class OneAtATime:
    """The one-search-at-a-time rule an advisor holds: a second caller is told busy at
    once rather than parked in the thread pool (forty parked requests starved every
    other route)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    @contextmanager
    def held(self) -> Iterator[None]:
        if not self._lock.acquire(blocking=False):
            raise AdviceBusy("another advice is being computed; retry after a moment")
        try:
            yield
        finally:
            self._lock.release()
