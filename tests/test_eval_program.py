"""The eval program: metric functions on hand-made hits and answers, then `python -m eval` end to end."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from eval.__main__ import main
from eval.metrics import first_relevant_rank, grounded, mrr_at, recall_at
from eval.runner import check_thresholds, run_system, summarise
from eval.systems import Reply
from qa.chunking import Chunk
from qa.periods import Period
from qa.retrieval import Hit
from qa.source import Paragraph

GDP = "全年地区生产总值增长3.9%，一般公共预算收入增长6.5%。"
PLAN = "地区生产总值增长7%，一般公共预算收入增长7%。"


def hit(text: str, number: int) -> Hit:
    period = Period(kind="year_review", start=2020, end=2020, label="2020年实绩")
    paragraph = Paragraph(f"doc#p{number:03d}", "doc", ("一、回顾",), period, text, 0, len(text), "paragraph")
    return Hit(Chunk(f"doc#p{number:03d}.c0", paragraph.id, "doc", text, 0, len(text), "一、回顾"), paragraph,
               1.0 / number, 0.9, 1.0)


def test_rank_recall_and_mrr_on_hits():
    hits = [hit(PLAN, 1), hit("其他内容。", 2), hit(GDP, 3)]
    texts = [h.chunk.text for h in hits]
    assert first_relevant_rank(texts, ["全年地区生产总值增长3.9%"]) == 3
    assert first_relevant_rank(texts, ["没有这句话", "增长7%，一般"]) == 1
    assert first_relevant_rank(texts, ["没有这句话"]) is None
    ranks = [1, 3, None, 12]
    assert recall_at(ranks, 1) == 0.25
    assert recall_at(ranks, 5) == 0.5
    assert mrr_at(ranks, 10) == pytest.approx((1 + 1 / 3) / 4)
    assert recall_at([], 5) is None


def test_grounded_needs_found_answer_and_cited_evidence():
    evidence, answers = ["全年地区生产总值增长3.9%"], ["3.9%"]
    assert grounded(True, "全年地区生产总值增长3.9%", GDP, answers, evidence)
    assert not grounded(False, "全年地区生产总值增长3.9%", GDP, answers, evidence)  # refused
    assert not grounded(True, "一般公共预算收入增长6.5%", GDP, answers, evidence)  # right paragraph, wrong clause
    assert not grounded(True, "城乡居民收入分别增长3.9%", PLAN, answers, evidence)  # right figure, wrong citation


class FakeSystem:
    """Canned replies: no model, no index."""

    def __init__(self, replies):
        self.replies = replies

    def ask(self, question, history=()):
        return self.replies.get(question, Reply("报告中没有找到", False))

    def search(self, question, history=(), k=10):
        return [PLAN, GDP][:k]


class FakeIndex:
    def __init__(self):
        self.paragraphs = {"doc#p003": hit(GDP, 3).paragraph}


def test_run_and_summarise_with_a_fake_system():
    items = [
        {"id": "a", "question": "q-gdp", "answers": ["3.9%"], "evidence": ["全年地区生产总值增长3.9%"], "kind": "figure", "history": []},
        {"id": "b", "question": "q-clause", "answers": ["3.9%"], "evidence": ["全年地区生产总值增长3.9%"], "kind": "figure", "history": []},
        {"id": "c", "question": "q-refused", "answers": ["7%"], "evidence": ["地区生产总值增长7%"], "kind": "followup", "history": ["q-gdp"]},
        {"id": "d", "question": "q-none", "answers": [], "evidence": [], "kind": "unanswerable", "history": []},
        {"id": "e", "question": "q-housing", "answers": [], "evidence": [], "kind": "unanswerable", "history": []},
    ]
    replies = {
        "q-gdp": Reply("全年地区生产总值增长3.9%", True, GDP, "doc#p003", "2020年实绩"),
        "q-clause": Reply("一般公共预算收入增长6.5%", True, GDP, "doc#p003", "2020年实绩"),
        "q-housing": Reply("地区生产总值增长7%", True, PLAN, "doc#p042", "2021年安排"),
    }
    records = run_system(FakeSystem(replies), items, FakeIndex())
    assert [r["rank"] for r in records] == [2, 2, 1, None, None]
    assert [r["failure"] for r in records] == [None, "wrong_clause", "false_refusal", None, "unanswerable_answered"]
    summary = summarise(records)
    m = summary["metrics"]
    assert m["grounded_accuracy"] == pytest.approx(1 / 3)
    assert m["recall@1"] == pytest.approx(1 / 3) and m["recall@5"] == 1.0
    assert m["abstention"] == 0.5 and m["false_refusal"] == pytest.approx(1 / 3)
    assert summary["by_kind"]["unanswerable"]["abstention"] == 0.5
    assert summary["by_kind"]["figure"]["grounded_accuracy"] == 0.5
    assert check_thresholds(m, {"recall@5": 0.9, "false_refusal_max": 0.5}) == []
    failed = check_thresholds(m, {"recall@1": 0.5, "false_refusal_max": 0.1})
    assert len(failed) == 2 and "recall@1" in failed[0] and "false_refusal" in failed[1]


def test_unknown_threshold_is_a_usage_error(tmp_path):
    thresholds = tmp_path / "t.json"
    thresholds.write_text(json.dumps({"recal@5": 0.9}))
    assert main(["--thresholds", str(thresholds), "--json", str(tmp_path / "out.json")]) == 2


QUESTIONS = [
    {"id": "t-figure", "question": "2020年杭州固定资产投资增长了多少？", "answers": ["6.8%"],
     "evidence": ["固定资产投资增长6.8%"], "kind": "figure"},
    {"id": "t-fact", "question": "杭州派出多少名医务工作者支援湖北？", "answers": ["318名"],
     "evidence": ["精心调派318名医务工作者支援湖北"], "kind": "fact"},
    {"id": "t-retail", "question": "2020年杭州社会消费品零售总额是多少？", "answers": ["5973亿元"],
     "evidence": ["社会消费品零售总额5973亿元、下降3.5%"], "kind": "figure"},
    {"id": "t-english", "question": "How many medical workers did Hangzhou send to Hubei?", "answers": ["318名"],
     "evidence": ["精心调派318名医务工作者支援湖北"], "kind": "english"},
    {"id": "t-none", "question": "杭州现在的房价是多少？", "answers": [], "evidence": [], "kind": "unanswerable"},
    {"id": "t-followup", "question": "那2021年呢？", "answers": ["7%"], "evidence": ["地区生产总值增长7%，一般公共预算收入增长7%"],
     "kind": "followup", "history": ["2020年杭州地区生产总值增长了多少？"]},
]


def run_eval(tmp_path, thresholds: dict, name: str):
    qa, limits, out = tmp_path / "qa.jsonl", tmp_path / f"{name}.thresholds.json", tmp_path / f"{name}.json"
    qa.write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in QUESTIONS), "utf-8")
    limits.write_text(json.dumps(thresholds))
    done = subprocess.run([sys.executable, "-m", "eval", "--qa", str(qa), "--index", "index", "--json", str(out),
                           "--thresholds", str(limits), "--no-baselines"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    return done, json.loads(out.read_text("utf-8"))


@pytest.mark.skipif(not (ROOT / "index" / "manifest.json").is_file(), reason="no built index (run `qa build`)")
def test_end_to_end_on_six_questions(tmp_path):
    done, result = run_eval(tmp_path, {"recall@5": 0.1, "latency_p50_ms_max": 1e6}, "pass")
    assert done.returncode == 0, done.stdout + done.stderr
    metrics = result["systems"]["pipeline"]["metrics"]
    for name in ("recall@1", "recall@5", "mrr@10", "grounded_accuracy", "abstention", "false_refusal",
                 "latency_p50_ms", "latency_p95_ms"):
        assert metrics[name] is not None, name
    assert metrics["recall@5"] >= 0.1
    assert list(result["systems"]) == ["pipeline"]
    assert set(result["systems"]["pipeline"]["by_kind"]) == {"figure", "fact", "english", "unanswerable", "followup"}
    assert len(result["questions"]["pipeline"]) == 6
    assert all(r["failure"] for r in result["failures"])

    done, result = run_eval(tmp_path, {"recall@5": 1.01, "latency_p50_ms_max": 0.001}, "fail")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "recall@5" in done.stdout and "latency_p50_ms" in done.stdout
    assert len(result["threshold_failures"]) == 2


def test_the_unseen_reports_are_never_trained_on():
    """eval/unseen/ holds reports whose questions no scorer is trained on: none of them is a report of eval/sets/,
    and the committed scorer's training data names none of them."""
    from eval.sets import load_sets, report_path
    from qa.scorer import load_scorer

    unseen = load_sets(ROOT / "eval" / "unseen", bundled_dev=None)
    assert len(unseen) >= 4 and all(len(s.items) >= 60 for s in unseen)
    assert all(report_path(s.report).is_file() for s in unseen)
    assert not {s.report for s in unseen} & {s.report for s in load_sets()}
    assert not {s.name for s in unseen} & set(load_scorer().meta["trained_on"]["sets"])


