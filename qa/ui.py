"""Presentation for the chat app: answers, citations and the report as HTML; the figures table, cards and chart.

Every piece of user or report text goes through html.escape before our own markup is added,
so a question like "<script>…" is shown as text, never run.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import threading
from html import escape
from pathlib import Path
from urllib.parse import quote

from qa import figure_table
from qa.answer import Answer, Citation
from qa.errors import IndexError_, ModelError
from qa.excerpts import excerpt
from qa.feedback import FeedbackError

ALL_PERIODS = figure_table.ALL
TABLE_COLUMNS = ["指标", "数值", "变化", "时期", "出处"]  # on screen; the CSV has every field
CSV_COLUMNS = ["指标", "数值", "单位", "基本单位数值", "基本单位", "变化", "时期", "章节", "原句", "段落", "报告"]
MAX_CARDS = 120  # phone cards shown at once; the count says how many more a keyword would narrow down
UI_TEXT = json.loads((Path(__file__).parent / "data" / "ui_zh.json").read_text("utf-8"))
EXAMPLES = [
    "2020年杭州地区生产总值增长多少？",
    "去年网络零售额多少？",
    "2021年地区生产总值预期增长多少？",
    "十四五时期的主要目标是什么？",
    "How much did Hangzhou's GDP grow in 2020?",
]


def anchor(paragraph_id: str) -> str:
    """An HTML id for a paragraph: "report#p012" -> "para-report-p012" (safe in id and href)."""
    return "para-" + re.sub(r"[^0-9A-Za-z_-]", "-", paragraph_id)


def highlight(text: str, spans, tag: str = "mark") -> str:
    """Escaped `text` with each (start, end) span wrapped in <tag>."""
    out, last = [], 0
    for start, end in sorted(s for s in spans if s):
        if start < last:
            continue  # overlapping spans: keep the first
        out += [escape(text[last:start]), f"<{tag}>", escape(text[start:end]), f"</{tag}>"]
        last = end
    return "".join(out) + escape(text[last:])


def heading_text(path) -> str:
    return " › ".join(path) if path else "报告开头"


def goto_link(paragraph_id: str, sentence: str = "", label: str = "在原文中查看 →") -> str:
    """A link into the 原文 tab; the page's script scrolls to the paragraph and highlights `sentence` in it.
    The sentence rides in the href ("#para-…?hl=…"): the chat's HTML sanitizer drops data- attributes."""
    hl = f"?hl={quote(sentence)}" if sentence else ""
    return f'<a class="qa-goto" href="#{anchor(paragraph_id)}{hl}">{escape(label)}</a>'


def citation_html(number: int, c: Citation) -> str:
    """A citation, short: where it is, then the answering sentence with a clause of context; the whole paragraph
    folds out (a long paragraph opened at once pushed the answer out of view)."""
    shown, (a, b), cut_before, cut_after = excerpt(c.text, c.marked, headings=c.heading_path)
    snippet = ("…" if cut_before else "") + highlight(shown, [(a, b)] if c.marked else []) + ("…" if cut_after else "")
    whole = highlight(c.text, [c.marked] if c.marked else [])
    more = (f'<details class="qa-more"><summary>展开整段</summary><div class="qa-para">{whole}</div></details>'
            if cut_before or cut_after else "")
    return (
        f'<div class="qa-cite"><p class="qa-cite-head"><b>[{number}]</b> {escape(heading_text(c.heading_path))} '
        f'<span class="qa-period">{escape(c.period)}</span></p>'
        f'<p class="qa-snippet">{snippet}</p>{more}{goto_link(c.paragraph_id, shown[a:b])}</div>'
    )


def answer_html(answer: Answer) -> str:
    """One chat message: the answer (figures marked), its period, then numbered citations."""
    parts = [f'<div class="qa-answer"><p class="qa-text">{highlight(answer.text, answer.marks)}</p>']
    if answer.found and answer.period:
        parts.append(f'<p class="qa-meta">时期：<span class="qa-period">{escape(answer.period)}</span></p>')
    if answer.citations:
        title = "出处" if answer.found else "相关段落"
        parts.append(f'<div class="qa-cites"><p class="qa-meta">{title}：</p>')
        parts += [citation_html(i, c) for i, c in enumerate(answer.citations, 1)]
        parts.append("</div>")
    # one line, no blank lines: the chat's markdown renderer then passes it through as one HTML block
    return "".join(parts) + "</div>"


def user_html(question: str) -> str:
    """A user's question as shown in the chat: escaped text (markdown characters included)."""
    return escape(re.sub(r"([\\`*_\[\]#|~$])", r"\\\1", question)) or " "


def api_result(answer: Answer) -> dict:
    """The JSON the `ask` API endpoint returns."""
    return {
        "answer": answer.text,
        "found": answer.found,
        "period": answer.period,
        "citations": [
            {"paragraph_id": c.paragraph_id, "heading_path": list(c.heading_path), "period": c.period, "text": c.text}
            for c in answer.citations
        ],
    }


