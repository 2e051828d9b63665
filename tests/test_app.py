"""The Gradio app, started in-process on a free loopback port and called like a client would."""

from __future__ import annotations

import socket
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # app.py lives at the project root, outside the package

import app
from qa import figure_table, figure_view, ui
from qa.answer import Answer, Citation
from qa.pipeline import load_index
from qa.settings import Settings

GDP_2020 = "2020年杭州地区生产总值增长多少？"
MARKUP = "<script>alert(1)</script>"
# pandas 3 deprecations inside gradio's queue, not in this project's code
pytestmark = pytest.mark.filterwarnings("ignore:.*(no_silent_downcasting|copy keyword):DeprecationWarning")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def index():
    return load_index()


@pytest.fixture(scope="module")
def client(index, tmp_path_factory):
    from gradio_client import Client

    with serve(app.build_app(index, Settings.from_env(data_dir=tmp_path_factory.mktemp("data")))) as url:
        yield Client(url, verbose=False)


@contextmanager
def serve(demo):
    """Launch `demo` as app.main does (same limits and options), on a free loopback port; yield its URL."""
    settings = Settings.from_env(host="127.0.0.1", port=free_port())
    demo.queue().launch(prevent_thread_lock=True, quiet=True, **app.launch_options(settings))
    try:
        yield f"http://127.0.0.1:{settings.port}/"
    finally:
        demo.close()


def test_ask_api_answers_with_citation(client):
    result = client.predict(GDP_2020, [], api_name="/ask")
    assert result["found"] is True
    assert "3.9%" in result["answer"]
    assert "全年地区生产总值增长3.9%" in result["citations"][0]["text"]
    assert set(result["citations"][0]) == {"paragraph_id", "heading_path", "period", "text"}


def test_ask_api_follow_up_uses_history(client):
    result = client.predict("那2021年呢？", [GDP_2020], api_name="/ask")
    assert "7%" in result["answer"]


def test_ask_api_bad_input_is_a_message(client):
    assert "请输入" in client.predict("", [], api_name="/ask")["answer"]
    long = client.predict("杭州" * 300, [], api_name="/ask")
    assert long["found"] is False and "太长" in long["answer"]


def test_chat_shows_markup_as_text(client):
    _, messages, = client.predict(MARKUP, [], "hangzhou-2021-government-work-report", api_name="/chat")
    shown = "".join(part["text"] for m in messages for part in m["content"])
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown
    assert "<script" not in shown


def test_answer_html_escapes_and_links():
    text = '<img src=x onerror=alert(1)> 增长3.9%'
    cite = Citation("doc#p008", ("一、<b>回顾</b>",), "2020年实绩", text, (0, len(text)), 1.0)
    html = ui.answer_html(Answer("q", "q", text, ((len(text) - 4, len(text)),), True, (cite,), "2020年实绩"))
    assert "<img" not in html and "<b>回顾" not in html and "&lt;img src=x" in html
    assert "<mark>3.9%</mark>" in html
    assert 'href="#para-doc-p008?hl=' in html and "[1]" in html and "2020年实绩" in html
    assert ui.user_html("<img src=x onerror=alert(1)>") == "&lt;img src=x onerror=alert(1)&gt;"


def test_report_html_has_every_paragraph_anchor(index):
    html = ui.report_html(index)
    assert all(f'id="{ui.anchor(pid)}"' in html for pid in index.paragraphs)
    assert "<h2" in html and "<h1" in html


def test_figures_table_filters(index, tmp_path):
    rows = figure_table.figure_rows(index)
    kept = figure_table.search(rows, "网络零售额")
    assert any(r.indicator == "网络零售额" and r.shown == "8992亿元" for r in kept)
    assert all(r.period == "2021年安排" for r in figure_table.search(rows, "网络零售额", "2021年安排"))
    assert "8992" in figure_view.write_csv(kept, tmp_path / "f.csv").read_text(encoding="utf-8-sig")


