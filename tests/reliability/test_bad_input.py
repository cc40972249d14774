"""Bad input, as a new user makes it, at every stage: each case is refused with a
non-zero exit and one line naming the culprit (key, file, column or row) and what was
expected, and every output, metric and dvc.lock is byte-identical afterwards (the stage
runs directly, so its own earlier outputs must survive too).

One table: (stage command, what is broken, the words the message must contain).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from tests.helpers import set_key
from tests.reliability.test_kills import snapshot

pytestmark = pytest.mark.integration

Break = Callable[[Path], None]


def param(key: str, value: Any) -> Break:
    def edit(project: Path) -> None:
        raw = yaml.safe_load((project / "params.yaml").read_text())
        (project / "params.yaml").write_text(
            yaml.safe_dump(set_key(raw, key, value), sort_keys=False)
        )

    return edit


def drop_param(key: str) -> Break:
    def edit(project: Path) -> None:
        raw = yaml.safe_load((project / "params.yaml").read_text())
        *parents, leaf = key.split(".")
        node = raw
        for part in parents:
            node = node[part]
        del node[leaf]
        (project / "params.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))

    return edit


def params_text(text: str) -> Break:
    return lambda project: (project / "params.yaml").write_text(text)


def frame(path: str, change: Callable[[pd.DataFrame], pd.DataFrame]) -> Break:
    def edit(project: Path) -> None:
        target = project / path
        target.write_bytes(b"")  # break the DVC cache link: write a new file, not through it
        target.unlink()
        pd.DataFrame(change(pd.read_parquet(project / ".orig" / path))).to_parquet(target)

    return edit


def raw_bytes(path: str, change: Callable[[bytes], bytes]) -> Break:
    def edit(project: Path) -> None:
        target = project / path
        data = target.read_bytes()
        target.unlink()
        target.write_bytes(change(data))

    return edit


def remove(path: str) -> Break:
    def edit(project: Path) -> None:
        target = project / path
        if target.is_dir():
            for p in sorted(target.rglob("*"), reverse=True):
                p.unlink() if p.is_file() else p.rmdir()
            target.rmdir()
        else:
            target.unlink()

    return edit


def strings(column: str) -> Callable[[pd.DataFrame], pd.DataFrame]:
    return lambda f: f.assign(**{column: f[column].astype(str).where(f.index != 3, "n/a")})


GENERATE = ["stages/generate.py"]
CHECK = ["stages/check.py"]
PREPARE = ["stages/prepare.py"]
TRAIN = ["stages/train.py", "poly2"]
EVALUATE = ["stages/evaluate.py"]
OPTIMIZE = ["stages/optimize.py"]
REF, TRAIN_ROWS, TEST_ROWS = (
    "data/raw/reference.parquet",
    "data/prepared/train.parquet",
    "data/prepared/test.parquet",
)

CASES: dict[str, tuple[list[str], Break, list[str]]] = {
    # ---- params
    "zero rows": (GENERATE, param("generate.reference.rows", 0), ["generate.reference.rows"]),
    "negative rows": (GENERATE, param("generate.current.rows", -5), ["generate.current.rows"]),
    "rate above 1": (GENERATE, param("generate.faults.null_rate", 1.5), ["faults.null_rate", "1"]),
    "unknown scenario": (
        GENERATE,
        param("generate.current.scenario", "hurricane"),
        ["scenario", "hurricane"],
    ),
    "wrong type": (GENERATE, param("generate.seed", "abc"), ["generate.seed", "'abc'"]),
    "missing key": (CHECK, drop_param("check.thresholds"), ["missing key check.thresholds"]),
    "empty params": (PREPARE, params_text(""), ["params.yaml", "empty file"]),
    "not YAML": (
        PREPARE,
        params_text("data: [unclosed\n"),
        ["params.yaml: not valid YAML", "line 2"],
    ),
    "test fraction 0": (PREPARE, param("prepare.test_fraction", 0.0), ["prepare.test_fraction"]),
    "test fraction 1": (PREPARE, param("prepare.test_fraction", 1.0), ["prepare.test_fraction"]),
    "knn k above the rows": (PREPARE, param("prepare.knn_k", 100000), ["prepare.knn_k", "100000"]),
    "no models": (EVALUATE, param("train.models", []), ["train.models"]),
    "unknown model": (
        ["stages/train.py", "knn9"],
        param("train.models", ["linear", "knn9"]),
        ["knn9"],
    ),
    "n_trials 0": (
        ["stages/train.py", "xgboost"],
        param("train.xgboost.n_trials", 0),
        ["train.xgboost.n_trials"],
    ),
    "feature not in data": (
        TRAIN,
        param("train.features.strength_mpa", ["cement", "nope"]),
        ["train.features.strength_mpa", "nope"],
    ),
    "no targets": (EVALUATE, param("data.targets", []), ["data.targets"]),
    "noise level above 1": (
        EVALUATE,
        param("evaluate.noise_levels", [2.0]),
        ["evaluate.noise_levels"],
    ),
    "unknown surrogate": (
        OPTIMIZE,
        param("optimize.surrogate", "magic"),
        ["surrogate 'magic' must be one of"],
    ),
    "unknown optimizer": (
        OPTIMIZE,
        param("optimize.optimizer", "gradient"),
        ["optimize.optimizer", "gradient"],
    ),
    "inverted bounds": (
        OPTIMIZE,
        param("optimize.bounds.cement", [520.0, 80.0]),
        ["optimize.bounds", "cement"],
    ),
    "inverted w/b limits": (
        OPTIMIZE,
        param("optimize.limits.water_binder", [0.65, 0.30]),
        ["optimize.limits.water_binder"],
    ),
    "unreachable strength": (
        OPTIMIZE,
        param("optimize.strength_target_mpa", 500.0),
        ["optimize.strength_target_mpa", "highest"],
    ),
    # ---- data
    "missing parquet": (CHECK, remove(REF), [REF, "not found"]),
    "empty parquet": (CHECK, raw_bytes(REF, lambda b: b""), [REF, "not a readable parquet"]),
    "truncated parquet": (
        PREPARE,
        raw_bytes(REF, lambda b: b[: len(b) // 2]),
        [REF, "not a readable parquet"],
    ),
    "missing target column": (
        CHECK,
        frame(REF, lambda f: f.drop(columns="strength_mpa")),
        ["data.targets", "strength_mpa"],
    ),
    "all-NaN column": (
        PREPARE,
        frame(REF, lambda f: f.assign(cement=float("nan"))),
        [REF, "'cement'", "at least one value"],
    ),
    "strings in a number column": (
        TRAIN,
        frame(TRAIN_ROWS, strings("cement")),
        [TRAIN_ROWS, "cement", "n/a"],
    ),
    "three training rows": (TRAIN, frame(TRAIN_ROWS, lambda f: f.head(3)), [TRAIN_ROWS, "3 rows"]),
    "empty test set": (
        EVALUATE,
        frame(TEST_ROWS, lambda f: f.head(0)),
        [TEST_ROWS, "0 rows", "at least 1"],
    ),
    "flipped bytes: coarse aggregate near zero": (
        PREPARE,
        frame(REF, lambda f: f.assign(coarse_agg=f["coarse_agg"] * -4e-6)),
        [REF, "'coarse_agg'", "data.ranges", "row 0: -0.00"],
    ),
    "a batch that breaks the volume balance": (
        CHECK,
        frame(REF, lambda f: f.assign(water=f["water"].where(f.index != 5, 400.0))),
        [REF, "volume balance", "rows 5"],
    ),
    "negative strength in the test rows": (
        EVALUATE,
        frame(TEST_ROWS, lambda f: f.assign(strength_mpa=f["strength_mpa"] - 200)),
        [TEST_ROWS, "'strength_mpa'", "data.ranges"],
    ),
    "inverted data range": (
        PREPARE,
        param("data.ranges.cement", [10, 0]),
        ["data.ranges", "cement"],
    ),
    "a model of other features": (
        EVALUATE,
        param("train.features.strength_mpa", ["cement", "slag", "water"]),
        ["linear/strength_mpa/model.skops", "expected ['cement', 'slag', 'water']"],
    ),
    "malformed truth": (
        EVALUATE,
        raw_bytes("data/raw/truth.json", lambda b: b"{"),
        ["truth.json", "not valid JSON"],
    ),
    "truth of the wrong shape": (
        EVALUATE,
        raw_bytes("data/raw/truth.json", lambda b: b'{"a": 1}'),
        ["truth.json"],
    ),
    "deleted model": (
        EVALUATE,
        remove("data/models/poly2/strength_mpa"),
        ["data/models/poly2", "not the ones dvc.lock records"],
    ),
    "truncated model": (
        EVALUATE,
        raw_bytes("data/models/poly2/strength_mpa/model.skops", lambda b: b[:100]),
        ["data/models/poly2", "not the ones dvc.lock records"],
    ),
}


@pytest.fixture(scope="module")
def pristine(reproduced, tmp_path_factory) -> Path:
    """The reproduced project's files, once, to copy for every case (no .git, no cache:
    the scripts run directly; the cases edit plain files)."""
    source, _ = reproduced
    dest = tmp_path_factory.mktemp("bad") / "project"
    subprocess.run(["cp", "-rL", str(source), str(dest)], check=True)
    subprocess.run(["rm", "-rf", str(dest / ".git"), str(dest / ".dvc")], check=True)
    subprocess.run(["cp", "-r", str(dest / "data"), str(dest / ".orig_data")], check=True)
    return dest


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_refused_naming_the_culprit_and_nothing_changes(case, pristine, tmp_path):
    command, breaks, words = CASES[case]
    project = tmp_path / "project"
    subprocess.run(["cp", "-r", str(pristine), str(project)], check=True)
    (project / ".orig").mkdir()
    (project / ".orig_data").rename(project / ".orig" / "data")
    breaks(project)
    before = snapshot(project)
    env = dict(os.environ, PYTHONPATH=str(project / "src"), TQDM_DISABLE="1")
    result = subprocess.run(
        [sys.executable, *command],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 2, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr  # one line: the culprit and what was expected
    message = lines[0]
    for word in words:
        assert word in result.stderr, f"{word!r} not in: {result.stderr}"
    assert len(message) < 600, message
    print(f"{case}: {message}")  # pytest -rP lists every message
    assert snapshot(project) == before