def citations_json(answer: Answer) -> list[dict]:
    """Citations as stored with feedback (with the answering span)."""
    return [dict(item, marked=list(c.marked) if c.marked else None)
            for item, c in zip(api_result(answer)["citations"], answer.citations)]


def _report_paragraph(p) -> str:
    if p.kind == "title":
        return f'<h1 id="{anchor(p.id)}">{escape(p.text)}</h1>'
    if p.kind == "front" and not p.text.endswith("："):  # the salutation stays left, as in print
        return f'<p class="qa-center" id="{anchor(p.id)}">{escape(p.text)}</p>'
    if p.kind == "heading":
        level = "h2" if len(p.heading_path) <= 1 else "h3"
        return f'<{level} id="{anchor(p.id)}">{escape(p.text)}</{level}>'
    # a section that opens its own paragraph ("（二）…。打造…") shows its heading in bold
    lead = next((h for h in p.heading_path[1:] if h and p.text.startswith(h)), "")
    body = highlight(p.text, [(0, len(lead))] if lead else [], tag="strong")
    number = p.id.rsplit("#", 1)[-1]
    return (f'<p class="qa-{p.kind}" id="{anchor(p.id)}"><a class="qa-pid" href="#{anchor(p.id)}" '
            f'title="{escape(p.id)}">{escape(number)}</a> {body}</p>')


def report_html(index) -> str:
    """The whole cleaned report: headings as headings, each paragraph with its id anchor."""
    out = ['<div class="qa-report">']
    out += [_report_paragraph(p) for p in index.paragraphs.values()]
    return "".join(out) + "</div>"


def paragraph_html(index, paragraph_id: str, sentence: str = "") -> str:
    """One paragraph with its heading path and period, `sentence` highlighted (figures tab)."""
    p = index.paragraphs.get(paragraph_id)
    if p is None:
        return '<p class="qa-meta">选择表格中的一行，查看它所在的段落。</p>'
    at = p.text.find(sentence) if sentence else -1
    body = highlight(p.text, [(at, at + len(sentence))] if at >= 0 else [])
    return (f'<div class="qa-answer"><p class="qa-meta">{escape(heading_text(p.heading_path))} '
            f'<span class="qa-period">{escape(p.period.label)}</span></p>'
            f'<div class="qa-para">{body}</div>{goto_link(p.id, sentence)}</div>')


def table_columns(many_reports: bool) -> list[str]:
    return (["报告"] if many_reports else []) + TABLE_COLUMNS


def table_value(rows, many_reports: bool = False) -> dict:
    """The on-screen table, as Gradio's table data: the 数值 column holds base-unit amounts (so the column menu
    sorts 1.61万亿元 above 8992亿元) while each cell shows the value as written, with its unit."""
    head = table_columns(many_reports)
    lead = (lambda r: [r.report]) if many_reports else (lambda r: [])
    data = [lead(r) + [r.indicator, r.amount, r.change, r.period, r.section] for r in rows]
    shown = [lead(r) + [r.indicator, r.shown, r.change, r.period, r.section] for r in rows]
    return {"headers": head, "data": data or [[""] * len(head)],
            "metadata": {"display_value": shown or [[""] * len(head)], "styling": [[""] * len(head) for _ in data]}}


def row_for(rows, values) -> figure_table.FigureRow | None:
    """The figure row a clicked table row shows (the table may be sorted in the browser, so match by content)."""
    values = list(values or [])
    if len(values) < len(TABLE_COLUMNS):
        return None
    name, value, _, period, section = values[-5:]

    def same(r) -> bool:  # the amount may come back from the browser as a float or as the text shown
        return value in (r.amount, r.shown) or (isinstance(value, float) and r.amount is not None
                                                and abs(value - r.amount) <= 1e-9 * max(1.0, abs(r.amount)))

    return next((r for r in rows if (r.indicator, r.period, r.section) == (name, period, section) and same(r)), None)


def cards_html(rows, many_reports: bool = False) -> str:
    """The figures as cards for a phone: a table squeezed to 390 px showed one character a line."""
    cards = []
    for r in rows[:MAX_CARDS]:
        report = f'<p class="qa-card-report">{escape(r.report)}</p>' if many_reports else ""
        change = f' <span class="qa-card-change">{escape(r.change)}</span>' if r.change and r.change != r.shown else ""
        cards.append(
            f'<li class="qa-card">{report}<p class="qa-card-name">{escape(r.indicator or "（未命名）")}</p>'
            f'<p class="qa-card-value"><b>{escape(r.shown)}</b>{change} <span class="qa-period">{escape(r.period)}</span></p>'
            f'<p class="qa-card-source">{escape(r.section)}</p>{goto_link(r.paragraph_id, r.sentence, "原文 →")}</li>')
    more = len(rows) - MAX_CARDS
    note = f'<p class="qa-meta">另有 {more} 条，输入关键词或选择时期可缩小范围。</p>' if more > 0 else ""
    empty = '<p class="qa-meta">没有找到。换个说法试试，例如：GDP、网络零售额、就业。</p>' if not rows else ""
    return f'<ol class="qa-cards">{"".join(cards)}</ol>{note}{empty}'


