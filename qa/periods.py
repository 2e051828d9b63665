"""Periods: what time a paragraph talks about, derived from headings and the report's year.

A report delivered in year Y reviews Y-1 (and, at a plan's end, the five-year plan just finished),
then sets out the next five-year plan and the plans for Y. Questions name periods the same ways:
"2020年", "去年", "十三五", "过去五年", "到2025年", "last year".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

NUMERALS = "零一二三四五六七八九"
PLAN_NAME = re.compile(r"“?十([一二三四五六七八九])五”?")
NEXT_FIVE_YEARS = re.compile(r"今后五年|未来五年|展望未来")
FIVE_YEAR_REVIEW = re.compile(r"五年来|这五年|过去五年|“?十[一二三四五六七八九]五”?")
SALUTATION = re.compile(r"^(?:各位代表|同志们|各位委员)[！!，,：:]")
PAST_YEAR = re.compile(r"过去一年|一年来")
# what a sentence sums up over several years ("年均", "五年"), or says of one
SPAN = re.compile(r"年均|平均每年|(?<![\d年十])[五5]年(?![\d级])")
ONE_YEAR = re.compile(rf"全年|去年|{PAST_YEAR.pattern}")


def plan_years(number: int) -> tuple[int, int]:
    """Years of the n-th five-year plan. Example: 14 -> (2021, 2025)."""
    start = 1951 + 5 * number
    return start, start + 4


def plan_number(year: int) -> int:
    """The five-year plan a year falls in. Example: 2020 -> 13."""
    return (year - 1951) // 5


def plan_label(number: int) -> str:
    return "十" + NUMERALS[number - 10] + "五" if 10 < number < 20 else f"第{number}个五年规划"


@dataclass(frozen=True)
class Period:
    """A span of years and whether the text reports results or sets plans."""

    kind: str  # "year_review" | "plan_review" | "plan_ahead" | "year_ahead" | "general"
    start: int | None
    end: int | None
    label: str

    @classmethod
    def general(cls, year: int | None) -> Period:
        return cls("general", None, None, "综述")

    @classmethod
    def year_review(cls, year: int) -> Period:
        return cls("year_review", year, year, f"{year}年实绩")

    @classmethod
    def year_ahead(cls, year: int) -> Period:
        return cls("year_ahead", year, year, f"{year}年安排")

    @classmethod
    def plan(cls, number: int, doc_year: int) -> Period:
        start, end = plan_years(number)
        if end < doc_year:
            return cls("plan_review", start, end, f"{plan_label(number)}回顾")
        return cls("plan_ahead", start, end, f"{plan_label(number)}规划")

    def narrowed_by(self, heading: str, doc_year: int | None) -> Period:
        """A section heading that names its own period overrides its part's."""
        found = period_for_part(heading, doc_year)
        return self if found.kind == "general" else found

    def shifted_by(self, paragraph: str, doc_year: int | None) -> Period:
        """A paragraph at part level whose opening speaks of another span starts that span.

        Example: in a yearly review, "五年来，我们…" or "各位代表，2020年主要目标任务基本完成，为“十三五”…画上了
        圆满句号。" starts the five-year review; "“十五五”时期是…" or "展望未来五年" starts the plan ahead;
        "各位代表，刚刚过去的2025年，…" after the five-year review returns to the year reviewed.
        """
        # the first sentence after a salutation ("各位代表！刚刚过去的2025年，…" opens the year's review)
        sentences = re.split(r"[。！？]", SALUTATION.sub("", paragraph), maxsplit=2)
        opening, second = sentences[0], sentences[1] if len(sentences) > 1 else ""
        if not doc_year:
            return self
        if self.kind == "general":  # a part whose heading names no period ("一、一年接着一年干…"): its text does
            return period_of_opening(opening, doc_year)
        if self.kind == "plan_ahead" and (f"{doc_year}年" in opening or opening.startswith("今年")):
            return Period.year_ahead(doc_year)  # "二、“十五五”时期目标任务和2026年工作安排" … "2026年是…"
        if self.kind not in ("year_review", "plan_review"):
            return self
        # "2025年是“十四五”收官之年", "刚刚过去的2025年，是…" speak of the year, unless "五年来，…" follows
        names_year = f"{doc_year - 1}年是" in opening or re.match(rf"(?:刚刚)?过去的{doc_year - 1}年|{doc_year - 1}年，", opening)
        if self.kind == "year_review" and names_year and not FIVE_YEAR_REVIEW.search(second):
            return self
        plan = PLAN_NAME.search(opening)
        if plan and 10 + NUMERALS.index(plan.group(1)) >= plan_number(doc_year):
            return Period.plan(10 + NUMERALS.index(plan.group(1)), doc_year)
        if NEXT_FIVE_YEARS.search(opening):
            return Period.plan(plan_number(doc_year), doc_year)
        if self.kind == "year_review" and FIVE_YEAR_REVIEW.search(opening):
            return Period.plan(plan_number(doc_year - 1), doc_year)
        if self.kind == "plan_review" and (f"{doc_year - 1}年" in opening or PAST_YEAR.search(opening)):
            return Period.year_review(doc_year - 1)
        return self

    def of_sentence(self, sentence: str) -> Period:
        """The time a sentence speaks of, where it differs from its paragraph's: a year's review that ends a
        five-year plan also sums up the plan ("全省地区生产总值年均增长5.9%" is 2021–2025, not 2025), and a plan's
        review names its last year's own results ("2025年地区生产总值增长5.5%")."""
        if self.kind not in ("year_review", "plan_review") or self.end is None:
            return self
        number = plan_number(self.end)
        start, end = plan_years(number)
        if end != self.end:  # a year inside a plan: its review has no plan to sum up
            return self
        if SPAN.search(sentence) or plan_label(number) in sentence:
            return self if self.kind == "plan_review" else Period("plan_review", start, end, f"{plan_label(number)}回顾")
        if self.kind == "plan_review" and (f"{end}年" in sentence or ONE_YEAR.search(sentence)):
            return Period.year_review(end)
        return self

    def overlaps(self, start: int, end: int) -> bool:
        return self.start is not None and self.start <= end and start <= self.end


