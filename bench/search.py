"""Search alone at scale: exact FAISS and HNSW on perturbed real vectors, and BM25 scoring on synthetic chunks.

    nice -n 10 .venv/bin/python -m bench.search --markdown          # this section, then bench/RESULTS.md
    nice -n 10 .venv/bin/python -m bench.search --quick             # smaller sizes and samples
"""

from __future__ import annotations

import os
import sys
import time
from itertools import pairwise

from bench.common import (
    DIM,
    ROOT,
    main,
    ms,
    perturbed,
    sample_items,
    stored_vectors_and_queries,
    summarize,
    table,
    time_search,
    worker,
)

MODULE = "bench.search"


def w_search(a: dict) -> dict:
    import faiss
    import numpy as np

    base, queries = stored_vectors_and_queries(a["queries"])
    sizes = sorted(set(a["flat"]) | set(a["hnsw"]))
    t = time.perf_counter()
    X = perturbed(base, max(sizes), a["sigma"])
    gen_s = time.perf_counter() - t
    # how close the copies are: the cosine of a perturbed row with its own base row
    self_cos = float(np.median((X[: len(base) * 10] * base[np.arange(len(base) * 10) % len(base)]).sum(1)))
    flat, added, flat_rows, exact = faiss.IndexFlatIP(DIM), 0, [], {}
    omp_default = faiss.omp_get_max_threads()
    for n in sizes:
        flat.add(X[added:n])
        added = n
        if n in a["flat"]:
            row = {"n": n}
            for threads in a["faiss_threads"]:
                faiss.omp_set_num_threads(threads)
                times = time_search(flat, queries, 50, a["repeats"])
                row[f"threads{threads}"] = {**summarize(times), "mean": sum(times) / len(times)}
            flat_rows.append(row)
        faiss.omp_set_num_threads(omp_default)
        if n in a["hnsw"]:
            exact[n] = flat.search(queries, 10)[1]
    del flat
    hnsw_rows = []
    for n in a["hnsw"]:
        faiss.omp_set_num_threads(omp_default)  # building is parallel; a single query's search is not
        h = faiss.IndexHNSWFlat(DIM, 32, faiss.METRIC_INNER_PRODUCT)
        t = time.perf_counter()
        h.add(X[:n])
        build_s = time.perf_counter() - t
        faiss.omp_set_num_threads(1)
        for ef in a["ef"]:
            h.hnsw.efSearch = ef
            times = time_search(h, queries, 50, a["repeats"])
            found = h.search(queries, 10)[1]
            recall = float(np.mean([len(set(f) & set(e)) / 10 for f, e in zip(found, exact[n])]))
            # the same, counting a row as its source chunk: copies of one chunk are near-ties
            source = float(np.mean([len(set(f % len(base)) & set(e % len(base))) / len(set(e % len(base)))
                                    for f, e in zip(found, exact[n])]))
            hnsw_rows.append({"n": n, "ef": ef, "build_s": build_s, **summarize(times), "recall@10": recall,
                              "source_recall@10": source})
        del h
    faiss.omp_set_num_threads(omp_default)
    del X
    return {"gen_s": gen_s, "sigma": a["sigma"], "self_cos": self_cos, "flat": flat_rows, "hnsw": hnsw_rows,
            "bm25": _bm25_scaling(a), "loadavg": os.getloadavg()[0], "faiss_default_threads": omp_default}


