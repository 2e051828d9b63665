"""Answer stage: pick the candidate the scorer finds most likely to answer, mark its figures, cite.

Extractive only: every character of an answer is copied from its first citation's paragraph.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from qa.candidates import Candidate, asked_characters, asked_sides, other_side, said_share
from qa.figures import Figure, figures_in, is_change_rate, start_span
from qa.index import Index
from qa.lists import ReportList
from qa.query import Query
from qa.retrieval import Hit
from qa.scorer import Scorer
from qa.source import Paragraph

NOT_FOUND = "报告中没有找到"


@dataclass(frozen=True)
class Citation:
    paragraph_id: str
    heading_path: tuple[str, ...]
    period: str  # label, e.g. "2020年实绩"
    text: str  # the whole paragraph, as in the report
    marked: tuple[int, int] | None  # the answering sentence within `text`
    score: float


@dataclass(frozen=True)
class Answer:
    question: str
    resolved: str  # the question as searched (follow-ups filled in)
    text: str
    marks: tuple[tuple[int, int], ...]  # spans of `text` to highlight: the asked figures
    found: bool
    citations: tuple[Citation, ...] = field(default=())
    period: str = ""
    confidence: float = 0.0  # the scorer's probability that the answer answers the question
    closeness: float = 0.0  # cosine of the question with the answering sentence
    report: str = ""  # the id of the report that answered
    report_title: str = ""  # its name, e.g. "2026年江苏省政府工作报告"
    rows: tuple[Answer, ...] = ()  # a comparison: one answer per report, each cited from its own report

    def markdown(self) -> str:
        """The answer text with its marked spans in **bold**."""
        out, last = [], 0
        for start, end in self.marks:
            out += [self.text[last:start], "**", self.text[start:end], "**"]
            last = end
        return "".join(out + [self.text[last:]])


def comparison(question: str, rows: list[Answer]) -> Answer:
    """Answers from several reports as one: a line per report ("江苏省：…"), marks moved into the joined text,
    each report's first citation in order."""
    lines, marks, start = [], [], 0
    for row in rows:
        head = f"{row.report_title}："
        lines.append(head + row.text)
        marks += [(start + len(head) + a, start + len(head) + b) for a, b in row.marks]
        start += len(lines[-1]) + 1
    citations = tuple(row.citations[0] for row in rows if row.found and row.citations)
    return Answer(question, question, "\n".join(lines), tuple(marks), any(r.found for r in rows), citations,
                  rows=tuple(rows))


def list_answer(query: Query, found: ReportList) -> Answer:
    """The items of an announced list, joined; cited as the announcing sentence with the items it introduces
    (one paragraph when the list is inline, the section's outline when its items are sub-sections)."""
    announcing, (a, b) = found.announcing, found.sentence
    texts = found.texts
    if all(p.id == announcing.id for p, _, _ in found.items):
        first = _cite(announcing, (a, found.items[-1][2]), 1.0)
    else:
        outline = "\n".join([announcing.text[a:b], *texts])
        first = Citation(announcing.id, announcing.heading_path, announcing.period.label, outline, (0, b - a), 1.0)
    others = tuple(_cite(p, (s, e), 1.0) for p, s, e in found.items[:2] if p.id != announcing.id)
    return Answer(query.asked, query.resolved, "；".join(texts), (), True, (first, *others), announcing.period.label,
                  confidence=1.0)


def citation(hit: Hit, marked: tuple[int, int] | None = None) -> Citation:
    return _cite(hit.paragraph, marked, round(hit.score, 6))


def _cite(p: Paragraph, marked: tuple[int, int] | None, score: float) -> Citation:
    return Citation(p.id, p.heading_path, p.period.label, p.text, marked, score)


def not_found(question: Query | str, hits: list[Hit], reason: str = "", **signals) -> Answer:
    asked = question.asked if isinstance(question, Query) else question
    sections = list(dict.fromkeys(h.paragraph.heading_path[-1] for h in hits if h.paragraph.heading_path))[:3]
    text = f"{NOT_FOUND}{reason or '能回答这个问题的内容'}。"
    if sections:
        text += "可以看看这些相关章节：" + "；".join(sections) + "。"
    return Answer(asked, getattr(question, "resolved", asked), text, (), False,
                  tuple(citation(h) for h in one_per_paragraph(hits)[:3]), **signals)


