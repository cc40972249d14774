"""The stages' entry point: one BLAS thread whatever the machine, and children inherit it;
hypothesis (installed for the tests) is not loaded by the contracts' first validation."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import os, subprocess, sys
import numpy  # loads OpenBLAS
from threadpoolctl import threadpool_info
from co2mix.core.stage import run_stage

def main():
    import gc
    assert gc.get_freeze_count() > 10_000, gc.get_freeze_count()  # the libraries: frozen
    blas = [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]
    probe = "import os; print(os.environ['OPENBLAS_NUM_THREADS'])"
    child = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    child = child.stdout.strip()
    print(blas, child)

run_stage("probe", main)
"""


def test_a_stage_runs_with_one_blas_thread_and_its_children_inherit_it():
    env = {"PATH": "/usr/bin:/bin", "OPENBLAS_NUM_THREADS": "2"}  # as a 2-core default
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True, env=env
    ).stdout.split()
    assert out == ["[1]", "1"]


CONTRACT_SCRIPT = """
import sys
import pandas as pd
from co2mix.core.contracts import check_frame
from co2mix.core.errors import InputError
from co2mix.core.params_file import load_params
from co2mix.core.stage import run_stage

def main():
    params = load_params()
    frame = pd.DataFrame({"cement": ["n/a"], "co2_kg_m3": [1.0], "strength_mpa": [2.0]})
    try:
        check_frame(frame, params, "frame.parquet")
    except InputError as exc:
        blocked = sys.modules.get("hypothesis", "absent")
        print("refused:", "cement" in str(exc), "hypothesis" in sys.modules, blocked)

run_stage("probe", main)
"""


def test_a_stage_validates_its_data_without_loading_hypothesis():
    """pandera imports hypothesis's strategies (and hypothesis its plugins: 0.35 s) on
    its first validation when hypothesis is installed, as it is here: stages skip it."""
    import hypothesis  # noqa: F401  (installed: the premise of this test)

    out = subprocess.run(
        [sys.executable, "-c", CONTRACT_SCRIPT], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["refused:", "True", "True", "None"]
