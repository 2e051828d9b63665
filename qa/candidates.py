"""Candidate stage: every sentence of the retrieved text that might answer (a long one as its two likeliest clauses).

Each candidate carries the extract it would answer with and a feature vector that carries from report to
report (closeness in meaning, word and character overlap weighted by rarity, figure, unit and measure
fit, period fit, place in the ranking). The learned scorer (qa/scorer.py) turns these into a probability.
"""

from __future__ import annotations

import math
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from qa.chunking import spans
from qa.figures import clean_indicator as _clean_indicator
from qa.figures import figures_in, is_change, is_change_rate, is_percentage, measure_of, starts_from
from qa.index import Index
from qa.lists import asks_for_list
from qa.periods import Period
from qa.query import GENERIC_ASKS, Query, counterpart_sides, strip_period
from qa.retrieval import PERIOD_EXACT, PERIOD_OTHER, PERIOD_OVERLAP, Hit, is_baseline_year, period_fit, tense_fit
from qa.tokens import CJK, QUESTION_WORDS, _jieba, has_cjk, normalize, tokenize

CLAUSE_END = re.compile(r"(?<=[，：])")
LONG_SENTENCE = 60  # characters; a longer sentence is narrowed to its two likeliest clauses
SENTENCE_POOL = 5  # hits whose sentences compete for the answer
RARE_IDF = 2.0  # BM25 idf over chunks: in at most about one chunk in eight
TELLING_UNIT = 0.015  # share of the report's figures: at most this, a unit alone says what is measured
DAY = re.compile(r"\d+\s*[月日号]|[一二三四五六七八九十]+月")
SALUTATION = re.compile(r"^(各位代表|同志们|各位委员)[，：！]?")

# The features, in the order the scorer's weights are stored (qa/data/scorer.json names them too).
FEATURES = (
    "coverage", "coverage_heading", "coverage_extract", "bigrams", "cosine", "closeness", "chunk_cosine",
    "fused", "bm25", "rank", "period_exact", "tense_fit", "asks_met", "has_figure",
    "wants_figure_no_figure", "count_fit", "count_no_figure", "measure_named", "unit_missing", "day_missing",
    "end_level", "front", "short", "list_announce", "log_len", "unknown_topic", "best_cosine", "best_coverage",
    "english", "followup", "year_named", "other_year_named", "sibling_measure", "enumerates", "second_clause",
    "chars_extract", "percent_unasked", "indicator_said", "counterpart_measure", "level_for_change", "unasked_chars",
    "cosine_z", "measure_lead", "period_overlap", "per_capita_unasked",
)
# Features only the answerability model reads: whether the best candidate answers at all, not which one is best
# (a ranker fed "change_unasked", percent_unasked's forerunner, put 农村电商销售收入 above 网络零售额 for "网上卖东西卖了多少钱", eval/RESULTS.md;
# one fed "cosine_z" put short sentences that read close first, 经济总量… before the GDP's figure)
ANSWER_ONLY = ("percent_unasked", "cosine_z")
ENUMERATION = re.compile(r"[^、，。；：]{1,12}、[^、，。；：]{1,12}、")  # three items or more
SENTENCE_END = re.compile(r"[。！？]")
REACHES = re.compile(r"[到至]|达|突破|超过")
# a figure over the plan's years, not its last year's level: "年均超过70万人", "累计106万人"
OVER_YEARS = re.compile(r"年均|累计|平均|合计|五年")
CLAUSE_BREAK = re.compile(r"[，；：。、]")
CJK_RUN_AT_END = re.compile(r"[\u4e00-\u9fff]+$")
CLAUSE_SPLIT = re.compile(r"[，；：。]")
LISTED_SPLIT = re.compile(r"[、和]")
# A clause that opens with its verb, ranking or naming what went before: "，为省内单体最大火电基地", "，位居全国前列"
NO_SUBJECT = re.compile(r"成为|位居|居(?:全国|全省|省会|前列|第)|[为是](?:全国|全省|省内|国内|全球|世界|中国|我国|首个|唯一)")
YEAR_WORD = re.compile(r"(?<!\d)((?:19|20)\d\d)年")