def _bm25_matrix(tok, lengths, n_vocab: int, k1: float = 1.5, b: float = 0.75):
    """The CSC score matrix bm25s builds (Lucene BM25), computed with numpy for corpora too big for its loops."""
    import numpy as np

    n_docs = len(lengths)
    doc = np.repeat(np.arange(n_docs, dtype=np.int64), lengths)
    keys, counts = np.unique(doc * n_vocab + tok, return_counts=True)
    del doc
    d, t = (keys // n_vocab).astype(np.int32), (keys % n_vocab).astype(np.int32)
    del keys
    df = np.bincount(t, minlength=n_vocab)
    idf = np.log(1 + (n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)
    avgdl = lengths.mean()
    tf = counts.astype(np.float32)
    score = idf[t] * tf / (tf + k1 * (1 - b + b * lengths[d].astype(np.float32) / avgdl))
    order = np.lexsort((d, t))
    indptr = np.concatenate([[0], np.cumsum(df)]).astype(np.int64)
    return {"data": score[order].astype(np.float32), "indices": d[order], "indptr": indptr, "num_docs": n_docs}


def _bm25_scaling(a: dict) -> list[dict]:
    import bm25s
    import numpy as np

    from qa import index as index_files
    from qa.query import parse
    from qa.tokens import tokenize

    real = index_files.load(ROOT / "index")
    docs = [tokenize(c.header + " " + c.text) for c in real.chunks]
    vocab: dict[str, int] = {}
    ids = [np.array([vocab.setdefault(t, len(vocab)) for t in d], dtype=np.int32) for d in docs]
    n_real = len(vocab)
    n_vocab = n_real * a["vocab_factor"]  # replaced tokens stand for the figures and names that vary
    words = list(vocab) + [f"#syn{j}" for j in range(n_real, n_vocab)]
    queries = [[t for t in parse(i["question"], i.get("history", ()), 2021).tokens if t in vocab]
               for i in sample_items(limit=a["queries"])]
    queries = [q for q in queries if q]
    rows = []
    for n in a["bm25"]:
        rng = np.random.default_rng(n)
        pick = np.arange(n) % len(ids)
        lengths = np.array([len(ids[i]) for i in pick], dtype=np.int64)
        tok = np.concatenate([ids[i] for i in pick])
        replace = rng.random(len(tok)) < a["replace"]
        tok[replace] = rng.integers(n_real, n_vocab, int(replace.sum()), dtype=np.int32)
        t = time.perf_counter()
        bm25 = bm25s.BM25()
        bm25.scores = _bm25_matrix(tok, lengths, n_vocab)
        bm25.vocab_dict = {w: j for j, w in enumerate(words)}
        bm25.nonoccurrence_array = None
        build_s = time.perf_counter() - t
        check = None
        if n <= a["validate_upto"]:  # the same corpus through bm25s's own indexer gives the same scores
            offsets = np.concatenate([[0], np.cumsum(lengths)])
            reference = bm25s.BM25()
            reference.index([[words[j] for j in tok[offsets[i]:offsets[i + 1]]] for i in range(n)],
                            show_progress=False)
            known = [q for q in queries[:20] if all(t in reference.vocab_dict for t in q)]
            check = max(float(np.abs(reference.get_scores(q) - bm25.get_scores(q)).max()) for q in known)
        times, sort_times, part_times = [], [], []
        for q in queries:
            t = time.perf_counter()
            scores = bm25.get_scores(q)
            times.append(time.perf_counter() - t)
            t = time.perf_counter()
            np.argsort(-scores, kind="stable")[:50]  # what qa.retrieval does with them
            sort_times.append(time.perf_counter() - t)
            t = time.perf_counter()
            top = np.argpartition(-scores, 50)[:50]
            top[np.argsort(-scores[top], kind="stable")]
            part_times.append(time.perf_counter() - t)
        rows.append({"n": n, "build_s": build_s, "nnz": len(bm25.scores["data"]),
                     "matrix_mib": (bm25.scores["data"].nbytes + bm25.scores["indices"].nbytes) / 2**20,
                     "get_scores": summarize(times), "argsort50": summarize(sort_times), "argpartition50": summarize(part_times),
                     "validation_max_abs_diff": check})
        del bm25, tok
    return rows


def run(quick: bool) -> dict:
    if quick:
        args = {"flat": [10_000, 100_000], "hnsw": [10_000], "bm25": [10_000, 100_000], "queries": 30, "repeats": 2}
    else:
        args = {"flat": [10_000, 50_000, 100_000, 200_000, 300_000, 500_000, 1_000_000],
                "hnsw": [10_000, 100_000, 1_000_000], "bm25": [10_000, 100_000, 1_000_000], "queries": 50, "repeats": 3}
    args.update(ef=[64, 128], faiss_threads=[1, 2], sigma=0.02, vocab_factor=20, replace=0.1, validate_upto=10_000)
    return worker(MODULE, "search", args, env={"QA_THREADS": "1"})


def render(res: dict) -> str:
    flat = res["flat"]
    threads = sorted(int(k[7:]) for k in flat[0] if k.startswith("threads"))
    crossings = {}
    for t in threads:
        key = f"threads{t}"
        for lo, hi in pairwise(flat):
            if lo[key]["p50"] <= 0.010 < hi[key]["p50"]:
                crossings[t] = lo["n"] + (0.010 - lo[key]["p50"]) * (hi["n"] - lo["n"]) / (hi[key]["p50"] - lo[key]["p50"])
        if t not in crossings and flat[0][key]["p50"] > 0.010:
            crossings[t] = 0
    out = [f"### Search alone at scale (real chunk vectors repeated with noise σ={res['sigma']}, "
           f"median cosine to their source {res['self_cos']:.2f}; 384-dim float32; k=50; real query embeddings)\n",
           table(["vectors"] + [f"exact IndexFlatIP, {t} OpenMP thread(s): p50 / p95 ms" for t in threads],
                 [[f"{f['n']:,}"] + [f"{ms(f[f'threads{t}']['p50'])} / {ms(f[f'threads{t}']['p95'])}" for t in threads]
                  for f in flat])]
    for t in threads:
        if crossings.get(t) == 0:
            out.append(f"\nExact search ({t} thread(s)) is above 10 ms already at the smallest size measured.")
        elif t in crossings:
            out.append(f"\nExact search ({t} thread(s)) passes 10 ms at ≈{crossings[t]:,.0f} vectors "
                       "(linear interpolation of the medians).")
        else:
            out.append(f"\nExact search ({t} thread(s)) stays under 10 ms at every size measured.")
    out.append("\n" + table(["vectors", "HNSW32 efSearch", "build s", "p50 ms", "p95 ms", "recall@10 vs exact",
                             "recall@10 by source chunk"],
                            [[f"{h['n']:,}", h["ef"], f"{h['build_s']:.0f}", ms(h["p50"]), ms(h["p95"]),
                              f"{h['recall@10']:.3f}", f"{h.get('source_recall@10', float('nan')):.3f}"]
                             for h in res["hnsw"]]))
    out.append("\nBM25 (bm25s `get_scores`, synthetic chunks: real chunk token lists with 10% of tokens redrawn from a "
               "20× vocabulary; matrix built with numpy, checked against bm25s's own indexer at 10k):\n")
    out.append(table(["chunks", "nnz", "matrix MiB", "get_scores p50 ms", "p95 ms", "argsort top-50 p50 ms (as retrieve)",
                      "argpartition top-50 p50 ms", "max |Δ| vs bm25s.index"],
                     [[f"{b['n']:,}", f"{b['nnz']:,}", f"{b['matrix_mib']:.0f}", ms(b["get_scores"]["p50"]),
                       ms(b["get_scores"]["p95"]), ms(b["argsort50"]["p50"]), ms(b["argpartition50"]["p50"]),
                       "" if b["validation_max_abs_diff"] is None else f"{b['validation_max_abs_diff']:.1e}"]
                      for b in res["bm25"]]))
    return "\n".join(out)


WORKERS = {"search": w_search}

if __name__ == "__main__":
    sys.exit(main(["search"], description=__doc__.splitlines()[0]))
