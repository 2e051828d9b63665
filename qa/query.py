"""Question stage: normalize a question, find the period it asks about, resolve follow-ups.

Example: history ["2020年杭州地区生产总值增长了多少？"], question "那2021年呢？"
-> resolved "2021年 杭州地区生产总值增长了多少", years (2021, 2021).
"""

from __future__ import annotations

import re
from collections.abc import Container, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from qa.glossary import keyed_bridges, terms_of
from qa.periods import NUMERALS, plan_number, plan_years
from qa.tokens import CJK, QUESTION_WORDS, _jieba, content_tokens, has_cjk, normalize, tokenize

MAX_QUESTION_CHARS = 500
YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")
PLAN = re.compile(r"十([一二三四五六七八九])五|(\d\d)(?:th|st|nd|rd) five[- ]year", re.IGNORECASE)
# 五年前: the year before the five reviewed, where the review's "从…增加到…" starts (2020 for a report of 2026)
RELATIVE_YEARS = {"去年": -1, "上一年": -1, "前年": -2, "今年": 0, "本年": 0, "明年": 1, "五年前": -6, "5年前": -6,
                  "last year": -1, "this year": 0, "next year": 1, "five years ago": -6}
# "Now" asks for the latest actual value: the year the report reviews (a report of 2021 gives 2020's).
LATEST = re.compile(r"现在|目前|当前|眼下|如今|\b(?:now|currently|at present)\b", re.IGNORECASE)
# A result asked for, not a plan: "2021年实际增长多少" is not answered by 2021's target.
# 实际使用外资 names a measure, not a result asked for.
ACTUAL = re.compile(r"实际(?!使用|利用)|实现了|完成了|做到了|达到了|\bactual(?:ly)?\b", re.IGNORECASE)
BASELINE_BEFORE = re.compile(r"(?:比|较|相比|相较|than|since|compared (?:with|to))\s*$", re.IGNORECASE)
BASELINE_AFTER = re.compile(r"年?(?:相比|相较)")  # "与2020年相比"
PLANNED = re.compile(rf"(?:{PLAN.pattern})(?:末|初|期间|时期|以来)?", re.IGNORECASE)  # a plan period as said
PLAN_BASELINE_AFTER = re.compile(r"(?:时期|期间|末|同期)?(?:相比|相较|比)")  # after 跟/与: "跟十三五时期比"
SMALL_TALK_FILE = Path(__file__).parent / "data" / "smalltalk.txt"
OFF_TOPIC_FILE = Path(__file__).parent / "data" / "offtopic.txt"
DAYS = frozenset(["今天", "明天", "后天", "昨天", "今晚", "明早", "周末"])  # when, not what: 明天天气
SMALL_TALK_NOISE = re.compile(r"[\s\W_啊呀呢吗哦哈嘛吧啦~]+")
# "这五年", "五年下来": the five years a report reviews, as users say it; not "未来这五年"
PAST_FIVE = re.compile(r"过去五年|五年来|近五年|(?<!未来)(?<!今后)这五年|五年下来|五年间|五年里|past five years|last five years",
                       re.IGNORECASE)
NEXT_FIVE = re.compile(r"未来五年|今后五年|next five years|coming five years", re.IGNORECASE)
FOLLOWUP_OPENING = re.compile(r"^(那|那么|还有|另外|其中|它|这|and\b|what about|how about)", re.IGNORECASE)
ENGLISH_REFERENCE = re.compile(r"\b(?:it|its|they|them|those|that)\b(?!\s+year)", re.IGNORECASE)  # "How much did it grow?"
# "一般公共预算收入呢？": a thing and 呢, no question of its own, asks what was asked before about it
FOLLOWUP_ENDING = re.compile(r"呢\s*[？?]?\s*$")
ASKING = re.compile(r"多少|什么|哪|几|怎么|怎样|如何|是否|有没有|吗|谁")
# English asks a figure by naming the quantity ("What was Hunan's grain output?", "What was Shandong's GDP?"), or
# its degree ("How big…", "How long…"), where Chinese adds 多少 or says 多大, 多长. Not "size" nor "area": "above
# designated size" (规模以上) and "in the area of" name no quantity asked
HOW_BIG = r"how (?:big|large|long|high|far|fast|tall)\b"
FIGURE_WORDS = re.compile(r"多少|几|比例|增长|增速|下降|提高|规模|总额|金额|率|how (much|many)|what percent|grow|rate|" + HOW_BIG +
                          r"|\b(?:share|ratio|proportion|percentage|total|value|amount|level|volume|output|production|"
                          r"capacity|revenue|income|target|goal|figure|throughput|expectancy|gdp|gross domestic product|"
                          r"per[- ]capita|population|concentration|intensity|magnitude|scale|length)\b", re.IGNORECASE)
