"""Answer stage: pick the sentence (or clause) of the retrieved text that answers, mark its figures, cite.

Extractive only: every character of an answer is copied from its first citation's paragraph.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import lru_cache

from qa.chunking import spans
from qa.figures import clean_indicator as _clean_indicator
from qa.figures import extract_figures, is_change_rate, measure_of
from qa.index import Index
from qa.query import GENERIC_ASKS, Query, strip_period
from qa.retrieval import PERIOD_EXACT, Hit, period_fit, tense_fit
from qa.source import Paragraph
from qa.tokens import QUESTION_WORDS, _jieba, has_cjk, tokenize

CLAUSE_END = re.compile(r"(?<=[，：])")
LONG_SENTENCE = 60  # characters; longer sentences are narrowed to the clauses that answer
SENTENCE_POOL = 4  # hits whose sentences compete for the answer
SENTENCE_MEANING = 0.5  # weight of the question-sentence cosine against word coverage
MEASURE_MATCH = 0.2  # bonus when a figure's indicator names what a "how much" question asks
# Calibrated on eval/qa.jsonl by eval/calibrate.py (see eval/RESULTS.md): an answer stands when its
# sentence covers enough of the question, or is very close in meaning and covers some of it.
MIN_COVERAGE = 0.40
MIN_COSINE = 0.80
# Discounts on confidence when a question asks for a number (see figure_fit).
NO_FIGURE, OTHER_MEASURE, OTHER_UNIT = 0.0, 0.4, 0.5  # without a figure, no answer to "how much"
CHANGE_FOR_LEVEL = 0.5
RARE_IDF = 2.0  # BM25 idf over chunks: in at most about one chunk in eight
TELLING_UNIT = 0.015  # share of the report's figures: at most this, a unit alone says what is measured
NOT_FOUND = "报告中没有找到"
DAY = re.compile(r"\d+\s*[月日号]|[一二三四五六七八九十]+月")


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
    confidence: float = 0.0  # topic coverage of the answering sentence, after figure discounts
    closeness: float = 0.0  # cosine of the question with the answering sentence
    figures_fit: bool = True  # the figures found measure what a "how much" question asks

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
    cosine: float


def idf(index: Index, token: str) -> float:
    """BM25's idf of a token over the indexed chunks (0 for a token the index does not know)."""
    return index.token_idf.get(token, 0.0)


def coverage(index: Index, query: Query, text: str) -> float:
    """Share of the question's topic (weighted by rarity) that appears in `text`.

    Topic words the index has never seen count fully against it: "房价" in a report that never
    mentions it leaves the question uncovered. Where vocabulary bridges apply ("网上卖东西" ->
    网络零售), the report's own terms may cover the question instead of its everyday words.
    """
    present = _tokens_of(text)
    return max(_covered(index, query.topic, present), _covered(index, query.bridged, present) if query.bridged else 0.0)


@lru_cache(maxsize=16384)
def _figures_of(text: str) -> tuple:
    """Each candidate sentence is read for figures up to three times per ask (choose, narrow, vet)."""
    return tuple(extract_figures(text))


@lru_cache(maxsize=16384)
def _tokens_of(text: str) -> frozenset[str]:
    """Report sentences recur from question to question: jieba once per sentence, not per ask."""
    return frozenset(tokenize(text))


def _covered(index: Index, words: tuple[str, ...], present: frozenset[str]) -> float:
    words = [t for t in words if has_cjk(t) or any(ch.isdigit() for ch in t)]
    if not words:
        return 0.0
    weight = {t: idf(index, t) or max_idf(index) for t in words}
    return sum(w for t, w in weight.items() if t in present) / sum(weight.values())


def max_idf(index: Index) -> float:
    n = len(index.chunks)
    return math.log(1 + (n - 0.5) / 1.5)


def _has_figure(text: str) -> bool:
    return bool(_figures_of(text))


def _best_sentence(index: Index, query: Query, hits: list[Hit]) -> _Candidate | None:
    """The sentence that best covers the topic and is closest in meaning to the question,
    in a well-ranked chunk of the asked period."""
    candidates = []
    for hit in hits[:SENTENCE_POOL]:
        exact_period = (period_fit(hit.paragraph.period, query.years) == PERIOD_EXACT if query.years
                        else tense_fit(hit.paragraph.period, query.looks_ahead) > 1)
        for number, (start, end) in enumerate(spans(hit.chunk.text)):
            sentence = hit.chunk.text[start:end]
            cosine = hit.sentence_dense[number] if number < len(hit.sentence_dense) else hit.dense
            candidates.append((hit, start, end, coverage(index, query, sentence), cosine, exact_period, sentence))
    if not candidates:
        return None
    top_score = hits[0].score
    cosines = [c[4] for c in candidates]
    low, high = min(cosines), max(cosines)
    best = None
    for hit, start, end, cov, cosine, exact_period, sentence in candidates:
        closeness = (cosine - low) / (high - low) if high > low else 0.0
        score = (cov + SENTENCE_MEANING * closeness + 0.4 * hit.score / top_score + 0.25 * exact_period
                 + 0.25 * _asks_met(query, sentence) + (0.15 if query.wants_figure and _has_figure(sentence) else 0)
                 + (MEASURE_MATCH if query.wants_count and _measures_asked(query, sentence) else 0))
        if best is None or score > best.score:
            offset = hit.chunk.start - hit.paragraph.start
            best = _Candidate(hit, offset + start, offset + end, score, cov, cosine)
    return best