def period_of_opening(opening: str, doc_year: int) -> Period:
    """The period a part's opening sentence names, for a part whose heading names none.
    Example (2026): "2025年是“十四五”收官之年" -> 2025年实绩; "“十五五”时期是…" -> 十五五规划."""
    if f"{doc_year}年" in opening or opening.startswith("今年"):
        return Period.year_ahead(doc_year)
    if f"{doc_year - 1}年" in opening or re.search(r"过去一年|一年来|刚刚过去的一年", opening):
        return Period.year_review(doc_year - 1)
    plan = PLAN_NAME.search(opening)
    if plan or NEXT_FIVE_YEARS.search(opening):
        return Period.plan(10 + NUMERALS.index(plan.group(1)) if plan else plan_number(doc_year), doc_year)
    if FIVE_YEAR_REVIEW.search(opening):
        return Period.plan(plan_number(doc_year - 1), doc_year)
    return Period.general(doc_year)


def period_for_part(heading: str, doc_year: int | None) -> Period:
    """Period of a part or section heading. Example: "三、2021年政府工作安排" (2021) -> 2021年安排."""
    if doc_year is None:
        return Period.general(doc_year)
    years = [int(y) for y in re.findall(r"((?:19|20)\d\d)年", heading)]
    plan = PLAN_NAME.search(heading)
    if "回顾" in heading or "总结" in heading or any(y < doc_year for y in years):
        past = [y for y in years if y < doc_year]
        return Period.year_review(past[0] if past else doc_year - 1)
    if plan:
        return Period.plan(10 + NUMERALS.index(plan.group(1)), doc_year)
    if doc_year in years or "安排" in heading or "今年" in heading:
        return Period.year_ahead(doc_year)
    return Period.general(doc_year)