def test_the_fresh_questions_are_about_developed_reports_and_never_trained_on():
    """eval/fresh/ holds new questions about reports of eval/sets/: every report is one of theirs, and no question
    is one of theirs, word for word (eval.train reads eval/sets/ only)."""
    from eval.sets import load_sets

    fresh, developed = load_sets(ROOT / "eval" / "fresh", bundled_dev=None), load_sets()
    assert len(fresh) >= 14 and all(len(s.items) >= 50 for s in fresh)
    assert {s.report for s in fresh} <= {s.report for s in developed}
    assert not {i["id"] for s in fresh for i in s.items} & {i["id"] for s in developed for i in s.items}
    asked = {(s.report, i["question"], tuple(i["history"])) for s in developed for i in s.items}
    assert not {(s.report, i["question"], tuple(i["history"])) for s in fresh for i in s.items} & asked


def test_the_blind_questions_repeat_no_other_set_and_quote_their_report():
    """eval/blind/ holds later blind questions about developed reports: no id and no question (with its earlier turns)
    is one of eval/sets/ or eval/fresh/, word for word, and every answer and evidence string is in the report."""
    from eval.sets import load_sets, report_path

    blind = load_sets(ROOT / "eval" / "blind", bundled_dev=None)
    others = load_sets() + load_sets(ROOT / "eval" / "fresh", bundled_dev=None)
    assert blind and all(len(s.items) >= 100 for s in blind)
    assert {s.report for s in blind} <= {s.report for s in others}
    assert not {i["id"] for s in blind for i in s.items} & {i["id"] for s in others for i in s.items}
    asked = {(s.report, i["question"], tuple(i["history"])) for s in others for i in s.items}
    assert not {(s.report, i["question"], tuple(i["history"])) for s in blind for i in s.items} & asked
    for s in blind:
        text = report_path(s.report).read_text("utf-8-sig")
        assert all(a in text for i in s.items for a in i["answers"] + i["evidence"])


