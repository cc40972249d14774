"""The whole default run's wall-clock time, as a researcher meets it: a fresh clone, the
installed venv, ``make repro`` (every pipeline, the plant's and each dataset profile's, side
by side: the Makefile says how) with no data and no DVC cache; the clone's own venv is
not built (``make -o .venv/.installed``): this script's interpreter's tools are used.

    python bench/bench_pipeline.py [runs]      # default 3

Prints every run's seconds and their median, the same for ``dvc repro --all-pipelines``
(the same stages one after the other) and ``dvc repro`` (the plant's pipeline alone, what
a researcher changing its params re-runs), then one more cold run stage by stage (``dvc
repro --single-item``, each pipeline's stages in its dvc.yaml's order) for where the
time goes, and whether the clone's ``dvc.lock`` files and metrics came out byte for
byte as committed. Clones the committed HEAD: commit first.
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
    for data in [clone / "data", *(clone / "profiles").glob("*/data")]:
        shutil.rmtree(data, ignore_errors=True)
    shutil.rmtree(clone / ".dvc" / "cache", ignore_errors=True)


def pipelines(clone: Path) -> list[Path]:
    """Every pipeline file, the plant's first."""
    return [
        Path("dvc.yaml"),
        *sorted(p.relative_to(clone) for p in clone.glob("profiles/*/dvc.yaml")),
    ]


def stage_targets(clone: Path, pipeline: Path) -> list[str]:
    """The pipeline's stages and matrix cells in its dvc.yaml's order, as repro targets."""
    declared = list(yaml.safe_load((clone / pipeline).read_text())["stages"])
    cells = list(yaml.safe_load((clone / pipeline.with_name("dvc.lock")).read_text())["stages"])
    ordered = sorted(cells, key=lambda cell: declared.index(cell.split("@")[0]))
    return ordered if pipeline == Path("dvc.yaml") else [f"{pipeline}:{c}" for c in ordered]


def main(runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        clone = Path(tmp) / "co2mix"
        subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
        for name, command in [
            ("make repro", ["make", "--no-print-directory", "-o", ".venv/.installed", "repro"]),
            ("dvc repro --all-pipelines", ["dvc", "repro", "--all-pipelines"]),
        ]:
            totals = []
            for i in range(runs):
                cold(clone)
                totals.append(run(command, clone))
                print(f"run {i + 1}: {name} {totals[-1]:.1f} s", flush=True)
            print(f"median of {runs}: {statistics.median(totals):.1f} s\n")
        plant = []
        for i in range(runs):  # the researcher's loop on the plant: its own pipeline
            cold(clone)
            plant.append(run(["dvc", "repro"], clone))
            print(f"run {i + 1}: dvc repro (the plant's dvc.yaml) {plant[-1]:.1f} s", flush=True)
        print(f"median of {runs}: {statistics.median(plant):.1f} s\n")

        cold(clone)
        print("| stage | s |\n|---|---:|")
        total = 0.0
        for pipeline in pipelines(clone):
            seconds = {
                s: run(["dvc", "repro", "--single-item", s], clone)
                for s in stage_targets(clone, pipeline)
            }
            for stage, s in seconds.items():
                print(f"| {stage} | {s:.1f} |")
            print(f"| **{pipeline}** | **{sum(seconds.values()):.1f}** |", flush=True)
            total += sum(seconds.values())
        print(f"| sum | {total:.1f} |")
        same = subprocess.run(
            ["git", "diff", "--quiet", "--", "dvc.lock", "metrics", "profiles"],
            cwd=clone,
            check=False,
        )
        print(
            f"\ndvc.lock files and metrics as committed: {'yes' if same.returncode == 0 else 'NO'}"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