@dataclass(frozen=True)
class Candidate:
    """One possible answer: a sentence of a hit, the extract (its answering clauses) and its features."""

    hit: Hit
    start: int  # the sentence's span within the hit's paragraph
    end: int
    extract: tuple[int, int]  # the answer's span within the paragraph
    features: tuple[float, ...]
    baseline: bool = False  # the one year asked is the one before the plan its sentence reviews: mark where it starts

    @property
    def text(self) -> str:
        return self.hit.paragraph.text[self.extract[0] : self.extract[1]]

    def feature(self, name: str) -> float:
        return self.features[FEATURES.index(name)]


@dataclass(frozen=True)
class Reading:
    """What one extract of a sentence says to one question, whatever rank its chunk has: the extract and the
    features that depend on the words alone. Made ahead, while the question is still being embedded (read_ahead)."""

    extract: tuple[int, int]
    features: tuple[float, ...]  # in FEATURES order; 0 where a feature is not the sentence's alone
    coverage: float
    indicators: tuple[str, ...] = ()  # what its figures measure: measure_lead, once the question's vector is made
    other_time: bool = False  # of another time than the one asked: never a candidate
    baseline: bool = False  # the one year asked is the one before the plan its sentence reviews


@dataclass
class Readings:
    """The sentences one question has read, each as its Readings (one per extract), and the function that reads
    more: made once a question, before its vector (read_ahead), and used again after it (candidates)."""

    read: Callable[[object, int, int], tuple[Reading, ...]]  # (paragraph, sentence start, end) -> its Readings
    done: dict = field(default_factory=dict)  # (paragraph id, sentence start, end) -> its Readings

    def of(self, paragraph, a: int, b: int) -> tuple[Reading, ...]:
        key = (paragraph.id, a, b)
        if key not in self.done:
            self.done[key] = self.read(paragraph, a, b)
        return self.done[key]


def readings_for(index: Index, query: Query) -> Readings:
    return Readings(_reader(index, query))


def candidates(index: Index, query: Query, hits: list[Hit], readings: Readings | None = None,
               vector: np.ndarray | None = None) -> list[Candidate]:
    """Every sentence of the best-ranked hits, a long one as its two likeliest clauses (two candidates), with their
    features. `readings`: the question's readings, some made ahead (read_ahead); the rest are read now and added
    to it. `vector`: the question's, for how near each figure's measure is to it (measure_lead)."""
    readings = readings if readings is not None else readings_for(index, query)
    rows = []
    for rank, hit in enumerate(hits[:SENTENCE_POOL]):
        if answers_nothing(hit.paragraph):
            continue
        offset = hit.chunk.start - hit.paragraph.start
        for number, (a, b) in enumerate(_sentences(hit.chunk.text)):
            cosine = hit.sentence_dense[number] if number < len(hit.sentence_dense) else hit.dense
            rows.append((rank, hit, offset + a, offset + b, cosine))
    if not rows:
        return []
    read = [readings.of(hit.paragraph, a, b) for _, hit, a, b, _ in rows]
    cosines = [r[4] for r in rows]
    low, high = min(cosines), max(cosines)
    top_score = hits[0].score or 1.0
    top_bm25 = max((h.bm25 for h in hits[:SENTENCE_POOL]), default=0.0) or 1.0
    best_coverage = max((sentence[0].coverage for sentence in read if sentence), default=0.0)  # a salutation has none
    nearness = _measure_nearness(index, [r for sentence in read for r in sentence], vector)
    asked = (_unknown_share(index, query), float(not has_cjk(query.asked)), float(query.is_followup), high, best_coverage)
    out = []
    leads = iter(nearness)
    for (rank, hit, a, b, cosine), sentence in zip(rows, read):
        cosine_z = (cosine - hit.dense_mean) / hit.dense_sd if hit.dense_sd else 0.0
        ranked = (cosine, (cosine - low) / (high - low) if high > low else 0.0, hit.dense, hit.score / top_score,
                  hit.bm25 / top_bm25, 1.0 / (rank + 1), cosine_z)
        for reading in sentence:
            lead = next(leads)
            if reading.other_time:  # of another time than asked, as a paragraph of another period is
                continue
            features = list(reading.features)
            for slot, value in zip(_ASKED_SLOTS, asked):
                features[slot] = value
            for slot, value in zip(_RANKED_SLOTS, ranked):
                features[slot] = float(value)
            features[_LEAD_SLOT] = lead
            out.append(Candidate(hit, a, b, reading.extract, tuple(features), reading.baseline))
    return out


