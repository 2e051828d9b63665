"""Scope stage: which of an index's reports a question is about.

The place it names (杭州, 咱们浙江, Jiangsu, 全国, 国务院), else the place an earlier question named, else the
report chosen in the app; among one place's reports, the year it names. Two places, or 各省, ask for a
comparison: one answer per report.

Example: reports 杭州 2021 and 江苏 2026, chosen 杭州: "江苏今年GDP目标？" -> Scope(("2026_江苏省…",), "place").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from qa.places import cities_of, names_of, provinces
from qa.query import AHEAD_WORDS, YEAR
from qa.tokens import normalize

NATIONAL = "全国"
# Words that name the country's own report; "全国" inside a provincial question ("高于全国") is a comparison
# point, so these count only when no other indexed place is named.
NATIONAL_WORDS = ("全国", "国务院", "国家", "中国", "我国", "中央", "china", "state council", "nationwide")
# "national" alone is too often an adjective (national high-tech enterprises) to name the country.
PARTICLES = "的和与及、，,？?今去明在是有对为要"  # after 全国: "全国的GDP" still names the country
# Asking every report at once.
EVERY_REPORT = re.compile(r"各省|各地|各个?(?:省份|省区|地区|地方|报告)|哪些省|哪几个省|每个省|所有(?:省份|报告|地区)"
                          r"|\b(?:each|every|all) (?:province|report|region)s?\b", re.IGNORECASE)


@dataclass(frozen=True)
class Scope:
    """The reports to answer from, and why: "place", "history", "year", "chosen", "only" or "best"
    (no place, no choice: the report retrieval likes best). `compare` asks for one answer per report."""

    doc_ids: tuple[str, ...]
    reason: str
    compare: bool = False
    named: tuple[str, ...] = ()  # the place words the question used, for each report compared


def place_words(document: dict) -> tuple[str, ...]:
    """How questions name a report's place: 江苏省 / 江苏 / Jiangsu; 杭州市 / 杭州; 全国 / 国务院 / China."""
    place = document.get("place") or ""
    if not place:
        return ()
    if place == NATIONAL:
        return NATIONAL_WORDS
    return tuple(w for w in names_of(place) if len(w) >= 2)


def _said(word: str, text: str, lowered: str) -> bool:
    return next(_english_uses(word, lowered), None) is not None if word.isascii() else word in text


def _english_uses(word: str, lowered: str) -> Iterator[re.Match]:
    """Where an English place word is said as a word of its own: "China-Europe freight trains" qualifies the trains,
    so a hyphenated compound does not name the place."""
    return re.finditer(rf"(?<![-–])\b{re.escape(word.lower())}\b(?![-–])", lowered)


def named_places(documents: Sequence[dict], text: str, term: Callable[[str], bool] = lambda _: False) -> dict[str, str]:
    """{place: the word the question used} for every indexed place the question names, in the question's order.

    A national word that starts a term a report the question may be about uses (国家一级博物馆, 全国文明城市: `term`
    says whether such a report's text has it) qualifies a thing of that report; it does not name the country."""
    text = normalize(text)
    lowered = text.lower()
    found: dict[str, tuple[int, str]] = {}
    for document in documents:
        place = document.get("place") or ""
        if place in found:
            continue
        for word in sorted(place_words(document), key=len, reverse=True):
            if not _said(word, text, lowered):
                continue
            at = lowered.find(word.lower())
            if place == NATIONAL and (_opens_names(text, lowered, word) if word.isascii()
                                      else _qualifies(text, at + len(word), word, term) or _in_compound(text, at, word)):
                continue
            found[place] = (at, word)
            break
    if not set(found) - {NATIONAL}:  # no place of the index named: maybe one of its cities (青岛 -> 山东省)
        for document in documents:
            place = document.get("place") or ""
            if place and place not in found and (word := next((w for w in cities_of(place) if w in text), "")):
                found[place] = (text.find(word), word)
    if len(found) > 1:
        found.pop(NATIONAL, None)  # "北京比全国高多少" is about 北京
    return {place: word for place, (_, word) in sorted(found.items(), key=lambda item: item[1][0])}