# Questions about the report itself, answered from its byline rather than its body.
ABOUT_SPEAKER = re.compile(
    r"(谁|哪位|什么人)[^，。？?]{0,4}(作|做|宣读|发表)[^，。？?]{0,6}报告|报告[^，。？?]{0,8}(谁|哪位)[^，。？?]{0,3}(作|做|宣读|发表)"
    r"|(作|做)报告的(人)?是(谁|哪位)|报告人|who (delivered|gave|presented|made|read)\b[^?]{0,40}report", re.IGNORECASE)
ABOUT_OCCASION = re.compile(
    r"报告[^，。？?]{0,10}(什么时候|何时|哪天|哪一天|哪次会议|什么会议|哪个会议)"
    r"|(什么时候|何时|哪天|哪一天|哪次会议|什么会议|哪个会议)[^，。？?]{0,8}(作|做|发表|宣读)[^，。？?]{0,6}报告"
    r"|when was (the|this)[^?]{0,30}report|(which|what) (meeting|session|congress)[^?]{0,40}report", re.IGNORECASE)
# a time of day, which no report gives ("地铁几点停运"), but not "几点意见" (how many points)
DAY_WORDS = re.compile(r"哪一?天|几月几[日号]|几号|日期|几点钟|几点(?=[开关停到起收]|营业|出发|结束|上班|下班)|what date|which day"
                       r"|on what day|what time", re.IGNORECASE)
# A question with no year that speaks of plans asks about the years ahead; otherwise, of what was done.
AHEAD_WORDS = re.compile(r"目标|计划|打算|预期|预计|力争|规划|\b(?:aim|plan|target|goal|will|expect)", re.IGNORECASE)
# A question about a change or a rate may be answered by a rate of change; one about a level may not.
# Not 增加值 (a level measure) nor "多少了" (how much by now).
CHANGE_OR_RATE = re.compile(r"增(?!加值)|涨|降|跌|减|砍|压缩|提高|提升|多了|(?<!多)少了|变化|率|比例|比重|占比|百分|%|倍"
                            r"|\b(?:grow|increase|rise|fall|decline|drop|change|up|down|rate|percent|share|ratio)", re.IGNORECASE)
# A share asked in words CHANGE_OR_RATE does not read as one ("占了几成")
SHARE_WORDS = re.compile(r"占|几成|成数|多大比")
# A question about how much something changed ("增长了多少", "how fast did it grow"), narrower than CHANGE_OR_RATE: not
# a level reached (提高到), a count of new things (新增) or 增加值, a level measure.
GROWTH_WORDS = re.compile(r"(?<!新)(?:增长|增速|增幅|涨幅|降幅|上涨|下降|降低|减少|增加|提高|提升|上升|涨了|降了|多了|(?<!多)少了)(?![到至值])"
                          r"|\b(?:grow|grew|growth|increase|increased|rise|rose|fall|fell|decline|declined|drop|dropped)\b",
                          re.IGNORECASE)
COUNT_WORDS = re.compile(r"多少|how (much|many)|what (?:percent|share|proportion|ratio|figure)|" + HOW_BIG, re.IGNORECASE)  # "几…" is often answered in words: 九个方面
ASKED_UNIT = re.compile(r"多少(?:万亿|亿|万|千)?(美元|元|人次|人|个|家|所|张|条|公里|亩|户|套|项|件|座|辆|台|部|天|岁|吨|斤|微克/立方米|平方米)")
# the unit an everyday question implies without naming it: "多少钱" is counted in 元, "占比多少" in %; "几家" in 家
IMPLIED_UNITS = ((re.compile(r"(?:多少|几)(?:块)?钱|(?:花|投|挣|赚|借|拿出|掏)了?多少|(?:价(?:格|钱)?|租金|房租|学费|工资|薪水|薪资|月薪"
                              r"|年薪|收费)(?:大概|大约|一般)?(?:是|为|有|要)?多少"), "元"),
                 # "税收占了多少": a part of a whole, asked with 占; not 占地 (an area) nor 占用. A rate (城镇化率,
                 # 失业率), but not 效率, 汇率, 功率, 频率, 生产率 (元 a worker) nor 率先 (first to)
                 (re.compile(r"比例|占比|比重|份额|百分之|百分比|几成|占(?![地用])[^，。？?\s]{0,14}(?:多少|几|多大)"
                             r"|(?<![效汇功频产])率(?![先领])"), "%"),
                 # not 哪几家, 哪几条: which ones, answered by their names
                 (re.compile(r"(?<!哪)几(?:万|千|百)?(人次|人|家|所|张|条|座|艘|辆|项|件|户|套|名|批|天|岁)"), ""),
                 # English names a share as Chinese says 占比 ("What share of GDP…", "what percentage"); not "percentage
                 # points", a change counted in 个百分点
                 (re.compile(r"\b(?:share|proportion|percentage|percent)s?\b(?!\s*points?)", re.IGNORECASE), "%"))
