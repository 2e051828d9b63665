"""Run a system over the questions and summarise: per-question records, metrics, by-kind, thresholds."""

from __future__ import annotations

import json
import time
from collections import defaultdict
from pathlib import Path

from eval.metrics import contains_any, failure_kind, first_relevant_rank, grounded, mrr_at, percentile, rate, recall_at

METRICS = ("recall@1", "recall@5", "mrr@10", "grounded_accuracy", "abstention", "false_refusal",
           "latency_p50_ms", "latency_p95_ms", "answer_chars_median")
# Measured on one index of all the reports against each report's own (the "shared." scope), not per system.
SHARED_METRICS = ("grounded_loss", "cross_report")


SCOPES = ("test", "loro", "dev", "shared")  # a threshold "test.grounded_accuracy" bounds the test split's metric


class EvalError(Exception):
    """A problem with the eval's inputs (question file, thresholds): exit 2."""


def load_questions(path: Path) -> list[dict]:
    items = []
    try:
        lines = Path(path).read_text("utf-8").splitlines()
    except OSError as exc:
        raise EvalError(f"cannot read the question file {path}: {exc.strerror or exc}") from exc
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            raise EvalError(f"{path}:{number}: not JSON ({exc})") from exc
        if not isinstance(row, dict) or not isinstance(row.get("question"), str):
            raise EvalError(f"{path}:{number}: needs an object with a string `question`")
        answers, evidence, history = row.get("answers", []), row.get("evidence", []), row.get("history") or []
        if not all(isinstance(x, list) and all(isinstance(s, str) for s in x) for x in (answers, evidence, history)):
            raise EvalError(f"{path}:{number}: `answers`, `evidence` and `history` must be lists of strings")
        if answers and not evidence:
            raise EvalError(f"{path}:{number}: an answerable question needs `evidence`")
        kind = row.get("kind") or ("unanswerable" if not answers else "other")
        items.append({"id": str(row.get("id", f"line{number}")), "question": row["question"], "answers": answers,
                      "evidence": evidence, "kind": kind, "history": history}
                     | {k: row[k] for k in ("split", "report") if k in row})  # a per-report set's own fields
    if not items:
        raise EvalError(f"{path} holds no questions")
    return items


def evidence_periods(index, evidence: list[str]) -> set[str]:
    """Period labels of the report paragraphs that hold an evidence string."""
    return {p.period.label for p in index.paragraphs.values() if contains_any(p.text, evidence)}


def run_system(system, items: list[dict], index, k: int = 10) -> list[dict]:
    system.ask(items[0]["question"], items[0]["history"])  # warm-up, not timed
    records = []
    for item in items:
        history = tuple(item["history"])
        rank = first_relevant_rank(system.search(item["question"], history, k), item["evidence"])
        start = time.perf_counter()
        reply = system.ask(item["question"], history)
        latency = (time.perf_counter() - start) * 1000
        record = {
            "id": item["id"], "kind": item["kind"], "question": item["question"], "history": item["history"],
            "answerable": bool(item["answers"]), "rank": rank if item["answers"] else None,
            "found": bool(reply.found), "answer": reply.text, "cited_id": reply.cited_id,
            "cited_period": reply.cited_period, "cite_has_evidence": contains_any(reply.cited_text, item["evidence"]),
            "grounded": grounded(reply.found, reply.text, reply.cited_text, item["answers"], item["evidence"]),
            "confidence": reply.confidence, "latency_ms": round(latency, 2),
        }
        record["failure"] = failure_kind(record, evidence_periods(index, item["evidence"]))
        records.append(record)
    return records


def _scores(records: list[dict]) -> dict:
    answerable = [r for r in records if r["answerable"]]
    unanswerable = [r for r in records if not r["answerable"]]
    ranks = [r["rank"] for r in answerable]
    return {
        "n": len(records), "n_answerable": len(answerable), "n_unanswerable": len(unanswerable),
        "recall@1": recall_at(ranks, 1), "recall@5": recall_at(ranks, 5), "mrr@10": mrr_at(ranks, 10),
        "grounded_accuracy": rate([r["grounded"] for r in answerable]),
        "abstention": rate([not r["found"] for r in unanswerable]),
        "false_refusal": rate([not r["found"] for r in answerable]),
    }


def summarise(records: list[dict]) -> dict:
    metrics = _scores(records)
    latencies = [r["latency_ms"] for r in records]
    metrics["latency_p50_ms"] = percentile(latencies, 50)
    metrics["latency_p95_ms"] = percentile(latencies, 95)
    found = sorted(len(r["answer"]) for r in records if r["found"])
    metrics["answer_chars_median"] = percentile(found, 50)
    groups = defaultdict(list)
    for r in records:
        groups[r["kind"]].append(r)
    by_kind = {kind: _scores(rows) for kind, rows in groups.items()}
    return {"metrics": metrics, "by_kind": by_kind}


def check_thresholds(metrics: dict, thresholds: dict) -> list[str]:
    """Messages for every metric below its minimum (or above a `_max` bound); [] when all pass."""
    failed = []
    for name, bound in thresholds.items():
        metric = name.removesuffix("_max")
        value = metrics.get(metric)
        if value is None:
            continue  # e.g. no unanswerable questions in this file: nothing to judge
        if name.endswith("_max") and value > bound:
            failed.append(f"{metric} = {value:.4g} is above the maximum {bound}")
        elif not name.endswith("_max") and value < bound:
            failed.append(f"{metric} = {value:.4g} is below the minimum {bound}")
    return failed


def load_thresholds(path: Path) -> dict:
    try:
        thresholds = json.loads(Path(path).read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise EvalError(f"cannot read the thresholds file {path}: {exc}") from exc
    if not isinstance(thresholds, dict) or not all(isinstance(v, (int, float)) for v in thresholds.values()):
        raise EvalError(f"{path} must be a JSON object of metric name -> number")
    unknown = [n for n in thresholds if n.removesuffix("_max").split(".", 1)[-1] not in METRICS + SHARED_METRICS
               or ("." in n and n.split(".", 1)[0] not in SCOPES)]
    if unknown:
        raise EvalError(f"{path}: unknown metric(s) {', '.join(unknown)} (known: {', '.join(METRICS + SHARED_METRICS)}, each maybe "
                        f"after {', '.join(s + '.' for s in SCOPES)}; add _max for an upper bound)")
    return thresholds