def by_year(documents: Sequence[dict], text: str) -> list[dict]:
    """Of one place's reports, the one for the year a question names: the report that reviews that year, or for
    a target the one that plans it; with no year, the newest."""
    if len(documents) <= 1:
        return list(documents)
    years = [int(y) for y in YEAR.findall(text)]
    dated = [d for d in documents if d.get("year")]
    if not years or not dated:
        return [max(documents, key=lambda d: d.get("year") or 0)]
    offset = 0 if AHEAD_WORDS.search(text) else 1  # a report of 2021 reviews 2020 and plans 2021
    year = max(years)
    return [min(dated, key=lambda d: (abs(d["year"] - offset - year), -d["year"]))]


def _opens_names(text: str, lowered: str, word: str) -> bool:
    """Whether each time the English word is said (`_english_uses`) it opens a title-cased name ("the China
    International Import Expo", "China Mobile"), which names a thing, not the country; "China's GDP" and "China GDP"
    name the country."""
    return all(re.match(r" [A-Z][a-z]", text[m.end() : m.end() + 3]) for m in _english_uses(word, lowered))


def _in_compound(text: str, at: int, word: str) -> bool:
    """中国 closing a name (数字中国建设峰会, 美丽中国, 健康中国) or opening 中国式现代化 names no report's place."""
    if word != "中国":
        return False
    before, after = text[at - 1 : at], text[at + len(word) : at + len(word) + 1]
    return bool(before) and "\u4e00" <= before <= "\u9fff" and before not in PARTICLES or after == "式"


def _qualifies(text: str, end: int, word: str, term: Callable[[str], bool]) -> bool:
    """Whether the word and what follows it (two characters, or one that is not a particle: 国家级) make a term."""
    return term(word + text[end : end + 2]) or (end < len(text) and text[end] not in PARTICLES and term(word + text[end]))


def resolve(documents: Sequence[dict], question: str, history: Sequence[str] = (), chosen: str | None = None,
            default: str | None = None, uses: Callable[[str, str], bool] = lambda _report, _text: False) -> Scope:
    """The reports a question is about (see the module docstring). `chosen` is a report id the user picked;
    `default` the report to use when nothing else decides (the bundled one); `uses(report, text)` whether a
    report's text has a phrase."""
    ids = [d["id"] for d in documents]
    if len(documents) == 1:
        return Scope((ids[0],), "only")
    fallback = chosen if chosen in ids else default if default in ids else None
    # whose terms a national word may open (国家级, 全国首家): the report chosen's; with none chosen, any report's but
    # the country's, as the question may be about any of them (the bundled one alone sent "国家物流枢纽…" of a
    # province to the country's report)
    speaking = [chosen] if chosen in ids else [d["id"] for d in documents if d.get("place") != NATIONAL]
    term = lambda phrase: any(uses(report, phrase) for report in speaking)
    named = named_places(documents, question, term)
    reason, every = "place", EVERY_REPORT.search(question)
    if not named and not every:
        for earlier in reversed(history):  # a follow-up stays with the place asked about
            if named := named_places(documents, earlier, term):
                reason = "history"
                break
    if every and len(named) < 2:
        provincial = {full for full, _, _ in provinces()}
        places = [p for p in dict.fromkeys(d.get("place") or "" for d in documents)
                  if p and p != NATIONAL and ("省" not in every.group(0) or p in provincial)]
        if len(places) > 1:
            named = {p: "" for p in places}
    if named:
        picked = [d for place in named for d in by_year([d for d in documents if d.get("place") == place], question)]
        if len(picked) > 1 and (years := [int(y) for y in YEAR.findall(question)]):
            # 各省2026年…: a report two years or more away from the year asked has nothing to say of it
            picked = [d for d in picked if not d.get("year") or abs(d["year"] - max(years)) <= 1] or picked
        return Scope(tuple(d["id"] for d in picked), reason, compare=len(picked) > 1, named=tuple(named.values()))
    if fallback:
        return Scope((fallback,), "chosen")
    if len({d.get("place") for d in documents}) == 1:
        return Scope((by_year(documents, question)[0]["id"],), "year")
    return Scope(tuple(ids), "best")


def without_places(question: str, words: Sequence[str]) -> str:
    """A comparison question as asked of one report: the other places' names taken out."""
    for word in sorted(filter(None, words), key=len, reverse=True):
        question = re.sub(rf"{re.escape(word)}(?:和|与|跟|、|及|以及|,|，)?", "", question, flags=re.IGNORECASE)
    return question