RANK_ASKED = re.compile(r"第几|排(?:在|名)?(?:多少|几)|名次|位次|\brank(?:s|ed|ing)?\b", re.IGNORECASE)
# English asks a sum of money by naming a price ("What is the average housing price?", "How much does a flat cost?")
ENGLISH_MONEY = re.compile(r"(?<!consumer )\b(?:price|rent|fare|salary|salaries|wage)s?\b|how much (?:does|do|did|will|would)\b[^?]{0,40}\bcost\b",
                          re.IGNORECASE)
# Words a follow-up uses to ask about the previous topic, rather than naming a new one.
GENERIC_ASKS = frozenset(["增长", "增速", "下降", "降了", "涨了", "提高", "提升", "减少", "增加", "达到", "突破", "一共", "总共", "合计", "目标", "预期", "预计", "计划", "打算", "比上年", "上年", "同比", "多少", "多长", "时间", "长时间", "多长时间", "多久", "规模", "总额", "总量", "金额", "数字", "数据", "情况", "growth", "grow", "target", "goal", "total"])


@dataclass(frozen=True)
class Query:
    asked: str  # the question as typed, normalized
    resolved: str  # with a follow-up's topic and period filled in: what is searched
    tokens: tuple[str, ...]  # BM25 tokens, with vocabulary bridges
    topic: tuple[str, ...]  # content tokens of the question that say what is asked about
    bridged: tuple[str, ...]  # report terms the vocabulary bridges add (GDP -> 地区生产总值)
    asks: tuple[str, ...]  # what kind of value is asked for: 增长, 目标, …
    years: tuple[int, int] | None
    wants_figure: bool  # asks about an amount or change: figures in the answer are marked
    wants_count: bool  # asks "how much / how many": only a figure answers it
    asks_change: bool  # about a change or a rate (增长, 比例, growth), not a level (总量, 多少亿元)
    about: str  # "speaker" or "occasion" when it asks about the report itself, else ""
    looks_ahead: bool  # speaks of plans or targets (for a question with no year: which part to prefer)
    asks_day: bool  # asks for a date ("哪一天"): only a month or day answers it
    unit: str  # the unit the question names, e.g. "亿元" in "多少亿元"; "" if none
    is_followup: bool
    asks_actual: bool = False  # asks what was achieved ("实际增长"), which a plan does not answer
    bridge_sets: tuple[tuple[str, ...], ...] = ()  # each bridge's report terms: any one of them says it
    bridge_keys: tuple[str, ...] = ()  # the glossary word each of bridge_sets was found by ("gdp", "网上卖东西")
    asks_growth: bool = False  # how much something changed (增长了多少): a level alone does not say
    asks_share: bool = False  # a share, in words CHANGE_OR_RATE misses (占了几成): a percentage answers it

    @property
    def topic_chars(self) -> tuple[str, ...]:
        """The CJK characters of the topic and its bridges, sorted: a set's order changes from process to process,
        and with it the last bit of a sum over them (character overlap, in retrieval and in the candidates)."""
        return tuple(sorted({ch for word in (*self.topic, *self.bridged) for ch in CJK.findall(word)}))


