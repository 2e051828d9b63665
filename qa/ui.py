"""Presentation for the chat app: answers, citations and the report as HTML; the figures table.

Every piece of user or report text goes through html.escape before our own markup is added,
so a question like "<script>…" is shown as text, never run.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import threading
from html import escape
from pathlib import Path

from qa.answer import Answer, Citation
from qa.errors import IndexError_, ModelError
from qa.feedback import FeedbackError
from qa.figures import extract_figures

ALL_PERIODS = "全部时期"
FIGURE_COLUMNS = ["指标", "数值", "单位", "变化", "时期", "章节", "原句", "段落"]
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


def citation_html(number: int, c: Citation, open_: bool = False) -> str:
    body = highlight(c.text, [c.marked] if c.marked else [])
    return (
        f'<details class="qa-cite"{" open" if open_ else ""}><summary>'
        f'<b>[{number}]</b> {escape(heading_text(c.heading_path))} '
        f'<span class="qa-period">{escape(c.period)}</span></summary>'
        f'<div class="qa-para">{body}</div>'
        f'<a class="qa-goto" href="#{anchor(c.paragraph_id)}">在原文中查看 →</a></details>'
    )


def answer_html(answer: Answer) -> str:
    """One chat message: the answer (figures marked), its period, then numbered citations."""
    parts = [f'<div class="qa-answer"><p class="qa-text">{highlight(answer.text, answer.marks)}</p>']
    if answer.found and answer.period:
        parts.append(f'<p class="qa-meta">时期：<span class="qa-period">{escape(answer.period)}</span></p>')
    if answer.citations:
        title = "出处" if answer.found else "相关段落"
        parts.append(f'<div class="qa-cites"><p class="qa-meta">{title}：</p>')
        parts += [citation_html(i, c, open_=answer.found and i == 1) for i, c in enumerate(answer.citations, 1)]
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
            f'<span class="qa-period">{escape(p.period.label)}</span> · {escape(p.id)}</p>'
            f'<div class="qa-para">{body}</div><a class="qa-goto" href="#{anchor(p.id)}">在原文中查看 →</a></div>')


def figure_rows(index) -> list[list[str]]:
    """Every figure of the report, one row each, in FIGURE_COLUMNS order."""
    rows = []
    for p in index.paragraphs.values():
        for f in extract_figures(p.text):
            rows.append([f.indicator, f.value, f.unit, f.change, p.period.label,
                         heading_text(p.heading_path), f.sentence, p.id])
    return rows


def count_text(rows) -> str:
    return f"共 {len(rows)} 条数据"


def period_choices(rows) -> list[str]:
    return [ALL_PERIODS] + list(dict.fromkeys(r[4] for r in rows))


def filter_rows(rows, keyword: str = "", period: str = ALL_PERIODS) -> list[list[str]]:
    """Rows whose indicator or sentence contains `keyword` (any case), in `period` unless all."""
    word = (keyword or "").strip().lower()
    return [r for r in rows
            if (not word or word in r[0].lower() or word in r[6].lower())
            and (not period or period == ALL_PERIODS or r[4] == period)]


def csv_bytes(rows) -> bytes:
    """The figures table as CSV, with a BOM so spreadsheet programs read the Chinese correctly."""
    text = io.StringIO(newline="")
    writer = csv.writer(text)
    writer.writerow(FIGURE_COLUMNS)
    writer.writerows(rows)
    return text.getvalue().encode("utf-8-sig")


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
