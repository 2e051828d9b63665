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
    assert items[0] == {"id": items[0]["id"], "question": "杭州房价多少？", "answers": [], "evidence": [], "kind": "fact"}
    assert items[1]["kind"] == "followup" and items[1]["history"] == ["2020年杭州地区生产总值增长多少？"]
    assert len({i["id"] for i in items}) == 2


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