def find_years(text: str, doc_year: int | None) -> tuple[int, int] | None:
    """The span of years a question asks about. Example: "十三五期间" -> (2016, 2020)."""
    if plan := next((m for m in PLAN.finditer(text) if not _is_baseline_plan(text, m)), None):
        number = 10 + NUMERALS.index(plan.group(1)) if plan.group(1) else int(plan.group(2))
        return plan_years(number)
    if years := [int(m.group(1)) for m in YEAR.finditer(text) if not _is_baseline(text, m)]:
        return min(years), max(years)
    if doc_year is None:
        return None
    if PAST_FIVE.search(text):
        return plan_years(plan_number(doc_year - 1))
    if NEXT_FIVE.search(text):
        return plan_years(plan_number(doc_year))
    lowered = text.lower()
    for phrase, offset in RELATIVE_YEARS.items():
        if phrase in lowered and not re.search(f"比{phrase}|than {phrase}", lowered):
            return doc_year + offset, doc_year + offset
    if LATEST.search(text) and not AHEAD_WORDS.search(text):
        return doc_year - 1, doc_year - 1
    return None


def _is_baseline(text: str, year: re.Match) -> bool:
    """A year the question compares with, not one it asks about: "比2020年下降多少", "since 2020"."""
    return BASELINE_BEFORE.search(text[: year.start()]) is not None or BASELINE_AFTER.match(text, year.end()) is not None


def _is_baseline_plan(text: str, plan: re.Match) -> bool:
    """A plan period the question compares with: "比“十三五”时期高多少", "跟十三五时期比"."""
    before, after = text[: plan.start()].rstrip("“\"「 "), text[plan.end() :].lstrip("”\"」 ")
    return BASELINE_BEFORE.search(before) is not None or before.endswith(("跟", "与", "和", "同")) and (
        PLAN_BASELINE_AFTER.match(after) is not None)


def strip_period(text: str, baselines: bool = False) -> str:
    """The question without its period words: what remains is the topic and how it is asked. `baselines`: keep a
    plan it compares with ("比十三五时期高多少" asks for the sentence that names 十三五)."""
    text = re.sub(r"[“”\"]", "", text)
    text = PLANNED.sub(lambda m: m.group(0) if baselines and _is_baseline_plan(m.string, m) else "", text)
    text = re.sub(r"(?<!\d)(?:19|20)\d\d(年度|年底|年末|年初|年)?(?!\d)", "", text)
    text = PAST_FIVE.sub("", NEXT_FIVE.sub("", LATEST.sub("", text)))
    for phrase in RELATIVE_YEARS:
        text = re.sub(rf"(?<!比){phrase}", "", text, flags=re.IGNORECASE)
    return text.strip()


def asked_unit(asked: str) -> str:
    """The unit the question names ("多少亿元" -> 元) or implies ("多少钱" -> 元, "占比" -> %, "几家" -> 家); "" if none.
    A rank asked has none: "森林覆盖率全国排第几" is answered by 全国第2, not a percentage."""
    if RANK_ASKED.search(asked):
        return ""
    if m := ASKED_UNIT.search(asked):
        return m.group(1)
    for pattern, unit in IMPLIED_UNITS:
        if m := pattern.search(asked):
            return unit or m.group(1)
    if ENGLISH_MONEY.search(asked) and not CHANGE_OR_RATE.search(asked):  # "how much did prices rise" asks a rate
        return "元"
    return ""


def as_asked(question: str) -> str:
    """The question as parse reads it; with no earlier question, also what it resolves to (and is embedded as)."""
    return normalize(question).strip()