def chart_value(rows, many_reports: bool = False) -> tuple[object, dict]:
    """The chart of the filtered rows' indicator by period: (DataFrame, BarPlot settings)."""
    import pandas as pd

    indicator, unit, points = figure_table.chart_points(rows, by_report=many_reports)
    frame = pd.DataFrame(points, columns=["时期", "数值", "报告", "rank"]).drop(columns="rank")
    periods = list(dict.fromkeys(p["时期"] for p in points))
    title = f"{indicator}（{unit}）按时期" if indicator else "没有可画的数据"
    return frame, {"title": title, "y_title": unit or "数值", "sort": periods or None, "y_lim": [0, None],
                   "color": "报告" if many_reports else None}


def count_text(rows) -> str:
    return f"共 {len(rows)} 条数据"


def csv_bytes(rows) -> bytes:
    """The figures as CSV (every field, base-unit amounts too), with a BOM so spreadsheets read the Chinese."""
    text = io.StringIO(newline="")
    writer = csv.writer(text)
    writer.writerow(CSV_COLUMNS)
    writer.writerows([r.indicator, r.value, r.unit, _plain_number(r.amount), r.measure, r.change,
                      r.period, heading_text(r.heading_path), r.sentence, r.paragraph_id, r.report] for r in rows)
    return text.getvalue().encode("utf-8-sig")


def _plain_number(amount: float | None) -> str:
    """A number a spreadsheet reads as written: 8.992e11 -> "899200000000", 3.5 -> "3.5"."""
    return "" if amount is None else f"{amount:.6f}".rstrip("0").rstrip(".")


def write_csv(rows, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(csv_bytes(rows))
    return path


class CsvFiles:
    """The figures tab's download files: one per distinct content, at most `keep` of them in `folder`.

    Named after their content, the same rows reuse one file whatever keyword selected them; past `keep`
    files the least recently used is removed, so anonymous filtering cannot fill the disk. (Gradio copies
    a returned file into its own cache at once, so removing ours later never breaks a download.)
    """

    def __init__(self, folder: Path, keep: int = 32):
        self.folder, self.keep, self.lock = Path(folder), keep, threading.Lock()
        self.folder.mkdir(parents=True, exist_ok=True)

    def path_for(self, rows) -> Path:
        data = csv_bytes(rows)
        path = self.folder / f"figures-{hashlib.sha256(data).hexdigest()[:16]}.csv"
        with self.lock:
            if path.is_file():
                os.utime(path)  # recently used: kept longest
            else:
                tmp = path.with_suffix(f".{os.getpid()}.tmp")
                tmp.write_bytes(data)
                os.replace(tmp, path)  # atomic: a reader never sees half a file
            files = sorted(self.folder.glob("figures-*.csv"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
            for old in files[self.keep :]:
                old.unlink(missing_ok=True)
        return path


# What a visitor is told when something fails on the server: no paths, no settings; the log has the details.
ASK_ADMIN = "请联系管理员（详情见服务器日志）。"
PLAIN_ERRORS = (
    (FeedbackError, "反馈暂时无法保存，请稍后再试。"),
    (IndexError_, "报告索引无法读取（缺失、损坏或没有读取权限）或与报告不一致，暂时无法回答问题。" + ASK_ADMIN),
    (ModelError, "问答模型无法加载，暂时无法回答问题。" + ASK_ADMIN),
    (PermissionError, "服务器没有读取报告索引或模型的权限，暂时无法回答问题。" + ASK_ADMIN),
)
SERVER_ERROR = "服务器出错了，暂时无法回答问题。请稍后再试；如果一直这样，" + ASK_ADMIN


def user_message(error: BaseException) -> str:
    """A plain Chinese message for an error shown in the page, e.g. IndexError_("index/… corrupt") -> "报告索引缺失…"."""
    return next((message for kind, message in PLAIN_ERRORS if isinstance(error, kind)), SERVER_ERROR)


def page_assets() -> tuple[str, str, str]:
    """The page's CSS, script and <head> extra (qa/static), the script given the Chinese labels of ui_zh.json.
    Gradio scopes the CSS to its app's content; rules for the frame around it go in the head, as a <style>."""
    static = Path(__file__).parent / "static"
    script = (static / "page.js").read_text("utf-8").replace("__UI_TEXT__", json.dumps(UI_TEXT, ensure_ascii=False))
    head = f"<style>{(static / 'frame.css').read_text('utf-8')}</style>"
    return (static / "page.css").read_text("utf-8"), script, head


def i18n_translations() -> dict[str, dict[str, str]]:
    """Gradio's own words in Chinese, for a Chinese browser and for an English one alike (gr.I18n(**this))."""
    return {locale: dict(UI_TEXT["gradio"]) for locale in ("zh-CN", "zh", "en")}
