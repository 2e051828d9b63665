"""The Gradio app, started in-process on a free loopback port and called like a client would."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # app.py lives at the project root, outside the package

import app
from qa import ui
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

    settings = Settings.from_env(data_dir=tmp_path_factory.mktemp("data"))
    demo = app.build_app(index, settings)
    port = free_port()
    demo.queue().launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=port, quiet=True,
                        **app.STYLE)
    try:
        yield Client(f"http://127.0.0.1:{port}/", verbose=False)
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
    _, messages, = client.predict(MARKUP, [], api_name="/chat")
    shown = "".join(part["text"] for m in messages for part in m["content"])
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown
    assert "<script" not in shown


def test_answer_html_escapes_and_links():
    text = '<img src=x onerror=alert(1)> 增长3.9%'
    cite = Citation("doc#p008", ("一、<b>回顾</b>",), "2020年实绩", text, (0, len(text)), 1.0)
    html = ui.answer_html(Answer("q", "q", text, ((len(text) - 4, len(text)),), True, (cite,), "2020年实绩"))
    assert "<img" not in html and "<b>回顾" not in html and "&lt;img src=x" in html
    assert "<mark>3.9%</mark>" in html
    assert 'href="#para-doc-p008"' in html and "[1]" in html and "2020年实绩" in html
    assert ui.user_html("<img src=x onerror=alert(1)>") == "&lt;img src=x onerror=alert(1)&gt;"


def test_report_html_has_every_paragraph_anchor(index):
    html = ui.report_html(index)
    assert all(f'id="{ui.anchor(pid)}"' in html for pid in index.paragraphs)
    assert "<h2" in html and "<h1" in html


def test_figures_table_filters(index, tmp_path):
    rows = ui.figure_rows(index)
    assert all(len(r) == len(ui.FIGURE_COLUMNS) for r in rows)
    kept = ui.filter_rows(rows, "网络零售额", ui.ALL_PERIODS)
    assert any(r[0] == "网络零售额" and r[1] == "8992" for r in kept)
    assert all(r[4] == "2021年安排" for r in ui.filter_rows(rows, "网络零售额", "2021年安排"))
    assert "8992" in ui.write_csv(kept, tmp_path / "f.csv").read_text(encoding="utf-8-sig")
