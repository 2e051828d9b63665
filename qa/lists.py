"""List stage: "which N things" answered with the N items, read from the report's structure.

A report announces a list ("重点抓好九个方面工作。", "重点做好以下几项工作：") and then gives it, either as
sub-sections ("（一）全面塑造创新驱动发展新优势") or inline ("一是…；二是…"). The answer is the items,
each copied from the report; its citation is the announcing paragraph with the items it introduces.

Example: "十四五重点抓好哪九个方面工作" -> "（一）全面塑造创新驱动发展新优势；（二）全面建设数字赋能产业变革新高地；…".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa.chunking import spans
from qa.index import Index
from qa.periods import NUMERALS
from qa.query import Query
from qa.retrieval import Hit
from qa.source import Paragraph
from qa.tokens import has_cjk

COUNT = r"([一二三四五六七八九十两]{1,3}|\d{1,2})"
# The question asks for the members of a list: 哪九个方面, 哪些, 哪几项, 都有啥, which, what are.
LIST_ASK = re.compile(rf"哪(?:几|{COUNT})?(?:个|项|大|条|件|类|种|方面|点)|哪几|哪些|都有啥|都是啥|包括什么|有什么|which|what are", re.IGNORECASE)
ASKED_COUNT = re.compile(rf"哪{COUNT}(?:个|项|大|条|件|类|种|方面|点)|{COUNT}(?:个方面|项|大|条|件)")
# A sentence that announces a list: a count of aspects or tasks, then a colon or the sentence's end.
ANNOUNCE = re.compile(rf"{COUNT}(?:个|项|大|条|件|方面)[^，。；：:、]{{0,10}}(?:[：:]|。|$)")
INLINE_ITEM = re.compile(r"(?:^|(?<=[。；;：:，]))\s*([一二三四五六七八九十]{1,3})是")
# A paragraph's closing sentence that counts what the numbered paragraphs after it list, however many words follow
# the count ("经本次人代会票决，以下10件确定为市政府2021年度民生实事项目：" then "1.建成…", "2.完成…")
ANNOUNCE_NUMBERED = re.compile(rf"{COUNT}(?:个|项|大|条|件|方面)[^，。；：:、]*[：:]$")
NUMBERED_ITEM = re.compile(r"\s*(\d{1,2})[.．、]")
TOO_MANY = 20  # items: past this it is not a list to read out
# what a list's items are called, as 个 or 项 are: "哪些方面走在前列" asks what is 走在前列, and every announcement
# of 九个方面工作 says 方面
ITEM_KINDS = frozenset(["方面"])


@dataclass(frozen=True)
class ReportList:
    """An announced list and its items, each a span of a paragraph of the report."""

    announcing: Paragraph
    sentence: tuple[int, int]  # the announcing sentence within its paragraph
    items: tuple[tuple[Paragraph, int, int], ...]  # (paragraph, start, end) of each item's words

    @property
    def texts(self) -> list[str]:
        return [p.text[a:b] for p, a, b in self.items]


def number(word: str) -> int | None:
    """"九" -> 9, "十三" -> 13, "两" -> 2, "12" -> 12."""
    if word.isdigit():
        return int(word)
    word = word.replace("两", "二")
    digits = [NUMERALS.index(c) if c in NUMERALS[1:] else 10 if c == "十" else None for c in word]
    if None in digits or not digits:
        return None
    if len(digits) == 1:
        return digits[0]
    if digits[0] == 10:  # 十三
        return 10 + (digits[1] if len(digits) > 1 else 0)
    return digits[0] * 10 + (digits[2] if len(digits) > 2 else 0) if digits[1] == 10 else None


def asks_for_list(query: Query) -> bool:
    return LIST_ASK.search(query.asked) is not None


def asked_count(query: Query) -> int | None:
    match = ASKED_COUNT.search(query.asked)
    return number(match.group(1) or match.group(2)) if match else None


def find_list(index: Index, query: Query, hits: list[Hit], depth: int = 3) -> ReportList | None:
    """The list a list question asks for, announced in (or just before) one of the first `depth` hits; None if
    the question names a count no announcement has, or no announcement speaks of what it asks about."""
    if not asks_for_list(query):
        return None
    wanted = asked_count(query)
    order = list(index.paragraphs)
    seen = set()
    for hit in hits[:depth]:
        at = order.index(hit.paragraph.id)
        # the announcement may close the paragraph before the hit, or the one after (…今年要…。then 重点做好十项工作：)
        for paragraph in (hit.paragraph, index.paragraphs[order[at - 1]] if at else None,
                          index.paragraphs[order[at + 1]] if at + 1 < len(order) else None):
            if paragraph is None or paragraph.id in seen or paragraph.doc_id != hit.paragraph.doc_id:
                continue
            seen.add(paragraph.id)
            found = _announced(index, order, paragraph, wanted, query)
            if found is not None:
                return found
    return None


def _announced(index: Index, order: list[str], paragraph: Paragraph, wanted: int | None, query: Query) -> ReportList | None:
    text = paragraph.text
    for a, b in spans(text):
        for match in ANNOUNCE.finditer(text[:b], a):
            count = number(match.group(1))
            if not _fits(count, wanted, query, text[a : match.end()]):
                continue
            # sub-sections follow an announcement that closes its paragraph or is its section's own title ("（二）…持续
            # 提升“五个中心”能级。"); one inside the body ("打造粮食、蔗糖…6个千亿级特色农业产业。" and more sentences)
            # has named its items already, or names them in the sentences after
            closes = match.end() >= b - 1 and (not text[b:].strip() or _titles(paragraph, text[a:b]))
            items = _inline(paragraph, match.end(), count) or (_sections(index, order, paragraph, count) if closes else [])
            if len(items) == count:
                return ReportList(paragraph, (a, match.end()), tuple(items))
        if b >= len(text.rstrip()) and (match := ANNOUNCE_NUMBERED.search(text[a:b].rstrip())):
            count = number(match.group(1))
            if _fits(count, wanted, query, text[a:b]) and len(items := _numbered(index, order, paragraph, count)) == count:
                return ReportList(paragraph, (a, b), tuple(items))
        # no count announced: "明确了今后五年的发展目标：一是…，二是…" gives as many items as it numbers
        colon = text.find("：", a, b)
        if colon != -1 and (items := _inline(paragraph, colon + 1, None)) and len(items) >= 2 \
                and (wanted == len(items) or wanted is None and _speaks_of(query, text[a : colon + 1])):
            return ReportList(paragraph, (a, colon + 1), tuple(items))
    return None


def _fits(count: int | None, wanted: int | None, query: Query, announcement: str) -> bool:
    """Whether an announced count can be the list asked: a list's length, the count asked if any, and with none
    asked, an announcement that speaks of what the question asks about."""
    if count is None or count < 2 or count > TOO_MANY or (wanted is not None and wanted != count):
        return False
    return wanted is not None or _speaks_of(query, announcement)


def _clause_end(text: str, start: int, stops: str) -> int:
    """Where the clause from `start` ends: the first of `stops` after it, else the end of the text."""
    return min((i for i in (text.find(c, start) for c in stops) if i != -1), default=len(text))


def _titles(paragraph: Paragraph, sentence: str) -> bool:
    """Whether the sentence is the title of the paragraph's own section."""
    title = paragraph.heading_path[-1] if paragraph.heading_path else ""
    return bool(title) and sentence.strip().rstrip("。：:").startswith(title.rstrip("。：:"))