_UNSET = dict.fromkeys(FEATURES, 0.0)
# the features not of a sentence alone, set once its rank is known: of the question, and of the ranking
_ASKED_SLOTS = tuple(FEATURES.index(n) for n in ("unknown_topic", "english", "followup", "best_cosine", "best_coverage"))
_RANKED_SLOTS = tuple(FEATURES.index(n) for n in ("cosine", "closeness", "chunk_cosine", "fused", "bm25", "rank",
                                                     "cosine_z"))
_LEAD_SLOT = FEATURES.index("measure_lead")
NO_MEASURE = -0.1  # measure_lead of an extract with no figure's measure known: below the spread of those with one


def _measure_nearness(index: Index, readings: list[Reading], vector: np.ndarray | None) -> list[float]:
    """For each reading, the cosine of the question with the nearest of its figures' measures, less the best
    reading's: "住在城里的人占总人口的比例" is nearer 常住人口城镇化率 than 居民人均可支配收入, though neither says it.
    NO_MEASURE where the reading has no measure the index embedded (or there is no vector: BM25 alone)."""
    known = index.indicator_vectors
    if vector is None or not known:
        return [NO_MEASURE] * len(readings)
    near = [max((float(known[t] @ vector) for t in r.indicators if t in known), default=None) for r in readings]
    top = max((n for n in near if n is not None), default=0.0)
    return [NO_MEASURE if n is None else n - top for n in near]


def answers_nothing(paragraph) -> bool:
    """A report's title: "2026年天津市政府工作报告" answers no question (the byline's rule reads it), nor does a
    front line that repeats it ("政府工作报告") or only salutes ("各位代表：", found by meaning for "thanks for your
    help"), so their sentences are neither candidates nor read ahead."""
    if paragraph.kind == "title":
        return True
    text = paragraph.text.strip()
    return paragraph.kind == "front" and (text.endswith("工作报告") or is_salutation(text))


def is_salutation(piece: str) -> bool:
    """"各位代表" alone: a clause of "各位代表，过去五年成绩的取得，…" that says nothing."""
    return SALUTATION.fullmatch(piece.strip()) is not None


def read_ahead(chunks, readings: Readings, until: float) -> None:
    """Read the sentences of `chunks` ((chunk, paragraph) pairs, likeliest first) into `readings` until the clock
    (time.perf_counter) reaches `until`: the chunks the lexical retrievers rank first, read while the question's
    vector is made."""
    for chunk, paragraph in chunks:
        if answers_nothing(paragraph):
            continue
        offset = chunk.start - paragraph.start
        for a, b in _sentences(chunk.text):
            if time.perf_counter() >= until:  # a sentence read for the first time may take a millisecond
                return
            readings.of(paragraph, offset + a, offset + b)


