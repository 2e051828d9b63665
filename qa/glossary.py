"""Vocabulary bridges: English and everyday wording mapped to the terms government reports use.

General to Chinese work reports (indicators and policy areas), not to any one report or question.
Keys are matched case-insensitively as substrings of the normalized question, a Chinese key also with a few
particles inside it (找到了新工作 says 找工作). The bridges are data
(qa/data/glossary.tsv, one a line), so staff can extend them without touching code.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

GLOSSARY_FILE = Path(__file__).parent / "data" / "glossary.tsv"


def read_terms(path: Path = GLOSSARY_FILE) -> dict[str, str]:
    """The bridges of a glossary file: "word<TAB>report terms" a line, # for comments."""
    terms: dict[str, str] = {}
    for line in path.read_text("utf-8").splitlines() if path.is_file() else []:
        if line.strip() and not line.startswith("#") and "\t" in line:
            key, value = line.split("\t", 1)
            terms[key.strip().lower()] = value.strip()
    return terms


TERMS = read_terms()


def terms_of(found: list[tuple[str, ...]]) -> str:
    """The report terms of these bridges, each once, space-separated.
    Example: the terms of keyed_bridges("GDP growth") -> "地区生产总值 生产总值 国内生产总值 经济总量 增长"."""
    return " ".join(dict.fromkeys(term for bridge in found for term in bridge))


def keyed_bridges(question: str) -> list[tuple[str, tuple[str, ...]]]:
    """Each bridge found in the question: the glossary word it was said by, and the report terms, the ways a report
    may say it. Example: "GDP" -> [("gdp", ("地区生产总值", "生产总值", "国内生产总值", "经济总量"))]."""
    lowered = question.lower()
    # the Chinese keys: only those that start at one of the question's characters can be in it
    found = {at for i, ch in enumerate(lowered) for at, key in _BY_FIRST.get(ch, ()) if _said_at(lowered, i, key)}
    if any("a" <= ch <= "z" for ch in lowered):
        found |= {at for at, (key, _, english) in enumerate(_KEYS) if english and _mentions(lowered, key, english)}
    return [(_KEYS[at][0], tuple(_KEYS[at][1].split())) for at in sorted(found)]


# Particles and light words spoken inside a phrase: 找工作 said as 找到了新工作, 有工作 as 有了工作, 城里人收入 as 城里人的收入.
FILLERS = frozenset("了过着到得的个份一新些")
MAX_FILLERS = 3


def _said_at(text: str, i: int, key: str) -> bool:
    """Whether the Chinese key is said at text[i], whole or with up to MAX_FILLERS filler characters at one place
    inside it."""
    if text.startswith(key, i):
        return True
    k = 1  # the key's first character is at i
    while k < len(key) and i + k < len(text) and text[i + k] == key[k]:
        k += 1
    j = i + k
    while j < len(text) and j - (i + k) < MAX_FILLERS and text[j] in FILLERS:
        j += 1
    return j > i + k and text.startswith(key[k:], j)


def _mentions(text: str, key: str, english: bool) -> bool:
    if english:  # whole English words, allowing plural and verb endings ("exports", "grew" aside)
        return key in text and _english_key(key).search(text) is not None
    return key in text


_KEYS = [(key, terms, key.isascii()) for key, terms in TERMS.items()]
_BY_FIRST: dict[str, list[tuple[int, str]]] = {}  # the non-English keys by first character, with their place in _KEYS
for _at, (_key, _, _english) in enumerate(_KEYS):
    if not _english:
        _BY_FIRST.setdefault(_key[0], []).append((_at, _key))


@cache
def _english_key(key: str) -> re.Pattern:
    return re.compile(rf"(?<![a-z]){re.escape(key)}(s|es|ed|d|ing)?(?![a-z])")


def keys_in(text: str) -> list[tuple[str, tuple[str, ...]]]:
    """The glossary words found in `text` with their report terms, longest first, none inside a longer one found.
    Example: "GDP per capita" -> [("gdp per capita", ("人均生产总值",))] (not also "gdp" and "per capita")."""
    lowered = text.lower()
    latin = any("a" <= ch <= "z" for ch in lowered)
    found = sorted(((key, tuple(terms.split())) for key, terms, english in _KEYS
                    if (latin or not english) and _mentions(lowered, key, english)), key=lambda kt: -len(kt[0]))
    kept: list[tuple[str, tuple[str, ...]]] = []
    for key, terms in found:
        if not any(key in longer for longer, _ in kept):
            kept.append((key, terms))
    return kept
