"""Places: whose report it is, and the place words a question uses (杭州, 江苏省, Jiangsu, 全省).

A report's own place says where a question is scoped, not what it is about: "江苏GDP增长多少" asks about
GDP. A province-level place that a report neither is about nor mentions cannot be answered from it.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from qa.tokens import has_cjk, tokenize

PLACES_FILE = Path(__file__).parent / "data" / "places.tsv"
CITIES_FILE = Path(__file__).parent / "data" / "cities.tsv"
CITY_SUFFIX = re.compile(r"(?:市|地区|盟)$")
SUFFIX = re.compile(r"(?:壮族|回族|维吾尔)?(?:自治区|特别行政区|省|市)$")
# How a report and its questions refer to its own place or the country, whatever the place.
SELF_REFERENCES = ("我省", "我市", "我区", "全省", "全市", "全区", "本省", "本市", "全国", "我国", "中国", "国家")


@cache
def _place_rows() -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(line.split("\t")) for line in PLACES_FILE.read_text("utf-8").splitlines() if line and not line.startswith("#"))


@cache
def provinces() -> tuple[tuple[str, str, str], ...]:
    """(full name, short name, English name) of China's province-level places, from qa/data/places.tsv."""
    return tuple((r[0], r[1] if len(r) > 1 else "", r[2] if len(r) > 2 else "") for r in _place_rows())


@cache
def abbreviations() -> dict[str, str]:
    """Each province-level place's full name -> its one-character abbreviations (四川省 -> 川蜀), from
    qa/data/places.tsv."""
    return {r[0]: r[3] for r in _place_rows() if len(r) > 3 and r[3]}


def joined_names(place: str, places: tuple[str, ...]) -> tuple[str, ...]:
    """How a report joins another place with its own: 川渝 and 渝川 for 四川省 in 重庆市's report (成渝地区, 川渝共建)."""
    own = "".join(dict.fromkeys(abbreviations().get(name, "") for p in places for name in names_of(p)))
    other = abbreviations().get(place, "")
    return tuple(dict.fromkeys(pair for a in other for o in own if a != o for pair in (a + o, o + a)))


@cache
def cities_of(province: str) -> tuple[str, ...]:
    """The names of a province's prefecture-level cities (青岛市, 青岛), from qa/data/cities.tsv; a short name
    that is also a province's (吉林) is left out."""
    shorts = {short for _, short, _ in provinces()}
    words = []
    for city, owner, _ in _city_rows():
        if owner == province:
            short = CITY_SUFFIX.sub("", city)
            words += [city] + ([short] if len(short) >= 2 and short not in shorts and short != city else [])
    return tuple(words)


@cache
def _city_rows() -> tuple[tuple[str, str, str], ...]:
    """(city, its province, its pinyin name or "") of each line of qa/data/cities.tsv."""
    rows = [ln.split("\t") for ln in CITIES_FILE.read_text("utf-8").splitlines() if ln and not ln.startswith("#")]
    return tuple((r[0], r[1], r[2] if len(r) > 2 else "") for r in rows if len(r) >= 2)


@cache
def scope_words(places: tuple[str, ...]) -> frozenset[str]:
    """Words that name these places (or the report's own place in general): not a question's topic.
    Cached: every question of an index asks for the same places."""
    words = set(SELF_REFERENCES)
    for place in filter(None, places):
        names = names_of(place)
        words |= set(names)
        # the pieces a search-mode cut gives of the short name (黑龙江 -> 龙江; 内蒙古 -> 内蒙, 蒙古) are no topic
        # either; not those of the full name, whose 回族 or 壮族 can be a question's topic
        short = min((n for n in names if has_cjk(n)), key=len, default="")
        words |= {piece for piece in tokenize(short) if len(piece) > 1}
    return frozenset(w.lower() for w in words if w)


@cache
def names_of(place: str) -> tuple[str, ...]:
    """A place's names: itself, without its suffix, and a province's full, short and English names.
    Example: "江苏省" -> ("江苏省", "江苏", "Jiangsu"); "杭州市" -> ("杭州市", "杭州", "Hangzhou")."""
    words = [place, SUFFIX.sub("", place)]
    for full, short, english in provinces():
        if place in (full, short):
            words += [full, short, english]
    words += [english for city, _, english in _city_rows() if place == city]
    return tuple(dict.fromkeys(w for w in words if w))


def other_place(question: str, places: tuple[str, ...], mentioned) -> str:
    """A province-level place the question names that the reports are not about and never mention, by name or,
    when the question names the reports' place too, joined with it (川渝); `mentioned(word)` says whether the
    reports' text has a word. "" if none."""
    # "四川和重庆共建了多少个重点项目" in 重庆市's report, which says 川渝共建: a question naming both places asks about
    # what they do together, which the report may name by their joined abbreviations
    both = names_own(question, places)
    for full, short in _other_provinces(question, places):
        if (not mentioned(full) and not (short and mentioned(short))
                and not (both and any(mentioned(pair) for pair in joined_names(full, places)))):
            return full
    return ""