def _reader(index: Index, query: Query):
    """A function reading one sentence (paragraph, start, end) for this question: what is looked up once a
    question (its weights, bigrams, whether it asks for a list) is looked up here, once."""
    grams = question_bigrams(query)
    wants_list = asks_for_list(query)
    cover = coverer(index, query)
    chars = question_chars(index, query)
    asked_chars = asked_characters(query)
    # the question's own characters: with its bridges' report terms as asked too, the scorer gained less (eval/RESULTS.md)
    resolved_chars = frozenset(CJK.findall(query.resolved))
    sides_asked = asked_sides(query) if query.wants_figure else ()

    def unasked_share(piece: str) -> float:
        own = CJK.findall(piece)
        return (len(own) - sum(map(resolved_chars.__contains__, own))) / len(own) if own else 0.0

    def read(paragraph, a: int, b: int) -> tuple[Reading, ...]:
        text = paragraph.text
        sentence = text[a:b]
        own = paragraph.period.of_sentence(sentence)
        fit = period_fit(own, query.years) if query.years else 1.0
        said = {  # what the whole sentence says: the same for each of its extracts
            "coverage": cover(sentence),
            "coverage_heading": cover(sentence + " " + paragraph.heading),
            "bigrams": bigram_overlap(grams, sentence),
            "tense_fit": float(not query.years and tense_fit(paragraph.period, query.looks_ahead) > 1),
            "asks_met": _asks_met(query, sentence),
            "front": float(paragraph.kind in ("front", "title")),
            "year_named": float(_names_year(query, sentence) or _names_year(query, _opening(text))),
            "other_year_named": float(_names_other_year(query, sentence)),
        }
        extracts = dict.fromkeys(span for span in (_trim(text, *span) for span in _narrow(query, text, a, b, cover))
                                 if not is_salutation(text[span[0] : span[1]]))
        return tuple(read_extract(paragraph, sentence, own, fit, said, extract, second)
                     for second, extract in enumerate(extracts))

    def read_extract(paragraph, sentence: str, own: Period, fit: float, said: dict, extract: tuple[int, int],
                     second: int) -> Reading:
        piece = paragraph.text[extract[0] : extract[1]]
        figures = [f for f in figures_in(sentence) if sentence[f.start : f.end] in piece]
        count_fit = figure_fit(index, query, sentence, figures) if query.wants_count else 1.0
        end_level = _end_level(query, own, sentence, figures)  # the sentence's own time is the year asked
        baseline = bool(query.years) and is_baseline_year(own, query.years)
        start_level = baseline and not query.asks_growth and (any(map(starts_from, figures))
                                                               or f"{query.years[0]}年" in sentence)
        # the share of each figure's measure the question says (indicator_said, per_capita_unasked)
        shares = [said_share(f.indicator, asked_chars) for f in figures] if query.wants_figure else []
        values = dict(_UNSET)  # in FEATURES order; the question's and the ranking's are set later (candidates)
        values.update(said)
        values.update({
            "coverage_extract": cover(piece),
            # a five-year review's "从80户增加到810户" gives the level of the year before its first too
            "period_exact": float(fit == PERIOD_EXACT or end_level or start_level),
            # the sentence's time only overlaps the time asked: "年均增长6%" of 2021-2025 for "去年…增长多少"
            "period_overlap": float(fit == PERIOD_OVERLAP and not (end_level or baseline)),
            "has_figure": float(bool(figures)),
            "wants_figure_no_figure": float(query.wants_figure and not figures),
            "count_fit": count_fit if query.wants_count else 0.0,
            "count_no_figure": float(query.wants_count and not figures),
            "measure_named": float(query.wants_count and any(_measures(query, sentence, f) for f in figures)),
            "unit_missing": float(bool(query.unit) and not any(query.unit in f.unit for f in figures)),
            "day_missing": float(query.asks_day and not DAY.search(piece)),
            "end_level": float(end_level),
            "short": float(len(piece) - ((m := SALUTATION.match(piece)) and m.end() or 0) < 8),  # 各位代表，在此 …
            "list_announce": float(piece.rstrip().endswith("：") or sentence.rstrip().endswith("：")),
            "log_len": math.log1p(len(piece)) / 5,
            "sibling_measure": min((_sibling_measure(index, query, f) for f in figures), default=0.0)
            if query.wants_count else 0.0,
            # "哪几个强省" is answered by "农业强省、制造强省、科教强省…": items named in a row
            "enumerates": float(wants_list and ENUMERATION.search(piece) is not None),
            "second_clause": float(second > 0),
            "chars_extract": chars(piece),
            # "常住人口有多少" is not answered by 增长0.5% nor by 城镇化率达到82%, GDP not by 民营经济增加值占地区生产总值比重
            # 58.5%: every figure a percentage or a rate of change, and neither a change nor a share asked
            "percent_unasked": float(query.wants_figure and not (query.asks_change or query.looks_ahead or query.asks_share)
                                     and bool(figures) and all(is_percentage(f) or is_change_rate(f, sentence) for f in figures)),
            # "2025年地区生产总值是多少" is not answered by 人均地区生产总值达16.7万元: the figures that measure most
            # what is asked are each per head, and no head was asked
            "per_capita_unasked": float(bool(shares) and _per_capita_unasked(query, figures, shares)),
            # "网上卖东西卖了多少钱" names 网络零售额 (through its bridge) more than 农村电商销售收入: the share of the
            # figure's indicator the question says
            "indicator_said": max(shares, default=0.0),
            # "一般公共预算收入是多少" is not answered by 一般公共预算支出2164.2亿元, nor 进口 by 货物出口3693亿元
            "counterpart_measure": _counterpart_measure(sides_asked, figures) if query.wants_figure else 0.0,
            # "进出口增长了多少" is not answered by 进出口总值9356.7亿元: figures, and none a change the extract shows
            "level_for_change": float(query.asks_growth and bool(figures)
                                      and not any(is_change(f, sentence, piece) for f in figures)),
            # "开工建设的新时代重大标志性工程是哪个" is not answered by 新时代重大标志性工程顺利开工, which only echoes it:
            # the share of the extract's characters the question does not have
            "unasked_chars": unasked_share(piece),
        })
        return Reading(extract, tuple(values.values()), values["coverage"],
                       tuple(dict.fromkeys(f.indicator for f in figures if f.indicator)),
                       (fit == PERIOD_OTHER or baseline) and not (end_level or start_level), baseline)

    return read


