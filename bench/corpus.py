"""Corpus scale on the real reports (issue 10): full and incremental builds of 1, 10 and 30 reports, index size,
peak memory, `ask` p50 against one query embedding, and cold start (load + first answer).

    nice -n 10 .venv/bin/python -m bench.corpus --markdown          # this section, then bench/RESULTS.md

The reports are the 28 in ../shared/data (Hangzhou 2021, national 2024, 26 provinces 2026); 30 adds two
copies of provincial rows under other file names (one trailing newline added, so their sha256 and ids
differ). Every build starts from an empty embedding cache of its own except the incremental one, which adds
the 11th report to the 10-report index with the cache warm for those 10. The 30-report index embeds for real
only what the 10-report build left in its cache; the rest get that cache's vectors perturbed, and its build
time is extrapolated from the 10-report build's embedding rate (texts per second): measuring it for real
would take about 10 more minutes of both cores.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench.common import ROOT, main, median, ms, table, worker

MODULE = "bench.corpus"
THREADS = 1  # like the growth section: the machine is shared, one thread a build is what is steady


def shared_reports() -> list[Path]:
    from eval.sets import shared_data

    data = shared_data()
    return [data / "hangzhou-2021-government-work-report.txt", data / "national-2024-government-work-report.txt",
            *sorted((data / "provincial-2026").glob("*.csv"))]


def _disk_mib(folder: Path) -> float:
    return sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file()) / 2**20


def w_build(a: dict) -> dict:
    """A full build into a fresh folder, timed by step."""
    from qa import index as index_files
    from qa.chunking import chunk_documents
    from qa.corpus import refuse_copies, unique_ids
    from qa.embedcache import cached, embed_chunks, embed_indicators
    from qa.embedding import load_embedder
    from qa.settings import Settings
    from qa.source import read_documents

    settings = Settings.from_env(threads=THREADS, embedding_cache=Path(a["cache"]))
    t0 = time.perf_counter()
    documents = [d for p in a["paths"] for d in read_documents(Path(p))]
    refuse_copies(documents)
    documents = unique_ids(documents)
    chunks = chunk_documents(documents)
    t1 = time.perf_counter()
    model = cached(load_embedder(settings), settings.embedding_cache_dir, read=False)  # as build_index does
    t2 = time.perf_counter()
    vectors, sentences = embed_chunks(model, chunks)
    indicators = embed_indicators(model, chunks)
    t3 = time.perf_counter()
    index = index_files.build(documents, chunks, vectors, model.model_id, sentences, indicators)
    t4 = time.perf_counter()
    index_files.save(index, Path(a["out"]))
    t5 = time.perf_counter()
    return {"reports": len(documents), "chunks": len(chunks), "sentences": len(sentences), "computed": model.computed,
            "reused": model.reused, "parse_s": t1 - t0, "model_s": t2 - t1, "embed_s": t3 - t2, "index_s": t4 - t3,
            "save_s": t5 - t4, "total_s": t5 - t0, "disk_mib": _disk_mib(Path(a["out"])), "loadavg": os.getloadavg()[0]}


def w_add(a: dict) -> dict:
    """qa build --add of one report to a saved index, the cache warm for the index's own reports."""
    from qa.corpus import add_reports
    from qa.settings import Settings

    settings = Settings.from_env(threads=THREADS, embedding_cache=Path(a["cache"]))
    t = time.perf_counter()
    change = add_reports([Path(p) for p in a["paths"]], Path(a["index"]), settings)
    return {"reports": len(change.index.documents), "chunks": len(change.index.chunks), "computed": change.embedded,
            "reused": change.reused, "total_s": time.perf_counter() - t, "disk_mib": _disk_mib(Path(a["index"])),
            "loadavg": os.getloadavg()[0]}


