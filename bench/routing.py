"""Questions on one index of every report with a question set: `ask` with no report chosen (the likeliest
reports each answer, the surest answer wins) against `ask` with the bundled report chosen, and one query embedding.

    nice -n 10 .venv/bin/python -m bench.routing --markdown         # this section, then bench/RESULTS.md
    nice -n 10 .venv/bin/python -m bench.routing --quick            # fewer questions
"""

from __future__ import annotations

import sys
import time

from bench.common import main, median, ms, sample_items, table, worker

MODULE = "bench.routing"


def w_routing(a: dict) -> dict:
    from eval.sets import index_for, load_sets
    from qa.pipeline import ask, default_report, embedder_for

    index = index_for([s.report for s in load_sets()])
    embedder = embedder_for(index)
    questions = [item["question"] for item in sample_items(limit=a["limit"])]
    bundled = default_report(index)
    for question in questions[:5]:  # warm: views, caches
        ask(index, question)

    def p50(run) -> float:
        times = []
        for question in questions:
            t = time.perf_counter()
            run(question)
            times.append(time.perf_counter() - t)
        return median(times)

    return {"reports": len(index.documents), "chunks": len(index.chunks), "questions": len(questions),
            "embed_p50": p50(lambda q: embedder.embed_queries([q])), "unchosen_p50": p50(lambda q: ask(index, q)),
            "chosen_p50": p50(lambda q: ask(index, q, report=bundled))}


def run(quick: bool) -> dict:
    return worker(MODULE, "routing", {"limit": 40 if quick else 120})


def render(res: dict) -> str:
    e = res["embed_p50"]
    return (f"### No report chosen, one index of {res['reports']} reports ({res['chunks']} chunks)\n\n"
            f"{res['questions']} questions of eval/qa.jsonl, p50:\n\n" + table(
                ["", "ms", "× one query embedding"],
                [["query embedding", ms(e), "1.00"],
                 ["`ask`, bundled report chosen", ms(res["chosen_p50"]), f"{res['chosen_p50'] / e:.2f}"],
                 ["`ask`, no report chosen", ms(res["unchosen_p50"]), f"{res['unchosen_p50'] / e:.2f}"]]))


WORKERS = {"routing": w_routing}

if __name__ == "__main__":
    sys.exit(main(["routing"], description=__doc__.splitlines()[0]))
