"""The feed's messages: versioned records, validated by pydantic.

Two kinds travel on one stream, in production order: a ``batch`` record when a batch is
produced (its mix, the plant's sensors, its measured CO2), and a ``lab`` record when the
batch's strength test comes back (``age_days`` after production). Every record carries
``version``: a producer newer than this code may add fields, which are kept (stored as
the record's ``extra``), never dropped and never an error; a record missing a required
field, or of a kind this code does not know, goes to the dead-letter stream with the
reason (:func:`parse_entry`).
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

SCHEMA_VERSION = 1
FIELD = b"record"  # the stream entry's one field: the record as JSON


class _Record(BaseModel):
    """Fields every record has; unknown (newer) fields are kept in ``model_extra``."""

    model_config = ConfigDict(extra="allow", frozen=True)

    version: int = Field(ge=1, description="the schema version the producer wrote")
    batch_id: int = Field(ge=0, description="the batch's id: the key of every write")

    @field_validator("*", mode="after")
    @classmethod
    def _finite(cls, value: Any) -> Any:
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value

    def extra(self) -> dict[str, Any]:
        """The fields this code does not know (a newer producer's), to be kept."""
        return dict(self.model_extra or {})


class BatchRecord(_Record):
    """A batch as the plant logs it at production: its mix (kg/m3), the sensors, its CO2."""

    kind: Literal["batch"]
    produced_at: datetime
    recipe: str
    cement_supplier: str
    cement: float = Field(ge=0)
    slag: float = Field(ge=0)
    fly_ash: float = Field(ge=0)
    water: float = Field(ge=0)
    superplasticizer: float = Field(ge=0)
    coarse_agg: float = Field(ge=0)
    fine_agg: float = Field(ge=0)
    age_days: int = Field(ge=1, description="the age at which its lab test is made")
    ambient_temp_c: float
    humidity_pct: float = Field(ge=0, le=100)
    curing_temp_c: float
    mixing_time_s: float = Field(ge=0)
    drum_rpm: float = Field(ge=0)
    mixing_energy_kwh: float = Field(ge=0)
    heating_energy_kwh: float = Field(ge=0)
    transport_km: float = Field(ge=0)
    dosing_events: int = Field(ge=0)
    co2_kg_m3: float = Field(description="the batch's CO2, from the plant's accounting")


class LabResult(_Record):
    """A batch's strength test, arriving ``age_days`` after the batch was produced."""

    kind: Literal["lab"]
    measured_at: datetime
    strength_mpa: float = Field(ge=0)


Record = BatchRecord | LabResult
KINDS: dict[str, type[BatchRecord] | type[LabResult]] = {"batch": BatchRecord, "lab": LabResult}
BATCH_FIELDS = [n for n in BatchRecord.model_fields if n not in ("kind", "version")]


class DeadLetter(ValueError):
    """A message that cannot be used: the reason names the field and what was expected."""


def encode(record: dict[str, Any]) -> dict[bytes, bytes]:
    """A record as a stream entry's fields."""
    return {FIELD: orjson.dumps(record, option=orjson.OPT_NAIVE_UTC)}


def parse_entry(fields: dict[bytes, bytes]) -> Record:
    """A stream entry's record, validated; :class:`DeadLetter` naming what is wrong."""
    raw = fields.get(FIELD)
    if raw is None:
        raise DeadLetter(f"no {FIELD.decode()!r} field in the entry")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise DeadLetter(f"record: not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise DeadLetter("record: a JSON object was expected")
    kind = data.get("kind")
    model = KINDS.get(kind) if isinstance(kind, str) else None
    if model is None:
        raise DeadLetter(f"kind: {kind!r} is not a record kind; one of {sorted(KINDS)}")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "record"
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise DeadLetter(f"{kind} record: {where}: {first['msg']}{more}") from None
