"""HNSW efSearch against recall, for near-duplicate and looser vectors (exact search as truth).

    nice -n 10 .venv/bin/python -m bench.hnswtune --markdown          # this section, then bench/RESULTS.md
    nice -n 10 .venv/bin/python -m bench.hnswtune --quick             # smaller sizes and samples
"""

from __future__ import annotations

import os
import sys
import time

from bench.common import (
    DIM,
    main,
    ms,
    perturbed,
    stored_vectors_and_queries,
    summarize,
    table,
    time_search,
    worker,
)

MODULE = "bench.hnswtune"


def w_hnswtune(a: dict) -> dict:
    """HNSW recall and latency against efSearch, for near-duplicate (templated reports) and looser data."""
    import faiss
    import numpy as np

    base, queries = stored_vectors_and_queries(a["queries"])
    rows = []
    for sigma in a["sigmas"]:
        X = perturbed(base, a["n"], sigma)
        flat = faiss.IndexFlatIP(DIM)
        flat.add(X)
        exact = flat.search(queries, 10)[1]
        del flat
        for m in a["M"]:
            h = faiss.IndexHNSWFlat(DIM, m, faiss.METRIC_INNER_PRODUCT)
            t = time.perf_counter()
            h.add(X)
            build_s = time.perf_counter() - t
            faiss.omp_set_num_threads(1)
            for ef in a["ef"]:
                h.hnsw.efSearch = ef
                times = time_search(h, queries, 50, 2)
                found = h.search(queries, 10)[1]
                recall = float(np.mean([len(set(f) & set(e)) / 10 for f, e in zip(found, exact)]))
                rows.append({"n": a["n"], "sigma": sigma, "M": m, "ef": ef, "build_s": build_s, **summarize(times),
                             "recall@10": recall})
            faiss.omp_set_num_threads(2)
            del h
        del X
    return {"rows": rows, "loadavg": os.getloadavg()[0]}


def run(quick: bool) -> dict:
    return worker(MODULE, "hnswtune", {"n": 20_000 if quick else 100_000, "sigmas": [0.02, 0.05], "M": [32, 64],
                               "ef": [128, 256, 512, 1024], "queries": 30 if quick else 50}, env={"QA_THREADS": "1"})


def render(res: dict) -> str:
    return ("### HNSW efSearch against recall (exact IndexFlatIP as truth; σ=0.02 is near-duplicate text such as "
            "templated reports, σ=0.05 looser)\n\n" + table(
                ["vectors", "σ", "M", "efSearch", "build s", "p50 ms", "p95 ms", "recall@10"],
                [[f"{r['n']:,}", r["sigma"], r["M"], r["ef"], f"{r['build_s']:.0f}", ms(r["p50"]), ms(r["p95"]),
                  f"{r['recall@10']:.3f}"] for r in res["rows"]]))


WORKERS = {"hnswtune": w_hnswtune}

if __name__ == "__main__":
    sys.exit(main(["hnswtune"], description=__doc__.splitlines()[0]))
