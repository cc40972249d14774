"""Model files that cannot run code: skops, with an explicit list of trusted types.

A pickle runs whatever code its bytes name when loaded, so no model file here is one.
A fitted pipeline is written with skops (``skops.io``): a zip of a JSON schema naming
every object's type and its state, numpy arrays as ``.npy`` (read without pickle), and
an XGBoost model's booster in XGBoost's own UBJSON. Loading constructs only the types
skops trusts by default (scikit-learn's estimators, numpy, builtins) and the ones listed
in :data:`TRUSTED`; a file naming any other type is refused before anything is built,
naming the types.

skops names the files inside the zip by ``id()`` and ``uuid4``, records each object's
``id()`` in the schema, and stamps the zip entries with the current time, so the same
pipeline would give other bytes on every run and ``dvc.lock`` would move on every
``dvc repro``. :func:`to_bytes` rewrites the archive canonically (ids and names
numbered in the order the schema first names them, a fixed timestamp, entries in a
fixed order): the same pipeline gives the same bytes, and loading those gives back
the same pipeline (tested).
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import skops.io as sio
from sklearn.pipeline import Pipeline

from co2mix.core.errors import InputError

# What the registry's pipelines hold beyond skops' defaults: co2mix's own encoders and
# log-target wrapper (co2mix.modeling.registry), scikit-learn's GP kernels and a
# ColumnTransformer's internal list, XGBoost's regressor and booster (whose state is
# its own UBJSON). A new model whose pipeline holds another type is refused at load,
# naming it: add it here once it is known to load without running code.
TRUSTED = (
    "co2mix.modeling.registry.BoundedLogTarget",
    "co2mix.modeling.registry.KnownCategories",
    "co2mix.modeling.registry.KnownLevels",
    "sklearn.compose._column_transformer._RemainderColsList",
    "sklearn.gaussian_process.kernels.ConstantKernel",
    "sklearn.gaussian_process.kernels.Product",
    "sklearn.gaussian_process.kernels.RBF",
    "sklearn.gaussian_process.kernels.Sum",
    "sklearn.gaussian_process.kernels.WhiteKernel",
    "xgboost.core.Booster",
    "xgboost.sklearn.XGBRegressor",
)

SUFFIX = ".skops"
SCHEMA = "schema.json"
_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can carry


class UntrustedModel(InputError):
    """A model file naming a type outside :data:`TRUSTED` and skops' defaults."""


def to_bytes(pipeline: Pipeline) -> bytes:
    """``pipeline`` as a canonical skops file: the same pipeline, the same bytes."""
    return _canonical(sio.dumps(pipeline))


def from_bytes(raw: bytes, name: str) -> Pipeline:
    """The pipeline in ``raw`` (the content of the file ``name``), built only from trusted
    types; an unreadable file, an untrusted type or anything but a Pipeline is an
    :class:`InputError` naming ``name``."""
    try:
        untrusted = sorted(set(sio.get_untrusted_types(data=raw)) - set(TRUSTED))
    except Exception as exc:  # not a zip, no schema, a schema of another shape
        raise InputError(f"{name}: not a readable model file ({type(exc).__name__})") from None
    if untrusted:
        raise UntrustedModel(
            f"{name}: names types co2mix does not trust: {untrusted}: refused unbuilt "
            "(a model file holds only the types of co2mix.modeling.model_format.TRUSTED)"
        )
    try:
        pipeline = sio.loads(raw, trusted=list(TRUSTED))
    except Exception as exc:
        raise InputError(f"{name}: not a readable model file ({type(exc).__name__})") from None
    if not isinstance(pipeline, Pipeline):
        raise InputError(f"{name}: expected a scikit-learn Pipeline, found {type(pipeline)}")
    return pipeline


def _canonical(raw: bytes) -> bytes:
    """The skops archive ``raw`` with its ids, inner file names and timestamps made
    independent of the run that wrote it."""
    with zipfile.ZipFile(io.BytesIO(raw)) as source:
        schema = json.loads(source.read(SCHEMA))
        ids: dict[int, int] = {}
        names: dict[str, str] = {}
        _renumber(schema, ids, names)
        members = {new: source.read(old) for old, new in names.items()}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as target:
        for name in sorted(members):
            target.writestr(zipfile.ZipInfo(name, _EPOCH), members[name])
        target.writestr(zipfile.ZipInfo(SCHEMA, _EPOCH), json.dumps(schema, indent=2))
    return buffer.getvalue()


def _renumber(node: Any, ids: dict[int, int], names: dict[str, str]) -> None:
    """Number, in place and in the order first met, every ``__id__`` and inner ``file``
    of a skops schema (one object or file met twice keeps one number; a JSON leaf gets
    a number of its own each time)."""
    if isinstance(node, list):
        for item in node:
            _renumber(item, ids, names)
        return
    if not isinstance(node, dict):
        return
    if isinstance(node.get("__id__"), int):
        # an immutable leaf (a str, a number) is its own object each time it is named:
        # whether two equal strings were one object depends on how they were made
        shared = node.get("__loader__") != "JsonNode"
        key = node["__id__"] if shared else -len(ids) - 1
        node["__id__"] = ids.setdefault(key, len(ids) + 1)
    if isinstance(node.get("file"), str):
        old = node["file"]
        extension = old[old.rfind(".") :] if "." in old else ""
        node["file"] = names.setdefault(old, f"{len(names) + 1}{extension}")
    for value in node.values():
        _renumber(value, ids, names)
