"""Benchmark of the generate stage: seconds and peak memory at 1e4, 1e5 and 1e6 rows.

Each size runs in its own process so that peak memory (max RSS) is that size's alone.
``rows`` is the reference batch; the current batch is a quarter of it, as in the
default params. Usage: python bench/bench_generate.py [rows ...]
"""

from __future__ import annotations

import resource
import tempfile
import time
from pathlib import Path

from _child import in_child, run

ROOT = Path(__file__).resolve().parents[1]
SIZES = (10_000, 100_000, 1_000_000)


def _max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def measure(rows: int) -> dict[str, float]:
    """Generate and write ``rows`` reference rows (and rows/4 current) in this process."""
    import yaml

    from co2mix.core.io import staged_outputs
    from co2mix.core.params_file import parse_params
    from co2mix.simulate.dataset import generate, summarize

    raw = yaml.safe_load((ROOT / "params.yaml").read_text())
    raw["generate"]["reference"]["rows"] = rows
    raw["generate"]["current"]["rows"] = rows // 4
    params = parse_params(raw)
    baseline = _max_rss_mb()

    start = time.perf_counter()
    data = generate(params.generate, params.data)
    generated = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp, staged_outputs() as out:
        out.parquet(data.reference, f"{tmp}/reference.parquet")
        out.parquet(data.current, f"{tmp}/current.parquet")
        out.json(data.truth, f"{tmp}/truth.json", compact=True)
        out.json(summarize(data), f"{tmp}/generate.json")
        out.commit()
        size_mb = sum(p.stat().st_size for p in Path(tmp).iterdir()) / 1e6
    written = time.perf_counter()
    return {
        "rows": rows,
        "generate_s": round(generated - start, 3),
        "write_s": round(written - generated, 3),
        "total_s": round(written - start, 3),
        "peak_rss_mb": round(_max_rss_mb(), 1),
        "rss_over_imports_mb": round(_max_rss_mb() - baseline, 1),
        "output_mb": round(size_mb, 1),
    }


def main(sizes: list[int]) -> None:
    print(
        f"{'rows':>9} {'generate s':>10} {'write s':>8} {'total s':>8} "
        f"{'peak RSS MB':>11} {'over imports MB':>15} {'files MB':>8}"
    )
    for rows in sizes:
        r = in_child(__file__, rows)
        print(
            f"{r['rows']:>9} {r['generate_s']:>10.3f} {r['write_s']:>8.3f} {r['total_s']:>8.3f} "
            f"{r['peak_rss_mb']:>11.1f} {r['rss_over_imports_mb']:>15.1f} {r['output_mb']:>8.1f}"
        )


if __name__ == "__main__":
    run(measure, main, list(SIZES))