def asked_sides(query: Query) -> tuple[tuple[tuple[tuple[str, ...], ...], frozenset[int]], ...]:
    """Each counterpart group (qa/data/counterparts.txt) the question names, with the sides it names; once a question."""
    named = ((sides, frozenset(i for i, side in enumerate(sides) if any(w in query.resolved for w in side)))
             for sides in counterpart_sides())
    return tuple((sides, asked) for sides, asked in named if asked)


def _counterpart_measure(sides_asked, figures) -> float:
    """1.0 when every figure's indicator names a counterpart of a word the question names, and not that word
    (`sides_asked`, from asked_sides; 收入 and 支出, 出口 and 进口, 城镇 and 农村 but not 农村 and 乡村)."""
    flagged = [other_side(sides_asked, f.indicator) for f in figures if f.indicator]
    return float(bool(flagged) and all(flagged))


def other_side(sides_asked, indicator: str) -> bool:
    """Whether the indicator names only the other side of a counterpart group the question names (城镇居民 for a
    question about 农村居民)."""
    for sides, asked in sides_asked:
        named = {i for i, side in enumerate(sides) if any(w in indicator for w in side)}
        if named and not asked & named:
            return True
    return False


def _opening(text: str) -> str:
    return SENTENCE_END.split(text, maxsplit=1)[0]


def _names_year(query: Query, text: str) -> bool:
    """The text names the one year asked about: the time of a sentence, not only of its section."""
    return bool(query.years) and query.years[0] == query.years[1] and f"{query.years[0]}年" in text


def _names_other_year(query: Query, text: str) -> bool:
    if not query.years:
        return False
    return any(not query.years[0] <= y <= query.years[1] for y in _years_named(text))


def _end_level(query: Query, period: Period, sentence: str, figures) -> bool:
    """A five-year review's "增加到1.61万亿元" is the level of the plan's last year: it answers that year's level,
    not its change ("2025年收入增长多少" is not answered by 达到41580元). The figure is reached in its own clause: in
    "经济总量连续跨过3个万亿元大关" 3个 reaches nothing, and "年均超过70万人" is no one year's."""
    return bool(query.years and query.years[0] == query.years[1] == period.end and period.kind == "plan_review"
                and not query.asks_growth and any(_reached(f, sentence) for f in figures))


def _reached(figure, sentence: str) -> bool:
    """A level the sentence says was reached ("达3.6万亿元", "从…增长到…4.93万亿元"), not a change nor a figure
    over several years."""
    clause = CLAUSE_BREAK.split(sentence[: figure.start])[-1]
    return (not is_change_rate(figure, sentence) and REACHES.search(clause) is not None
            and OVER_YEARS.search(clause) is None)


def _unknown_share(index: Index, query: Query) -> float:
    """Share of the question's topic (by rarity) that the index has never seen: "美国总统" in a work report."""
    words = [t for t in query.topic if has_cjk(t) or t.isascii() and t.isalpha()]
    if not words:
        return 0.0
    vocab = index.bm25.vocab_dict
    known_bridged = bool(query.bridged) and any(t in vocab for t in query.bridged)
    unknown = [t for t in words if t not in vocab and not (known_bridged and t.isascii())]
    return len(unknown) / len(words)


def question_chars(index: Index, query: Query):
    """The share of the question's topic characters (weighted by their rarity among the report's paragraphs) that
    a text has, as a function of the text: a paraphrase keeps characters where it loses words (税费 -> 减税降费,
    升降梯 -> 电梯). Characters the report never uses cannot tell its texts apart and do not count."""
    rarity = _kept_on(index, "_char_idf", "paragraphs", lambda: _char_idf(index), bound=1)
    weights = tuple((ch, rarity[ch]) for ch in query.topic_chars if ch in rarity)
    total = sum(w for _, w in weights)

    def share(text: str) -> float:
        return sum(w for ch, w in weights if ch in text) / total if total else 0.0

    return share


