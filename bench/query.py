"""Query latency by stage over eval/qa.jsonl (parse, embed, dense, BM25, fusion, answer), with a profile of `ask`.

    nice -n 10 .venv/bin/python -m bench.query --markdown          # this section, then bench/RESULTS.md
    nice -n 10 .venv/bin/python -m bench.query --quick             # smaller sizes and samples
"""

from __future__ import annotations

import os
import sys

from bench.common import (
    ROOT,
    main,
    ms,
    sample_items,
    stage_times,
    table,
    worker,
)

MODULE = "bench.query"


def w_query(a: dict) -> dict:
    from qa.pipeline import embedder_for, load_index
    from qa.settings import Settings

    index = load_index(settings=Settings.from_env(threads=a["threads"]))
    embedder_for(index)
    items = sample_items(limit=a.get("limit"))
    out = {"backend": index.settings.backend, "torch_imported": "torch" in sys.modules,
           "threads": a["threads"], "questions": len(items), "stages": stage_times(index, items),
           "loadavg": os.getloadavg()[0]}
    if a.get("profile"):
        try:
            out["profile"] = _profile(index, items[: a.get("profile_n", 60)])
        except ImportError as exc:  # the profiler is the `bench` extra, which set-up does not install
            out["profile_skipped"] = f"{exc.name} is not installed (`.venv/bin/pip install -e '.[bench]'`)"
    return out


def _profile(index, items) -> dict:
    """pyinstrument over ask(), and the share of its time outside the model's forward pass."""
    from pyinstrument import Profiler

    from qa.pipeline import ask

    profiler = Profiler(interval=0.0005)
    profiler.start()
    for item in items:
        ask(index, item["question"], item.get("history", ()))
    profiler.stop()
    text = profiler.output_text(unicode=False, color=False, show_all=False)
    path = ROOT / "bench" / "profile_ask.txt"
    path.write_text(text, encoding="utf-8")
    session = profiler.last_session
    by_library: dict[str, float] = {}
    by_function: dict[str, float] = {}

    def library(path: str) -> str:
        for key, label in (("/qa/", "qa (this project)"), ("jieba", "jieba"), ("torch", "model: torch"), ("onnxruntime", "model: onnxruntime"),
                           ("transformers", "model: transformers/sentence-transformers"), ("tokenizers", "model: tokenizer"),
                           ("faiss", "faiss"), ("bm25s", "bm25s"), ("numpy", "numpy"), ("opencc", "opencc")):
            if key in path:
                return label
        return "other"

    def walk(frame, owner: str, active: frozenset) -> None:
        if frame.is_synthetic:  # [self] and hidden-await leaves: already in the parent's total_self_time
            return
        path = frame.file_path if frame.file_path and not frame.file_path.startswith("<") else owner
        by_library[library(path)] = by_library.get(library(path), 0.0) + frame.total_self_time
        name = f"{frame.class_name}.{frame.function}" if getattr(frame, "class_name", None) else frame.function
        if name in PROFILED and name not in active:
            by_function[name] = by_function.get(name, 0.0) + frame.time
            active = active | {name}
        for child in frame.children:
            walk(child, path, active)

    root = session.root_frame()
    walk(root, "", frozenset())
    return {"file": str(path.relative_to(ROOT)), "duration_s": session.duration, "questions": len(items),
            "by_library": sorted(by_library.items(), key=lambda kv: -kv[1]),
            "by_function": sorted(by_function.items(), key=lambda kv: -kv[1])}


# functions whose total time the profile reports (pyinstrument names methods Class.method)
PROFILED = ("Embedder.embed_queries", "OnnxEmbedder.embed_queries", "parse", "retrieve", "candidates", "answer", "cover",
            "coverage", "tokenize", "_rules",
            "Tokenizer.lcut_for_search", "extract_figures", "confidence_of", "_narrow", "normalize")


def run(quick: bool) -> dict:
    runs = [worker(MODULE, "query", {"threads": 1, "limit": 40 if quick else None, "profile": True,
                             "profile_n": 30 if quick else 80})]
    runs.append(worker(MODULE, "query", {"threads": 2, "limit": 20 if quick else 60}))
    return {"runs": runs}


def render(res: dict) -> str:
    out = ["### Query latency by stage (eval/qa.jsonl)\n"]
    names = [("parse", "question analysis (qa.query.parse)"), ("embed", "query embedding"), ("dense", "dense search"),
             ("bm25", "BM25 scores"), ("fusion", "fusion (rest of retrieve)"), ("answer", "answer extraction"),
             ("ask", "whole `ask`")]
    for run in res["runs"]:
        s = run["stages"]
        backend = f"backend {run['backend']} (torch imported: {run['torch_imported']}), " if "backend" in run else ""
        out.append(f"{backend}threads = {run['threads']}, {run['questions']} questions, load avg {run['loadavg']:.1f}:\n")
        out.append(table(["stage", "p50 ms", "p95 ms"], [[label, ms(s[k]["p50"]), ms(s[k]["p95"])] for k, label in names]))
        out.append(f"\nask / embedding: ratio of medians **{s['ask']['p50'] / s['embed']['p50']:.2f}**, "
                   f"median per-question ratio {s['ratio']['p50']:.2f} (goal ≤ 1.3)\n")
        if run.get("profile"):
            p = run["profile"]
            total = p["duration_s"]
            out.append(f"Profile of `ask` over {p['questions']} questions (pyinstrument, {total:.1f} s, tree in "
                       f"`{p['file']}`). Time inside these functions (nested calls included):\n")
            out.append(table(["function", "s", "share of ask"],
                             [[f"`{name}`", f"{sec:.2f}", f"{sec / total:.0%}"] for name, sec in p["by_function"]]))
            out.append("\nSelf time by library:\n")
            out.append(table(["library", "s", "share"],
                             [[name, f"{sec:.2f}", f"{sec / total:.0%}"] for name, sec in p["by_library"]]))
            out.append("")
        elif run.get("profile_skipped"):
            out.append(f"No profile of `ask`: {run['profile_skipped']}.\n")
    return "\n".join(out)


WORKERS = {"query": w_query}

if __name__ == "__main__":
    sys.exit(main(["query"], description=__doc__.splitlines()[0]))
