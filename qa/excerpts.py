"""What a reader sees of a cited paragraph first: the answering sentence, with a clause of context around it."""

from __future__ import annotations

import re

from qa.figures import split_sentences

CONTEXT = 40  # characters of context kept on each side of the answering sentence, cut at a clause end


def sentence_span(text: str, marked: tuple[int, int] | None, headings=()) -> tuple[int, int]:
    """The span to show as the answer's sentence: `marked` if given, else the paragraph's first sentence that is
    not one of its `headings` repeated ("（五）深化改革开放…。" opens many paragraphs and says nothing new)."""
    if marked and 0 <= marked[0] < marked[1] <= len(text):
        return tuple(marked)
    spans = split_sentences(text) or [(0, len(text))]
    said = [h.strip("。 ") for h in headings if h]
    return next((s for s in spans if text[s[0] : s[1]].strip("。 ") not in said), spans[0])


def excerpt(text: str, marked: tuple[int, int] | None, context: int = CONTEXT,
            headings=()) -> tuple[str, tuple[int, int], bool, bool]:
    """The sentence with up to `context` characters either side, cut after a clause mark so no phrase is halved.

    Returns (excerpt, the sentence's span within it, cut before, cut after).
    Example: a 400-character paragraph whose answer is "全年地区生产总值增长3.9%，" -> the clause before it, the
    sentence, the clause after, with cut flags so the caller can add "…".
    """
    start, end = sentence_span(text, marked, headings)
    left = text[max(0, start - context) : start]
    if start - context > 0:  # begin after the first clause mark, or keep all if none
        m = re.search(r"[，,；;：:。！？、]", left)
        left = left[m.end() :] if m else left
    right = text[end : end + context]
    if end + context < len(text):
        m = None
        for m in re.finditer(r"[，,；;：:。！？、]", right):
            pass
        right = right[: m.end()] if m else right
    a = start - len(left)
    b = end + len(right)
    return text[a:b], (start - a, end - a), a > 0, b < len(text)


def sentence_of(text: str, marked: tuple[int, int] | None, limit: int = 120, headings=()) -> str:
    """The answering sentence alone, shortened to `limit` characters: what `qa ask` prints for a citation."""
    start, end = sentence_span(text, marked, headings)
    sentence = text[start:end].strip()
    return sentence if len(sentence) <= limit else sentence[: limit - 1] + "…"
