"""Presentation for the chat app: answers, citations and the report as HTML, plain error messages, page assets.

Every piece of user or report text goes through html.escape before our own markup is added,
so a question like "<script>…" is shown as text, never run.
"""

from __future__ import annotations

import json
import re
from html import escape
from pathlib import Path
from urllib.parse import quote

from qa.answer import Answer, Citation
from qa.errors import IndexError_, ModelError
from qa.excerpts import excerpt
from qa.feedback import FeedbackError

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
    """One chat message: the answer (figures marked), its period and report, then numbered citations; a
    comparison is a table, one row a report, each with its own citation."""
    if answer.rows:
        return comparison_html(answer)
    parts = [f'<div class="qa-answer"><p class="qa-text">{highlight(answer.text, answer.marks)}</p>']
    meta = [f'时期：<span class="qa-period">{escape(answer.period)}</span>' if answer.found and answer.period else "",
            f'报告：{escape(answer.report_title)}' if answer.report_title else ""]
    if any(meta):
        parts.append(f'<p class="qa-meta">{" · ".join(m for m in meta if m)}</p>')
    if answer.citations:
        title = "出处" if answer.found else "相关段落"
        parts.append(f'<div class="qa-cites"><p class="qa-meta">{title}：</p>')
        parts += [citation_html(i, c) for i, c in enumerate(answer.citations, 1)]
        parts.append("</div>")
    # one line, no blank lines: the chat's markdown renderer then passes it through as one HTML block
    return "".join(parts) + "</div>"


def comparison_html(answer: Answer) -> str:
    """A comparison: a table of report, answer (figures marked) and period, then each row's citation."""
    rows = "".join(
        f'<tr><th scope="row">{escape(row.report_title.removesuffix("政府工作报告"))}</th>'
        f'<td>{highlight(row.text, row.marks)}'
        + (f' <span class="qa-period">{escape(row.period)}</span>' if row.found and row.period else "") + "</td></tr>"
        for row in answer.rows)
    head = '<thead><tr><th>报告</th><th>回答</th></tr></thead>'
    parts = [f'<div class="qa-answer"><table class="qa-compare">{head}<tbody>{rows}</tbody></table>']
    cited = [row for row in answer.rows if row.found and row.citations]
    if cited:
        parts.append('<div class="qa-cites"><p class="qa-meta">出处：</p>')
        parts += [citation_html(i, row.citations[0]) for i, row in enumerate(cited, 1)]
        parts.append("</div>")
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
        "report": answer.report,
        "report_title": answer.report_title,
        "rows": [api_result(row) for row in answer.rows],  # a comparison: one answer per report
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
