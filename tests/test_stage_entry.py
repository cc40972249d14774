"""The stages' entry point: one BLAS thread whatever the machine, and children inherit it."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import os, subprocess, sys
import numpy  # loads OpenBLAS
from threadpoolctl import threadpool_info
from co2mix.core.stage import run_stage

def main():
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
