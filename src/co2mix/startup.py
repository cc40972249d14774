"""What a process co2mix starts sets before its first heavy import:
:func:`prepare_stage_process` (a stage) and :func:`quiet_library_warnings` (also the
``co2mix`` command).

A default ``dvc repro`` is some thirty short stage processes, and most of each is
starting Python and importing pandas, scikit-learn, scipy and deepchecks. Three costs in
that are the same every time and buy a stage nothing. Each stage script removes them by
calling :func:`prepare_stage_process` as its first statement; importing :mod:`co2mix`
(a test, ``co2mix serve``, a notebook) changes nothing global.

Measured gains, per process: 0.18 s wherever scikit-learn is imported (scipy's
docstring parsing: about 4 s of a ``dvc repro``), 0.9 s in the check stage (jsonschema's
IRI grammars), 0.2 s x sixty modules where ``PYTHONDONTWRITEBYTECODE`` is set.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
import warnings
from types import ModuleType
from typing import Any

SCIPY_ARRAY_API = "scipy._lib._array_api"
NUMPY_CPU_ENV = "NPY_DISABLE_CPU_FEATURES"
PORTABLE_AWAY = "AVX512F"  # numpy's loops that compute other bits than every x86-64 CPU's


def keep_bytecode() -> None:
    """Write co2mix's compiled bytecode even where ``PYTHONDONTWRITEBYTECODE`` is set
    (container images often set it): otherwise every stage process compiles the same
    sixty modules again, 0.2 s each time. Installed packages come with theirs."""
    sys.dont_write_bytecode = False


class _NotesAppended:
    """The part of numpydoc's ``FunctionDoc`` that scipy's ``xp_capabilities`` uses,
    without parsing the docstring: the notes go at its end instead of into its Notes
    section. scipy 1.17 parses some 470 docstrings this way when ``scipy.stats`` is
    imported (which scikit-learn does), to add a table of array backends to each: 0.18 s
    of every process that imports scikit-learn, about 4 s of a ``dvc repro``."""

    def __init__(self, function: Any):
        self._doc = function.__doc__ or ""
        self._notes: list[str] = []

    def __getitem__(self, section: str) -> list[str]:
        if section != "Notes":
            raise KeyError(section)
        return self._notes

    def __str__(self) -> str:
        return "\n".join(["(signature: dropped by the caller)", self._doc, *self._notes])


class _ScipyDocNotes(importlib.abc.MetaPathFinder):
    """Hands ``_NotesAppended`` to scipy's array-API module when (and only if) something
    imports it: co2mix does not import scipy for that."""

    def find_spec(
        self, fullname: str, path: Any, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != SCIPY_ARRAY_API:
            return None
        sys.meta_path.remove(self)  # once; and the search below must not find us again
        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None:
            return spec
        load = spec.loader.exec_module

        def exec_module(module: ModuleType) -> None:
            load(module)
            if hasattr(module, "FunctionDoc"):  # a scipy without it is left as it is
                setattr(module, "FunctionDoc", _NotesAppended)  # noqa: B010 (a module's name)

        spec.loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


def skip_iri_grammars() -> None:
    """deepchecks imports plotly's renderers, which import nbformat, which imports
    jsonschema, whose format checkers import rfc3987-syntax when it is installed
    (jupyter-events requires it): 38 grammars compiled at import, about 0.9 s of every
    check run, for an "iri" format nothing here validates. Without the module jsonschema
    simply skips that checker."""
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]


def quiet_library_warnings() -> None:
    """Keep library warnings that say nothing about the data off the console of a
    process co2mix started itself (a stage, the ``co2mix`` command): deepchecks 0.19 and
    the pinned scikit-learn 1.5 call APIs their pins deprecate, at import and at run time,
    and deepchecks imports ``pkg_resources`` (setuptools is pinned to 80.9, the last to
    ship it), which warns that it is deprecated. A library user's process keeps its own
    filters: importing :mod:`co2mix` leaves them alone."""
    for module in ("sklearn", "deepchecks"):
        warnings.filterwarnings("ignore", category=FutureWarning, module=module)
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=module)
    warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)


def portable_numpy() -> None:
    """Make numpy compute exp, log, sin... with the loops every x86-64 CPU runs, so that a
    stage gives the same bits on any of them: numpy's AVX-512 loops for float64 exp and
    log (chosen at import on CPUs that have AVX-512) differ from the C library's in the
    last bit on about a fifth of the values (measured: 21,885 of 100,000 logs). Those
    last bits reached the simulated data and a log-transformed target, and the XGBoost
    searches' pruning turned them into other models: on an AVX-512 Xeon, a clone of the
    results committed on an AMD machine moved 535 values of BOxCrete's and the plant's
    metrics. Without those loops numpy calls the C library, as on a CPU without AVX-512.
    numpy reads the setting once, when it is imported: after that this does nothing
    (a process that imported numpy first keeps the loops it chose)."""
    if "numpy" in sys.modules:
        return
    disabled = os.environ.get(NUMPY_CPU_ENV, "").split()
    if PORTABLE_AWAY not in disabled:
        os.environ[NUMPY_CPU_ENV] = " ".join([*disabled, PORTABLE_AWAY])


def prepare_stage_process() -> None:
    """Portable numpy, the three savings above and quiet library warnings, for this
    process (a stage script's first statement)."""
    portable_numpy()
    keep_bytecode()
    cheap_scipy_docstrings()
    skip_iri_grammars()
    quiet_library_warnings()


def cheap_scipy_docstrings() -> None:
    """Install :class:`_ScipyDocNotes` unless scipy's module is already loaded."""
    if SCIPY_ARRAY_API not in sys.modules and not any(
        isinstance(finder, _ScipyDocNotes) for finder in sys.meta_path
    ):
        sys.meta_path.insert(0, _ScipyDocNotes())