def _measures_asked(query: Query, sentence: str) -> bool:
    """A figure of the sentence measures what the question names (the figures table's indicator)."""
    return any(_measures(query, sentence, f) for f in _figures_of(sentence))


def _asks_met(query: Query, text: str) -> float:
    """Share of the asked kinds of value (增长, 目标…) the text speaks of."""
    return sum(a in text for a in query.asks) / len(query.asks) if query.asks else 0.0


def _narrow(index: Index, query: Query, text: str, start: int, end: int) -> tuple[int, int]:
    """Within a long sentence, keep the clause that best covers the question (and its figure)."""
    if end - start <= LONG_SENTENCE:
        return start, end
    clauses = [(start + a, start + b) for a, b in spans(text[start:end], CLAUSE_END)]
    if len(clauses) <= 1:
        return start, end

    def clause_score(i: int) -> float:
        a, b = clauses[i]
        piece = text[a:b]
        figure = 0.15 if query.wants_figure and _has_figure(piece) else 0
        measure = MEASURE_MATCH if query.wants_count and _measures_asked(query, piece) else 0
        return coverage(index, query, piece) + 0.2 * _asks_met(query, piece) + figure + measure - 0.001 * i

    best = max(range(len(clauses)), key=clause_score)
    a, b = clauses[best]
    if query.wants_figure and not _has_figure(text[a:b]) and best + 1 < len(clauses):
        b = clauses[best + 1][1]  # "全年地区生产总值，" then "增长3.9%": take the figure that follows
    if text[a:b].rstrip().endswith("：") and best + 1 < len(clauses):
        b = end  # "办成了一系列大事要事：" announces what follows: the list is the answer
    return a, b


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while end > start and text[end - 1] in "，；：、。 ":
        end -= 1
    return start, end


def confidence_of(index: Index, query: Query, best: _Candidate, extract: str) -> tuple[float, bool]:
    """How surely the extract answers: topic coverage of the answering sentence and its headings,
    discounted when a question asking for a number gets no figure of the kind it asks for; none when
    a question asking for a date gets no month or day.
    Also whether the extract's figures fit the question (always, for questions not asking a number)."""
    if query.asks_day and not DAY.search(extract):
        return 0.0, False
    sentence = best.hit.paragraph.text[best.start : best.end]
    confidence = coverage(index, query, sentence + " " + best.hit.paragraph.heading)
    fit = figure_fit(index, query, sentence, extract) if query.wants_count else 1.0
    return confidence * fit, fit == 1.0


def answers_question(confidence: float, cosine: float, figures_fit: bool) -> bool:
    """Closeness in meaning can vouch for a loosely worded question, never for a figure of another measure."""
    return confidence >= MIN_COVERAGE or (figures_fit and cosine >= MIN_COSINE)


def figure_fit(index: Index, query: Query, sentence: str, extract: str) -> float:
    """1.0 when a figure in the extract measures what is asked, in the unit asked; less otherwise.

    Chinese noun phrases are head-final, so the last word of a figure's indicator says what it
    measures: "户籍人口预期寿命82.95岁" measures 寿命, and does not answer "户籍人口有多少".
    A unit that few of the report's figures carry (岁, 天) names the measure as well as a word does.
    A rate of change ("增长3.9%") does not answer a question about a level ("总量是多少").
    """
    figures = [f for f in _figures_of(sentence) if sentence[f.start : f.end] in extract]
    if not figures:
        return NO_FIGURE
    fit = 1.0
    named = [f for f in figures if _measures(query, sentence, f) or _telling_unit(index, query, f)]
    # a target is often a growth rate ("目标是多少" -> "增长7%"); a result asked as a level is not
    measured = [f for f in named if query.asks_change or query.looks_ahead or not is_change_rate(f, sentence)]
    if all(_sibling_measure(index, query, f) for f in measured):
        fit *= OTHER_MEASURE
    if named and not measured:
        fit *= CHANGE_FOR_LEVEL  # the measure asked, but its growth: no topic coverage makes up for that
    if query.unit and not any(query.unit in f.unit for f in figures):
        fit *= OTHER_UNIT
    return fit


def _sibling_measure(index: Index, query: Query, figure) -> bool:
    """The figure and the question each narrow the same measure in their own way (货物出口 vs
    服务外包出口额, 臭氧浓度 vs PM2.5年均浓度): the figure has a rare modifier the question does not use,
    the question has rare words of its own just before the measure, and they share none."""
    head, modifier = _split_indicator(figure.indicator)
    if not modifier:
        return False
    figure_modifiers = _modifiers(index, modifier, unknown=False)
    at = query.resolved.find(head)
    run = re.search(r"[\u4e00-\u9fff]+$", query.resolved[:at]) if at > 0 else None
    asked_modifiers = _modifiers(index, strip_period(run.group()), unknown=True) if run else set()
    wording = query.resolved + " " + " ".join(query.bridged)
    return (bool(asked_modifiers) and not asked_modifiers & figure_modifiers
            and any(w not in wording for w in figure_modifiers))


