"""The documentation's reference pages, generated from the code (``make docs``):

- params: every key of the params models (:mod:`co2mix.core.params`), its type and
  bounds as pydantic states them, its default, its value in the plant's and each
  profile's params.yaml, and its description: the field's ``description``, else the
  comment on its line in the model's source, else the comment on the key in the
  plant's params.yaml. Change any of those and the page changes; nothing is kept twice.
- command line: each subcommand's ``--help``, from the one argument parser.
- metrics: every record file and the shape its schema (:mod:`co2mix.core.records`)
  holds it to.
- HTTP API: the service's own OpenAPI schema, built from the project's artifacts (so
  after ``make repro``; before it, the page says so).

The pages are written to ``docs/reference/`` at build time and not committed.
"""

from __future__ import annotations

import argparse
import ast
import inspect
import io
import tempfile
import textwrap
import tokenize
import types
import typing
from functools import cache
from pathlib import Path
from typing import Any, Union, get_args, get_origin

import yaml
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from ruamel.yaml import YAML
from typing_extensions import is_typeddict

from co2mix.core.params import CsvParams
from co2mix.core.records import SCHEMAS
from co2mix.plant_params.root import PlantParams

BOUNDS = {
    "ge": ">=",
    "gt": ">",
    "le": "<=",
    "lt": "<",
    "min_length": "len >=",
    "max_length": "len <=",
}


# ------------------------------------------------------------------ params


@cache
def field_comments(model: type[BaseModel]) -> dict[str, str]:
    """Each field's comment in ``model``'s class body: the one ending its line, else the
    comment lines right above it."""
    try:
        source = inspect.getsource(model)
    except (OSError, TypeError):
        return {}
    lines = source.splitlines()
    trailing = {
        token.start[0]: token.string.lstrip("# ").strip()
        for token in tokenize.generate_tokens(io.StringIO(source).readline)
        if token.type == tokenize.COMMENT and not token.line.strip().startswith("#")
    }
    comments: dict[str, str] = {}
    for node in ast.parse(textwrap.dedent(source)).body[0].body:  # type: ignore[attr-defined]
        if not isinstance(node, ast.AnnAssign) or not isinstance(node.target, ast.Name):
            continue
        if node.lineno in trailing:
            comments[node.target.id] = trailing[node.lineno]
            continue
        above: list[str] = []
        row = node.lineno - 2
        while row >= 0 and lines[row].strip().startswith("#"):
            above.insert(0, lines[row].strip().lstrip("# ").strip())
            row -= 1
        if above:
            comments[node.target.id] = " ".join(above)
    return comments


def yaml_comments(path: Path) -> dict[str, str]:
    """The inline comment on each key of a params.yaml, by dotted key."""
    loaded = YAML().load(path.read_text())
    found: dict[str, str] = {}

    def walk(node: Any, prefix: str) -> None:
        if not hasattr(node, "items"):
            return
        for key, value in node.items():
            dotted = f"{prefix}{key}"
            token = node.ca.items.get(key, [None, None, None, None])[2]
            if token is not None and token.value.strip().startswith("#"):
                found[dotted] = token.value.strip().splitlines()[0].lstrip("# ").strip()
            walk(value, dotted + ".")

    walk(loaded, "")
    return found


def type_name(annotation: Any) -> str:
    """A field's type as a reader wants it: ``list[float]``, ``plant | csv``."""
    origin = get_origin(annotation)
    if origin is typing.Annotated:
        return type_name(get_args(annotation)[0])
    if origin is typing.Literal:
        return " \\| ".join(f"`{v}`" for v in get_args(annotation))
    if origin in (Union, types.UnionType):
        return " or ".join(type_name(a) for a in get_args(annotation))
    if origin is not None:
        inner = ", ".join(type_name(a) for a in get_args(annotation))
        return f"{getattr(origin, '__name__', str(origin))}[{inner}]"
    if annotation is type(None):
        return "null"
    return getattr(annotation, "__name__", str(annotation))


def bounds(info: FieldInfo) -> str:
    stated = []
    for item in info.metadata:
        for name, sign in BOUNDS.items():
            value = getattr(item, name, None)
            if value is not None:
                stated.append(f"{sign} {value}")
    return ", ".join(stated)


def default(info: FieldInfo) -> str:
    if info.is_required():
        return "required"
    if info.default_factory is not None:
        return f"`{info.default_factory()!r}`"  # type: ignore[call-arg]
    return f"`{info.default!r}`"


