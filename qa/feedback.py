"""Feedback on answers (👍/👎) in SQLite, one vote an answer, and export of the 👎 ones as eval cases to fill in.

Each write opens its own connection and transaction: the app serves several browsers at once,
and WAL plus a busy timeout lets their writes queue instead of failing or overwriting each other.
"""

from __future__ import annotations

import json
import random
import sqlite3
import time
from datetime import datetime, timezone
from pathlib import Path

from qa.errors import QAError

DB_NAME = "feedback.sqlite3"
BUSY_TIMEOUT_S = 30
SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created TEXT NOT NULL,
    liked INTEGER NOT NULL,
    question TEXT NOT NULL,
    history TEXT NOT NULL,
    answer TEXT NOT NULL,
    found INTEGER NOT NULL,
    citations TEXT NOT NULL,
    answer_id TEXT
)
"""
# One vote per shown answer: a changed vote updates its row. Older databases gain the column on first use.
ANSWER_KEY = "CREATE UNIQUE INDEX IF NOT EXISTS feedback_answer ON feedback (answer_id)"


class FeedbackError(QAError):
    """Feedback cannot be stored or read (data folder not writable, database damaged)."""


def db_path(settings) -> Path:
    return Path(settings.data_dir) / DB_NAME


def _connect(path: Path, create: bool = True) -> sqlite3.Connection:
    path = Path(path)
    try:
        if create:
            path.parent.mkdir(parents=True, exist_ok=True)
        elif not path.exists():
            raise FeedbackError(f"没有反馈数据库 {path}：还没有人提交过反馈，或 QA_DATA_DIR 指向了别处。")
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_S * 1000}")
        if create:
            _set_up(conn)
        return conn
    except (OSError, sqlite3.Error) as exc:
        raise FeedbackError(
            f"无法保存反馈：数据目录 {path.parent} 不可写或数据库损坏（{exc}）。请检查 QA_DATA_DIR 的设置和权限。"
        ) from exc


def _set_up(conn: sqlite3.Connection) -> None:
    """WAL mode and the table. Switching to WAL needs an exclusive lock and SQLite does not always
    wait for it (it answers "database is locked" at once), so first writers racing here retry."""
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                conn.execute("PRAGMA journal_mode = WAL")
            conn.execute(SCHEMA)
            if "answer_id" not in {row[1] for row in conn.execute("PRAGMA table_info(feedback)")}:
                try:  # an older database; two first writers may both get here, and one adds the column
                    conn.execute("ALTER TABLE feedback ADD COLUMN answer_id TEXT")
                except sqlite3.OperationalError as exc:
                    if "duplicate column" not in str(exc):
                        raise
            conn.execute(ANSWER_KEY)
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01 + random.random() * 0.05)


def record(path: Path, question: str, history, answer: str, citations, liked: bool, found: bool = True,
           answer_id: str | None = None) -> int:
    """Store one 👍 (liked) or 👎 and return its row id. With `answer_id` (one per answer shown), a second vote on
    the same answer replaces the first instead of adding a row."""
    row = (
        datetime.now(timezone.utc).isoformat(timespec="seconds"),
        int(bool(liked)),
        str(question),
        json.dumps(list(history or ()), ensure_ascii=False),
        str(answer),
        int(bool(found)),
        json.dumps(list(citations or ()), ensure_ascii=False),
        answer_id,
    )
    conn = _connect(path)
    try:
        with conn:  # one transaction per write
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(
                "INSERT INTO feedback (created, liked, question, history, answer, found, citations, answer_id) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (answer_id) DO UPDATE SET "
                "created = excluded.created, liked = excluded.liked", row)
            if answer_id is None:
                return int(conn.execute("SELECT last_insert_rowid()").fetchone()[0])
            return int(conn.execute("SELECT id FROM feedback WHERE answer_id = ?", (answer_id,)).fetchone()[0])
    except sqlite3.Error as exc:
        raise FeedbackError(f"无法保存反馈（{exc}）。请稍后再试，或检查 {path}。") from exc
    finally:
        conn.close()


def withdraw(path: Path, answer_id: str) -> None:
    """Forget the vote on one answer (its 👍 or 👎 clicked again)."""
    conn = _connect(path)
    try:
        with conn:
            conn.execute("DELETE FROM feedback WHERE answer_id = ?", (answer_id,))
    except sqlite3.Error as exc:
        raise FeedbackError(f"无法撤回反馈（{exc}）。请稍后再试，或检查 {path}。") from exc
    finally:
        conn.close()


def rows(path: Path, liked: bool | None = None) -> list[dict]:
    """Stored feedback, oldest first; only 👍 (True) or 👎 (False) when `liked` is given."""
    conn = _connect(path, create=False)
    conn.row_factory = sqlite3.Row
    try:
        if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'feedback'").fetchone():
            return []  # created a moment ago by a first write that has not made its table yet
        sql, args = "SELECT * FROM feedback", ()
        if liked is not None:
            sql, args = sql + " WHERE liked = ?", (int(liked),)
        out = [dict(r) for r in conn.execute(sql + " ORDER BY id", args)]
    except sqlite3.Error as exc:
        raise FeedbackError(f"无法读取反馈数据库 {path}（{exc}）") from exc
    finally:
        conn.close()
    try:
        for r in out:
            r["history"], r["citations"] = json.loads(r["history"]), json.loads(r["citations"])
    except (TypeError, ValueError) as exc:
        raise FeedbackError(f"反馈数据库 {path} 中有无法读取的记录（{exc}）") from exc
    return out


def export_dislikes(path: Path, out_path: Path) -> int:
    """Write the 👎 answers as eval JSONL: the question (and history), and under `shown` the answer the visitor saw
    with its citations (heading path, period, answering sentence). `answers` and `evidence` stay for a person to
    fill in, since the shown answer was judged wrong: the right figure and its sentence, or both left empty to
    say the app should have declined. Returns how many were written.
    """
    items = []
    for r in rows(path, liked=False):
        item = {"id": f"fb-{r['id']:04d}", "question": r["question"], "answers": [], "evidence": [],
                "kind": "followup" if r["history"] else "fact"}
        if r["history"]:
            item["history"] = r["history"]
        item["shown"] = {"answer": r["answer"], "found": bool(r["found"]),
                         "citations": [_shown_citation(c) for c in r["citations"] if isinstance(c, dict)]}
        items.append(item)
    out_path = Path(out_path)
    try:
        out_path.parent.mkdir(parents=True, exist_ok=True)
        out_path.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), encoding="utf-8")
    except OSError as exc:
        raise FeedbackError(f"cannot write {out_path}: {exc.strerror or exc}") from exc
    return len(items)


def _shown_citation(c: dict) -> dict:
    """A stored citation as a reviewer needs it: where it is and the sentence that answered (not the paragraph)."""
    text, marked = str(c.get("text", "")), c.get("marked")
    sentence = text[marked[0] : marked[1]] if isinstance(marked, list) and len(marked) == 2 else ""
    return {"paragraph_id": c.get("paragraph_id", ""), "heading_path": c.get("heading_path", []),
            "period": c.get("period", ""), "sentence": sentence}