def parse(question: str, history: Sequence[str] = (), doc_year: int | None = None,
          vocabulary: Container[str] = (), scope: Container[str] = ()) -> Query:
    """Analyse a question in the light of the user's earlier questions (oldest first). With the
    index's `vocabulary`, a word jieba glued together that the report never uses is read as the
    part the report does use ("多少个托位" -> 个托位 -> 托位). Words in `scope` (the report's own place:
    江苏, 全省) say where, not what: they are not the topic."""
    asked = as_asked(question)
    previous = parse(history[-1], history[:-1], doc_year, vocabulary, scope) if history else None
    years = find_years(asked, doc_year)
    new_words = _drop_followup_opening(strip_period(asked, baselines=True))
    own_text = _drop_followup_opening(strip_period(asked))
    own_topic = [t for t in content_tokens(own_text)
                 if t not in GENERIC_ASKS and t not in scope and not ASKING.search(t)]  # "增速在全国排第几" names no thing
    # a word of its own the report uses, itself or through a bridge: "去年GDP多少？" and "What about jobs?" name a thing
    # in words the report never uses, and are not the question before with GDP added. Read only when there is a
    # question before: a first question's bridges (jieba over every term) would be looked up for nothing
    knows_own = previous is not None and (any(_known_part(t, vocabulary) in vocabulary for t in own_topic) or (
        bool(own_topic) and _bridges_known(own_text, vocabulary)))
    names_thing = previous is not None and _names_a_thing(new_words)  # 进出口, or only an action (计划完成多少)
    # a thing or a person named in words the report never uses ("美国总统是谁？", "今天天气怎么样？") starts a new
    # question, which the report's rules judge as any first one, not the question before with it added; "今年年底能到
    # 多少？" (a time) names none, and "那…" or "…呢" goes on with the question before in words of the asker's own
    names_unknown = previous is not None and bool(vocabulary) and not knows_own and has_cjk(asked) and not (
        FOLLOWUP_OPENING.match(asked) or FOLLOWUP_ENDING.search(asked)) and (
        any(w not in vocabulary for w in _named_things(ASKING.sub("，", own_text)))
        or not off_topic_words().isdisjoint(own_topic))  # "今天天气怎么样？": jieba tags 今天天气 an idiom
    is_followup = previous is not None and not names_unknown and (
        FOLLOWUP_OPENING.match(asked) is not None or not own_topic or len(asked) <= 8
        or FOLLOWUP_ENDING.search(asked) is not None and not ASKING.search(asked)
        # no word of its own the report uses ("今年年底能到多少？"): it goes on with the question before; an English
        # question's words are never the report's, only its pronouns say it goes on ("How much did it grow?")
        or (bool(vocabulary) and not knows_own if has_cjk(asked) else ENGLISH_REFERENCE.search(asked) is not None)
        # names only an action ("今年计划完成多少？", "比上年提高了几个百分点？"): done to the thing asked before
        or not names_thing
    )
    resolved = asked
    if is_followup:
        before = strip_period(previous.resolved, baselines=True)
        if not (topic_text := _swapped(before, new_words, own_topic)):  # "农村的呢？" after "城市低保标准…"
            # "那2020年开工了几个？" names an action, not a thing: the thing asked before is still the topic; so does
            # "那整个十五五期间呢" (整个: no word of the report)
            new_thing = own_topic and (not vocabulary or knows_own) and names_thing
            # a new thing keeps the measure asked before: "出口增长多少？" then "那进口呢？" asks how much 进口 grew
            # unless it asks its own question: "有死亡病例吗？" after "治愈出院多少例？" asks no 多少
            carried = " ".join(dict.fromkeys([*previous.asks, *([previous.unit] if previous.unit else [])])) \
                if not ASKING.search(asked) else ""
            topic_text = f"{new_words} {carried}".strip() if new_thing else f"{before} {new_words}"
        years = years or previous.years
        period_text = _period_words(previous.resolved) if years == previous.years else _period_words(asked)
        resolved = f"{period_text} {topic_text}".strip()
    keyed = keyed_bridges(resolved)  # the glossary is scanned once a question
    found = [terms for _, terms in keyed]
    telling = [(key, terms) for key, terms in keyed if set(terms) - GENERIC_ASKS]  # more than "增长" or "目标"
    bridges = terms_of(found)
    searched = tokenize(resolved + " " + bridges)
    tokens = [_known_part(t, vocabulary) for t in searched]
    # a follow-up's own words are all it adds to what it carries: a plan it compares with is one of them
    words = [_known_part(t, vocabulary) for t in content_tokens(strip_period(resolved, baselines=is_followup))]
    asks_actual = ACTUAL.search(asked) is not None  # then 实际 is the kind of value asked, not a topic word
    return Query(
        asked=asked,
        resolved=resolved,
        tokens=tuple(tokens),
        topic=tuple(dict.fromkeys(t for t in words if t not in GENERIC_ASKS and t not in scope
                                  and not (t == "实际" and asks_actual))),
        bridged=tuple(dict.fromkeys(t for t in content_tokens(bridges) if t not in GENERIC_ASKS)),
        asks=tuple(dict.fromkeys(t for t in searched if t in GENERIC_ASKS)),
        years=years,
        # "5G工厂呢？" after "新增了几家智能工厂？" asks for the figure asked before: 几 is not carried, 多少 is
        wants_figure=FIGURE_WORDS.search(resolved) is not None
        or is_followup and previous.wants_figure and ASKING.search(new_words) is None,
        wants_count=COUNT_WORDS.search(asked) is not None or (is_followup and COUNT_WORDS.search(resolved) is not None),
        asks_change=CHANGE_OR_RATE.search(resolved + " " + bridges) is not None,
        about="speaker" if ABOUT_SPEAKER.search(asked) else "occasion" if ABOUT_OCCASION.search(asked) else "",
        looks_ahead=AHEAD_WORDS.search(resolved) is not None,
        asks_day=DAY_WORDS.search(asked) is not None,
        unit=asked_unit(asked),
        is_followup=is_followup,
        asks_actual=asks_actual,
        bridge_sets=tuple(terms for _, terms in telling),
        bridge_keys=tuple(key for key, _ in telling),
        asks_growth=GROWTH_WORDS.search(resolved) is not None,
        asks_share=SHARE_WORDS.search(resolved) is not None,
    )


