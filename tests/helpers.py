"""Helpers shared by the tests: the project root, params edits, throw-away project copies."""

from __future__ import annotations

import copy
import os
import re
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from co2mix.core.params import Data
from co2mix.core.params_file import parse_params

ROOT = Path(__file__).resolve().parents[1]
PROJECT_FILES = ("dvc.yaml", "params.yaml", "pyproject.toml", ".dvcignore", ".gitignore")
PROJECT_DIRS = ("src", "stages")


def committed_params() -> dict[str, Any]:
    """params.yaml as committed, as a plain mapping (a fresh copy each call)."""
    return yaml.safe_load((ROOT / "params.yaml").read_text())


@cache
def plant_data() -> Data:
    """The committed ``data`` section: the plant's id, time, target and sensor columns."""
    return parse_params(committed_params()).data


def set_key(raw: dict[str, Any], dotted: str, value: Any) -> dict[str, Any]:
    """A deep copy of ``raw`` with ``dotted`` (e.g. ``generate.current.rows``) set."""
    out = copy.deepcopy(raw)
    *parents, leaf = dotted.split(".")
    node = out
    for key in parents:
        node = node[key]
    node[leaf] = value
    return out


def copy_project(dest: Path) -> Path:
    """A copy of the project's pipeline files (no data, no venv) in ``dest``."""
    for name in PROJECT_FILES:
        shutil.copy2(ROOT / name, dest / name)
    for name in PROJECT_DIRS:
        shutil.copytree(ROOT / name, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def run(
    args: list[str], cwd: Path, check: bool = True, timeout: float = 1800
) -> subprocess.CompletedProcess[str]:
    """Run a command with the venv's tools first on PATH and the copy's src importable."""
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = str(cwd / "src")
    env["DVC_NO_ANALYTICS"] = "1"
    result = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"{' '.join(args)} exited {result.returncode}\n{result.stdout}\n{result.stderr}"
        )
    return result


def git_commit(repo: Path, message: str, *pathspec: str) -> None:
    """Stage everything (or ``pathspec``) and commit it, as a throw-away author."""
    run(["git", "add", "-A", *pathspec], repo)
    run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", message], repo)


def add_profile(project: Path, name: str, raw: dict[str, Any]) -> Path:
    """``profiles/<name>`` in a project copy: the shared CSV pipeline file and ``raw`` as
    its params (the data it reads is the caller's to put in place)."""
    profile = project / "profiles" / name
    profile.mkdir(parents=True)
    shutil.copy2(ROOT / "profiles/diamonds/dvc.yaml", profile / "dvc.yaml")
    (profile / "params.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    return profile


def init_and_reproduce(project: Path, *targets: str) -> None:
    """Make ``project`` a git and DVC repository and reproduce ``targets`` (all: none)."""
    run(["git", "init", "-q", "-b", "main"], project)
    run(["dvc", "init", "-q"], project)
    run(["dvc", "repro", *targets], project)


def write_params(project: Path, raw: dict[str, Any]) -> None:
    (project / "params.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))


def small_pipeline(raw: dict[str, Any]) -> dict[str, Any]:
    """Params for a whole `dvc repro` in a test: small batches, a short search, small budgets."""
    for key, value in {
        "generate.reference.rows": 3000,
        "generate.current.rows": 1000,
        "train.xgboost.n_trials": 2,
        "train.xgboost.max_estimators": 60,
        "train.xgboost.early_stopping_rounds": 5,
        "forecast.models": ["seasonal_naive", "ets", "ridge", "ensemble"],
        "forecast.origins": 8,
        "forecast.calibration_origins": 4,
        "forecast.hourly_origins": 7,
        "forecast.hourly_calibration_origins": 7,
    }.items():
        raw = set_key(raw, key, value)
    return small_optimize(raw)


def small_optimize(raw: dict[str, Any]) -> dict[str, Any]:
    """Optimize params with budgets small enough for a test (seconds, not minutes), on one
    process: at these budgets two workers' start-up (each importing the models' libraries)
    cost more than the runs they share (3.6 -> 2.4 s a stage). tests/test_executor.py holds
    the workers' runs equal to one process's."""
    for key, value in {
        "optimize.n_jobs": 1,
        "optimize.budget": 300,
        "optimize.popsize": 5,
        "optimize.seeds": [1, 2],
        "optimize.truth_budget": 3000,
        "optimize.pareto_targets_mpa": [30.0, 40.0],
    }.items():
        raw = set_key(raw, key, value)
    return raw


def stale_strength_model(make_all_params: Any, scenario: str, **updates: Any) -> tuple[Any, ...]:
    """(params, prepared batches, a poly2 strength model trained on the reference) for a
    small plant whose current batch drifted by ``scenario``: the fresh-data tests' world."""
    from co2mix.data.clean import prepare
    from co2mix.modeling.train import train_one
    from co2mix.simulate.dataset import generate

    params = make_all_params(
        **{
            "generate.reference.rows": 4000,
            "generate.current.rows": 1600,
            "generate.current.scenario": scenario,
            **updates,
        }
    )
    data = generate(params.generate, params.data)
    batches = {"reference": data.reference, "current": data.current}
    prepared = prepare(batches, params.data, params.detect, params.prepare, data.truth)
    model = train_one(params, prepared.train, "strength_mpa", "poly2", "train").fitted.pipeline
    return params, prepared, model


def bash_blocks(path: Path) -> list[str]:
    """A page's bash blocks, in order."""
    return re.findall(r"```bash\n(.*?)```", path.read_text(), flags=re.DOTALL)


def tutorial_script(path: Path) -> str:
    """A tutorial's bash and python blocks, in order, as one bash script (a python block
    runs as ``python -`` with what the bash blocks exported)."""
    parts = []
    for kind, body in re.findall(r"```(bash|python)\n(.*?)```", path.read_text(), flags=re.DOTALL):
        parts.append(body if kind == "bash" else f"python - <<'PYTHON'\n{body}PYTHON\n")
    return "\n".join(parts)
