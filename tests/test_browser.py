"""The page as a person uses it: Debian's Chromium driven by Playwright.

Screenshots go to a temp folder; `QA_UPDATE_SCREENSHOTS=1 pytest tests/test_browser.py` refreshes docs/.
"""

from __future__ import annotations

import os
import socket
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
DOCS = ROOT / "docs"
SHOTS = DOCS if os.environ.get("QA_UPDATE_SCREENSHOTS") == "1" else Path(tempfile.mkdtemp(prefix="qa-shots-"))
sys.path.insert(0, str(ROOT))

pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's Chromium: apt-get install -y chromium"),
    pytest.mark.filterwarnings("ignore:.*(no_silent_downcasting|copy keyword):DeprecationWarning"),
]
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
TIMEOUT = 60_000  # ms; the first answer may wait for the model to load


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    import app
    from qa.pipeline import load_index
    from qa.settings import Settings

    settings = Settings.from_env(data_dir=tmp_path_factory.mktemp("data"))
    demo = app.build_app(load_index(settings=settings), settings)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    demo.queue().launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=port, quiet=True,
                        **app.STYLE)
    try:
        yield f"http://127.0.0.1:{port}/", settings
    finally:
        demo.close()


@pytest.fixture(scope="module")
def browser():
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    page.dialogs = []  # any alert() would mean user markup ran as script
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    page.goto(server[0])
    page.wait_for_selector("#qa-question textarea")
    yield page
    context.close()


def ask(page, question: str):
    before = page.locator(".qa-answer").count()
    page.fill("#qa-question textarea", question)
    page.keyboard.press("Enter")
    page.wait_for_function(f"document.querySelectorAll('.qa-answer').length > {before}")
    return page.locator(".qa-answer").last


def test_example_question_answers(page):
    page.get_by_role("button", name="去年网络零售额多少？").click()
    answer = page.locator(".qa-answer").first
    answer.wait_for()
    assert "8992" in answer.inner_text()


def test_ask_cites_and_links_to_report(page, server):
    answer = ask(page, "2020年杭州地区生产总值增长多少？")
    assert "3.9%" in answer.locator(".qa-text").inner_text()
    first = answer.locator("details.qa-cite").first
    assert first.is_visible() and "[1]" in first.locator("summary").inner_text()
    assert "全年地区生产总值增长3.9%" in first.locator("mark").inner_text()
    page.mouse.move(0, 0)
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "chat.png"))

    page.locator("button[aria-label='赞'], button[aria-label='Like']").last.click()  # 👍 is stored
    from qa import feedback

    db = feedback.db_path(server[1])
    for _ in range(50):  # the like is stored by a server event shortly after the click
        if db.exists() and any(r["liked"] == 1 and "3.9%" in r["answer"] for r in feedback.rows(db)):
            break
        page.wait_for_timeout(200)
    else:
        pytest.fail(f"no 👍 stored in {db}")

    target = first.locator("a.qa-goto").get_attribute("href")[1:]
    first.locator("a.qa-goto").click()
    page.locator(f"#{target}").wait_for(state="visible")
    assert page.locator(f"#{target}").is_visible()


def test_markup_question_is_text(page):
    ask(page, "<img src=x onerror=alert(1)>")
    ask(page, "<script>alert(1)</script>")
    page.wait_for_timeout(500)
    user_text = page.locator("#qa-chat [data-testid=user]").all_inner_texts()
    assert "<img src=x onerror=alert(1)>" in user_text[0]
    assert "<script>alert(1)</script>" in user_text[1]
    assert page.locator("#qa-chat img[src=x]").count() == 0
    assert page.dialogs == []


def test_figures_tab_filters_and_downloads(page):
    page.get_by_role("tab", name="数据速查").click()
    page.get_by_label("关键词（指标或原句）").fill("网络零售额")
    cell = page.locator("#qa-figures [role=gridcell]", has_text="8992")
    cell.first.wait_for()
    assert page.get_by_text("条数据").inner_text().startswith("共 ")
    cell.first.click()
    page.locator(".qa-para mark", has_text="8992").wait_for()
    page.mouse.move(0, 0)
    page.screenshot(path=str(SHOTS / "figures.png"))
    with page.expect_download() as download:
        page.get_by_role("button", name="下载 CSV").click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert text.startswith("指标,数值") and "8992" in text


def test_report_tab_shows_structure(page):
    page.get_by_role("tab", name="原文").click()
    report = page.locator(".qa-report")
    report.wait_for()
    assert report.locator("h1").inner_text() == "2021年杭州市政府工作报告"
    assert report.locator("h2").count() >= 3
    assert report.locator("[id^=para-]").count() > 90
    page.screenshot(path=str(SHOTS / "report.png"))
