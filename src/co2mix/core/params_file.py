"""Reading params.yaml: the one place that opens it, and how its errors are worded."""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from pathlib import Path

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from co2mix.core import paths
from co2mix.core.errors import ParamsError
from co2mix.core.params import Params

# data.source -> its params tree, by module and class name: a source's sections live with
# the source (the plant's on its physics, which the core may not import), so a CSV
# dataset's stages never load the plant's code
SOURCES = {
    "plant": ("co2mix.plant_params.root", "PlantParams"),
    "csv": ("co2mix.core.params", "CsvParams"),
}


def describe_error(error: ErrorDetails, source: str, prefix: str = "") -> str:
    """One line per pydantic error, naming the dotted key (``prefix`` goes in front)."""
    key = ".".join([*([prefix] if prefix else []), *(str(part) for part in error["loc"])])
    message = str(error["msg"]).removeprefix("Value error, ")
    if not key:  # a rule across sections: the message names the keys itself
        return f"{source}: {message}"
    if error["type"] == "missing":
        return f"{source}: missing key {key}"
    if error["type"] == "extra_forbidden":
        return f"{source}: unknown key {key}"
    if isinstance(error["input"], dict):  # a rule across a section's keys: not the whole section
        return f"{source}: {key}: {message}"
    return f"{source}: {key} = {error['input']!r}: {message}"


def params_error(exc: ValidationError, source: str, prefix: str = "") -> ParamsError:
    """A :class:`ParamsError` with every problem of ``exc``, one per line."""
    lines = [describe_error(err, source, prefix) for err in exc.errors(include_url=False)]
    return ParamsError("\n".join(lines))


def parse_params(raw: object, source: str = str(paths.PARAMS)) -> Params:
    """Validate an already-loaded mapping; raise :class:`ParamsError` naming every bad key."""
    if not isinstance(raw, dict):
        what = "an empty file" if raw is None else type(raw).__name__
        raise ParamsError(f"{source}: expected a mapping of sections at the top level, got {what}")
    data = raw.get("data")
    origin = data.get("source", "plant") if isinstance(data, dict) else "plant"
    kind = source_params(origin)
    try:
        return kind.model_validate(raw)
    except ValidationError as exc:
        raise params_error(exc, source) from None


def source_params(source: object) -> type[Params]:
    """The params tree of ``data.source``; the base tree for an unknown source, which then
    refuses ``data.source`` naming the allowed ones."""
    if not isinstance(source, str) or source not in SOURCES:
        return Params
    module, name = SOURCES[source]
    kind = getattr(importlib.import_module(module), name)
    if not (isinstance(kind, type) and issubclass(kind, Params)):
        raise TypeError(f"{module}.{name} is not a params tree")
    return kind


def load_params(path: str | Path = paths.PARAMS) -> Params:
    """Read and validate the params file."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise ParamsError(f"{path}: params file not found") from None
    except yaml.YAMLError as exc:
        raise ParamsError(f"{path}: not valid YAML: {yaml_problem(exc)}") from None
    return parse_params(raw, str(path))


def yaml_problem(exc: yaml.YAMLError) -> str:
    """A YAML error in one line: what is wrong and where (PyYAML's own is several lines
    with a drawing of the spot)."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    context = getattr(exc, "context", None)
    return f"{problem}{where}" + (f" ({context})" if context else "")


def require_columns(
    key: str, columns: Sequence[str], available: Sequence[str], source: str
) -> None:
    """Refuse a params list that names columns the data does not have."""
    unknown = [c for c in columns if c not in available]
    if unknown:
        raise ParamsError(
            f"params.yaml: {key} names unknown column(s) {unknown}; "
            f"columns in {source}: {list(available)}"
        )
