"""The whole default pipeline's wall-clock time, as a researcher meets it: a fresh clone,
the installed venv, ``dvc repro`` with no data and no DVC cache.

    python bench/bench_pipeline.py [runs]      # default 3

Prints every run's seconds and their median, then one more cold run stage by stage
(``dvc repro --single-item``, in dvc.yaml's order) for where the time goes, and whether
the clone's ``dvc.lock`` and ``metrics/`` came out byte for byte as committed. Clones the
committed HEAD: commit first.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def run(args: list[str], cwd: Path) -> float:
    """Seconds ``args`` took in ``cwd``, with the venv's tools and the clone's code."""
    env = dict(os.environ, DVC_NO_ANALYTICS="1", PYTHONPATH=str(cwd / "src"))
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    start = time.perf_counter()
    subprocess.run(args, cwd=cwd, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def cold(clone: Path) -> None:
    shutil.rmtree(clone / "data", ignore_errors=True)
    shutil.rmtree(clone / ".dvc" / "cache", ignore_errors=True)


def main(runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        clone = Path(tmp) / "co2mix"
        subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
        totals = []
        for i in range(runs):
            cold(clone)
            totals.append(run(["dvc", "repro"], clone))
            print(f"run {i + 1}: dvc repro {totals[-1]:.1f} s", flush=True)
        print(f"median of {runs}: {statistics.median(totals):.1f} s\n")

        cold(clone)
        # dvc.yaml declares its stages in pipeline order; dvc.lock lists each matrix cell
        declared = list(yaml.safe_load((clone / "dvc.yaml").read_text())["stages"])
        cells = list(yaml.safe_load((clone / "dvc.lock").read_text())["stages"])
        stages = sorted(cells, key=lambda cell: declared.index(cell.split("@")[0]))
        print("| stage | s |\n|---|---:|")
        seconds = {s: run(["dvc", "repro", "--single-item", s], clone) for s in stages}
        for stage, s in seconds.items():
            print(f"| {stage} | {s:.1f} |")
        print(f"| sum | {sum(seconds.values()):.1f} |")
        same = subprocess.run(
            ["git", "diff", "--quiet", "--", "dvc.lock", "metrics"], cwd=clone, check=False
        )
        print(f"\ndvc.lock and metrics/ as committed: {'yes' if same.returncode == 0 else 'NO'}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