def about_report(index: Index, query: Query) -> Answer | None:
    """Who gave the report, or when and where: its byline, cited as the paragraph that states it."""
    for document in index.documents:
        field = document.get(query.about) or ""
        paragraph = next((p for p in index.paragraphs.values() if field and p.doc_id == document["id"]
                          and p.kind in ("front", "title") and field in p.text), None)
        if paragraph is not None:  # the byline may share its line with the title ("政府工作报告——…会议上")
            at = paragraph.text.index(field)
            cited = _cite(paragraph, (at, at + len(field)), 1.0)
            return Answer(query.asked, query.resolved, field, (), True, (cited,), paragraph.period.label,
                          confidence=1.0, closeness=1.0)
    return None


def one_per_paragraph(hits: list[Hit]) -> list[Hit]:
    """The best-ranked hit of each paragraph, in rank order."""
    best: dict[str, Hit] = {}
    for hit in hits:
        best.setdefault(hit.paragraph.id, hit)
    return list(best.values())


def change_span(figure: Figure, text: str) -> tuple[int, int] | None:
    """Where in `text` (the one the figure was read from) its change's rate is: 5.2% of "126万亿元，增长5.2%"; None
    when it has none, or its change ends in the figure itself (从75.5万户增加到140.3万户)."""
    at = text.find(figure.change, figure.end) if figure.change else -1
    rates = figures_in(figure.change) if at >= 0 else ()
    if not rates or at + rates[-1].start < figure.end:
        return None
    return at + rates[-1].start, at + rates[-1].end


def asked_figures(query: Query, extract: str, from_start: bool = False) -> tuple[tuple[int, int], ...]:
    """Spans of the extract's figures to mark for a question that asks for one: those whose measure the question says
    most ("去年网络零售额多少？" marks 8992亿元, not 社会消费品零售总额5973亿元 before it); all of them when it says none.
    A figure of the other side of what is asked is not marked: 农村居民 is 5.7% of 城镇居民、农村居民…分别增长4.5%、5.7%."""
    if not query.wants_figure:
        return ()
    sides, found = asked_sides(query), figures_in(extract)
    figures = [f for f in found if not other_side(sides, f.indicator or "")] or found
    asked = asked_characters(query)
    shares = [said_share(f.indicator or "", asked) for f in figures]
    best = max(shares, default=0.0)
    chosen = [f for f, share in zip(figures, shares) if share == best or not best]
    # "开通地铁6条、171公里" asked "多少公里": of figures that measure the same thing, those in the unit asked
    chosen = [f for f in chosen if query.unit and query.unit in f.unit] or chosen
    # "去年GDP多少？" asks a level: 10.3万亿元 of 地区生产总值增长5.5%、达到10.3万亿元, not its rate
    if not (query.asks_change or query.looks_ahead):
        chosen = [f for f in chosen if not is_change_rate(f, extract)] or chosen
    # "五年前是多少？" of a five-year review is answered by where its change starts: 80户 of 从80户增加到810户
    if from_start and (starts := [span for f in chosen if (span := start_span(f, extract))]):
        return tuple(starts)
    # "去年GDP增长多少？" is answered by the rate of 国内生产总值超过126万亿元，增长5.2%, not its level
    return tuple((query.asks_growth and change_span(f, extract)) or (f.start, f.end) for f in chosen)


def answer(query: Query, hits: list[Hit], pool: list[Candidate], scorer: Scorer, require_confidence: bool = True) -> Answer:
    """The most probable candidate's extract, or an honest "not found" (never, when not `require_confidence`)."""
    best, probability = scorer.best(pool)
    if best is None:
        return not_found(query, hits)
    signals = {"confidence": round(probability, 4), "closeness": round(best.feature("cosine"), 4)}
    if require_confidence and not scorer.answers(best.features, probability):
        return not_found(query, hits, **signals)
    start, end = best.extract
    extract = best.text
    marks = asked_figures(query, extract, best.baseline)
    others = [h for h in one_per_paragraph(hits[:3]) if h.paragraph.id != best.hit.paragraph.id]
    citations = (citation(best.hit, (start, end)),) + tuple(citation(h) for h in others)
    return Answer(query.asked, query.resolved, extract, marks, True, citations,
                  best.hit.paragraph.period.label, **signals)