@lru_cache(maxsize=16384)
def _split_indicator(indicator: str) -> tuple[str, str]:
    """(head, modifier): "货物出口" -> ("出口", "货物"); one dictionary word is split at its longest
    word-suffix: "臭氧浓度" -> ("浓度", "臭氧")."""
    words = [w for w in _jieba().lcut(indicator) if w.strip()]
    if len(words) > 1:
        return words[-1], "".join(words[:-1])
    suffixes = [w for w in _jieba().lcut_for_search(indicator) if w != indicator and len(w) > 1 and indicator.endswith(w)]
    if not suffixes:
        return indicator, ""
    head = max(suffixes, key=len)
    return head, indicator[: -len(head)]


def _modifiers(index: Index, text: str, unknown: bool) -> set[str]:
    """Words of `text` that the report uses rarely (or, with `unknown`, never): what tells one kind of
    a measure from another. Runs of single characters are rejoined, as jieba splits a word it does
    not know into characters (外包 -> 外, 包)."""
    words = _modifier_words(text)
    return {w for w in words if has_cjk(w) and len(w) > 1 and w not in QUESTION_WORDS and w not in GENERIC_ASKS
            and (idf(index, w) or (max_idf(index) if unknown else 0)) >= RARE_IDF}


@lru_cache(maxsize=16384)
def _modifier_words(text: str) -> tuple[str, ...]:
    """jieba's words of `text` and their sub-words; a run of single characters becomes one word."""
    words: list[str] = []
    run = ""
    for w in _jieba().lcut(text):
        if len(w) == 1 and has_cjk(w) and w not in QUESTION_WORDS:  # 了, 的, 多 end a run, never join it
            run += w
            continue
        if run:
            words.append(run)
            run = ""
        words.append(w)
    if run:
        words.append(run)
    words += [sub for w in words for sub in _jieba().lcut_for_search(w) if sub != w]
    return tuple(words)


def _telling_unit(index: Index, query: Query, figure) -> bool:
    measure = measure_of(figure.unit)
    return bool(query.unit) and query.unit == measure and index.unit_shares.get(measure, 0.0) <= TELLING_UNIT


def _measures(query: Query, sentence: str, figure) -> bool:
    """The question names what the figure measures: the head word of its indicator, or of any
    indicator listed before it with 、 or 和 ("一般性支出、“三公”经费、培训费和会议费均压减10%" measures all four)."""
    if not figure.indicator:
        return False
    clause = re.split(r"[，；：。]", sentence[: figure.start])[-1]
    listed = [_clean_indicator(p) for p in re.split(r"[、和]", clause)[:-1]]
    asked = query.resolved + " " + " ".join(query.bridged)
    words = set(query.tokens) | set(query.bridged)
    for head in {_head(i) for i in [figure.indicator, *listed] if i}:
        if head in words or (len(head) > 1 and head in asked):
            return True
    return False


@lru_cache(maxsize=16384)
def _head(indicator: str) -> str:
    words = [w for w in _jieba().lcut(indicator) if w.strip()]
    return words[-1] if words else indicator


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
                          and p.text.strip("（）() ") == field), None)
        if paragraph is not None:
            cited = _cite(paragraph, (0, len(paragraph.text)), 1.0)
            return Answer(query.asked, query.resolved, paragraph.text, (), True, (cited,), paragraph.period.label,
                          confidence=1.0, closeness=1.0)
    return None


def one_per_paragraph(hits: list[Hit]) -> list[Hit]:
    """The best-ranked hit of each paragraph, in rank order."""
    best: dict[str, Hit] = {}
    for hit in hits:
        best.setdefault(hit.paragraph.id, hit)
    return list(best.values())


def answer(index: Index, query: Query, hits: list[Hit], require_confidence: bool = True) -> Answer:
    """The best extract from the hits, or an honest "not found" (never, when not `require_confidence`)."""
    best = _best_sentence(index, query, hits)
    if best is None:
        return not_found(query, hits)
    text = best.hit.paragraph.text
    start, end = _trim(text, *_narrow(index, query, text, best.start, best.end))
    confidence, figures_fit = confidence_of(index, query, best, text[start:end])
    signals = {"confidence": round(confidence, 4), "closeness": round(best.cosine, 4), "figures_fit": figures_fit}
    if require_confidence and not answers_question(confidence, best.cosine, figures_fit):
        return not_found(query, hits, **signals)
    extract = text[start:end]
    marks = tuple((f.start, f.end) for f in extract_figures(extract)) if query.wants_figure else ()
    others = [h for h in one_per_paragraph(hits[:3]) if h.paragraph.id != best.hit.paragraph.id]
    citations = (citation(best.hit, (start, end)),) + tuple(citation(h) for h in others)
    return Answer(query.asked, query.resolved, extract, marks, True, citations,
                  best.hit.paragraph.period.label, **signals)
