"""Answer stage: pick the sentence (or clause) of the retrieved text that answers, mark its figures, cite.

Extractive only: every character of an answer is copied from its first citation's paragraph.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from qa.figures import extract_figures
from qa.index import Index
from qa.query import Query
from qa.retrieval import Hit
from qa.tokens import has_cjk, tokenize

SENTENCE_END = re.compile(r"(?<=[。！？；])")
CLAUSE_END = re.compile(r"(?<=[，：])")
LONG_SENTENCE = 60  # characters; longer sentences are narrowed to the clauses that answer
SENTENCE_POOL = 4  # hits whose sentences compete for the answer
# Calibrated on eval/qa.jsonl (see eval/RESULTS.md): below both, the report does not answer.
MIN_COVERAGE = 0.55
MIN_DENSE = 0.86
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
    confidence: float = 0.0

    def markdown(self) -> str:
        """The answer text with its marked spans in **bold**."""
        out, last = [], 0
        for start, end in self.marks:
            out += [self.text[last:start], "**", self.text[start:end], "**"]
            last = end
        return "".join(out + [self.text[last:]])


@dataclass(frozen=True)
class _Candidate:
    hit: Hit
    start: int  # span within the hit's paragraph
    end: int
    score: float
    coverage: float


def idf(index: Index, token: str) -> float:
    """BM25's idf of a token over the indexed chunks (0 for a token the index does not know)."""
    token_id = index.bm25.vocab_dict.get(token)
    if token_id is None:
        return 0.0
    indptr = index.bm25.scores["indptr"]
    df = int(indptr[token_id + 1] - indptr[token_id])
    n = len(index.chunks)
    return math.log(1 + (n - df + 0.5) / (df + 0.5)) if df else 0.0


def coverage(index: Index, query: Query, text: str) -> float:
    """Share of the question's topic (weighted by rarity) that appears in `text`.

    Topic words the index has never seen count fully against it: "房价" in a report that never
    mentions it leaves the question uncovered.
    """
    words = [t for t in query.topic if has_cjk(t) or any(ch.isdigit() for ch in t)]
    if not words:
        return 1.0
    present = set(tokenize(text))
    weight = {t: idf(index, t) or max_idf(index) for t in words}
    return sum(w for t, w in weight.items() if t in present) / sum(weight.values())


def max_idf(index: Index) -> float:
    n = len(index.chunks)
    return math.log(1 + (n - 0.5) / 1.5)


def _spans(text: str, pattern: re.Pattern) -> list[tuple[int, int]]:
    spans, start = [], 0
    for piece in pattern.split(text):
        if piece.strip():
            offset = text.index(piece, start)
            spans.append((offset, offset + len(piece)))
            start = offset + len(piece)
    return spans


def _has_figure(text: str) -> bool:
    return bool(extract_figures(text))


def _best_sentence(index: Index, query: Query, hits: list[Hit]) -> _Candidate | None:
    best = None
    top_score = hits[0].score if hits else 1.0
    for rank, hit in enumerate(hits[:SENTENCE_POOL]):
        offset = hit.chunk.start - hit.paragraph.start
        for start, end in _spans(hit.chunk.text, SENTENCE_END):
            sentence = hit.chunk.text[start:end]
            cov = coverage(index, query, sentence)
            score = cov + 0.35 * hit.score / top_score
            if query.wants_figure and _has_figure(sentence):
                score += 0.15
            if best is None or score > best.score:
                best = _Candidate(hit, offset + start, offset + end, score, cov)
    return best


def _narrow(index: Index, query: Query, text: str, start: int, end: int) -> tuple[int, int]:
    """Within a long sentence, keep the clause that best covers the question (and its figure)."""
    if end - start <= LONG_SENTENCE:
        return start, end
    clauses = [(start + a, start + b) for a, b in _spans(text[start:end], CLAUSE_END)]
    if len(clauses) <= 1:
        return start, end

    def clause_score(i: int) -> float:
        a, b = clauses[i]
        piece = text[a:b]
        return coverage(index, query, piece) + (0.3 if query.wants_figure and _has_figure(piece) else 0) - 0.001 * i

    best = max(range(len(clauses)), key=clause_score)
    a, b = clauses[best]
    if query.wants_figure and not _has_figure(text[a:b]) and best + 1 < len(clauses):
        b = clauses[best + 1][1]  # "全年地区生产总值，" then "增长3.9%": take the figure that follows
    return a, b


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while end > start and text[end - 1] in "，；：、。 ":
        end -= 1
    return start, end


def citation(hit: Hit, marked: tuple[int, int] | None = None) -> Citation:
    p = hit.paragraph
    return Citation(p.id, p.heading_path, p.period.label, p.text, marked, round(hit.score, 6))


def not_found(question: Query | str, hits: list[Hit], reason: str = "") -> Answer:
    asked = question.asked if isinstance(question, Query) else question
    sections = list(dict.fromkeys(h.paragraph.heading_path[-1] for h in hits if h.paragraph.heading_path))[:3]
    text = f"{NOT_FOUND}{reason or '能回答这个问题的内容'}。"
    if sections:
        text += "可以看看这些相关章节：" + "；".join(sections) + "。"
    return Answer(asked, getattr(question, "resolved", asked), text, (), False,
                  tuple(citation(h) for h in hits[:3]))


def answer(index: Index, query: Query, hits: list[Hit], require_confidence: bool = True) -> Answer:
    """The best extract from the hits, or an honest "not found" (never, when not `require_confidence`)."""
    best = _best_sentence(index, query, hits)
    if best is None:
        return not_found(query, hits)
    paragraph_cov = coverage(index, query, best.hit.paragraph.text)
    confidence = max(paragraph_cov, best.coverage)
    if require_confidence and confidence < MIN_COVERAGE and best.hit.dense < MIN_DENSE:
        return not_found(query, hits)
    text = best.hit.paragraph.text
    start, end = _trim(text, *_narrow(index, query, text, best.start, best.end))
    extract = text[start:end]
    marks = tuple((f.start, f.end) for f in extract_figures(extract)) if query.wants_figure else ()
    others = [h for h in hits[:3] if h.paragraph.id != best.hit.paragraph.id]
    citations = (citation(best.hit, (start, end)),) + tuple(
        citation(h) for h in dict((h.paragraph.id, h) for h in others).values()
    )
    return Answer(query.asked, query.resolved, extract, marks, True, citations,
                  best.hit.paragraph.period.label, round(confidence, 4))
