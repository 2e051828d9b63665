"""Robustness on the real index and model: odd questions, arbitrary Unicode, and broken files around the pipeline.

Every case ends in an answer, a clear message, or a QAError that says what to do; never in an uncaught
exception from a library underneath. Cases already covered elsewhere (tests/test_pipeline.py's bad inputs,
tests/test_index.py's checksum mismatches and other-model folder, tests/test_source.py's GBK/BOM parsing,
tests/test_feedback.py's blocked data folder) are not repeated: these test the neighbouring paths.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import time
from concurrent.futures import Future
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa import feedback
from qa import index as index_files
from qa.errors import IndexError_, ModelError, QAError, SourceError
from qa.pipeline import ask, build_index, load_index
from qa.query import MAX_QUESTION_CHARS
from qa.settings import PROJECT_ROOT, Settings

INDEX = PROJECT_ROOT / "index"
GDP_2020 = "2020年地区生产总值增长多少？"
UNWRITABLE = Path("/proc/self/qa-robustness")  # no one, not even root, can create a folder here


def check_answer(index, answer) -> None:
    """What every answer must satisfy: a message to show, and citations copied from the report."""
    assert isinstance(answer.text, str) and answer.text.strip()
    paragraphs = {p.text for p in index.paragraphs.values()}
    for citation in answer.citations:
        assert citation.text in paragraphs
    if answer.found:
        assert answer.citations and answer.text in answer.citations[0].text


# ------------------------------------------------------------------------------------------------ questions


@pytest.mark.parametrize(
    ("question", "message"),
    [
        ("", "请输入"),
        ("   \t\n\u3000", "请输入"),
        (None, "请输入"),
        ("x" * 10_000, "太长"),
        ("杭州地区生产总值" * 1250, "太长"),  # 10,000 characters of real words: still refused, not searched
        ("？！……——《》“”、", "没有看懂"),
        ("😀👍🎉🇨🇳", "没有看懂"),
        ("\x00\x01\x08\x1b\x7f\u200b", "没有看懂"),
        ("多少", "没有看懂"),
    ],
)
def test_unanswerable_input_gets_its_own_message(real_index, question, message):
    answer = ask(real_index, question)
    assert not answer.found and message in answer.text
    check_answer(real_index, answer)


def test_length_limit_is_exact(real_index):
    at_limit = GDP_2020 + "。" * (MAX_QUESTION_CHARS - len(GDP_2020))
    assert "3.9%" in ask(real_index, at_limit).text
    over = ask(real_index, at_limit + "。")
    assert not over.found and "太长" in over.text and str(MAX_QUESTION_CHARS) in over.text


@pytest.mark.parametrize(
    "question",
    [
        "２０２０年地区生产总值增长多少",  # full-width digits
        "2020年地区生产总值增长多少😀",  # emoji around a real question
        "GDP增长多少 in 2020年?",  # mixed scripts
        "2020年\x00地区生产总值\x1b增长多少",  # control characters inside
        "\ufeff2020年\u200b地区生产总值\u202e增长多少",  # BOM, zero-width space, right-to-left override
        "2020年\t地区生产总值\n增长多少？",
    ],
)
def test_noisy_forms_of_a_real_question_are_answered(real_index, question):
    answer = ask(real_index, question)
    assert answer.found and "3.9%" in answer.text
    check_answer(real_index, answer)


def test_traditional_characters_find_the_gdp_paragraph(real_index):
    answer = ask(real_index, "國內生產總值增長多少")
    assert answer.found and "地区生产总值" in answer.citations[0].text
    check_answer(real_index, answer)


@pytest.mark.parametrize("question", ["\ud800增长多少", "𠀀𠀁增长多少", "١٢٣ 增长", "ﷺ" * 200, "\U0010ffff", "i̇" * 200])
def test_rare_code_points_never_raise(real_index, question):
    """Lone surrogates (JSON can carry them), astral CJK, Arabic digits, long ligatures, private use."""
    check_answer(real_index, ask(real_index, question))


# ------------------------------------------------------------------------------------------------ property

QUESTIONS = [json.loads(line)["question"] for line in (PROJECT_ROOT / "eval" / "qa.jsonl").read_text("utf-8").splitlines()
             if line.strip()]
any_text = st.text(st.characters(exclude_categories=()), max_size=120)  # every category, surrogates included
report_text = st.builds(lambda q, noise, at: q[:at] + noise + q[at:], st.sampled_from(QUESTIONS),
                        st.text(max_size=8), st.integers(0, 40))
turn = st.one_of(
    any_text, report_text, st.none(), st.integers(),
    st.tuples(report_text, st.one_of(st.none(), any_text)),
    st.fixed_dictionaries({"role": st.sampled_from(["user", "assistant"]), "content": st.one_of(any_text, report_text)}),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(question=st.one_of(any_text, report_text), history=st.lists(turn, max_size=3))
def test_ask_never_raises_and_only_quotes_the_report(real_index, question, history):
    check_answer(real_index, ask(real_index, question, history))


# ------------------------------------------------------------------------------------------------ hostile history

FOLLOW_UP = "那2021年呢？"


@pytest.mark.parametrize(
    "history",
    [
        ["a" * 1_000_000],  # one turn of a million characters: 29 s of regex and jieba before the bound
        ["杭州" * 500_000],
        [FOLLOW_UP] * 1_000_000,  # a million turns
        [{"role": "user", "content": "a" * 1_000_000}],
        [("a" * 1_000_000, "b" * 1_000_000)],
        [{"role": "user", "content": [{"type": "text", "text": "a" * 1_000_000}] * 1000}],
    ],
    ids=["one-long-turn", "long-cjk-turn", "million-turns", "long-message", "long-pair", "long-parts"],
)
def test_huge_history_is_answered_within_two_seconds(real_index, history):
    """Issue 12, item 1: history is bounded (turns, then characters) before any cleaning or word splitting."""
    started = time.perf_counter()
    answer = ask(real_index, GDP_2020, history)
    assert time.perf_counter() - started < 2
    assert answer.found and "3.9%" in answer.text
    check_answer(real_index, answer)


def test_a_huge_turn_does_not_hide_the_real_earlier_question(real_index):
    """The turn too long to have been a question is skipped; the follow-up still takes its topic from the one before."""
    started = time.perf_counter()
    answer = ask(real_index, FOLLOW_UP, [GDP_2020, "a" * 1_000_000])
    assert time.perf_counter() - started < 2
    assert answer.found and "7%" in answer.text and answer.period == "2021年安排"


@pytest.mark.parametrize(
    "history",
    [5, 3.5, True, b"2020\xff", object(), {"role": "user", "content": GDP_2020}, {GDP_2020}, range(3),
     np.array([GDP_2020, GDP_2020]), [5, None, 2.5, {"role": "user"}, {"role": "user", "content": 5}, [], [None], ()]],
    ids=["int", "float", "bool", "bytes", "object", "dict", "set", "range", "numpy", "bad-turns"],
)
def test_history_of_another_type_counts_as_no_history(real_index, history):
    """Issue 12, item 2: `ask(index, q, 5)` raised TypeError although ask never raises for bad input."""
    answer = ask(real_index, GDP_2020, history)
    assert answer.found and "3.9%" in answer.text


@pytest.mark.parametrize("question", [5, b"2020\xe5\xb9\xb4", ["2020年", "GDP"], np.array(["2020年", "GDP"]), object()],
                         ids=["int", "bytes", "list", "numpy", "object"])
def test_question_of_another_type_asks_for_a_question(real_index, question):
    answer = ask(real_index, question)
    assert not answer.found and "请输入" in answer.text


def test_a_question_over_the_time_limit_stops_before_answer_extraction(real_index, monkeypatch):
    """Issue 12, item 1: each question has a time limit; past it, the rest of the work is not done."""
    from qa import pipeline

    model = real_index.embedder

    class SlowEmbedder:
        model_id = model.model_id

        def embed_queries(self, questions):
            time.sleep(0.3)
            return model.embed_queries(questions)

        def embed_query_soon(self, question):
            done = Future()
            done.set_result(self.embed_queries([question])[0])
            return done

        def query_seconds(self):
            return 0.3

    monkeypatch.setattr(real_index, "embedder", SlowEmbedder())
    monkeypatch.setattr(pipeline, "TIME_LIMIT_S", 0.2)
    monkeypatch.setattr(pipeline, "extract_answer", lambda *args, **kwargs: pytest.fail("answer extraction ran"))
    answer = ask(real_index, GDP_2020)
    assert not answer.found and "太久" in answer.text and not answer.citations


def test_loading_the_model_on_the_first_question_does_not_count_against_the_limit(real_index, monkeypatch):
    """The model loads (or is even prepared, ~20 s) inside the first ask of a process: that is not the question's time."""
    from qa import pipeline

    def slow_load(settings, progress=None):
        time.sleep(0.5)
        return real_index.embedder

    monkeypatch.setattr(pipeline, "load_embedder", slow_load)
    monkeypatch.setattr(pipeline, "TIME_LIMIT_S", 0.3)
    answer = ask(load_index(INDEX), GDP_2020)
    assert answer.found and "3.9%" in answer.text


