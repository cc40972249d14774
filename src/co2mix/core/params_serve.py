"""The ``serve`` section: what ``co2mix serve`` lets a request ask, for any dataset."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from co2mix.core.params_base import Positive, Section


class Serve(Section):
    """``co2mix serve``: what a request may ask, and how long advice may take."""

    max_rows: Annotated[int, Field(ge=1)]
    non_negative: list[str]  # columns a request may not make negative (masses, energies...)
    similar_keys: list[str]  # /v1/similar: exact match on these columns
    similar_numeric: Annotated[list[str], Field(min_length=1)]  # then nearest on these
    advise_seconds: Positive
    advise_seed: Annotated[int, Field(ge=0)]
    # the Host names the service answers to (a DNS-rebinding page uses its own): 400 else
    allowed_hosts: Annotated[list[str], Field(min_length=1)] = Field(
        default_factory=lambda: ["127.0.0.1", "localhost", "::1"]
    )
    max_body_bytes: Annotated[int, Field(ge=1024)] = 1_000_000  # larger bodies: 413, unread
    log_body_bytes: Annotated[int, Field(ge=0)] = 4096  # kept of each logged body
    log_retention_days: Annotated[int, Field(ge=1)] = 30  # co2mix log purge deletes older rows
    # per API key: requests a second on average and at once (429 with Retry-After beyond)
    rate_limit_per_s: Annotated[float, Field(gt=0)] = 200.0
    rate_burst: Annotated[int, Field(ge=1)] = 400