def test_long_citations_show_the_answering_sentence_and_fold_the_paragraph(index):
    """Issue 11: the first citation opened whole, and a long paragraph pushed the short answer out of view."""
    from qa.pipeline import ask

    answer = ask(index, GDP_2020)
    html = ui.answer_html(answer)
    paragraph = answer.citations[0].text
    assert len(paragraph) > 200 and "<details open" not in html and " open>" not in html
    visible = html.split('<details class="qa-more">')[0]  # the first citation's excerpt, before its fold
    assert "<mark>全年地区生产总值增长3.9%</mark>" in visible and paragraph[:30] not in visible
    assert html.count('<details class="qa-more">') >= 1 and paragraph[:30] in html  # the whole paragraph folds out


# ------------------------------------------------------------------------------------------------ issue 12


def test_ask_api_with_history_of_another_type_still_answers(client):
    """Item 2: history=5 made /ask raise, and the client saw only "The upstream Gradio app has raised an exception"."""
    for history in (5, "那2021年呢？", None, {"role": "user"}, [5, None, ["x"]]):
        result = client.predict(GDP_2020, history, api_name="/ask")
        assert result["found"] and "3.9%" in result["answer"], history


def test_ask_api_with_a_million_character_history_answers_quickly(client):
    """Item 1: two such requests made everyone else wait 29 s."""
    started = time.perf_counter()
    result = client.predict(GDP_2020, ["a" * 1_000_000], api_name="/ask")
    assert time.perf_counter() - started < 2
    assert "3.9%" in result["answer"]


def test_request_bodies_over_the_limit_are_refused(client):
    """Item 1: the request size is bounded, whether the body says its length or arrives in chunks."""
    import httpx

    from qa.web import MAX_REQUEST_BYTES

    url = client.src.rstrip("/") + "/gradio_api/queue/join"
    body = b"x" * (MAX_REQUEST_BYTES + 1)
    assert httpx.post(url, content=body, headers={"content-type": "application/json"}).status_code == 413
    chunks = (body[i : i + 65536] for i in range(0, len(body), 65536))
    assert httpx.post(url, content=chunks, headers={"content-type": "application/json"}).status_code == 413
    assert client.predict(GDP_2020, [], api_name="/ask")["found"]  # and the app still answers


def test_a_two_megabyte_upload_is_refused(client):
    """Item 3: /gradio_api/upload took a 30 MB file although the app takes no files."""
    import httpx

    url = client.src.rstrip("/") + "/gradio_api/upload"
    response = httpx.post(url, files={"files": ("big.bin", b"\0" * 2_000_000)})
    assert response.status_code == 413
    assert httpx.post(url, files={"files": ("small.txt", b"ok")}).status_code == 200


def test_analytics_are_off(client, tmp_path):
    """Item 4: /config said analytics_enabled: true although everything runs offline; the error page too."""
    import httpx

    assert httpx.get(client.src.rstrip("/") + "/config").json()["analytics_enabled"] is False
    assert app.error_app("索引已损坏").analytics_enabled is False


def figure_filter(demo):
    return next(f.fn for f in demo.fns.values() if f.name == "filter_figures")


