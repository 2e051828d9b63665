"""qa.feedback: concurrent 👍/👎 writes all land, the 👎 export is eval JSONL, bad folders give clear errors."""

from __future__ import annotations

import json
import sqlite3
import threading

import pytest

from qa import feedback
from qa.errors import QAError

CITATIONS = [{"paragraph_id": "r#p008", "heading_path": ["一、回顾"], "period": "2020年实绩", "text": "增长3.9%"}]
MARKUP = "<script>alert(1)</script><img src=x onerror=alert(1)>"


def test_concurrent_writes_all_present(tmp_path):
    db = tmp_path / "data" / feedback.DB_NAME  # folder created on first use
    threads, per_thread, errors = 8, 25, []

    def write(t: int) -> None:
        try:
            for i in range(per_thread):
                feedback.record(db, f"q{t}-{i}", [], f"a{t}-{i}", CITATIONS, liked=bool(i % 2))
        except (QAError, sqlite3.Error, OSError) as exc:  # collected: a thread's exception would be lost
            errors.append(exc)

    workers = [threading.Thread(target=write, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert errors == []
    stored = feedback.rows(db)
    assert len(stored) == threads * per_thread
    assert {r["question"] for r in stored} == {f"q{t}-{i}" for t in range(threads) for i in range(per_thread)}
    assert stored[0]["citations"] == CITATIONS
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_export_dislikes_only_as_eval_jsonl(tmp_path):
    db = tmp_path / feedback.DB_NAME
    feedback.record(db, "2020年杭州地区生产总值增长多少？", [], "增长3.9%", CITATIONS, liked=True)
    feedback.record(db, "杭州房价多少？", [], "报告中没有找到…", [], liked=False, found=False)
    feedback.record(db, "那2021年呢？", ["2020年杭州地区生产总值增长多少？"], "增长7%", CITATIONS, liked=False)
    out = tmp_path / "out" / "dislikes.jsonl"
    assert feedback.export_dislikes(db, out) == 2
    items = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [i["question"] for i in items] == ["杭州房价多少？", "那2021年呢？"]
    assert {k: items[0][k] for k in ("question", "answers", "evidence", "kind")} == {
        "question": "杭州房价多少？", "answers": [], "evidence": [], "kind": "fact"}
    assert items[0]["shown"] == {"answer": "报告中没有找到…", "found": False, "citations": []}
    assert items[1]["kind"] == "followup" and items[1]["history"] == ["2020年杭州地区生产总值增长多少？"]
    assert len({i["id"] for i in items}) == 2


def test_export_carries_the_answer_shown_and_its_answering_sentences(tmp_path, real_index):
    """Issue 11: an exported 👎 had empty answers and evidence and lacked the answer that was shown."""
    from eval.runner import load_questions
    from qa.pipeline import ask
    from qa.ui import citations_json

    db, out = tmp_path / feedback.DB_NAME, tmp_path / "dislikes.jsonl"
    answer = ask(real_index, "2020年杭州地区生产总值增长多少？")
    feedback.record(db, answer.question, [], answer.text, citations_json(answer), liked=False, answer_id="a1")
    feedback.export_dislikes(db, out)
    item = json.loads(out.read_text(encoding="utf-8"))
    assert item["shown"]["answer"] == answer.text and item["shown"]["found"] is True
    first = item["shown"]["citations"][0]
    assert first["sentence"] == "全年地区生产总值增长3.9%" and first["period"] == "2020年实绩"
    assert first["paragraph_id"] == answer.citations[0].paragraph_id and first["heading_path"]
    assert load_questions(out)[0]["question"] == answer.question  # the eval reads the file as it is


def test_a_changed_vote_updates_its_row_and_a_withdrawn_one_goes(tmp_path):
    """Issue 11: 👎 then 👍 on one answer stored two rows."""
    db = tmp_path / feedback.DB_NAME
    first = feedback.record(db, "q", [], "a", CITATIONS, liked=False, answer_id="turn-1")
    again = feedback.record(db, "q", [], "a", CITATIONS, liked=True, answer_id="turn-1")
    other = feedback.record(db, "q", [], "a", CITATIONS, liked=False, answer_id="turn-2")  # same words, asked again
    assert first == again != other
    assert [(r["answer_id"], r["liked"]) for r in feedback.rows(db)] == [("turn-1", 1), ("turn-2", 0)]
    feedback.withdraw(db, "turn-2")
    assert [r["answer_id"] for r in feedback.rows(db)] == ["turn-1"]


def test_an_older_database_gains_the_answer_column(tmp_path):
    db = tmp_path / feedback.DB_NAME
    with sqlite3.connect(db) as conn:
        conn.execute(feedback.SCHEMA)
        conn.execute("INSERT INTO feedback (created, liked, question, history, answer, found, citations) "
                     "VALUES ('2026-01-01', 0, 'old', '[]', 'a', 1, '[]')")
    feedback.record(db, "new", [], "a", [], liked=True, answer_id="x")
    feedback.record(db, "new", [], "a", [], liked=False, answer_id="x")
    assert [(r["question"], r["liked"]) for r in feedback.rows(db)] == [("old", 0), ("new", 0)]


def test_markup_is_stored_and_exported_as_text(tmp_path):
    db = tmp_path / feedback.DB_NAME
    feedback.record(db, MARKUP, [MARKUP], MARKUP, [], liked=False)
    assert feedback.rows(db)[0]["question"] == MARKUP
    out = tmp_path / "dislikes.jsonl"
    feedback.export_dislikes(db, out)
    item = json.loads(out.read_text(encoding="utf-8"))
    assert item["question"] == MARKUP and item["history"] == [MARKUP]  # verbatim text, not run or mangled


def test_unwritable_data_dir_gives_clear_error(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data folder should be")  # fails even for root, unlike chmod
    with pytest.raises(QAError, match="QA_DATA_DIR"):
        feedback.record(blocker / "sub" / feedback.DB_NAME, "q", [], "a", [], liked=True)


def test_export_without_database_says_so(tmp_path):
    with pytest.raises(feedback.FeedbackError, match="没有反馈数据库"):
        feedback.export_dislikes(tmp_path / "missing.sqlite3", tmp_path / "out.jsonl")
