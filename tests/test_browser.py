"""The page as a person uses it: Debian's Chromium driven by Playwright, on a desktop (1280×800) and a phone (390×844).

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


DESKTOP, PHONE = (1280, 800), (390, 844)
SIZES = pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])


@pytest.fixture
def open_page(browser, server):
    """open_page(size) -> a page of the app at that viewport (a phone also gets touch and a mobile user agent)."""
    contexts = []

    def opened(size=DESKTOP, locale="zh-CN"):
        phone = size[0] < 600
        context = browser.new_context(viewport={"width": size[0], "height": size[1]}, locale=locale,
                                      is_mobile=phone, has_touch=phone)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT)
        page.dialogs = []  # any alert() would mean user markup ran as script
        page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
        page.goto(server[0])
        page.wait_for_selector("#qa-question textarea")
        return page

    yield opened
    for context in contexts:
        context.close()


@pytest.fixture
def page(open_page):
    return open_page(DESKTOP)


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
    first = answer.locator(".qa-cite").first
    assert first.is_visible() and "[1]" in first.locator(".qa-cite-head").inner_text()
    assert first.locator(".qa-snippet mark").inner_text() == "全年地区生产总值增长3.9%"
    assert not first.locator(".qa-more .qa-para").is_visible()  # the paragraph is folded until asked for
    first.locator(".qa-more summary").click()
    assert "一般公共预算收入增长6.5%" in first.locator(".qa-more .qa-para").inner_text()
    first.locator(".qa-more summary").click()
    page.mouse.move(0, 0)
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "chat.png"))

    page.locator("button[aria-label='有用']").last.click()  # 👍 is stored
    from qa import feedback

    db = feedback.db_path(server[1])
    for _ in range(50):  # the like is stored by a server event shortly after the click
        if db.exists() and any(r["liked"] == 1 and "3.9%" in r["answer"] for r in feedback.rows(db)):
            break
        page.wait_for_timeout(200)
    else:
        pytest.fail(f"no 👍 stored in {db}")

    target = first.locator("a.qa-goto").get_attribute("href")[1:].split("?")[0]
    first.locator("a.qa-goto").click()
    page.locator(f"#{target}").wait_for(state="visible")
    hit = page.locator(f"#{target} mark.qa-hit")  # the answering sentence is highlighted in 原文
    hit.wait_for(state="visible")
    assert hit.inner_text() == "全年地区生产总值增长3.9%" and in_view(page, hit)


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
    page.get_by_label("查找指标").fill("网络零售额")
    cell = page.locator("#qa-figures [role=gridcell]", has_text="8992")
    cell.first.wait_for()
    assert page.get_by_text("条数据").inner_text().startswith("共 ")
    cell.first.click()
    page.locator(".qa-para mark", has_text="8992").wait_for()
    with page.expect_download() as download:
        page.get_by_role("button", name="下载 CSV").click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert text.startswith("指标,数值,单位") and "8992,亿元,899200000000" in text


def test_report_tab_shows_structure(page):
    page.get_by_role("tab", name="原文").click()
    report = page.locator(".qa-report")
    report.wait_for()
    assert report.locator("h1").inner_text() == "2021年杭州市政府工作报告"
    assert report.locator("h2").count() >= 3
    assert report.locator("[id^=para-]").count() > 90
    page.screenshot(path=str(SHOTS / "report.png"))


# ------------------------------------------------------------------------------------------------ issue 11


def in_view(page, locator) -> bool:
    """Whether a person sees the element: inside the window and not clipped by a scrolled box (the element itself
    is what the browser finds in the middle of its first line)."""
    return locator.evaluate("""(el) => {
      const r = el.getBoundingClientRect(), line = el.getClientRects()[0];
      if (r.top < 0 || r.left < 0 || r.bottom > innerHeight || r.right > innerWidth) return false;
      const hit = document.elementFromPoint(line.left + line.width / 2, line.top + line.height / 2);
      return !!hit && (el === hit || el.contains(hit));
    }""")


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@SIZES
def test_chat_answer_stays_in_view_and_the_page_never_scrolls_sideways(open_page, size):
    """Issue 11: a long first citation auto-scrolled to its end, hiding the short answer; on a phone 新对话 fell
    below the fold."""
    page = open_page(size)
    new_chat = page.get_by_role("button", name="新对话")
    assert in_view(page, new_chat) and in_view(page, page.locator("#qa-question textarea"))
    for question in ("十四五时期的主要目标是什么？", "2020年杭州地区生产总值增长多少？"):
        answer = ask(page, question)
        page.wait_for_timeout(300)  # the page's script scrolls on the next frame
    figure = answer.locator(".qa-text mark").first
    assert figure.inner_text() == "3.9%" and in_view(page, figure)
    assert in_view(page, new_chat) and no_sideways_scroll(page)
    if size == PHONE:
        page.mouse.move(0, 0)
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / "chat-phone.png"))


@SIZES
def test_figure_filter_finds_gdp_and_new_jobs_readably(open_page, size):
    """Issue 11: GDP found 0 rows, 新增城镇就业 found 0 (the report says 城镇新增就业); on a phone the table's columns
    were squeezed to one character a line."""
    page = open_page(size)
    page.get_by_role("tab", name="数据速查").click()
    keyword = page.get_by_label("查找指标")
    phone = size == PHONE
    rows = page.locator(".qa-card" if phone else "#qa-figures tbody tr")
    keyword.fill("新增城镇就业")
    page.get_by_text("共 2 条数据").wait_for()
    assert "城镇新增就业" in (page.locator("#qa-cards") if phone else page.locator("#qa-figures")).inner_text()
    chart = page.locator("#qa-chart")
    chart.get_by_text("60", exact=True).first.wait_for()  # the chart follows the filter: its data (69.1万人 needs
    assert "城镇新增就业（万人）" in chart.inner_text()  # an axis to 60 and more), not only its title
    keyword.fill("GDP")
    page.get_by_text("共 7 条数据").wait_for()
    shown = (page.locator("#qa-cards") if phone else page.locator("#qa-figures")).inner_text()
    assert "1.61万亿元" in shown and "地区生产总值" in shown and "#p0" not in shown
    assert no_sideways_scroll(page)
    if phone:
        assert not page.locator("#qa-figures").is_visible()
        name = rows.first.locator(".qa-card-name")
        assert name.bounding_box()["width"] > 150  # a readable line, not a column one character wide
        assert rows.count() == 7
    else:
        chart.get_by_text("2021年安排").first.wait_for()
        assert chart.is_visible() and "地区生产总值（%）" in chart.inner_text()
        page.locator("#qa-figures [role=gridcell]", has_text="1.61万亿元").first.click()
        page.locator(".qa-para mark", has_text="1.61万亿元").wait_for()  # the row's sentence in its paragraph
        page.mouse.move(0, 0)
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / "figures.png"))
    if phone:
        page.mouse.move(0, 0)
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / "figures-phone.png"))


def test_a_changed_vote_leaves_one_row(page, server):
    """Issue 11: 👎 then 👍 on one answer stored two rows."""
    from qa import feedback

    question = "2021年地区生产总值预期增长多少？"
    ask(page, question)
    db = feedback.db_path(server[1])

    def votes():
        return [r["liked"] for r in feedback.rows(db) if r["question"] == question] if db.exists() else []

    page.locator("button[aria-label='没用']").last.click()
    for _ in range(50):
        if votes() == [0]:
            break
        page.wait_for_timeout(200)
    page.locator("button[aria-label='有用']").last.click()
    for _ in range(50):
        if votes() == [1]:
            break
        page.wait_for_timeout(200)
    assert votes() == [1]


def test_gradio_speaks_chinese_even_to_an_english_browser(open_page):
    """Issue 11: toast headers read "Info", the table menu mixed 升序排序 with "Filter"; message labels held HTML."""
    page = open_page(DESKTOP, locale="en-US")
    ask(page, "2020年杭州地区生产总值增长多少？")
    labels = page.evaluate("[...document.querySelectorAll('#qa-chat [aria-label]')].map(e => e.getAttribute('aria-label'))")
    assert any(label.startswith("回答：全年地区生产总值增长3.9%") for label in labels)
    assert not any("<" in label or "'s message" in label for label in labels)
    page.locator("button[aria-label='有用']").last.click()
    title = page.locator(".toast-title").first
    title.wait_for()
    for _ in range(25):  # page.js renames Gradio's "Info" as the toast appears; on a busy machine a moment later
        if title.inner_text().strip().startswith("提示"):
            break
        page.wait_for_timeout(100)
    assert title.inner_text().strip().startswith("提示")

    page.get_by_role("tab", name="数据速查").click()
    header = page.locator("#qa-figures th").nth(1)
    header.hover()
    header.locator("button.cell-menu-button").click()
    menu = page.get_by_text("从大到小排序")
    menu.wait_for()
    words = page.locator("[role=menu], .cell-menu").first.inner_text()
    assert "筛选" in words and "Filter" not in words and "Sort" not in words
    menu.click()  # the column menu sorts by base-unit value too: 万亿元 above 亿元
    page.locator("#qa-figures [role=gridcell]", has_text="5.4万亿元").first.wait_for()
    cells = page.evaluate("""[...document.querySelectorAll('#qa-figures [role=gridcell]')]
      .filter((c) => c.getClientRects().length && getComputedStyle(c).visibility !== 'hidden')
      .map((c) => c.innerText.trim())""")
    assert cells.index("5.4万亿元") < cells.index("1.61万亿元") < cells.index("8992亿元")
