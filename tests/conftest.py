"""Shared fixtures: the project's own params, and throw-away copies of the project.
Plain helpers live in :mod:`tests.helpers`."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from filelock import FileLock

from co2mix.core.params import Params
from co2mix.core.params_file import parse_params
from co2mix.plant_params.sections import Generate
from tests.helpers import (
    committed_params,
    copy_project,
    init_and_reproduce,
    set_key,
    small_pipeline,
    write_params,
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The files with integration tests first, the quick unit-test files last; among the
    integration files, those that build their own project before those that read the
    shared :func:`reproduced` one (a stable sort: collection order within each group).

    The integration tests are most of the time (whole pipelines in throw-away copies),
    and with ``--dist loadfile --no-loadscope-reorder`` the workers take the files in
    this order: the suite ends on short files and both workers end together, and while
    one worker builds the shared project the other has work that does not wait for it.
    pytest-xdist's default order (the files with the most tests first) left the
    one-test pipeline files (determinism, stability) for last, one worker running them
    while the other waited: about 45 s of a 7-minute run."""
    heavy = {item.path for item in items if item.get_closest_marker("integration")}
    shared = {item.path for item in items if "reproduced" in getattr(item, "fixturenames", ())}
    items.sort(key=lambda item: (item.path not in heavy, item.path in shared))


@pytest.fixture(scope="session")
def raw_params() -> dict[str, Any]:
    """params.yaml as committed, as a plain mapping (copy before changing it)."""
    return committed_params()


@pytest.fixture(scope="session")
def make_all_params(raw_params: dict[str, Any]) -> Callable[..., Params]:
    """``make_all_params(**{"check.on_fail": "stop"})``: every section, validated."""

    def build(**updates: Any) -> Params:
        raw = raw_params
        for dotted, value in updates.items():
            raw = set_key(raw, dotted, value)
        return parse_params(raw)

    return build


@pytest.fixture(scope="session")
def make_params(make_all_params: Callable[..., Params]) -> Callable[..., Generate]:
    """``make_params(**{"current.scenario": "winter"})``: validated generate params."""

    def build(**updates: Any) -> Generate:
        return make_all_params(**{f"generate.{k}": v for k, v in updates.items()}).generate

    return build


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A throw-away copy of the project, not yet a git or DVC repository."""
    return copy_project(tmp_path)


def _reproduce_small(project: Path, raw: dict[str, Any]) -> Path:
    project.mkdir(parents=True)
    copy_project(project)
    write_params(project, raw)
    init_and_reproduce(project)
    return project


@pytest.fixture(scope="session")
def reproduced(tmp_path_factory, raw_params, worker_id) -> tuple[Path, dict[str, Any]]:
    """A small project (git and DVC initialised) whose pipeline ran once. Read-only:
    tests that change it take a :func:`reproduced_copy`.

    It runs once per ``make test``, not once per pytest-xdist worker: the first worker
    to ask builds it in the run's shared temporary directory while the others wait on a
    file lock, then all read the same copy (about 40 s saved per extra worker)."""
    raw = small_pipeline(raw_params)
    if worker_id == "master":  # no xdist workers (pytest -n0, or one test picked by hand)
        return _reproduce_small(tmp_path_factory.getbasetemp() / "reproduced", raw), raw
    shared = tmp_path_factory.getbasetemp().parent / "reproduced"
    done = shared.with_name("reproduced.done")
    with FileLock(f"{shared}.lock"):
        if not done.exists():
            shutil.rmtree(shared, ignore_errors=True)  # a build that failed half-way
            _reproduce_small(shared, raw)
            done.touch()
    return shared, raw


@pytest.fixture
def reproduced_copy(reproduced, tmp_path) -> tuple[Path, dict[str, Any]]:
    """A private copy of :func:`reproduced`, DVC cache included: one full run saved per test."""
    source, raw = reproduced
    return shutil.copytree(source, tmp_path / "project", symlinks=True), raw


@pytest.fixture(scope="session")
def served(reproduced):
    """The small reproduced project's artifacts and the service built on them."""
    from co2mix.serving.artifacts import load_artifacts
    from co2mix.serving.service import Service

    project, _ = reproduced
    artifacts = load_artifacts(project)
    return project, Service(artifacts)