def _char_idf(index: Index) -> dict[str, float]:
    counts = Counter(ch for paragraph in index.paragraphs.values() for ch in set(paragraph.text))
    n = len(index.paragraphs)
    return {ch: math.log(1 + n / c) for ch, c in counts.items()}


@lru_cache(maxsize=256)
def question_bigrams(query: Query) -> frozenset[str]:
    """The question's character bigrams (topic part, and bridged terms): once a question, not once a candidate."""
    asked = normalize(strip_period(query.resolved)) + " " + " ".join(query.bridged)
    grams = {asked[i : i + 2] for i in range(len(asked) - 1) if has_cjk(asked[i : i + 2]) and " " not in asked[i : i + 2]}
    return frozenset(grams - _QUESTION_BIGRAMS)


def bigram_overlap(grams: frozenset[str], text: str) -> float:
    """Share of the question's bigrams found in the text."""
    return len(grams & _bigrams_of(text)) / len(grams) if grams else 0.0


@lru_cache(maxsize=16384)
def _bigrams_of(text: str) -> frozenset[str]:
    return frozenset(text[i : i + 2] for i in range(len(text) - 1))


_QUESTION_BIGRAMS = frozenset({"多少", "哪些", "什么", "怎么", "是多", "少个", "有多", "了多", "几个", "哪个", "如何", "是否",
                               "请问", "报告", "政府", "工作"})


def idf(index: Index, token: str) -> float:
    """BM25's idf of a token over the indexed chunks (0 for a token the index does not know)."""
    return index.token_idf.get(token, 0.0)


def coverer(index: Index, query: Query):
    """The share of the question's topic (weighted by rarity) that a text says, as a function of the text: the
    weights are looked up once a question, not once a text (its candidates ask about a hundred times).

    Topic words the index has never seen count fully against it: "房价" in a report that never
    mentions it leaves the question uncovered. Where vocabulary bridges apply ("网上卖东西" ->
    网络零售), the report's own terms may cover the question instead of its everyday words.
    """
    bridge_sets = query.bridge_sets
    weight, total = _weights(index, query.topic)
    # each topic word, its weight, and the report terms saying it: a topic word said by a glossary word (gdp,
    # 网上卖东西) is also said by any of that word's report terms. Looked up once, as a text is covered ~100 times
    items = tuple((t, w, tuple(term for key, terms in zip(query.bridge_keys, bridge_sets) if t.lower() in key for term in terms))
                  for t, w in weight.items())

    def cover(text: str) -> float:
        if not total:  # an English question: only its bridges (GDP -> 地区生产总值 / 经济总量 …) can be found
            return sum(any(term in text for term in terms) for terms in bridge_sets) / len(bridge_sets) if bridge_sets else 0.0
        present = _tokens_of(text)
        return sum(w for t, w, terms in items if t in present or terms and any(term in text for term in terms)) / total

    return cover


@lru_cache(maxsize=4096)
def _sentences(text: str) -> tuple[tuple[int, int], ...]:
    """A chunk's sentence spans: chunks recur from question to question."""
    return tuple(spans(text))


@lru_cache(maxsize=4096)
def _clauses(text: str) -> tuple[tuple[int, int], ...]:
    return tuple(spans(text, CLAUSE_END))


@lru_cache(maxsize=16384)
def _years_named(text: str) -> tuple[int, ...]:
    return tuple(int(y) for y in YEAR_WORD.findall(text))


@lru_cache(maxsize=16384)
def _tokens_of(text: str) -> frozenset[str]:
    """Report sentences recur from question to question: jieba once per sentence, not per ask."""
    return frozenset(tokenize(text))


def _weights(index: Index, words: tuple[str, ...]) -> tuple[dict[str, float], float]:
    """Each countable topic word's idf weight, and their sum: the same for every candidate of a question,
    so kept on the index (a few hundred questions' worth) instead of recomputed per candidate."""
    def make() -> tuple[dict[str, float], float]:
        kept = [t for t in words if has_cjk(t) or any(ch.isdigit() for ch in t)]
        weight = {t: idf(index, t) or max_idf(index) for t in kept}
        return weight, sum(weight.values())

    return _kept_on(index, "_topic_weights", words, make, bound=1024)


