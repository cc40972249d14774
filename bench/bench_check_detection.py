"""Detection benchmark of the check stage: power and false alarms over seeds.

Runs the check logic (co2mix.data.checks.run_checks, default thresholds) for 20 seeds,
current batches of 200, 500 and 5,000 rows, in three situations, and prints how often
each drift condition fired and the thresholds the batch size led to:
- ``none``: the current batch comes from the reference distribution (false alarms);
- ``ambient+0.5sd``: ambient temperature of the current batch shifted by 0.5 sd;
- ``supplier``: the main supplier's cement 12 % weaker (label drift only).
It also prints the score distributions the default thresholds were chosen from.
Usage: python bench/bench_check_detection.py [--seeds 20] [--rows 200 500 5000] [--jobs 2]
"""

from __future__ import annotations

import argparse
import copy
import multiprocessing
import sys
import time
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
SITUATIONS = ("none", "ambient+0.5sd", "supplier")


def one_run(situation: str, rows: int, seed: int, raw: dict) -> dict:
    from co2mix.core.params_file import parse_params
    from co2mix.data.checks import run_checks
    from co2mix.simulate.dataset import generate

    raw = copy.deepcopy(raw)
    raw["generate"]["seed"] = seed
    raw["generate"]["current"]["rows"] = rows
    raw["generate"]["current"]["scenario"] = "supplier" if situation == "supplier" else "none"
    params = parse_params(raw)
    data = generate(params.generate, params.data)
    current = data.current
    if situation == "ambient+0.5sd":
        current = current.copy()
        current["ambient_temp_c"] += 0.5 * data.reference["ambient_temp_c"].std()
    start = time.perf_counter()
    m = run_checks(
        data.reference, current, params.data, params.check, params.detect, data.truth
    ).metrics
    numeric = {c: f["score"] for c, f in m["feature_drift"].items() if "Kolmogorov" in f["method"]}
    categorical = {c: f["score"] for c, f in m["feature_drift"].items() if c not in numeric}
    return {
        "situation": situation,
        "rows": rows,
        "seed": seed,
        "ks_threshold": m["feature_drift"]["ambient_temp_c"]["threshold"],
        "seconds": time.perf_counter() - start,
        "drift_failed": m["drift_detected"],
        "drifted_features": m["drifted_features"],
        "drifted_labels": m["drifted_labels"],
        "mv_drifted": m["multivariate_drift"]["drifted"],
        "max_numeric_ks": max(numeric.values()),
        "max_cramers_v": max(categorical.values(), default=0.0),
        "ambient_ks": numeric["ambient_temp_c"],
        "label_ks": {k: v["score"] for k, v in m["label_drift"].items()},
        "mv_score": m["multivariate_drift"]["score"],
    }


COUNTS = (
    ("any drift condition failed", lambda r: r["drift_failed"]),
    ("ambient_temp_c flagged", lambda r: "ambient_temp_c" in r["drifted_features"]),
    ("another feature flagged", lambda r: set(r["drifted_features"]) - {"ambient_temp_c"}),
    ("label strength_mpa flagged", lambda r: "strength_mpa" in r["drifted_labels"]),
    ("label co2_kg_m3 flagged", lambda r: "co2_kg_m3" in r["drifted_labels"]),
    ("multivariate drift flagged", lambda r: r["mv_drifted"]),
)


def _spread(name: str, values: list[float]) -> str:
    return (
        f"  {name:<34} min {min(values):.4f}  median {np.median(values):.4f}  max {max(values):.4f}"
    )


def summarize(rows: list[dict]) -> None:
    for situation, size in sorted({(r["situation"], r["rows"]) for r in rows}):
        rs = [r for r in rows if r["situation"] == situation and r["rows"] == size]
        seconds = np.mean([r["seconds"] for r in rs])
        print(
            f"\n== {situation}, {size} current rows ({len(rs)} seeds, {seconds:.1f} s a run; "
            f"KS threshold {rs[0]['ks_threshold']:.4f})"
        )
        for name, predicate in COUNTS:
            print(f"  {name:<34} {sum(1 for r in rs if predicate(r))}/{len(rs)}")
        print(_spread("max KS over numeric features", [r["max_numeric_ks"] for r in rs]))
        print(_spread("KS of ambient_temp_c", [r["ambient_ks"] for r in rs]))
        print(_spread("max Cramer's V", [r["max_cramers_v"] for r in rs]))
        for label in ("co2_kg_m3", "strength_mpa"):
            print(_spread(f"label KS {label}", [r["label_ks"][label] for r in rs]))
        print(_spread("multivariate drift score", [r["mv_score"] for r in rs]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--rows", type=int, nargs="+", default=[200, 500, 5000])
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    raw = yaml.safe_load((ROOT / "params.yaml").read_text())
    tasks = [
        (s, rows, seed, raw) for s in SITUATIONS for rows in args.rows for seed in range(args.seeds)
    ]
    # spawn, not fork: a forked worker can inherit a held lock of BLAS or joblib threads.
    # terminate, not close: deepchecks' joblib workers can keep a worker from exiting (and
    # spinning after this process is gone, slowing whatever runs next).
    with multiprocessing.get_context("spawn").Pool(args.jobs) as pool:
        rows = []
        for row in pool.starmap(one_run, tasks, chunksize=1):
            rows.append(row)
            print(f"{row['situation']} {row['rows']} seed {row['seed']}", file=sys.stderr)
        pool.terminate()
    summarize(rows)


if __name__ == "__main__":
    main()
