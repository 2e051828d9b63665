"""Text normalization and word tokens (jieba) shared by BM25, question analysis and answer extraction."""

from __future__ import annotations

import logging
import re
import unicodedata
from functools import lru_cache

# Words that say how a question is asked, not what it is about.
_QUESTION_WORDS = (
    "的 了 是 在 和 与 及 或 吗 呢 吧 啊 呀 那 那么 这 这个 那个 哪 哪些 哪个 什么 多少 几 几个 怎么 怎样 如何 "
    "请问 请 告诉 我 我们 你 有 有没有 没有 有何 为 为了 对 把 被 给 让 说 讲 提到 报告 政府 工作 一下 情况 "
    "方面 主要 关于 是否 会 能 要 将 还 又 也 都 就 多 大 啊 个 些 "
    "what how much many which who when where why is are was were the a an of in to for on by and or "
    "did does do has have had be it its this that there their about then also report government hangzhou"
)
QUESTION_WORDS = frozenset(_QUESTION_WORDS.split())
PUNCTUATION = re.compile(r"^[\W_]+$")


def _converter():
    try:
        import opencc

        return opencc.OpenCC("t2s").convert
    except Exception:  # noqa: BLE001 - opencc is optional: without it traditional characters simply match less
        return lambda text: text


_to_simplified = _converter()


def normalize(text: str) -> str:
    """NFKC (full-width digits and letters to ASCII), traditional to simplified, no control characters.

    Example: "２０２０年國內生產總值" -> "2020年国内生产总值"
    """
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
    # NFKC turns full-width CJK punctuation into ASCII; keep the report's own forms
    text = text.replace("(", "（").replace(")", "）").replace(",", "，").replace(";", "；")
    return _to_simplified(text)


@lru_cache(maxsize=1)
def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def tokenize(text: str) -> list[str]:
    """Search-mode jieba tokens, lower-cased, without punctuation or spaces.

    Example: "地区生产总值增长3.9%" -> ["地区", "生产", "总值", "生产总值", "地区生产总值", "增长", "3.9"]
    """
    return list(_tokens(text))


@lru_cache(maxsize=4096)
def _tokens(text: str) -> tuple[str, ...]:
    """A question's texts are tokenized several times while it is parsed (asked, resolved, topic)."""
    tokens = _jieba().lcut_for_search(normalize(text).lower())
    return tuple(t for t in (tok.strip() for tok in tokens) if t and not PUNCTUATION.match(t))


def content_tokens(text: str) -> list[str]:
    """Tokens that carry the topic: no question words, no single CJK characters."""
    return [t for t in tokenize(text) if t not in QUESTION_WORDS and not _is_single_cjk(t)]



def _is_single_cjk(token: str) -> bool:
    return len(token) == 1 and "\u4e00" <= token <= "\u9fff"


CJK = re.compile("[\u4e00-\u9fff]")


def has_cjk(text: str) -> bool:
    return CJK.search(text) is not None