def _kept_on(index: Index, name: str, key, make, bound: int):
    """make(), kept on the index under `name` and `key` (an index's reports do not change under it); the store is
    emptied past `bound` entries, so a long-running app does not grow without end."""
    store = index.kept(name, dict)
    if key not in store:
        if len(store) > bound:
            store.clear()
        store[key] = make()
    return store[key]


def max_idf(index: Index) -> float:
    n = len(index.chunks)
    return math.log(1 + (n - 0.5) / 1.5)


def _has_figure(text: str) -> bool:
    return bool(figures_in(text))


def _measures_asked(query: Query, sentence: str) -> bool:
    """A figure of the sentence measures what the question names (the figures table's indicator)."""
    return any(_measures(query, sentence, f) for f in figures_in(sentence))


def _asks_met(query: Query, text: str) -> float:
    """Share of the asked kinds of value (增长, 目标…) the text speaks of."""
    return sum(a in text for a in query.asks) / len(query.asks) if query.asks else 0.0


def _narrow(query: Query, text: str, start: int, end: int, cover) -> tuple[tuple[int, int], ...]:
    """Within a long sentence, the clause that best covers the question (and its figure), and the runner-up
    clause, for the scorer to choose between; `cover` is the question's `coverer`."""
    if end - start <= LONG_SENTENCE:
        return ((start, end),)
    clauses = [(start + a, start + b) for a, b in _clauses(text[start:end])]
    if len(clauses) <= 1:
        return ((start, end),)

    def clause_score(i: int) -> float:
        a, b = clauses[i]
        piece = text[a:b]
        figure = 0.15 if query.wants_figure and _has_figure(piece) else 0
        measure = 0.2 if query.wants_count and _measures_asked(query, piece) else 0
        return cover(piece) + 0.2 * _asks_met(query, piece) + figure + measure - 0.001 * i

    ranked = sorted(range(len(clauses)), key=clause_score, reverse=True)
    return tuple(_widen(query, text, clauses, best, end) for best in ranked[:2])


def _widen(query: Query, text: str, clauses: list[tuple[int, int]], best: int, end: int) -> tuple[int, int]:
    a, b = clauses[best]
    if query.wants_figure and not _has_figure(text[a:b]) and best + 1 < len(clauses):
        b = clauses[best + 1][1]  # "全年地区生产总值，" then "增长3.9%": take the figure that follows
    if text[a:b].rstrip().endswith("：") and best + 1 < len(clauses):
        b = end  # "办成了一系列大事要事：" announces what follows: the list is the answer
    if best and NO_SUBJECT.match(text[a:b]):
        a = clauses[best - 1][0]  # "…电厂建成投产，为省内单体最大火电基地": the clause before names what it is
    elif best and _says_more(query, text[clauses[best - 1][0] : clauses[best - 1][1]], text[a:b]):
        a = clauses[best - 1][0]  # "以城西科创大走廊为主平台，争创综合性国家科学中心": the asked 主平台 is before
    return a, b


def _says_more(query: Query, before: str, clause: str) -> bool:
    """The clause before names a topic word of the question that the chosen clause lacks."""
    have, earlier = _tokens_of(clause), _tokens_of(before)
    return any(t in earlier and t not in have for t in query.topic if has_cjk(t))


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while end > start and text[end - 1] in "，；：、。 ":
        end -= 1
    return start, end


def figure_fit(index: Index, query: Query, sentence: str, figures) -> float:
    """1.0 when one of the extract's figures (`figures`, of `sentence`) measures what is asked, in the unit asked;
    less otherwise.

    Chinese noun phrases are head-final, so the last word of a figure's indicator says what it
    measures: "户籍人口预期寿命82.95岁" measures 寿命, and does not answer "户籍人口有多少".
    A unit that few of the report's figures carry (岁, 天) names the measure as well as a word does.
    A rate of change ("增长3.9%") does not answer a question about a level ("总量是多少").
    The factors are features for the scorer, not thresholds.
    """
    if not figures:
        return 0.0
    fit = 1.0
    named = [f for f in figures if _measures(query, sentence, f) or _telling_unit(index, query, f)]
    # a target is often a growth rate ("目标是多少" -> "增长7%"); a result asked as a level is not
    measured = [f for f in named if query.asks_change or query.looks_ahead or not is_change_rate(f, sentence)]
    if all(_sibling_measure(index, query, f) for f in measured):
        fit *= 0.4
    if named and not measured:
        fit *= 0.5
    if query.unit and not any(query.unit in f.unit for f in figures):
        fit *= 0.5
    return fit