def _bridges_known(text: str, vocabulary: Container[str]) -> bool:
    """Whether a bridge said in the text (qa/data/glossary.tsv) names more than what is asked (增长, 目标) in terms
    the report uses."""
    return any(_known_part(t, vocabulary) in vocabulary
               for _, terms in keyed_bridges(text) for term in terms for t in tokenize(term) if t not in GENERIC_ASKS)


# jieba part-of-speech tags of words that name a thing: nouns, verbal nouns, abbreviations, idioms.
_THING_TAGS = ("n", "vn", "j", "b", "l", "i", "eng")


def _names_a_thing(text: str) -> bool:
    """Whether the words name a thing (进出口, 一般公共预算收入) rather than only an action (开工了几个).
    jieba's tags are rough: two content words or more are taken as a noun phrase."""
    words = _tagged_words(text)
    return len(words) >= 2 or any(flag.startswith(_THING_TAGS) for _, flag in words)


def things_named(text: str) -> tuple[str, ...]:
    """The words of the text that name a thing a report may speak of (小区, 积水, 比例), by jieba's tags: not a
    place or a person (美国, 周杰伦: they say whose, not what), not an action (推荐, 赚钱)."""
    return tuple(w for w, flag in _tagged_words(text) if flag.startswith(_THING_TAGS) and not flag.startswith(("ns", "nr")))


# jieba's tags of nouns, names of persons and bodies, and foreign words: not places (ns), which say where
_NOUN_TAGS = ("n", "nr", "nrt", "nt", "nz", "eng")


def _named_things(text: str) -> list[str]:
    """The nouns and names of the text (总统, 周杰伦), not of places: what a question may be about."""
    return [w for w, flag in _tagged_words(text) if flag in _NOUN_TAGS]


# numerals, measure words, particles, pronouns, adverbs, prepositions, conjunctions, modal particles, times (五年, 今年)
_NOT_THING_TAGS = ("m", "q", "u", "r", "d", "p", "c", "y", "t")


@lru_cache(maxsize=1024)
def _tagged_words(text: str) -> tuple[tuple[str, str], ...]:
    """jieba's words of the text with their part-of-speech tags: words of two characters or more, without numerals,
    measure words, particles, pronouns, adverbs, prepositions, conjunctions, times, question words or kinds of value
    (目标, 实际)."""
    from jieba import posseg

    _jieba()  # initialized quietly
    return tuple((w, flag) for w, flag in posseg.lcut(text) if not flag.startswith(_NOT_THING_TAGS)
                 and len(w) > 1 and (has_cjk(w) or w.isalpha()) and w.lower() not in QUESTION_WORDS and not _asks_a_kind(w))


def _asks_a_kind(word: str) -> bool:
    """A kind of value rather than a thing: 目标, 实际 (done, against planned), or a plan word heading a compound
    (控制目标, 年度计划); 出口总额 still names 出口."""
    return word in GENERIC_ASKS or word in KIND_WORDS or word.endswith(PLAN_WORDS) or ACTUAL.fullmatch(word) is not None


# how a value is told rather than of what: "增长率呢？" after "农村电商卖了多少钱？" asks the same thing's rate,
# "人均呢？" after "经济总量多大" the same thing's per head
KIND_WORDS = frozenset(["增长率", "增幅", "涨幅", "降幅", "比重", "占比", "人均"])


PLAN_WORDS = ("目标", "预期", "计划", "打算")