def _speaks_of(query: Query, sentence: str) -> bool:
    """With no count asked, the announcement must name what the question asks about: half its words, a bridge
    (main tasks -> 重点工作 …) counting as one word said any of its ways."""
    words = [w for w in query.topic if len(w) > 1 and has_cjk(w) and not LIST_ASK.match(w) and not w.startswith("哪")
             and w not in ITEM_KINDS]
    said = sum(w in sentence for w in words) + sum(any(t in sentence for t in terms) for terms in query.bridge_sets)
    asked = len(words) + len(query.bridge_sets)
    return asked > 0 and said * 2 >= asked


def _inline(paragraph: Paragraph, after: int, count: int | None) -> list[tuple[Paragraph, int, int]]:
    """"一是…；二是…" right after the announcement: each item's first clause (its heading words); all of them
    when no `count` is announced."""
    text, items = paragraph.text, []
    for match in INLINE_ITEM.finditer(text, after):
        if number(match.group(1)) != len(items) + 1:
            break
        start = match.start(1)
        items.append((paragraph, start, _clause_end(text, match.end(), "，。；;")))
    if count is None and items and text[after : items[0][1]].strip():
        return []  # with no count to check, the list must follow the announcement at once
    return items if count is None or len(items) == count else []


def _sections(index: Index, order: list[str], paragraph: Paragraph, count: int) -> list[tuple[Paragraph, int, int]]:
    """The sub-sections that follow the announcement: their headings, in order."""
    parent, items, titles = paragraph.heading_path, [], []
    for pid in order[order.index(paragraph.id) + 1 :]:
        following = index.paragraphs[pid]
        if following.doc_id != paragraph.doc_id or following.heading_path[: len(parent)] != parent:
            break
        if len(following.heading_path) != len(parent) + 1 or following.heading_path[-1] in titles:
            continue
        title = following.heading_path[-1]
        at = following.text.find(title)
        if at == -1:
            continue
        titles.append(title)
        items.append((following, at, at + len(title)))
        if len(items) == count:
            break
    return items


def _numbered(index: Index, order: list[str], paragraph: Paragraph, count: int) -> list[tuple[Paragraph, int, int]]:
    """The paragraphs numbered 1., 2., … right after the announcement: each one's first clause, number included."""
    items = []
    for pid in order[order.index(paragraph.id) + 1 :][:count]:
        following = index.paragraphs[pid]
        match = NUMBERED_ITEM.match(following.text)
        if following.doc_id != paragraph.doc_id or not match or int(match.group(1)) != len(items) + 1:
            break
        items.append((following, match.start(1), _clause_end(following.text, match.end(), "；;。")))
    return items