def value_at(raw: dict[str, Any], dotted: str) -> str:
    node: Any = raw
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return ""
        node = node[part]
    if isinstance(node, dict):
        return ""
    text = yaml.safe_dump(node, default_flow_style=True, width=10**6).strip()
    text = text.removesuffix("...").strip()
    return f"`{text}`" if len(text) <= 40 else f"`{text[:37]}...`"


def model_rows(model: type[BaseModel], prefix: str = "") -> list[tuple[str, FieldInfo, str, bool]]:
    """(dotted key, field, the model's comment on it, has sub-keys) of every field."""
    rows = []
    comments = field_comments(model)
    for name, info in model.model_fields.items():
        dotted = f"{prefix}{name}"
        nested = info.annotation
        inner = get_args(nested)[0] if get_origin(nested) is typing.Annotated else nested
        is_model = isinstance(inner, type) and issubclass(inner, BaseModel)
        rows.append((dotted, info, comments.get(name, ""), is_model))
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            rows.extend(model_rows(inner, dotted + "."))
    return rows


def params_page(root: Path) -> str:
    """The params reference: every key of the plant's and the CSV datasets' models."""
    files = {
        "plant": root / "params.yaml",
        **{p.parent.name: p for p in sorted(root.glob("profiles/*/params.yaml"))},
    }
    raws = {name: yaml.safe_load(path.read_text()) for name, path in files.items()}
    said = yaml_comments(files["plant"])
    for name, path in files.items():
        if name != "plant":
            said = yaml_comments(path) | said
    rows: dict[str, tuple[FieldInfo, str, bool]] = {}
    for model in (PlantParams, CsvParams):
        for dotted, info, comment, nested in model_rows(model):
            rows.setdefault(dotted, (info, comment, nested))
    lines = [
        "# Params reference",
        "",
        "Generated from the params models (`src/co2mix/core/params*.py`,",
        "`src/co2mix/plant_params/`) and the committed params files by `make docs`: do not",
        "edit. A key's description is its field's comment in the model, else its comment in",
        "`params.yaml`.",
        "",
        "| key | type | bounds | default | " + " | ".join(files) + " | description |",
        "|---|---|---|---|" + "---|" * len(files) + "---|",
    ]
    for dotted, (info, comment, nested) in rows.items():
        text = (info.description or comment or said.get(dotted, "")).replace("|", "\\|")
        values = [value_at(raw, dotted) if not nested else "" for raw in raws.values()]
        kind = "section" if nested else type_name(info.annotation)
        lines.append(
            f"| `{dotted}` | {kind} | {bounds(info)} | {default(info)} | "
            + " | ".join(values)
            + f" | {text} |"
        )
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ command line


def cli_page(parser: argparse.ArgumentParser) -> str:
    """Every subcommand's help, as the parser prints it."""
    lines = ["# Command line", "", "Generated from the argument parser by `make docs`.", ""]

    def walk(current: argparse.ArgumentParser, name: str) -> None:
        lines.extend([f"## `{name}`", "", "```text", current.format_help().rstrip(), "```", ""])
        for action in current._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub, subparser in action.choices.items():
                    walk(subparser, f"{name} {sub}")

    walk(parser, parser.prog)
    return "\n".join(lines)


# ------------------------------------------------------------------ metrics


def schema_lines(schema: Any, indent: int = 0) -> list[str]:
    """A record schema as a nested list: key, type, and the keys of its parts."""
    pad = "    " * indent
    hints = typing.get_type_hints(schema) if hasattr(schema, "__annotations__") else {}
    lines = []
    required = getattr(schema, "__required_keys__", set(hints))
    for key, hint in hints.items():
        optional = "" if key in required else " (optional)"
        lines.append(f"{pad}- `{key}`: {type_name(hint)}{optional}")
        for part in nested_schemas(hint):
            lines.extend(schema_lines(part, indent + 1))
    return lines


def nested_schemas(hint: Any) -> list[Any]:
    """The TypedDicts inside a type (a dict's values, a list's items, a union's arms)."""
    if is_typeddict(hint):
        return [hint]
    return [s for arg in get_args(hint) for s in nested_schemas(arg)]


def metrics_page() -> str:
    lines = [
        "# Metrics files",
        "",
        "Generated from the record schemas (`src/co2mix/core/schemas*.py`) by `make docs`:",
        "every file a stage writes is held to its schema when written and when read.",
        "",
    ]
    for path, schema in SCHEMAS.items():
        parts = nested_schemas(schema) or [schema]
        doc = inspect.getdoc(parts[0]) if is_typeddict(parts[0]) else ""
        lines += [f"## `{path}`", "", f"{type_name(schema)}", ""]
        if doc:
            lines += [doc, ""]
        for part in parts:
            lines += schema_lines(part)
        lines.append("")
    return "\n".join(lines)


