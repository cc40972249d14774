"""Load on ``co2mix serve``: one uvicorn worker on loopback, 16 concurrent clients, each
request with an API key (authentication on) and the request log on.

    python bench/bench_serve.py [--predict 2000] [--advise 200] [--clients 16] [--warmup 0]
                                [--advise-clients 2] [--contributions exact approx none]

Serves the project's own outputs (run ``make repro`` first) with a fresh SQLite request
log in a temporary directory, sends the single-row predict requests, then the advise
requests (each with another context: a temperature and a distance), and prints p50 and
p99 latency, requests per second, and the log's row count for each endpoint against the
requests sent. The clients run in this process (asyncio + httpx) on the same 2 cores.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from co2mix.serving.keys import KeyStore  # noqa: E402
from co2mix.serving.log import RequestLog  # noqa: E402
from tests.servers import serve_process  # noqa: E402


def one_row() -> dict[str, object]:
    import pandas as pd

    from co2mix.serving.artifacts import load_artifacts

    art = load_artifacts(ROOT)
    row = pd.read_parquet(ROOT / "data/prepared/test.parquet").iloc[0]
    return {f: (str(row[f]) if art.categories(f) else float(row[f])) for f in art.features}


def wait_for_tables(url: str, seconds: float = 300.0) -> dict[str, str]:
    """Poll /v1/health until no contribution table is still being built (the service
    answers meanwhile, with XGBoost's own TreeSHAP: slower, the same values)."""
    deadline = time.perf_counter() + seconds
    while True:
        methods = httpx.get(f"{url}/v1/health").json()["contributions"]
        if "building" not in methods.values() or time.perf_counter() > deadline:
            return methods
        time.sleep(0.5)


async def load(
    url: str, path: str, bodies: list[dict[str, object]], clients: int, keys: list[str]
) -> dict[str, float]:
    """Send every body to ``path`` from ``clients`` concurrent connections, each with its
    own API key of ``keys`` (a key's rate limit is per client, as a plant's are)."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    last_error = ""
    queue: asyncio.Queue[dict[str, object]] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)

    # every client's connection is made before the clock starts (an AsyncClient takes
    # ~20 ms to create: 16 made inside the timed loop showed as 320 ms of "latency")
    sessions = [
        httpx.AsyncClient(
            base_url=url, timeout=30, headers={"Authorization": f"Bearer {keys[i % len(keys)]}"}
        )
        for i in range(clients)
    ]

    async def client(session: httpx.AsyncClient) -> None:
        nonlocal last_error
        async with session:
            while not queue.empty():
                body = queue.get_nowait()
                start = time.perf_counter()
                answer = await session.post(path, json=body)
                latencies.append(time.perf_counter() - start)
                statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1
                if answer.status_code != 200:
                    last_error = answer.text[:200]

    start = time.perf_counter()
    await asyncio.gather(*(client(session) for session in sessions))
    wall = time.perf_counter() - start
    ms = 1000 * np.array(latencies)
    return {
        "requests": len(latencies),
        "p50_ms": float(np.percentile(ms, 50)),
        "p99_ms": float(np.percentile(ms, 99)),
        "per_s": len(latencies) / wall,
        "statuses": statuses,  # type: ignore[dict-item]
        "detail": last_error,  # type: ignore[dict-item]
    }


async def flood(url: str, key: str, advice: int, probes: int = 200) -> dict[str, float]:
    """``advice`` advise requests at once, while one client asks /v1/health ``probes``
    times in a row: health's latency under the flood, and the advise statuses."""
    body = {"strength_target_mpa": 35.0}
    headers = {"Authorization": f"Bearer {key}"}
    async with (
        httpx.AsyncClient(base_url=url, timeout=60, headers=headers) as crowd,
        httpx.AsyncClient(base_url=url, timeout=60) as probe,
    ):

        async def health() -> list[float]:
            took = []
            for _ in range(probes):
                start = time.perf_counter()
                await probe.get("/v1/health")
                took.append(1000 * (time.perf_counter() - start))
            return took

        answers, took = await asyncio.gather(
            asyncio.gather(*(crowd.post("/v1/advise", json=body) for _ in range(advice))),
            health(),
        )
    statuses = [a.status_code for a in answers]
    return {
        "health_p50_ms": float(np.percentile(took, 50)),
        "health_p99_ms": float(np.percentile(took, 99)),
        "advise_200": statuses.count(200),
        "advise_429": statuses.count(429),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--flood", type=int, default=40, help="advise requests at once while health is probed"
    )
    parser.add_argument("--predict", type=int, default=2000)
    parser.add_argument("--advise", type=int, default=200)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument(
        "--warmup",
        type=int,
        default=0,
        help="predict requests sent first and not timed (the clients' connections, the "
        "first call of every code path); they are logged and counted in the log check",
    )
    parser.add_argument(
        "--advise-clients", type=int, default=1, help="one advice at a time (429 beyond)"
    )
    parser.add_argument(
        "--contributions",
        nargs="+",
        default=["exact", "approx", "none"],
        help="predict runs, one per way of explaining (the API's contributions field)",
    )
    args = parser.parse_args()
    row = one_row()
    # the bench's own imports (pandas, the artifacts) out of its collector's sight: a full
    # collection in this process would pause all 16 clients' clocks at once
    gc.collect()
    gc.freeze()
    rng = np.random.default_rng(0)
    advise = [
        {
            "strength_target_mpa": 35.0,
            "ambient_temp_c": float(rng.uniform(0, 30)),
            "transport_km": float(rng.uniform(5, 60)),
        }
        for _ in range(args.advise)
    ]
    with tempfile.TemporaryDirectory() as tmp:
        database = f"sqlite:///{Path(tmp) / 'requests.sqlite'}"
        # with authentication on, as a plant runs it: a predict key per client in its database
        store = KeyStore(RequestLog(database, {}).engine)
        keys = [store.create(f"bench-{i}", ["predict"])[1] for i in range(args.clients)]
        key = keys[0]
        with serve_process(ROOT, "--database-url", database) as url:
            print(f"contributions: {wait_for_tables(url)}")
            if args.warmup:
                warmup = [{"rows": [row]}] * args.warmup
                asyncio.run(load(url, "/v1/predict", warmup, args.clients, keys))
            predicted = {
                how: asyncio.run(
                    load(
                        url,
                        "/v1/predict",
                        [{"rows": [row], "contributions": how}] * args.predict,
                        args.clients,
                        keys,
                    )
                )
                for how in args.contributions
            }
            advised = asyncio.run(load(url, "/v1/advise", advise, args.advise_clients, keys))
            flooded = asyncio.run(flood(url, key, args.flood)) if args.flood else None
        engine = create_engine(database)
        with engine.connect() as connection:
            logged = dict(
                connection.execute(
                    text("SELECT endpoint, count(*) FROM request_log GROUP BY endpoint")
                ).all()
            )
    runs = [(f"/v1/predict ({how})", r) for how, r in predicted.items()]
    runs.append(("/v1/advise", advised))
    print("| endpoint | requests | statuses | p50 ms | p99 ms | requests/s |")
    print("|---|---:|---|---:|---:|---:|")
    for name, result in runs:
        print(
            f"| {name} | {result['requests']} | {result['statuses']} | {result['p50_ms']:.1f} | "
            f"{result['p99_ms']:.1f} | {result['per_s']:.0f} |"
        )
    sent = {
        "/v1/predict": args.warmup + args.predict * len(args.contributions),
        "/v1/advise": args.advise + args.flood,
    }
    if flooded:
        print(
            f"{args.flood} advise requests at once: {flooded['advise_200']:.0f} answered, "
            f"{flooded['advise_429']:.0f} told 429; /v1/health meanwhile p50 "
            f"{flooded['health_p50_ms']:.1f} ms, p99 {flooded['health_p99_ms']:.1f} ms"
        )
    for path, count in sent.items():
        print(f"request log: {logged.get(path, 0)} rows for {path}, {count} requests sent")


if __name__ == "__main__":
    main()
