"""Figure extraction: every number in a report sentence with its indicator, unit and change.

General rules for how Chinese government reports phrase figures (no sentence of any one report is listed):

- A figure is a number (ASCII or full-width digits, optional decimals) followed by a unit: an optional 多 or 余,
  an optional scale (万/亿/万亿), an optional measure word (元, %, 个, 家, 公里 ...) and an optional
  qualifier (以上/以下/以内/左右). The qualifier is kept at the end of `unit` ("%左右", "万元以上") so the
  table shows "7%左右"; `value` is only the number as written.
- Not figures: numbers with no unit at all (list numbering "1.", codes "“152”", versions "2.0版"),
  dates (a 4-digit number before 年, any number before 月/日), ordinals (第N), names (a number right
  after an opening quote, or touching Latin letters: 5G, G20, PM2.5).
- A threshold followed by more of its clause and another number ("10亿元以上产业项目126个") is part of
  the next figure's indicator, not a figure.
- A rate after a change verb ("、增长13.3%") is the `change` of the figure just before it when only
  punctuation separates them; otherwise it is a figure of its own whose indicator is the text before
  the verb ("地区生产总值增长3.9%").
- 分别 pairs by position: "A、B分别增长x、y" gives A→x, B→y; "余额分别为x、y，分别增长a、b" gives x→a, y→b.
- "从a增加到b" gives one figure for b whose change is "从a增加到b"; lists on both sides pair up.
- A figure with no name of its own, reached in the same clause as the figure before it ("增长5.5%、达到10.3万亿元"),
  measures what that one measures.
- Indicator: text before the number back to the previous figure or to ，；：、, with quotes, leading
  verbs (完成, 累计 ...) and trailing verbs (达到, 突破 ...) trimmed, cut to its last 20 characters (the
  head noun comes last in Chinese). When that is empty or a verb phrase before a count
  ("选派1.1万名干部"), the words after the figure are added. Conjunctions (和/与) inside a noun phrase
  stay: "研发与试验发展经费支出与地区生产总值之比" is one indicator.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

# fmt: off
_MEASURES = sorted(
    ["个百分点", "百分点", "%", "％", "‰", "倍", "美元", "元", "人次", "人", "名", "位", "个", "家", "所", "张",
     "条", "平方公里", "公里", "千米", "平方米", "微克/立方米", "立方米", "米", "亩", "户", "套", "项", "件", "座",
     "台", "辆", "例", "吨", "公斤", "斤", "GW", "MW", "千瓦", "周年", "年", "天", "小时", "分钟", "岁", "次",
     "场", "批", "支", "艘", "幢", "栋", "部", "处", "间", "标准箱", "种", "列", "轮", "类", "款", "枚", "度",
     "颗", "起", "宗", "头", "只", "份", "架", "株", "块", "兆瓦时", "兆瓦", "千瓦时"],
    key=len, reverse=True,
)  # longest first so 个百分点 wins over 个
# fmt: on
_FIG = re.compile(
    r"(?<![\d.])(?P<value>\d+(?:\.\d+)?)(?P<unit>[多余]?(?:万亿|亿|万)?[多余]?"
    r"(?P<meas>" + "|".join(map(re.escape, _MEASURES)) + r")?(?P<qual>以上|以下|以内|左右)?)"
)
_BOUND = "，,、；;：:。！？!?"
_RATES = {"%", "％", "‰", "个百分点", "百分点", "倍"}
_VERBS = "增长|下降|上升|提高|提升|增加|减少|降低|回落|下滑|压减|扩大|缩小"
_RATE_AFTER_VERB = re.compile(rf"(?:{_VERBS})(?:了|达|为|到|至)?(?:[\d.]+(?:%|％|个百分点)?[、和及与])*$")  # "分别增长3.9%和"
_CHANGE = re.compile(rf"(?:分别|同比|比上年|年均|均)*(?:{_VERBS})$")
_OF_YEAR = r"(?:\d{4}年(?:底|末)?的?)?"  # "从2020年的3.68万亿元增长到2025年的4.93万亿元"
_TO = re.compile(rf"(?:{_VERBS})?[到至]{_OF_YEAR}")
_FROM_LEAD = re.compile(rf"[从由]{_OF_YEAR}")  # where a change starts: "从1.05万亿元", "从2020年的3.68万亿元"
_SEP = re.compile(r"[、和及与]?")
_LEAD = re.compile(r"^(?:\d+[.．、)）]|其中|全年|今年|累计|完成|力争|确保|全面|基本|并|将|把|是|的|另)")
_TRAIL = re.compile(
    rf"(?:(?:{_VERBS})?[到至]|达到|达|为|是|突破|超过|超|控制在|保持在|稳定在|不低于|不少于|不超过|高于|低于|力争|分别|均|累计|约|近|在|的)$"
)
# a count of milestones passed ("跨越3个千亿元台阶"): it counts steps, and the level reached after it ("，达到1.5万亿元")
# measures the subject before it
_STEPS = re.compile(r"(?:万亿|千亿|百亿|亿|万)[元级]?(?:台阶|大关|关口)")
_STEP_VERB = re.compile(r"(?:五年|连续|接连|连)*(?:跨越|跨过|迈上|迈过|跨上|登上|站上|越过|跨)$")
_FULLWIDTH = str.maketrans("０１２３４５６７８９．％", "0123456789.%")


@dataclass(frozen=True)
class Figure:
    indicator: str  # what is measured, e.g. "网络零售额"; "" if none found
    value: str  # the number as written, e.g. "8992"
    unit: str  # scale + measure + qualifier, e.g. "亿元", "%左右"; "" if none
    change: str  # e.g. "增长19.7%", "从1.05万亿元增加到1.61万亿元"; "" if none
    sentence: str  # the whole sentence holding the figure
    start: int  # offset of value+unit in the text passed in
    end: int


@dataclass
class _Item:
    start: int
    end: int
    value: str
    unit: str
    gap: str  # text since the previous figure of the sentence
    prefix: str  # gap after its last ，；：
    kind: str  # F(igure), C(hange rate), from, to
    head: str = ""  # prefix without the change verb / 从
    verb: str = ""
    indicator: str = ""
    change: str = ""
    drop: bool = False
    subject: str = ""  # what a count of milestones is of (地区生产总值 in "地区生产总值跨越3个千亿元台阶")


def is_change_rate(figure: Figure, text: str) -> bool:
    """A rate of change ("增长3.9%"), not a level ("1.61万亿元") or a share ("覆盖率66.9%"); `text` is the
    text the figure was extracted from."""
    return measure_of(figure.unit) in _RATES and _RATE_AFTER_VERB.search(text[: figure.start]) is not None


def is_percentage(figure: Figure) -> bool:
    """In %, ‰ or 个百分点: a share or a rate, never an amount (倍 is a rate's measure, not a percentage)."""
    return measure_of(figure.unit) in _RATES - {"倍"}


def is_change(figure: Figure, text: str, shown: str) -> bool:
    """Whether `shown` (the part of `text` given as the answer) says a change of any unit: a level with its change
    ("从1.05万亿元增加到1.61万亿元") when the change is in it, else a figure after a change verb ("增长3.9%",
    "增加120亿元")."""
    if figure.change:
        return figure.change in shown
    return _RATE_AFTER_VERB.search(text[: figure.start]) is not None


def starts_from(figure: Figure) -> bool:
    """Whether the figure's change names where it starts: "从80户增加到810户", "由1.05万亿元…"."""
    return _FROM_LEAD.match(figure.change) is not None


def start_span(figure: Figure, text: str) -> tuple[int, int] | None:
    """Where in `text` the level a change starts from is: 80户 of "从80户增加到810户"; None when it has none."""
    lead = _FROM_LEAD.match(figure.change)
    level = _FIG.match(figure.change.translate(_FULLWIDTH), lead.end()) if lead else None
    # the level as written, before the figure: 分别从4.8万元、2.6万元增加到6.9万元、3.9万元 lists them apart
    at = text.rfind(figure.change[lead.end() : level.end()], 0, figure.start) if level else -1
    return (at, at + level.end() - lead.end()) if at >= 0 else None


def measure_of(unit: str) -> str:
    """The measure word of a unit, without scale or qualifier: "亿元" -> "元", "%左右" -> "%"."""
    return re.sub(r"^[多余]?(?:万亿|亿|万|千)?[多余]?|(?:以上|以下|以内|左右)$", "", unit)


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Spans of sentences, split after 。！？； (closing quotes stay with their sentence) and at newlines."""
    spans = []
    for m in re.finditer(r"[^。！？；\n]+(?:[。！？；]+[”’」』）)]*)?|[。！？；]+", text):
        a, b = m.span()
        a += len(m.group()) - len(m.group().lstrip())
        b -= len(m.group()) - len(m.group().rstrip())
        if a < b:
            spans.append((a, b))
    return spans


@lru_cache(maxsize=16384)
def figures_in(text: str) -> tuple[Figure, ...]:
    """`extract_figures`, kept: report sentences are read for figures again and again, question after question."""
    return tuple(extract_figures(text))


def extract_figures(text: str) -> list[Figure]:
    """All figures in text, in order."""
    out = []
    for a, b in split_sentences(text):
        for it in _sentence_items(text[a:b]):
            out.append(Figure(it.indicator, it.value, it.unit, it.change, text[a:b], a + it.start, a + it.end))
    return out


def clean_indicator(t: str) -> str:
    """Indicator text without quotes, list marks and the verbs around it ("力争达到")."""
    t = re.sub(r"[“”‘’\"《》「」『』①-⑳\s]|实现", "", t)
    prev = None
    while prev != t:  # trim verb layers like "力争达到" one at a time
        prev, t = t, _TRAIL.sub("", _LEAD.sub("", t.strip(_BOUND)))
    return t[-20:]


def _names(head: str, n: int, respectively: bool) -> list[str]:
    """Indicators for a run of n figures sharing one head; 分别 with n listed names pairs them up."""
    if respectively:
        head = head.split("分别")[0]
        parts = re.split(r"[、和及与]", head)
        if n > 1 and len(parts) == n:
            return [clean_indicator(p) for p in parts]
    return [clean_indicator(head.rsplit("、", 1)[-1])] * n


def _is_figure(s: str, m: re.Match) -> bool:
    before = s[m.start() - 1] if m.start() else ""
    if not m["unit"] or before in "第“‘《「『" or (before.isascii() and before.isalpha()):
        return False
    if m["meas"] == "年" and len(m["value"]) == 4 and not {"多", "余"} & set(m["unit"]):
        return False  # a date such as 2020年
    # a threshold ("35岁以下大学生43.6万人") qualifies the next figure of its clause
    return not (m["qual"] in ("以上", "以下") and re.match(rf"[^\d{_BOUND}]+\d", s[m.end() :]))


def _sentence_items(raw: str) -> list[_Item]:
    s = raw.translate(_FULLWIDTH)  # same length, so offsets stay valid
    items: list[_Item] = []
    for m in _FIG.finditer(s):
        if not _is_figure(s, m):
            continue
        gap = s[items[-1].end if items else 0 : m.start()]
        prefix = re.split(r"[，,；;：:]", gap)[-1]
        it = _Item(m.start(), m.end(), raw[m.start() : m.end("value")], raw[m.end("value") : m.end()], gap, prefix, "F")
        prev = items[-1] if items else None
        c = _CHANGE.search(prefix)
        if prev and prev.kind in ("C", "from", "to") and _SEP.fullmatch(gap):
            it.kind, it.verb = prev.kind, prev.verb
        elif c and m["meas"] in _RATES:
            it.kind, it.head, it.verb = "C", prefix[: c.start()], re.sub(r"分别|^均", "", c.group())
        elif start := next((m for m in _FROM_LEAD.finditer(prefix) if m.end() == len(prefix)), None):
            it.kind, it.head, it.verb = "from", prefix[: start.start()], start.group()
        elif prev and prev.kind == "from" and _TO.fullmatch(prefix):
            it.kind = "to"
        it.change = it.verb + it.value + it.unit if it.kind == "C" else ""
        items.append(it)
    runs: list[list[_Item]] = []  # consecutive items of one kind joined only by 、/和/及/与
    for it in items:
        if runs and runs[-1][-1].kind == it.kind and _SEP.fullmatch(it.gap):
            runs[-1].append(it)
        else:
            runs.append([it])
    for i, run in enumerate(runs):
        first, prev_run = run[0], runs[i - 1] if i else []
        nxt = runs[i + 1] if i + 1 < len(runs) else []
        if first.kind == "C" and not first.head.strip(_BOUND) and prev_run and prev_run[0].kind == "F":
            targets = prev_run if len(prev_run) == len(run) else prev_run[-1:]
            for t, c in zip(targets, run):
                if not t.change:
                    t.change, c.drop = c.change, True
        if first.kind == "from" and nxt and nxt[0].kind == "to":
            for f, t in zip(run, nxt):
                t.change = f"{first.verb}{f.value}{f.unit}{nxt[0].prefix}{t.value}{t.unit}"
                f.drop = True
            for t, name in zip(nxt, _names(first.head, len(nxt), "分别" in first.prefix)):
                t.indicator = name
        elif first.kind in ("C", "from") or ("分别" in first.prefix and len(run) > 1):
            head = first.head if first.kind != "F" else first.prefix
            for it, name in zip(run, _names(head, len(run), "分别" in first.prefix)):
                it.indicator = it.indicator or name
        elif first.kind == "F":
            for k, it in enumerate(run):
                if steps := _STEPS.match(s, it.end):
                    it.indicator, it.subject = steps.group(), clean_indicator(_STEP_VERB.sub("", it.prefix.rsplit("、", 1)[-1]))
                    continue
                it.indicator = _plain_name(s, it) or (run[k - 1].indicator if k else _same_clause(prev_run, it))
    return [it for it in items if not it.drop]


def _same_clause(prev_run: list[_Item], it: _Item) -> str:
    """A nameless figure reached in the clause of the figure before it measures the same: 地区生产总值增长5.5%、
    达到10.3万亿元; 突破3万亿元、达3.6万亿元."""
    if prev_run and prev_run[-1].subject:  # "跨越3个千亿元台阶，达到1.5万亿元": the level of what crossed them
        return prev_run[-1].subject
    return prev_run[-1].indicator if prev_run and it.prefix == it.gap else ""  # no clause break between them


def _plain_name(s: str, it: _Item) -> str:
    """Name from the words before a figure; add the words after it for counts like "选派1.1万名干部"."""
    before = it.prefix.rsplit("、", 1)[-1]
    tail = re.match(rf"[^\d{_BOUND}]*", s[it.end :]).group()
    blocked = s[it.end + len(tail) : it.end + len(tail) + 1].isdigit()  # the words lead to the next number
    base = clean_indicator(before)
    if not base:
        return clean_indicator(tail)
    if tail and not blocked and not tail.startswith("的"):
        return clean_indicator(before + tail)
    return base
