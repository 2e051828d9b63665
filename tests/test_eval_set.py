"""Validate the hand-written evaluation set ``eval/qa.jsonl``.

Checks structure (fields, kinds, ids), that every answer and evidence string
is a verbatim substring of the bundled report, and the required mix of
unanswerable / follow-up / English questions.
"""

import json
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
QA_PATH = ROOT / "eval" / "qa.jsonl"
REPORT_PATH = ROOT / "data" / "hangzhou-2021-government-work-report.txt"

KINDS = {
    "figure",
    "fact",
    "list",
    "paraphrase",
    "colloquial",
    "english",
    "unanswerable",
    "followup",
}
BASE_FIELDS = {"id", "question", "answers", "evidence", "kind"}
AD_MARKER = "数据皮皮侠"
CHROME_PREFIX = "时间："  # "时间：…来源：…浏览次数" page chrome line
MIN_QUESTIONS = 150


def _load_items():
    items = []
    with QA_PATH.open(encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            items.append((lineno, line, json.loads(line)))
    return items


@pytest.fixture(scope="module")
def report() -> str:
    return REPORT_PATH.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def report_body(report) -> str:
    """Report text without the scraped ad lines and the web-page metadata line."""
    return "\n".join(
        line
        for line in report.splitlines()
        if AD_MARKER not in line and not line.startswith(CHROME_PREFIX)
    )


@pytest.fixture(scope="module")
def records():
    return [rec for _, _, rec in _load_items()]


def test_every_line_parses_as_object():
    with QA_PATH.open(encoding="utf-8") as f:
        lines = [ln for ln in f if ln.strip()]
    assert lines, "eval/qa.jsonl is empty"
    for lineno, line in enumerate(lines, 1):
        rec = json.loads(line)  # raises on malformed JSON
        assert isinstance(rec, dict), f"line {lineno} is not a JSON object"
        # written with ensure_ascii=False: Chinese text is stored raw
        assert "\\u" not in line, f"line {lineno} has ASCII-escaped characters"


def test_fields_and_types(records):
    for rec in records:
        rid = rec.get("id")
        keys = set(rec)
        if rec.get("kind") == "followup":
            assert keys == BASE_FIELDS | {"history"}, (rid, sorted(keys))
        else:
            assert keys == BASE_FIELDS, (rid, sorted(keys))
        assert isinstance(rid, str) and rid.strip(), rec
        assert isinstance(rec["question"], str) and rec["question"].strip(), rid
        assert isinstance(rec["answers"], list), rid
        assert isinstance(rec["evidence"], list), rid
        for a in rec["answers"]:
            assert isinstance(a, str) and a.strip(), (rid, a)
        for e in rec["evidence"]:
            assert isinstance(e, str), (rid, e)


def test_ids_unique(records):
    counts = Counter(rec["id"] for rec in records)
    dups = [i for i, n in counts.items() if n > 1]
    assert not dups, f"duplicate ids: {dups}"


def test_kinds_valid(records):
    bad = [(rec["id"], rec["kind"]) for rec in records if rec["kind"] not in KINDS]
    assert not bad, bad


def test_empty_answers_and_evidence_exactly_for_unanswerable(records):
    for rec in records:
        rid = rec["id"]
        if rec["kind"] == "unanswerable":
            assert rec["answers"] == [], rid
            assert rec["evidence"] == [], rid
        else:
            assert rec["answers"], f"{rid}: answers empty for answerable question"
            assert 1 <= len(rec["evidence"]) <= 2, f"{rid}: need 1-2 evidence strings"


def test_history_only_on_followups(records):
    for rec in records:
        rid = rec["id"]
        if rec["kind"] == "followup":
            hist = rec.get("history")
            assert isinstance(hist, list) and hist, f"{rid}: followup needs history"
            for h in hist:
                assert isinstance(h, str) and h.strip(), (rid, h)
        else:
            assert "history" not in rec, f"{rid}: history on non-followup"


def test_evidence_shape(records):
    for rec in records:
        for e in rec["evidence"]:
            assert 10 <= len(e) <= 40, (rec["id"], len(e), e)
            assert "\n" not in e and "\r" not in e, (rec["id"], e)


def test_answers_verbatim_in_report(records, report_body):
    missing = [
        (rec["id"], a)
        for rec in records
        for a in rec["answers"]
        if a not in report_body
    ]
    assert not missing, f"answers not found verbatim in report: {missing}"


def test_evidence_verbatim_in_report(records, report_body):
    missing = [
        (rec["id"], e)
        for rec in records
        for e in rec["evidence"]
        if e not in report_body
    ]
    assert not missing, f"evidence not found verbatim in report: {missing}"


def test_evidence_not_from_ads(records):
    for rec in records:
        for e in rec["evidence"]:
            assert AD_MARKER not in e, rec["id"]
        for a in rec["answers"]:
            assert AD_MARKER not in a, rec["id"]


def test_minimum_size(records):
    assert len(records) >= MIN_QUESTIONS, len(records)


def test_kind_mix(records):
    n = len(records)
    counts = Counter(rec["kind"] for rec in records)
    assert counts["unanswerable"] >= 0.10 * n, counts
    assert counts["followup"] >= 0.05 * n, counts
    assert counts["english"] >= 0.05 * n, counts