def write_reference(root: Path, out: Path, parser: argparse.ArgumentParser) -> list[Path]:
    """Write the three reference pages under ``out``; the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    pages = {
        "params.md": params_page(root),
        "cli.md": cli_page(parser),
        "metrics.md": metrics_page(),
        "api.md": api_page(root),
    }
    for name, text in pages.items():
        (out / name).write_text(text)
    return [out / name for name in pages]


def forecast_figure(root: Path, out: Path) -> Path | None:
    """The front page's picture: the forecast stage's backtest of daily CO2 (the served
    model with its 80 % band against the actual working days), as SVG with no date in
    it, so the same metrics draw the same bytes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    source = root / "metrics/plots/forecast/co2_t.csv"
    if not source.exists():
        return None
    frame = pd.read_csv(source, parse_dates=["day"])
    frame = frame[frame["day"].dt.dayofweek < 6]
    figure, axes = plt.subplots(figsize=(8, 3))
    axes.fill_between(frame["day"], frame["lo80"], frame["hi80"], alpha=0.25, label="80 % interval")
    axes.plot(frame["day"], frame["forecast"], label="forecast (issued a week ahead at most)")
    axes.plot(frame["day"], frame["actual"], ".", color="black", label="actual")
    axes.set_ylabel("t CO2e a day")
    axes.legend(loc="upper left", fontsize=8, frameon=False)
    axes.set_title("Daily CO2 of the simulated plant: the backtest's last quarter", fontsize=10)
    figure.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    plt.rcParams["svg.hashsalt"] = "co2mix"
    figure.savefig(out, format="svg", metadata={"Date": None})
    plt.close(figure)
    return out


# ------------------------------------------------------------------ HTTP API


def api_page(root: Path) -> str:
    """The HTTP API from the service's own OpenAPI schema, as the project's artifacts
    define it (the request fields, their ranges and levels come from the training rows:
    after ``make repro``); without them, a page saying so."""
    from co2mix.core.errors import InputError
    from co2mix.serving.app import create_app
    from co2mix.serving.artifacts import load_artifacts
    from co2mix.serving.log import RequestLog
    from co2mix.serving.service import Service

    lines = ["# HTTP API", "", "Generated from the service's OpenAPI schema by `make docs`."]
    try:
        artifacts = load_artifacts(root)
    except InputError as exc:
        return "\n".join(
            [*lines, "", f"Not generated: {exc}. Run `make repro`, then `make docs`.", ""]
        )
    with tempfile.TemporaryDirectory() as folder:  # the app needs a log; none is written
        log = RequestLog(f"sqlite:///{folder}/log.sqlite", {})
        schema = create_app(Service(artifacts), log).openapi()
        log.close()
    components = schema.get("components", {}).get("schemas", {})
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            lines += ["", f"## `{method.upper()} {path}`", ""]
            if operation.get("description"):
                lines += [operation["description"], ""]
            for parameter in operation.get("parameters", []):
                lines.append(f"- query `{parameter['name']}`: {_schema_text(parameter['schema'])}")
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                lines += _body_lines(body["schema"], components)
            codes = ", ".join(sorted(operation.get("responses", {})))
            lines += ["", f"Responses: {codes}."]
    return "\n".join(lines) + "\n"


def _schema_text(schema: dict[str, Any]) -> str:
    if "enum" in schema:
        return "one of " + ", ".join(f"`{v}`" for v in schema["enum"])
    bounds = [
        f"{sign} {schema[key]:g}"
        for key, sign in (("minimum", ">="), ("maximum", "<="))
        if key in schema
    ]
    kind = schema.get("type", "value")
    return kind + (f" ({', '.join(bounds)})" if bounds else "")


def _body_lines(schema: dict[str, Any], components: dict[str, Any]) -> list[str]:
    """The request body's fields, one level of references resolved."""
    name = schema.get("$ref", "").rsplit("/", 1)[-1]
    model = components.get(name, schema)
    lines = ["", f"Body (`{name or 'object'}`):", ""]
    for field, spec in model.get("properties", {}).items():
        target = spec.get("items", spec)
        ref = target.get("$ref", "").rsplit("/", 1)[-1]
        if ref and ref in components:
            inner = components[ref].get("properties", {})
            listed = ", ".join(f"`{k}` {_schema_text(v)}" for k, v in inner.items())
            lines.append(f"- `{field}`: {spec.get('type', 'object')} of {ref}: {listed}")
        else:
            lines.append(f"- `{field}`: {_schema_text(spec)}")
    return lines