def test_figure_filter_files_stay_few_whatever_is_typed(index, tmp_path, monkeypatch):
    """Item 3: every distinct keyword wrote a new CSV that was never removed (300 calls: 304 files, 33 MB)."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    filter_figures = figure_filter(app.build_app(index, Settings.from_env(data_dir=tmp_path / "data")))
    keywords = [" " * n for n in range(100)] + [f"增长{n}" for n in range(100)] + list("地区生产总值网络零售额亿元年增长万个") * 6
    paths = {filter_figures(word)[3] for word in keywords}
    files = [p for p in tmp_path.glob("qa-figures-*/*") if p.is_file()]
    assert len(files) <= 32 and sum(p.stat().st_size for p in files) < 2 * 2**20
    assert len({filter_figures(" " * n)[3] for n in range(5)}) == 1  # same rows, same file
    assert "8992" in Path(filter_figures("网络零售额")[3]).read_text(encoding="utf-8-sig")
    assert len(paths) > 1


def test_error_page_and_api_say_why_in_plain_words(tmp_path):
    """Item 7: a broken index gave "Cannot find a function with api_name: /ask"; pages showed paths and settings."""
    from gradio_client import Client

    demo = app.make_demo(Settings.from_env(index_dir=tmp_path / "no-index", data_dir=tmp_path / "data"))
    shown = str(demo.config)
    assert "暂时无法回答" in shown and str(tmp_path) not in shown and "qa build" not in shown
    with serve(demo) as url, pytest.raises(Exception, match="索引") as raised:
        Client(url, verbose=False).predict(GDP_2020, [], api_name="/ask")
    assert str(tmp_path) not in str(raised.value) and "QA_" not in str(raised.value)


def test_unreadable_index_at_start_is_an_error_page_not_a_crash(tmp_path, monkeypatch):
    """Item 5: app.py caught only QAError, so a PermissionError from index/ stopped it with a traceback."""
    def unreadable(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(tmp_path / "index" / "manifest.json"))

    monkeypatch.setattr(app, "load_index", unreadable)
    shown = str(app.make_demo(Settings.from_env(data_dir=tmp_path / "data")).config)
    assert "权限" in shown and str(tmp_path) not in shown


def test_feedback_that_cannot_be_saved_is_reported_without_paths(index, monkeypatch):
    """Item 7: the toast showed the data folder's path and the QA_DATA_DIR setting."""
    shown = []
    monkeypatch.setattr(app.gr, "Warning", lambda message, **kwargs: shown.append(message))
    demo = app.build_app(index, Settings.from_env(data_dir=Path("/proc/self/qa-app-test")))
    rate = next(f.fn for f in demo.fns.values() if f.name == "rate")
    turn = {"question": GDP_2020, "history": [], "answer": "增长3.9%", "found": True, "citations": []}
    rate([turn], app.gr.LikeData(None, {"index": [1, 0], "value": "增长3.9%", "liked": True}))
    assert shown and "反馈" in shown[0] and "/proc" not in shown[0] and "QA_DATA_DIR" not in shown[0]


def test_plain_messages_name_no_path_or_setting():
    from qa.errors import IndexError_, ModelError
    from qa.feedback import FeedbackError

    for error in (IndexError_("/srv/index/manifest.json is corrupt: run `qa build`"), ModelError("QA_EMBED_MODEL=/x"),
                  FeedbackError("QA_DATA_DIR /var/qa"), PermissionError(13, "denied", "/srv/index"), RuntimeError("/x")):
        message = ui.user_message(error)
        assert message and "/" not in message and "QA_" not in message and "qa build" not in message


# ------------------------------------------------------------------------------------------------ issue 11


def report_filter(demo):
    return next(c for c in demo.blocks.values() if getattr(c, "label", None) == "报告")


def test_a_report_filter_and_column_only_when_the_index_holds_several(index, tmp_path):
    """Indexes will hold many reports (index.documents): then a report filter, a report column and the chart's
    colour by report; with one report none of these shows."""
    import dataclasses

    one = app.build_app(index, Settings.from_env(data_dir=tmp_path / "one"))
    assert report_filter(one).visible is False
    assert "报告" not in figure_filter(one)("GDP")[0]["headers"]

    other = dict(index.documents[0], id="other-report", title="另一份报告")
    later = list(index.paragraphs)[len(index.paragraphs) // 2 :]  # the second half, as if from another report
    paragraphs = {pid: dataclasses.replace(p, doc_id="other-report") if pid in later else p
                  for pid, p in index.paragraphs.items()}
    two = app.build_app(dataclasses.replace(index, documents=[index.documents[0], other], paragraphs=paragraphs),
                        Settings.from_env(data_dir=tmp_path / "two"))
    assert report_filter(two).visible is True
    assert set(report_filter(two).choices) >= {("另一份报告", "另一份报告"), ("2021年杭州市政府工作报告", "2021年杭州市政府工作报告")}
    table, _, chart, _, _ = figure_filter(two)("", figure_table.ALL, "另一份报告")
    assert table["headers"][0] == "报告" and {row[0] for row in table["data"]} == {"另一份报告"}
    assert chart.color == "报告"