def test_the_chat_sessions_are_whole_sessions_quoting_their_reports():
    """eval/chats/: each turn's history is its session's earlier turns, in order; every answer and evidence string is
    in the report word for word (a CSV's doubled quotes read as one); the test split is about reports of eval/sets/
    only through questions nobody trains on (eval.train reads eval/sets/ only)."""
    from eval.sets import load_sets, report_path

    chats = load_sets(ROOT / "eval" / "chats", bundled_dev=None)
    rows = [i for s in chats for i in s.items]
    assert len(rows) >= 250 and {i["split"] for i in rows} == {"dev", "test"}
    sessions: dict[tuple[str, int], list[dict]] = {}
    for path in sorted((ROOT / "eval" / "chats").glob("*.jsonl")):
        for line in path.read_text("utf-8").splitlines():
            row = json.loads(line)
            sessions.setdefault((path.name, row["session"]), []).append(row)
    for turns in sessions.values():
        turns.sort(key=lambda r: r["turn"])
        assert all(t["history"] == [u["question"] for u in turns[:n]] for n, t in enumerate(turns))
    texts = {s.report: report_path(s.report).read_text("utf-8-sig").replace('""', '"') for s in chats}
    for s in chats:
        for item in s.items:
            assert all(a in texts[s.report] for a in item["answers"] + item["evidence"]), item["id"]
    assert not {i["id"] for i in rows} & {i["id"] for s in load_sets() for i in s.items}


def test_the_quick_views_cache_is_remade_when_a_question_set_changes(tmp_path):
    """`python -m eval.quick` keeps prepared questions keyed by the code and the sets: an edited set is a new key,
    so a stale cache is never scored as the new questions."""
    from eval.quick import code_key

    sets, unseen = tmp_path / "sets", tmp_path / "unseen"
    sets.mkdir()
    unseen.mkdir()
    (sets / "a.jsonl").write_text('{"id": "a-1"}\n', "utf-8")
    before = code_key(sets, unseen)
    assert code_key(sets, unseen) == before
    (sets / "a.jsonl").write_text('{"id": "a-1", "question": "changed"}\n', "utf-8")
    edited = code_key(sets, unseen)
    assert edited != before
    (unseen / "b.jsonl").write_text('{"id": "b-1"}\n', "utf-8")
    assert code_key(sets, unseen) != edited
