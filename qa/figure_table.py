"""The figures table for staff: one row per figure, found through the vocabulary bridges in any word order,
sorted by value in its base unit (1.61万亿元 above 8992亿元), with a chart of one indicator by period.

Rows carry their report's title, so an index of many reports gets a report filter and column for free.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from qa.figures import extract_figures, measure_of
from qa.glossary import keys_in
from qa.tokens import content_tokens, normalize, tokenize

ALL = "全部"
SCALES = {"万亿": 1e12, "亿": 1e8, "万": 1e4, "千": 1e3}
# chronological order of a report's periods: the five-year plan reviewed, the year reviewed, the year ahead, the plan
KIND_ORDER = {"plan_review": 0, "year_review": 1, "general": 2, "year_ahead": 3, "plan_ahead": 4}
SORTS = ("原文顺序", "数值从大到小", "数值从小到大")
MAX_KEYWORD = 50  # characters: an indicator is short, and a pasted page must not cost every row a jieba pass


@dataclass(frozen=True)
class FigureRow:
    report: str  # the report's title
    indicator: str
    value: str  # the number as written: "1.61"
    unit: str  # as written: "万亿元", "%左右"
    amount: float | None  # value in the base unit, for sorting: 1.61万亿元 -> 1.61e12
    measure: str  # the base unit: "元", "%", "个"
    change: str
    period: str  # label, e.g. "2020年实绩"
    period_rank: tuple[int, int]  # (start year, kind): sorts periods in time
    heading_path: tuple[str, ...]
    sentence: str
    paragraph_id: str
    order: int  # position in the report, for 原文顺序

    @property
    def shown(self) -> str:
        return self.value + self.unit

    @property
    def section(self) -> str:
        """The section title the figure sits under (a person reads this, not a paragraph id)."""
        return self.heading_path[-1] if self.heading_path else "报告开头"


def amount(value: str, unit: str) -> float | None:
    """The value in its base unit: ("1.61", "万亿元") -> 1.61e12, ("8992", "亿元") -> 8.992e11, ("3.5", "%以内") -> 3.5."""
    try:
        number = float(normalize(value))
    except ValueError:
        return None
    scale = re.match(r"多?(万亿|亿|万|千)?", unit).group(1)
    return number * SCALES.get(scale or "", 1)


def figure_rows(index) -> list[FigureRow]:
    """Every figure of every report in the index, in report order."""
    titles = {d.get("id"): d.get("title") or d.get("id", "") for d in index.documents}
    rows = []
    for p in index.paragraphs.values():
        rank = (p.period.start or 0, KIND_ORDER.get(p.period.kind, 2))
        for f in extract_figures(p.text):
            rows.append(FigureRow(titles.get(p.doc_id, p.doc_id), f.indicator, f.value, f.unit, amount(f.value, f.unit),
                                  measure_of(f.unit), f.change, p.period.label, rank, tuple(p.heading_path), f.sentence,
                                  p.id, len(rows)))
    return rows


def keyword_groups(keyword: str) -> list[tuple[str, ...]]:
    """What a row must hold to match: one of each group's words, in any order.

    Example: "GDP增长" -> [("gdp", "地区生产总值", "生产总值", "国内生产总值", "经济总量"), ("增长",)];
    "新增城镇就业" -> [("新增",), ("城镇",), ("就业",)], which 城镇新增就业 holds.
    """
    word = normalize(keyword or "").strip().lower()
    groups = []
    for key, terms in keys_in(word):
        groups.append((key, *terms))
        word = word.replace(key, " ")
    words = content_tokens(word) or tokenize(word)
    return groups + [(w,) for w in dict.fromkeys(words)]


@lru_cache(maxsize=8192)
def _folded(text: str) -> str:
    """Normalized lower-case text; cached, since every keystroke in the filter searches every row again."""
    return normalize(text).lower()


def _holds(text: str, word: str, groups) -> bool:
    text = _folded(text)
    return word in text or bool(groups) and all(any(w in text for w in g) for g in groups)


def search(rows, keyword: str = "", period: str = ALL, report: str = ALL) -> list[FigureRow]:
    """Rows in `period` and `report` (unless 全部) that hold the keyword, literally or through its groups: those
    whose indicator (with its change) holds it, or if none does, those whose sentence or section does (GDP finds 地区生产总值's rows,
    not every figure of the sentence that states it)."""
    rows = [r for r in rows if (period in (ALL, "", None) or r.period == period)
            and (report in (ALL, "", None) or r.report == report)]
    word = normalize(str(keyword or "")[:MAX_KEYWORD]).strip().lower()
    if not word:
        return rows
    groups = keyword_groups(word)
    named = [r for r in rows if _holds(r.indicator + " " + r.change, word, groups)]
    return named or [r for r in rows if _holds(r.sentence + " " + r.section, word, groups)]


def sort_rows(rows, how: str = SORTS[0]) -> list[FigureRow]:
    """原文顺序, or by value in base units within each measure (元 with 元, % with %), the commonest measure first."""
    if how not in SORTS[1:]:
        return sorted(rows, key=lambda r: r.order)
    common = {m: i for i, (m, _) in enumerate(Counter(r.measure for r in rows).most_common())}
    sign = -1 if how == SORTS[1] else 1
    return sorted(rows, key=lambda r: (common[r.measure], r.amount is None, sign * (r.amount or 0), r.order))


def period_choices(rows) -> list[str]:
    """Periods in time order, after 全部."""
    ranks = {}
    for r in rows:
        ranks.setdefault(r.period, r.period_rank)
    return [ALL] + sorted(ranks, key=ranks.get)


def report_choices(rows) -> list[str]:
    return [ALL] + list(dict.fromkeys(r.report for r in rows))


def chart_points(rows, by_report: bool = False) -> tuple[str, str, list[dict]]:
    """One indicator of the filtered rows by period: the one stated in most periods (then most often), one point a
    period (and report: its first figure there), in the scale most of its values are written in.
    Returns (indicator, unit, [{时期, 数值, 报告, rank}]); empty when no row has a named figure."""
    named = [r for r in rows if r.indicator and r.amount is not None]
    if not named:
        return "", "", []
    seen: dict[tuple[str, str], set] = {}
    for r in named:
        seen.setdefault((r.indicator, r.measure), set()).add(r.period)
    counts = Counter((r.indicator, r.measure) for r in named)
    indicator, measure = max(seen, key=lambda k: (len(seen[k]), counts[k]))
    picked: dict[tuple[str, str], FigureRow] = {}
    for r in sorted(named, key=lambda r: r.order):
        if (r.indicator, r.measure) == (indicator, measure):
            picked.setdefault((r.report if by_report else "", r.period), r)
    scale = Counter(re.match(r"多?(万亿|亿|万|千)?", r.unit).group(1) or "" for r in picked.values()).most_common(1)[0][0]
    unit = scale + measure
    points = [{"时期": r.period, "数值": round(r.amount / SCALES.get(scale, 1), 4), "报告": r.report, "rank": r.period_rank}
              for r in sorted(picked.values(), key=lambda r: r.period_rank)]
    return indicator, unit, points