def w_synthetic(a: dict) -> dict:
    """30 reports: parse, chunk, FAISS, BM25 and save for real; texts the cache lacks get a cached vector perturbed."""
    import numpy as np

    from qa import index as index_files
    from qa.chunking import chunk_documents
    from qa.corpus import refuse_copies, unique_ids
    from qa.embedcache import CachedEmbedder
    from qa.embedding import load_embedder
    from qa.index import sentence_texts
    from qa.settings import Settings
    from qa.source import read_documents

    settings = Settings.from_env(threads=THREADS)
    t0 = time.perf_counter()
    documents = [d for p in a["paths"] for d in read_documents(Path(p))]
    refuse_copies(documents)
    documents = unique_ids(documents)
    chunks = chunk_documents(documents)
    parse_s = time.perf_counter() - t0
    cache = CachedEmbedder(load_embedder(settings), Path(a["cache"]))
    rng = np.random.default_rng(0)
    hits = misses = 0
    distinct: set[str] = set()

    def vectors_of(texts: list[str]) -> np.ndarray:
        nonlocal hits, misses
        rows = []
        for text in texts:
            vector = cache._read(text)
            if vector is None:
                misses += 1
                distinct.add(text)
                base = rows[-1] if rows else np.ones(cache.dim, dtype=np.float32)
                vector = base + rng.normal(0, 0.05, cache.dim).astype(np.float32)
                vector /= np.linalg.norm(vector)
            else:
                hits += 1
            rows.append(vector)
        return np.vstack(rows).astype(np.float32)

    vectors = vectors_of([c.embedding_text for c in chunks])
    sentences = vectors_of(sentence_texts(chunks))
    t = time.perf_counter()
    index = index_files.build(documents, chunks, vectors, cache.model_id, sentences)
    index_s = time.perf_counter() - t
    t = time.perf_counter()
    index_files.save(index, Path(a["out"]))
    return {"reports": len(documents), "chunks": len(chunks), "sentences": len(sentences), "cached": hits,
            "to_embed": len(distinct), "parse_s": parse_s, "index_s": index_s, "save_s": time.perf_counter() - t,
            "disk_mib": _disk_mib(Path(a["out"])), "loadavg": os.getloadavg()[0]}


def w_ask(a: dict) -> dict:
    """Cold start (imports, load, model, first answer) in this fresh process, then `ask` and query embedding p50."""
    started = time.perf_counter()
    from qa.pipeline import ask, embedder_for, load_index
    from qa.settings import Settings

    index = load_index(Path(a["index"]), Settings.from_env(threads=THREADS), check_sources=False)
    loaded = time.perf_counter()
    ask(index, a["questions"][0])
    first = time.perf_counter()
    embedder = embedder_for(index)
    asks, embeds = [], []
    for question in a["questions"]:
        t = time.perf_counter()
        embedder.embed_queries([question])
        embeds.append(time.perf_counter() - t)
        t = time.perf_counter()
        ask(index, question)
        asks.append(time.perf_counter() - t)
    return {"imports_load_s": loaded - started, "first_answer_s": first - loaded, "cold_start_s": first - started,
            "ask_p50": median(asks), "embed_p50": median(embeds), "ratio": median(asks) / median(embeds),
            "questions": len(asks), "chunks": len(index.chunks), "loadavg": os.getloadavg()[0]}