def _other_provinces(question: str, places: tuple[str, ...]):
    """(full, short) name of each province-level place the question names that is not the reports' own, in order."""
    own = scope_words(places)
    names, finder = _province_names()
    for said in dict.fromkeys(_find(question, *finder)):
        full, short = names[said.lower()]
        if said.lower() not in own and full not in own:
            yield full, short


def names_own(question: str, places: tuple[str, ...]) -> bool:
    """Whether the question names one of the reports' own places (重庆, Chongqing)."""
    lowered = question.lower()
    return any(name.lower() in lowered for place in places for name in names_of(place))


def other_province(question: str, places: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
    """A province-level place the question names that is not the reports' own, and the names the reports may
    give it (四川省, 四川, Sichuan, and 川渝 when the question names 重庆 too); ("", ()) if none. The reports
    mention it (other_place refuses it otherwise), but their own figures do not answer a question about it."""
    full, _ = next(_other_provinces(question, places), ("", ""))
    if not full:
        return "", ()
    joined = joined_names(full, places) if names_own(question, places) else ()
    return full, tuple(w for w in names_of(full) if w.lower() not in scope_words(places)) + joined


def other_city(question: str, places: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
    """A prefecture-level city the question names that is not the reports' own place, and the names it goes by
    (宁波市, 宁波, Ningbo); ("", ()) if none. A report speaks of its province's cities ("长沙获批…"), but a figure
    of the whole province or of its own city does not answer a question about another city."""
    own = scope_words(places)
    names, finder = _city_names()
    for said in dict.fromkeys(_find(question, *finder)):
        city = names.get(said.lower())  # None: a province's name, read first so 上海口岸 holds no 海口
        if city and said.lower() not in own and city not in own:
            return city, tuple(w for w in names_of(city) if w.lower() not in own)
    return "", ()


def is_place_name(word: str) -> bool:
    """Whether a word is the name of a province-level place or a prefecture-level city (杭州, 江苏省, ningbo)."""
    return word.lower() in _province_names()[0] or word.lower() in _city_names()[0]


Finder = tuple[dict[str, tuple[str, ...]], re.Pattern]  # Chinese names by first character, and the English ones


@cache
def _province_names() -> tuple[dict[str, tuple[str, str]], Finder]:
    """Each province-level name (full, short, English lowercased) -> its (full, short) names, and their finder."""
    names: dict[str, tuple[str, str]] = {}
    for full, short, english in provinces():
        for word in (full, short, english.lower()):
            if word:
                names.setdefault(word, (full, short))
    return names, _finder(names)


@cache
def _city_names() -> tuple[dict[str, str], Finder]:
    """Each city name (full, short of two characters or more, English lowercased) -> the city's full name, and a
    finder of them and of the provinces' names (found, then skipped: 吉林 is a province's name first)."""
    provinces_said = _province_names()[0]
    names: dict[str, str] = {}
    for city, _, english in _city_rows():
        short = CITY_SUFFIX.sub("", city)
        for word in (city, short if len(short) >= 2 else "", english.lower()):
            if word and word not in provinces_said:
                names.setdefault(word, city)
    return names, _finder([*names, *provinces_said])


def _finder(words) -> Finder:
    """The Chinese words by first character, longest first (a scan of a question's characters, not of hundreds of
    patterns), and one pattern for the Latin ones, as whole words in any case."""
    by_first: dict[str, list[str]] = {}
    for word in dict.fromkeys(w for w in words if has_cjk(w)):
        by_first.setdefault(word[0], []).append(word)
    ordered = {ch: tuple(sorted(found, key=len, reverse=True)) for ch, found in by_first.items()}
    latin = [w for w in dict.fromkeys(words) if not has_cjk(w)]
    return ordered, re.compile("|".join(rf"(?i:\b{re.escape(w)}\b)" for w in latin) or "(?!)")


def _find(text: str, by_first: dict[str, tuple[str, ...]], latin: re.Pattern) -> list[str]:
    """The names found in text in the order said, the longest at each place, none inside another."""
    found, at = [], 0
    while at < len(text):
        word = next((w for w in by_first.get(text[at], ()) if text.startswith(w, at)), "")
        found += [(at, word)] if word else []
        at += len(word) or 1
    if any("a" <= c <= "z" for c in text.lower()):
        found += [(m.start(), m.group()) for m in latin.finditer(text)]
    return [word for _, word in sorted(found)]
