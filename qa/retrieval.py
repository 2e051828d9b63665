"""Retrieval stage: dense (FAISS) and BM25 scores fused by a weighted sum of normalized scores, then period-aware.

Scores, not ranks, are fused: when BM25 finds one chunk far ahead of the rest (the exact indicator
name), reciprocal-rank fusion would throw that margin away.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from qa.chunking import Chunk
from qa.index import Index
from qa.periods import Period
from qa.query import Query
from qa.source import Paragraph

CANDIDATES = 50  # from each ranking
# How much each retriever is trusted, in every language. BM25 reads an English question only through
# the vocabulary bridges: when none applies its scores are all zero and dense leads by itself; when
# one does, the report's own terms are as telling as in a Chinese question (eval: English recall@1
# 0.58 -> 1.0 at equal weights with the wider glossary; BM25 had 0.35 for English before).
DENSE_WEIGHT, BM25_WEIGHT = 1.0, 1.0
# A third retriever, as trusted: the share of the question's characters a chunk has, weighted by their rarity. It
# reaches paraphrases that share characters but no word with the report (dev recall@5 0.966 -> 0.983; paraphrase
# 0.883 -> 0.942).
CHAR_WEIGHT = 1.0
# Multipliers on the fused score by how a paragraph's period meets the period asked about.
PERIOD_EXACT, PERIOD_OVERLAP, PERIOD_OTHER = 1.6, 1.1, 0.6
# With no year asked, a tie-breaker: plans for a question about targets, results otherwise.
TENSE_FIT = 1.1
AHEAD_KINDS, DONE_KINDS = ("plan_ahead", "year_ahead"), ("year_review", "plan_review")


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk, its paragraph, and why it ranked where it did."""

    chunk: Chunk
    paragraph: Paragraph
    score: float
    dense: float  # cosine similarity, 0 when not among the dense candidates
    bm25: float
    sentence_dense: tuple[float, ...] = ()  # cosine of the question with each sentence of the chunk
    # the mean and spread of the dense candidates' cosines: how far a sentence stands out from the report's best
    # matches, on the question's own scale (the band cosines crowd into moves from question to question)
    dense_mean: float = 0.0
    dense_sd: float = 0.0


def period_fit(period: Period, years: tuple[int, int] | None) -> float:
    """Multiplier for a paragraph's period against the asked years (1.0 when either is unknown)."""
    if years is None or period.start is None:
        return 1.0
    start, end = years
    if (period.start, period.end) == (start, end) or (start == end and period.kind == "plan_ahead" and period.end == end):
        return PERIOD_EXACT  # "到2025年" asks for the five-year plan's end point
    return PERIOD_OVERLAP if period.overlaps(start, end) or is_baseline_year(period, years) else PERIOD_OTHER


def is_baseline_year(period: Period, years: tuple[int, int]) -> bool:
    """The one year asked is the year before a reviewed plan's first: the review gives its levels as where the plan
    started ("从1.38亿件增加到5.66亿件", "五年前是多少")."""
    return period.kind == "plan_review" and years[0] == years[1] == period.start - 1


def tense_fit(period: Period, looks_ahead: bool) -> float:
    """Multiplier for a paragraph's period when the question names no year."""
    return TENSE_FIT if period.kind in (AHEAD_KINDS if looks_ahead else DONE_KINDS) else 1.0


def covered_years(index: Index) -> frozenset[int]:
    """Years the report speaks of as such: reviewed or planned years, and the end year of a plan. A work report of
    year Y always reviews Y-1 and plans Y, even where its headings do not say so."""
    return index.kept("covered_years", lambda: frozenset(_covered_years(index)))


def _covered_years(index: Index) -> set[int]:
    years = {y for d in index.documents if isinstance(d.get("year"), int) for y in (d["year"] - 1, d["year"])}
    for paragraph in index.paragraphs.values():
        if paragraph.period.start is not None:
            years.update({paragraph.period.end, paragraph.period.start} if paragraph.period.kind != "plan_review"
                         else {paragraph.period.end, paragraph.period.start - 1})  # its end level, and where it began
    return years


def reviewed_years(index: Index) -> frozenset[int]:
    """Years whose results the report gives: the year reviewed (Y-1 for a report of year Y) and the years of a plan
    reviewed."""
    return index.kept("reviewed_years", lambda: frozenset(_reviewed_years(index)))


def _reviewed_years(index: Index) -> set[int]:
    return {d["year"] - 1 for d in index.documents if isinstance(d.get("year"), int)} | {
        year for p in index.paragraphs.values() if p.period.kind in DONE_KINDS for year in range(p.period.start, p.period.end + 1)}


def lexical_scores(index: Index, query: Query) -> np.ndarray:
    """BM25 score of every chunk for the question's tokens."""
    return index.bm25_scores(list(query.tokens))