def questions(limit: int) -> list[str]:
    lines = (ROOT / "eval" / "qa.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["question"] for line in lines if line.strip()][:limit]


def run(quick: bool) -> dict:
    reports = shared_reports()
    sizes = (1, 10, 30)
    env = {"QA_THREADS": str(THREADS)}
    asked = questions(20 if quick else 40)
    out: dict = {"builds": {}, "asks": {}}
    with tempfile.TemporaryDirectory(prefix="bench-corpus-") as tmp:
        tmp = Path(tmp)
        copies = []
        for n, original in enumerate(reports[-2:], 1):  # two more reports: real rows under other names
            copy = tmp / f"{original.stem}-copy{n}{original.suffix}"
            copy.write_bytes(original.read_bytes() + b"\n")
            copies.append(copy)
        corpus = [*reports, *copies]
        for n in sizes[:2]:
            cache = tmp / f"cache-{n}"
            out["builds"][f"full-{n}"] = worker(MODULE, "build", {"paths": [str(p) for p in corpus[:n]],
                                                                  "cache": str(cache), "out": str(tmp / f"idx-{n}")}, env)
        shutil.copytree(tmp / "idx-10", tmp / "idx-11")
        out["builds"]["add-11th-to-10"] = worker(MODULE, "add", {"paths": [str(corpus[10])], "cache": str(tmp / "cache-10"),
                                                                 "index": str(tmp / "idx-11")}, env)
        out["builds"]["synthetic-30"] = worker(MODULE, "synthetic", {"paths": [str(p) for p in corpus[:30]],
                                                                     "cache": str(tmp / "cache-10"),
                                                                     "out": str(tmp / "idx-30")}, env)
        for n in sizes:
            out["asks"][str(n)] = worker(MODULE, "ask", {"index": str(tmp / f"idx-{n}"), "questions": asked}, env)
    return out


def render(res: dict) -> str:
    b, asks = res["builds"], res["asks"]
    ten = b["full-10"]
    rate = ten["computed"] / ten["embed_s"]  # texts a second, whole-build embedding on the shared machine
    syn = b["synthetic-30"]
    every = syn["chunks"] + syn["sentences"]  # a full build embeds every text, the copies' too
    est_total = ten["parse_s"] + ten["model_s"] + every / rate + syn["index_s"] + syn["save_s"]
    rows = []
    for key, label in (("full-1", "1, full"), ("full-10", "10, full"), ("add-11th-to-10", "10 + 1, `--add` (warm cache)")):
        r = b[key]
        rows.append([label, r["chunks"], r["computed"], r["reused"], f"{r['total_s']:.1f}",
                     f"{r['embed_s']:.1f}" if "embed_s" in r else "—", f"{r['disk_mib']:.1f}", f"{r['_peak_rss_mib']:.0f}",
                     f"{r['loadavg']:.1f}"])
    rows.append(["30, full (extrapolated)", syn["chunks"], every, 0, f"≈{est_total:.0f}", f"≈{every / rate:.0f}",
                 f"{syn['disk_mib']:.1f}", f"{syn['_peak_rss_mib']:.0f} (model loaded, no embedding run)",
                 f"{syn['loadavg']:.1f}"])
    build_table = table(["reports", "chunks", "texts embedded", "from cache", "build s", "embedding s",
                         "index MiB", "peak RSS MiB", "load avg"], rows)
    ask_rows = [[n, a["chunks"], ms(a["ask_p50"]), ms(a["embed_p50"]), f"{a['ratio']:.2f}",
                 f"{a['imports_load_s']:.2f}", f"{a['first_answer_s']:.2f}", f"{a['cold_start_s']:.2f}",
                 f"{a['_peak_rss_mib']:.0f}", f"{a['loadavg']:.1f}"] for n, a in sorted(asks.items(), key=lambda x: int(x[0]))]
    ask_table = table(["reports", "chunks", "ask p50 ms", "query embedding p50 ms", "ask / embedding",
                       "imports + load s", "first answer s", "cold start s", "peak RSS MiB", "load avg"], ask_rows)
    return ("### Corpus: the real reports in one index (builds with 1 thread, each from an empty embedding cache "
            "but the `--add`)\n\n" + build_table
            + f"\n\nEmbedding ran at {rate:.1f} texts/s in the 10-report build. The 30-report row: parsing, chunking "
            f"({syn['parse_s']:.1f} s), FAISS + BM25 ({syn['index_s']:.1f} s) and saving ({syn['save_s']:.1f} s) are "
            f"measured; {syn['cached']} of its {every} texts had vectors in the cache the 10-report build and the "
            f"`--add` left, the other {every - syn['cached']} ({syn['to_embed']} distinct) got one of those plus noise. "
            f"Its build time counts all {every} texts at that rate: a full build embeds every text, the copies' too. "
            "Its peak RSS has no embedding in it.\n\n" + ask_table
            + f"\n\n`ask` over {asks['1']['questions']} questions of eval/qa.jsonl (Hangzhou's) on each index, in a "
            "fresh process a size; cold start = imports, index load, model load and the first answer.")


WORKERS = {"build": w_build, "add": w_add, "synthetic": w_synthetic, "ask": w_ask}

if __name__ == "__main__":
    sys.exit(main(["corpus"], description=__doc__.splitlines()[0]))
