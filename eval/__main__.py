"""`python -m eval`: score the pipeline (and baselines) on a QA file; exit 1 below the thresholds, 2 on bad input."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

from eval.report import failure_lines, kind_table, metrics_table
from eval.runner import EvalError, check_thresholds, load_questions, load_thresholds, run_system, summarise


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m eval", description=__doc__)
    parser.add_argument("--qa", type=Path, default=Path("eval/qa.jsonl"), help="questions (JSONL)")
    parser.add_argument("--index", type=Path, default=Path("index"), help="index folder")
    parser.add_argument("--json", type=Path, default=Path("eval/last-run.json"), help="where to write the results")
    parser.add_argument("--thresholds", type=Path, default=Path("eval/thresholds.json"))
    parser.add_argument("--no-baselines", action="store_true", help="score only the pipeline")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    began = time.perf_counter()
    try:
        items = load_questions(args.qa)
        thresholds = load_thresholds(args.thresholds)
    except EvalError as exc:
        print(f"eval: {exc}", file=sys.stderr)
        return 2
    from eval.systems import PipelineSystem, TutorialRAG
    from qa.errors import QAError
    from qa.pipeline import embedder_for, load_index

    try:
        index = load_index(args.index)
        embedder_for(index)
    except QAError as exc:
        print(f"eval: {exc}", file=sys.stderr)
        return 2
    systems = [PipelineSystem(index, "hybrid", "pipeline")]
    if not args.no_baselines:
        systems += [PipelineSystem(index, "bm25"), PipelineSystem(index, "dense"), TutorialRAG(index)]
    kinds = Counter(i["kind"] for i in items)
    print(f"{len(items)} questions from {args.qa} ({', '.join(f'{k} {n}' for k, n in kinds.items())}); index {args.index}")

    results, records = {}, {}
    for system in systems:
        records[system.name] = run_system(system, items, index)
        results[system.name] = summarise(records[system.name])
    main_records = records["pipeline"]
    metrics = results["pipeline"]["metrics"]
    failed = check_thresholds(metrics, thresholds)
    runtime = time.perf_counter() - began

    print("\n" + metrics_table(results) + "\n\n" + kind_table(results))
    failures = failure_lines(main_records)
    groups = Counter(r["failure"] for r in main_records if r["failure"])
    print(f"\npipeline failures: {len(failures)} ({', '.join(f'{k} {n}' for k, n in groups.most_common())})")
    print("\n".join(failures))
    print(f"\nruntime {runtime:.1f} s")

    out = {
        "qa_file": str(args.qa), "index": str(args.index), "model": index.model_id,
        "run_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "runtime_s": round(runtime, 1),
        "n_questions": len(items), "kinds": dict(kinds), "thresholds": thresholds, "threshold_failures": failed,
        "systems": results, "failures": [r for r in main_records if r["failure"]], "questions": records,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(out, ensure_ascii=False, indent=1), "utf-8")
    print(f"wrote {args.json}")
    if failed:
        print("BELOW THRESHOLD (" + str(args.thresholds) + "):\n  " + "\n  ".join(failed))
        return 1
    print(f"all thresholds in {args.thresholds} met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