def _listed(path: Path) -> list[str]:
    """The entries of a one-a-line data file (qa/data/*.txt), without blank lines and # comments; none if it is gone."""
    lines = path.read_text("utf-8").splitlines() if path.is_file() else []
    return [ln.strip() for ln in lines if ln.strip() and not ln.startswith("#")]


@cache
def _small_talk() -> frozenset[str]:
    return frozenset(SMALL_TALK_NOISE.sub("", ln.lower()) for ln in _listed(SMALL_TALK_FILE))


@cache
def off_topic_words() -> frozenset[str]:
    """Subjects a work report never answers (qa/data/offtopic.txt): 天气, 总统, 彩票."""
    return frozenset(_listed(OFF_TOPIC_FILE))


def is_small_talk(question: str) -> bool:
    """A greeting, thanks or "who are you" rather than a question about the report (qa/data/smalltalk.txt), or
    several of them in a row: "好的，谢谢你，辛苦了！"."""
    text = SMALL_TALK_NOISE.sub("", normalize(question).lower())
    phrases = _small_talk()
    longest = max(map(len, phrases), default=0)
    ends = [0]  # where a run of phrases from the start of the text can end
    for end in range(1, len(text) + 1):
        if any(text[start:end] in phrases for start in ends if end - start <= longest):
            ends.append(end)
    return bool(text) and ends[-1] == len(text)


def _known_part(token: str, vocabulary: Container[str]) -> str:
    """The token, or its longest end or start of two or more characters that the vocabulary has."""
    if not vocabulary or token in vocabulary or len(token) < 3 or not has_cjk(token):
        return token
    parts = [token[i:] for i in range(1, len(token) - 1)] + [token[:j] for j in range(len(token) - 1, 1, -1)]
    return next((p for p in sorted(parts, key=len, reverse=True) if p in vocabulary), token)


def _period_words(text: str) -> str:
    """The words of a question that name its period, e.g. "2020年" or "十四五"."""
    found = [m.group(0) for m in PLAN.finditer(text) if not _is_baseline_plan(text, m)]
    found += [m.group(0) + "年" for m in YEAR.finditer(text)]
    found += [m.group(0) for m in PAST_FIVE.finditer(text)] + [m.group(0) for m in NEXT_FIVE.finditer(text)]
    found += [p for p in RELATIVE_YEARS if p in text.lower() and f"比{p}" not in text]
    return " ".join(dict.fromkeys(w.replace("年年", "年") for w in found))


COUNTERPARTS_FILE = Path(__file__).parent / "data" / "counterparts.txt"


@cache
def counterparts() -> tuple[tuple[str, ...], ...]:
    """Groups of words a follow-up swaps for one another (qa/data/counterparts.txt, a group a line): any word of a
    group for any other, whatever its side."""
    return tuple(tuple(w for side in sides for w in side) for sides in counterpart_sides())


@cache
def counterpart_sides() -> tuple[tuple[tuple[str, ...], ...], ...]:
    """Each group's sides, words that name one thing: those between "/" ("城市 城镇 / 农村 乡村"), else each word.
    The answer scorer is told when a figure is of another side than the question's (收入 and 支出)."""
    return tuple(tuple(tuple(side.split()) for side in line.split("/")) if "/" in line else tuple((w,) for w in line.split())
                 for line in _listed(COUNTERPARTS_FILE))


def _swapped(previous: str, new_words: str, own_topic: Sequence[str]) -> str | None:
    """The question before with one word swapped for the counterpart a follow-up names: "城市低保标准提高了多少" and
    "农村的呢" give "农村低保标准提高了多少"; None when the follow-up names no counterpart of a word before, or
    names a thing of its own besides (`own_topic`, its topic words: "那农村公路呢" after "城市道路…" asks about 公路)."""
    for group in counterparts():
        for new in (w for w in group if w in new_words and w not in previous):
            if old := next((w for w in group if w != new and w in previous), None):
                own_thing = any(t not in new and t not in previous for t in own_topic)
                return None if own_thing else previous.replace(old, new, 1)
    return None


def _drop_followup_opening(text: str) -> str:
    text = FOLLOWUP_OPENING.sub("", text).strip()
    return re.sub(r"(呢|吗)?[？?。！!]*$", "", text).strip()


def is_meaningful(question: str) -> bool:
    """False for input with no word to search for (punctuation, emoji, whitespace)."""
    return any(t not in QUESTION_WORDS for t in tokenize(question))