def _sibling_measure(index: Index, query: Query, figure) -> float:
    """How surely the figure measures a sibling of what is asked (below); once per question and indicator."""
    return _kept_on(index, "_siblings", (query.resolved, query.bridged, figure.indicator),
                    lambda: _is_sibling_measure(index, query, figure), bound=16384)


def _is_sibling_measure(index: Index, query: Query, figure) -> float:
    """The figure and the question each narrow the same measure in their own way (货物出口 vs
    服务外包出口额, 臭氧浓度 vs PM2.5年均浓度): the figure has a rare modifier the question does not use,
    the question has rare words of its own just before the measure, and they share none. 1.0 when the report
    itself names the question's measure (服务外包出口), 0.5 when it does not; 0.0 otherwise."""
    head, modifier = _split_indicator(figure.indicator)
    if not modifier or len(head) < 2:  # a head of one character (出清 -> 清) is a split, not a measure
        return 0.0
    figure_modifiers = _modifiers(index, modifier, unknown=False)
    at = query.resolved.find(head)
    run = CJK_RUN_AT_END.search(query.resolved[:at]) if at > 0 else None
    asked_modifiers = _modifiers(index, strip_period(run.group()), unknown=True) if run else set()
    wording = query.resolved + " " + " ".join(query.bridged)
    if not asked_modifiers or asked_modifiers & figure_modifiers or all(w in wording for w in figure_modifiers):
        return 0.0
    # a measure the report names (服务外包出口) is another measure; words it never puts before the head (住房 for
    # 适老化改造, 新修 for 新改建) may be everyday words for the figure's own: a sign for the scorer, not a veto
    return 1.0 if any(in_text(index, w + head) for w in asked_modifiers) else 0.5


def in_text(index: Index, word: str) -> bool:
    """Whether the reports' text has the word anywhere (外包 inside 服务外包, which BM25 keeps whole)."""
    return _kept_on(index, "_in_text", word, lambda: any(word in p.text for p in index.paragraphs.values()), bound=16384)


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


@lru_cache(maxsize=16384)
def _measures(query: Query, sentence: str, figure) -> bool:
    """The question names what the figure measures: the head word of its indicator, or of any
    indicator listed before it with 、 or 和 ("一般性支出、“三公”经费、培训费和会议费均压减10%" measures all four)."""
    if not figure.indicator:
        return False
    clause = CLAUSE_SPLIT.split(sentence[: figure.start])[-1]
    listed = [_clean_indicator(p) for p in LISTED_SPLIT.split(clause)[:-1]]
    asked, words = _asked_terms(query)
    for head in {_head(i) for i in [figure.indicator, *listed] if i}:
        if head in words or (len(head) > 1 and head in asked):
            return True
    return False


def asked_characters(query: Query) -> frozenset[str]:
    """The characters of the question and of its bridges' report terms: what `said_share` reads a measure against."""
    return frozenset(CJK.findall(_asked_terms(query)[0]))


PER_HEAD = re.compile(r"人均|平均每|每人|每个人|per capita|per person|per head", re.IGNORECASE)


def _per_capita_unasked(query: Query, figures, shares: list[float]) -> bool:
    """The figures whose measure the question says most (`shares`: said_share of each) are each per head
    (人均地区生产总值), and the question (with its bridges: "老百姓收入" is 居民人均可支配收入) asks nothing per head."""
    if PER_HEAD.search(_asked_terms(query)[0]):
        return False
    best = max(shares)
    return all("人均" in f.indicator for f, share in zip(figures, shares) if share == best)


def said_share(indicator: str, asked: frozenset[str]) -> float:
    """The share of a figure's measure (its indicator) that the question says, by characters (`asked_characters`)."""
    own = CJK.findall(indicator)
    return sum(ch in asked for ch in own) / len(own) if own else 0.0


@lru_cache(maxsize=256)
def _asked_terms(query: Query) -> tuple[str, frozenset[str]]:
    """The question's words and its bridges' terms, as text and as a set: the same for every figure it is matched to."""
    return query.resolved + " " + " ".join(query.bridged), frozenset(query.tokens) | frozenset(query.bridged)


@lru_cache(maxsize=16384)
def _head(indicator: str) -> str:
    words = [w for w in _jieba().lcut(indicator) if w.strip()]
    return words[-1] if words else indicator