# ------------------------------------------------------------------------------------------------ index files


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _copy_index(tmp_path: Path) -> Path:
    target = tmp_path / "index"
    shutil.copytree(INDEX, target)
    return target


def _reseal(directory: Path, name: str) -> None:
    """Make the manifest's checksum agree with a damaged file, as a save interrupted before it would not:
    the file's own reader has to notice."""
    manifest = json.loads((directory / "manifest.json").read_text("utf-8"))
    manifest["files"][name] = _sha256(directory / name)
    (directory / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), "utf-8")


DAMAGE = {
    "empty": lambda data: b"",
    "half": lambda data: data[: len(data) // 2],
    "garbage": lambda data: bytes(range(256)) * 8,
    "json list": lambda data: b"[1, 2, 3]\n",
}
INDEX_FILES = sorted(json.loads((INDEX / "manifest.json").read_text("utf-8"))["files"])


def _cases():
    for name in INDEX_FILES:
        for damage in DAMAGE:
            yield pytest.param(name, damage, id=f"{name}-{damage}")


@pytest.mark.parametrize(("name", "damage"), list(_cases()))
def test_damaged_index_file_is_refused_or_still_answers(real_index, tmp_path, name, damage):
    directory = _copy_index(tmp_path)
    path = directory / name
    path.write_bytes(DAMAGE[damage](path.read_bytes()))
    _reseal(directory, name)
    try:
        loaded = load_index(directory)
    except IndexError_ as exc:
        assert "qa build" in str(exc)
        return
    loaded.embedder = real_index.embedder  # damage the reader did not notice must not break a question either
    try:
        answer = ask(loaded, GDP_2020)
    except QAError as exc:
        assert "qa build" in str(exc)
        return
    assert answer.text


MANIFEST_EDITS = {
    "no files list (older manifest)": lambda m: {k: v for k, v in m.items() if k != "files"},
    "no model": lambda m: {k: v for k, v in m.items() if k != "model"},
    "model without dimension": lambda m: dict(m, model={"id": m["model"]["id"]}),
    "files as a list": lambda m: dict(m, files=list(m["files"])),
    "source without path": lambda m: dict(m, sources=[{"sha256": "0" * 64}]),
    "dimension as text": lambda m: dict(m, model=dict(m["model"], dimension="384")),
}


@pytest.mark.parametrize("edit", list(MANIFEST_EDITS))
def test_malformed_manifest_is_refused_or_loads(tmp_path, edit):
    directory = _copy_index(tmp_path)
    manifest = json.loads((directory / "manifest.json").read_text("utf-8"))
    (directory / "manifest.json").write_text(json.dumps(MANIFEST_EDITS[edit](manifest)), "utf-8")
    try:
        loaded = load_index(directory)
    except IndexError_ as exc:
        assert "qa build" in str(exc)
        return
    assert len(loaded.chunks) == len(index_files.load(INDEX).chunks)


def test_index_of_another_model_in_the_manifest_is_refused_on_first_question(real_index, tmp_path, monkeypatch):
    """The manifest says another model built the vectors (its files untouched, so checksums agree):
    the first question stops with what to run, before any vector is compared."""
    from qa import pipeline

    directory = _copy_index(tmp_path)
    manifest = json.loads((directory / "manifest.json").read_text("utf-8"))
    manifest["model"]["id"] = "intfloat/multilingual-e5-base"
    (directory / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    loaded = load_index(directory)
    monkeypatch.setattr(pipeline, "load_embedder", lambda settings, progress=None: real_index.embedder)
    with pytest.raises(IndexError_, match=r"built with intfloat/multilingual-e5-base.*qa build"):
        ask(loaded, GDP_2020)


def test_index_of_the_other_backend_is_refused_before_a_model_is_loaded(tmp_path, monkeypatch):
    """Built with QA_BACKEND=torch, asked with the ONNX default: vectors differ slightly, so rebuild."""
    from qa import pipeline
    from qa.model import MODEL_ID

    directory = _copy_index(tmp_path)
    manifest = json.loads((directory / "manifest.json").read_text("utf-8"))
    manifest["model"]["id"] = MODEL_ID  # what the torch backend records
    (directory / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    loaded = load_index(directory, Settings(backend="onnx-int8"))
    monkeypatch.setattr(pipeline, "load_embedder", lambda *args, **kwargs: pytest.fail("a model was loaded"))
    with pytest.raises(IndexError_, match=r"built with .*q4, not .*q4\+onnx-int8-w7 \(QA_BACKEND=onnx-int8\): run `qa build`"):
        ask(loaded, GDP_2020)


def test_manifest_of_another_dimension_is_refused(tmp_path):
    directory = _copy_index(tmp_path)
    manifest = json.loads((directory / "manifest.json").read_text("utf-8"))
    manifest["model"] = {"id": "intfloat/multilingual-e5-base", "dimension": 768}
    (directory / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    with pytest.raises(IndexError_, match="inconsistent.*qa build"):
        load_index(directory)


# A reader that is not the index's owner: root without the capabilities that let it read anyone's files.
OTHER_USER = ["setpriv", "--inh-caps=-all", "--bounding-set=-dac_override,-dac_read_search"]
needs_other_user = pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"),
                                      reason="simulating another user needs root and setpriv")


def _save_fresh(directory: Path) -> None:
    old_umask = os.umask(0o022)
    try:
        index_files.save(index_files.load(INDEX), directory)
    finally:
        os.umask(old_umask)


def _as_other_user(folder: Path, code: list[str]) -> subprocess.CompletedProcess:
    """Run `code` as a reader who does not own `folder` (now owned by nobody, permissions as they are)."""
    for path in [folder, *folder.rglob("*")]:
        os.chown(path, 65534, 65534)
    return subprocess.run([*OTHER_USER, *code], capture_output=True, text=True, cwd=PROJECT_ROOT, check=False,
                          env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}, timeout=300)


@pytest.fixture()
def shared_dir(tmp_path):
    """A folder others can enter (pytest's own tmp folders are 0700)."""
    os.chmod(tmp_path, 0o755)
    for parent in tmp_path.parents:
        if parent.name.startswith("pytest-"):
            os.chmod(parent, parent.stat().st_mode | 0o011)  # enter, not list
    return tmp_path


def test_a_saved_index_is_readable_by_other_users(shared_dir):
    """Issue 12, item 5: `qa build` left index/ mode 0700 (tempfile.mkdtemp), so only its builder could serve it."""
    directory = shared_dir / "index"
    _save_fresh(directory)
    modes = [stat.S_IMODE(p.stat().st_mode) for p in [directory, *directory.rglob("*")]]
    assert all(mode & 0o044 == 0o044 for mode in modes)
    assert stat.S_IMODE(directory.stat().st_mode) & 0o011 == 0o011
    if os.geteuid() == 0 and shutil.which("setpriv"):
        code = "import sys; from qa import index; print(len(index.load(sys.argv[1]).chunks))"
        result = _as_other_user(directory, [sys.executable, "-c", code, str(directory)])
        assert result.returncode == 0 and int(result.stdout) > 0, result.stderr


@needs_other_user
def test_an_index_others_cannot_read_is_an_error_that_says_what_to_do(shared_dir):
    """Item 5: `qa ask` on an index another user built 0700 gave a raw PermissionError traceback."""
    directory = shared_dir / "index"
    _save_fresh(directory)
    os.chmod(directory, 0o700)
    result = _as_other_user(directory, [sys.executable, "-m", "qa.cli", "ask", "--index", str(directory), GDP_2020])
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "chmod -R a+rX" in result.stderr and "qa build" in result.stderr


STOP_BETWEEN_RENAMES = """
import os, signal, sys
from qa import index
loaded = index.load(sys.argv[1])
index._exchange = lambda a, b: False  # as on a system without an atomic exchange: two renames
calls, replace = [], os.replace
def stop_on_second(src, dst):
    calls.append(src)
    if len(calls) == 2:
        os.kill(os.getpid(), signal.SIGKILL)  # a power cut or kill -9 between the two renames
    replace(src, dst)
os.replace = stop_on_second
index.save(loaded, sys.argv[1])
"""


def test_a_stop_between_the_two_renames_leaves_a_loadable_index(tmp_path):
    """Item 5: the old index sat in .index-old and was not found; the new one's temp folder stayed forever."""
    directory = _copy_index(tmp_path)
    chunks = [c.id for c in index_files.load(directory).chunks]
    result = subprocess.run([sys.executable, "-c", STOP_BETWEEN_RENAMES, str(directory)], capture_output=True, text=True,
                            cwd=PROJECT_ROOT, check=False, timeout=300)
    assert result.returncode == -9, result.stderr
    assert not directory.exists()  # the moment the stop caught: only the old index, beside it
    assert [c.id for c in load_index(directory).chunks] == chunks
    index_files.save(index_files.load(directory), directory)  # the next save tidies up
    assert [p.name for p in tmp_path.iterdir()] == ["index"]
    assert [c.id for c in load_index(directory).chunks] == chunks


def test_saving_over_an_index_leaves_nothing_beside_it(tmp_path):
    directory = _copy_index(tmp_path)
    before = json.loads((directory / "manifest.json").read_text("utf-8"))["built_at"]
    time.sleep(1.1)  # built_at has one-second resolution
    index_files.save(index_files.load(directory), directory)
    assert json.loads((directory / "manifest.json").read_text("utf-8"))["built_at"] != before
    assert [p.name for p in tmp_path.iterdir()] == ["index"]


# ------------------------------------------------------------------------------------------------ model cache


def test_slow_deleted_model_cache_is_materialized_again(tmp_path):
    """Slow-ish (materializes and loads the model, ~15 s): the cache folder deleted under a configured
    QA_CACHE_DIR is rebuilt from the bundled package on the next load, and answers are unchanged."""
    from qa.model import bundled_model_dir, ensure_model

    settings = Settings.from_env(cache_dir=tmp_path / "cache")
    folder, _ = ensure_model(settings)
    shutil.rmtree(tmp_path / "cache")
    index = load_index(settings=settings)
    answer = ask(index, GDP_2020)
    assert "3.9%" in answer.text
    assert folder == bundled_model_dir(settings.cache_dir) and (folder / ".complete").is_file()


def test_unwritable_model_cache_says_so(tmp_path):
    from qa.model import ensure_model

    with pytest.raises(ModelError, match="cannot write the model"):
        ensure_model(Settings.from_env(cache_dir=UNWRITABLE / "cache"))


# ------------------------------------------------------------------------------------------------ feedback


def test_feedback_in_an_unwritable_data_dir_says_which_setting(tmp_path):
    with pytest.raises(feedback.FeedbackError, match="QA_DATA_DIR"):
        feedback.record(feedback.db_path(Settings.from_env(data_dir=UNWRITABLE)), GDP_2020, [], "增长3.9%", [],
                        liked=True)


def test_feedback_database_that_is_a_folder_or_not_a_database(tmp_path):
    folder_db = tmp_path / "a" / feedback.DB_NAME
    folder_db.mkdir(parents=True)
    junk_db = tmp_path / "b" / feedback.DB_NAME
    junk_db.parent.mkdir()
    junk_db.write_bytes(b"not a database " * 200)
    for db in (folder_db, junk_db):
        with pytest.raises(feedback.FeedbackError):
            feedback.record(db, GDP_2020, [], "增长3.9%", [], liked=False)
    with pytest.raises(feedback.FeedbackError):
        feedback.rows(junk_db)
    with pytest.raises(feedback.FeedbackError):
        feedback.export_dislikes(junk_db, tmp_path / "out.jsonl")


def test_feedback_table_of_another_shape_is_an_error_not_a_crash(tmp_path):
    db = tmp_path / feedback.DB_NAME
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE feedback (id INTEGER PRIMARY KEY, note TEXT)")
    with pytest.raises(feedback.FeedbackError):
        feedback.record(db, GDP_2020, [], "增长3.9%", [], liked=True)


def test_feedback_row_with_unreadable_json_is_an_error_not_a_crash(tmp_path):
    db = tmp_path / feedback.DB_NAME
    feedback.record(db, GDP_2020, [], "增长3.9%", [], liked=False)
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE feedback SET history = 'not json'")
    with pytest.raises(feedback.FeedbackError):
        feedback.export_dislikes(db, tmp_path / "out.jsonl")


def test_feedback_export_to_an_unwritable_place_says_so(tmp_path):
    db = tmp_path / feedback.DB_NAME
    feedback.record(db, GDP_2020, [], "增长3.9%", [], liked=False)
    with pytest.raises(feedback.FeedbackError, match="cannot write"):
        feedback.export_dislikes(db, UNWRITABLE / "out.jsonl")


# ------------------------------------------------------------------------------------------------ reports

REPORT = "某市2021年政府工作报告\n\n一、2020年工作回顾\n\n全年地区生产总值增长3.9%，网络零售额8992亿元。\n\n二、2021年工作安排\n\n地区生产总值增长7%左右。\n"


@pytest.fixture()
def tiny_build(real_index, monkeypatch):
    """build_index with the session's loaded model (no second model load per report)."""
    from qa import pipeline

    monkeypatch.setattr(pipeline, "load_embedder", lambda settings, progress=None: real_index.embedder)
    return lambda path: build_index([path], Settings.from_env())


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("gbk.txt", REPORT.encode("gbk")),
        ("gb18030-crlf.txt", REPORT.replace("\n", "\r\n").encode("gb18030")),
        ("bom.txt", b"\xef\xbb\xbf" + REPORT.encode("utf-8")),
        ("bom-crlf.md", b"\xef\xbb\xbf" + REPORT.replace("\n", "\r\n").encode("utf-8")),
    ],
)
def test_gbk_and_bom_reports_build_an_index_that_answers(tiny_build, tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    index = tiny_build(path)
    answer = ask(index, GDP_2020)
    assert answer.found and "3.9%" in answer.text and answer.period == "2020年实绩"
    check_answer(index, answer)
    assert "7%" in ask(index, "2021年地区生产总值预期增长多少？").text
    index_files.save(index, tmp_path / "idx")  # and it survives a save and load
    assert [c.id for c in index_files.load(tmp_path / "idx").chunks] == [c.id for c in index.chunks]


def test_report_without_headings_builds_and_answers(tiny_build, tmp_path):
    path = tmp_path / "plain.txt"
    path.write_text("今年我们要把城市建设得更好。\n\n全年新增学位8万个，新建公园20个。\n", encoding="utf-8")
    index = tiny_build(path)
    answer = ask(index, "新增学位多少个？")
    assert "8万个" in answer.text
    check_answer(index, answer)


def test_report_of_one_long_line_without_punctuation_builds(tiny_build, tmp_path):
    path = tmp_path / "long.txt"
    path.write_text("某市工作报告\n\n" + "数字经济核心产业增加值" * 300 + "\n", encoding="utf-8")
    index = tiny_build(path)
    check_answer(index, ask(index, "数字经济核心产业增加值多少？"))


def test_report_of_headings_only_says_there_is_nothing_to_index(tiny_build, tmp_path):
    path = tmp_path / "headings.txt"
    path.write_text("一、总体要求\n\n二、主要任务\n", encoding="utf-8")
    with pytest.raises(QAError, match="qa build|no text"):
        tiny_build(path)


@pytest.mark.parametrize("kind", ["empty", "folder", "binary"])
def test_unusable_report_is_a_source_error(tiny_build, tmp_path, kind):
    path = tmp_path / "report.txt"
    if kind == "folder":
        path.mkdir()
    else:
        path.write_bytes(b"" if kind == "empty" else bytes([0x80, 0xFF, 0xFE, 0x81, 0x30]) * 200)
    with pytest.raises(SourceError):
        tiny_build(path)
