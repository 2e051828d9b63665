"""Pure metric functions: no model, no index. Ranks are 1-based; None means "not retrieved"."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np


def contains_any(text: str, needles: Iterable[str]) -> bool:
    return bool(text) and any(n and n in text for n in needles)


def first_relevant_rank(texts: Sequence[str], evidence: Sequence[str]) -> int | None:
    """1-based rank of the first retrieved text that contains an evidence string."""
    return next((i for i, t in enumerate(texts, 1) if contains_any(t, evidence)), None)


def recall_at(ranks: Sequence[int | None], k: int) -> float | None:
    """Share of questions with a relevant text in the top k."""
    return sum(r is not None and r <= k for r in ranks) / len(ranks) if ranks else None


def mrr_at(ranks: Sequence[int | None], k: int = 10) -> float | None:
    return sum(1 / r for r in ranks if r is not None and r <= k) / len(ranks) if ranks else None


def grounded(found: bool, answer_text: str, cited_text: str, answers: Sequence[str], evidence: Sequence[str]) -> bool:
    """Found, the answer holds an accepted answer, and the first citation holds the evidence."""
    return bool(found) and contains_any(answer_text, answers) and contains_any(cited_text, evidence)


def rate(flags: Sequence[bool]) -> float | None:
    return sum(map(bool, flags)) / len(flags) if flags else None


def percentile(values: Sequence[float], q: float) -> float | None:
    return float(np.percentile(values, q)) if len(values) else None


def failure_kind(record: dict, evidence_periods: set[str]) -> str | None:
    """Why a question failed (None when it did not): the groups the failure analysis uses."""
    if not record["answerable"]:
        return "unanswerable_answered" if record["found"] else None
    if record["grounded"]:
        return None
    if not record["found"]:
        return "false_refusal"
    if record["cite_has_evidence"]:
        return "wrong_clause"  # right paragraph, the extract misses the answer
    if record["cited_period"] and evidence_periods and record["cited_period"] not in evidence_periods:
        return "wrong_period"
    return "wrong_paragraph"