def character_scores(index: Index, query: Query) -> np.ndarray | None:
    """Each chunk's share of the question's topic characters, each weighted by its rarity among the chunks (None
    when the index has none of them)."""
    rows = index.char_rows
    asked = [ch for ch in query.topic_chars if ch in rows]
    if not asked:
        return None
    scores, total = np.zeros(len(index.chunks)), 0.0
    for ch in asked:
        weight = math.log(1 + len(index.chunks) / len(rows[ch]))
        scores[rows[ch]] += weight
        total += weight
    return scores / total


@dataclass(frozen=True)
class Lexical:
    """What retrieval knows of a question before its vector: BM25's scores, the lexical retrievers' part of
    every chunk's fused score (BM25's, and in hybrid mode character overlap's), and in hybrid mode how well each
    period fits the question (`fits`, by the index's chunk_periods; the factor a chunk's fused score is weighed by)."""

    bm25: np.ndarray
    fused: np.ndarray
    fits: np.ndarray | None = None  # by period
    of_chunk: np.ndarray | None = None  # each chunk's period

    def fit(self, rows: np.ndarray) -> np.ndarray:
        return self.fits[self.of_chunk[rows]] if self.fits is not None else np.ones(len(rows))

    def likeliest(self, count: int) -> np.ndarray:
        """The `count` chunks whose fused score can reach highest once the dense part (at most DENSE_WEIGHT) is
        added, best first: by lexical scores alone, chunks of other years came first, which the period fit sinks."""
        rows = np.flatnonzero(self.fused)
        bound = (self.fused[rows] + DENSE_WEIGHT) * self.fit(rows)
        return rows[np.lexsort((rows, -bound))][:count]


def lexical(index: Index, query: Query, mode: str = "hybrid") -> Lexical:
    """The question's lexical scores: made while its vector is still being made."""
    n = len(index.chunks)
    bm25 = lexical_scores(index, query) if mode in ("hybrid", "bm25") else np.zeros(n)
    fused = np.zeros(n, dtype=np.float64)
    if len(top := top_rows(bm25, CANDIDATES)):
        fused[top] += BM25_WEIGHT * bm25[top] / bm25[top[0]]
    if mode == "hybrid" and (chars := character_scores(index, query)) is not None and len(top := top_rows(chars, CANDIDATES)):
        low, high = float(chars[top].min()), float(chars[top].max())
        fused[top] += CHAR_WEIGHT * ((chars[top] - low) / (high - low) if high > low else np.ones(len(top)))
    if mode != "hybrid":
        return Lexical(bm25, fused)
    periods, of_chunk = index.chunk_periods
    fits = np.array([period_fit(p, query.years) if query.years else tense_fit(p, query.looks_ahead) for p in periods])
    return Lexical(bm25, fused, fits, of_chunk)


def top_rows(scores: np.ndarray, count: int) -> np.ndarray:
    """Rows of the `count` best scores above zero, best first (ties by position: deterministic)."""
    if not scores.any():
        return np.zeros(0, dtype=np.int64)
    head = np.argpartition(-scores, min(count, len(scores)) - 1)[:count]  # 83 -> 3 ms at 1M chunks
    top = head[np.lexsort((head, -scores[head]))]
    return top[scores[top] > 0]


def retrieve(index: Index, query: Query, query_vector: np.ndarray | None, k: int = 10, mode: str = "hybrid",
             lexical_part: Lexical | None = None) -> list[Hit]:
    """Rank chunks for a query. `mode` is "hybrid", "dense" or "bm25" (the last two are baselines); hybrid adds
    character overlap to BM25 and dense. `lexical_part`: the query's lexical scores if already made (lexical)."""
    lexical_part = lexical_part if lexical_part is not None else lexical(index, query, mode)
    dense_scores = np.zeros(len(index.chunks), dtype=np.float32)
    fused = lexical_part.fused.copy()
    spread = (0.0, 0.0)
    if mode in ("hybrid", "dense") and query_vector is not None:
        rows, scores = index.search_dense(query_vector, CANDIDATES)
        dense_scores[rows] = scores
        if len(rows) > 1:
            spread = (float(scores.mean()), float(scores.std()))
        if len(rows):  # cosines of one model crowd into a narrow band: stretch them to 0..1
            low, high = float(scores.min()), float(scores.max())
            fused[rows] += DENSE_WEIGHT * ((scores - low) / (high - low) if high > low else np.ones(len(rows)))
    candidates = np.flatnonzero(fused)
    if mode == "hybrid" and len(candidates):
        fused[candidates] *= lexical_part.fit(candidates)
    order = candidates[np.lexsort((candidates, -fused[candidates]))][:k]  # ties broken by position: deterministic
    return [
        Hit(
            chunk=index.chunks[row],
            paragraph=index.paragraphs[index.chunks[row].paragraph_id],
            score=float(fused[row]),
            dense=float(dense_scores[row]),
            bm25=float(lexical_part.bm25[row]),
            sentence_dense=tuple(index.sentence_scores(index.chunks[row], query_vector).tolist())
            if index.sentence_vectors is not None and query_vector is not None else (),
            dense_mean=spread[0],
            dense_sd=spread[1],
        )
        for row in order
    ]
