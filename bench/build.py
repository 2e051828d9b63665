"""Index build of the bundled report: time by step, and pure embedding throughput by threads and batch size.

    nice -n 10 .venv/bin/python -m bench.build --markdown          # this section, then bench/RESULTS.md
    nice -n 10 .venv/bin/python -m bench.build --quick             # smaller sizes and samples
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from bench.common import (
    main,
    median,
    table,
    worker,
)

MODULE = "bench.build"


def w_build(a: dict) -> dict:
    from qa import embedding
    from qa import index as index_files
    from qa.pipeline import build_index
    from qa.settings import Settings

    marks = {}

    def progress(message: str) -> None:
        if message.startswith("embedding "):  # chunks, then (in newer builds) sentences
            marks.setdefault("embed_start", time.perf_counter())
            marks.setdefault("texts", []).append(message)

    def embed_progress(done: int, total: int) -> None:
        if done >= total:
            marks["embed_end"] = time.perf_counter()

    # an empty embedding cache of its own: the build measures embedding, not reading earlier vectors back
    with tempfile.TemporaryDirectory(prefix="bench-build-cache-") as cache:
        settings = Settings.from_env(threads=a["build_threads"], embedding_cache=Path(cache))
        t0 = time.perf_counter()
        index = build_index(settings=settings, progress=progress, embed_progress=embed_progress)
        total = time.perf_counter() - t0
    n = len(index.chunks)
    build = {"chunks": n, "total_s": total, "until_embedding_s": marks["embed_start"] - t0,
             "embedding_s": marks["embed_end"] - marks["embed_start"], "index_s": t0 + total - marks["embed_end"],
             "threads": a["build_threads"], "backend": settings.backend, "model_id": index.embedder.model_id,
             "torch_imported": "torch" in sys.modules}
    texts = [c.embedding_text for c in index.chunks]
    embedder = index.embedder
    embedder.embed_passages(texts[:16])  # warm
    # the same texts the build embedded, embedded alone at the build's settings: the build's overhead
    sentences = index_files.sentence_texts(index.chunks) if hasattr(index_files, "sentence_texts") else []
    t = time.perf_counter()
    embedder.embed_passages(texts)
    embedder.embed_passages(sentences) if sentences else None
    build.update(pure_embedding_s=time.perf_counter() - t, sentences=len(sentences), messages=marks.get("texts", []))
    grid = []
    for threads in a["threads"]:
        embedder.batch_threads = threads  # both backends read it on each embed_passages call
        for batch in a["batches"]:
            embedding.BATCH_SIZE = batch
            times = []
            for _ in range(a["repeats"]):
                t = time.perf_counter()
                embedder.embed_passages(texts)
                times.append(time.perf_counter() - t)
            grid.append({"threads": threads, "batch": batch, "seconds": median(times), "runs": times,
                         "chunks_per_s": n / median(times), "loadavg": os.getloadavg()[0]})
    return {"build": build, "grid": grid}


def run(quick: bool) -> dict:
    return worker(MODULE, "build", {"build_threads": 1, "threads": [1, 2], "batches": [8, 16, 32, 64],
                            "repeats": 1 if quick else 3})


def render(res: dict) -> str:
    b = res["build"]
    best = min(res["grid"], key=lambda g: g["seconds"])
    from qa.embedding import BATCH_SIZE

    shipped = next((g for g in res["grid"] if g["batch"] == BATCH_SIZE and g["threads"] == os.cpu_count()), None)
    lines = [f"### Index build (bundled report), backend {b.get('backend', 'torch')}\n",
             table(["chunks", "build total s", "parse+chunk+model load s", "embedding s", "FAISS+BM25 s", "chunks/s (whole build)",
                    "threads"],
                   [[b["chunks"], f"{b['total_s']:.1f}", f"{b['until_embedding_s']:.1f}", f"{b['embedding_s']:.1f}",
                     f"{b['index_s']:.2f}", f"{b['chunks'] / b['total_s']:.1f}", b["threads"]]]),
             "\nPure embedding throughput, `Embedder.embed_passages` on the same chunk texts:\n",
             table(["threads", "batch", "seconds (median)", "each run s", "chunks/s (median)", "load avg"],
                   [[g["threads"], g["batch"], f"{g['seconds']:.2f}", " / ".join(f"{x:.1f}" for x in g.get("runs", [])),
                     f"{g['chunks_per_s']:.1f}", f"{g['loadavg']:.1f}"] for g in res["grid"]]),
             (f"\nThe build embedded {b['chunks']} chunks" + (f" and {b['sentences']} sentences" if b.get("sentences") else "")
              + f"; the same texts embedded alone at the same settings took {b['pure_embedding_s']:.1f} s, so the "
              f"build spends {b['total_s'] - b['pure_embedding_s']:.1f} s outside embedding (imports, model load, "
              f"parsing, BM25, FAISS) and embeds at {(b['chunks'] + b.get('sentences', 0)) / b['pure_embedding_s']:.1f} "
              f"texts/s; the whole build ran at {b['pure_embedding_s'] / b['total_s']:.2f} of pure embedding throughput"
              + (f", torch imported: {b['torch_imported']}" if "torch_imported" in b else "") + ".\n"
              if "pure_embedding_s" in b else ""),
             f"\nFastest: threads={best['threads']}, batch={best['batch']} ({best['chunks_per_s']:.1f} chunks/s)"
             + (f"; shipped default (QA_THREADS=0: every core, batch {BATCH_SIZE}): {shipped['chunks_per_s']:.1f} chunks/s."
                if shipped else ".")]
    return "\n".join(lines)


WORKERS = {"build": w_build}

if __name__ == "__main__":
    sys.exit(main(["build"], description=__doc__.splitlines()[0]))
