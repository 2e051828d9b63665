"""The one place that wires the stages: build_index, load_index and ask."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from qa import index as index_files
from qa.answer import Answer, about_report, not_found
from qa.answer import answer as extract_answer
from qa.candidates import Candidate, candidates
from qa.chunking import chunk_documents
from qa.corpus import refuse_copies, unique_ids
from qa.embedcache import cached, embed_chunks
from qa.embedding import Embedder, load_embedder
from qa.errors import IndexError_
from qa.index import Index
from qa.onnx_model import model_id_for
from qa.places import other_place, scope_words
from qa.query import MAX_QUESTION_CHARS, Query, is_meaningful, is_small_talk, parse
from qa.retrieval import PERIOD_OTHER, Hit, covered_years, period_fit, retrieve, reviewed_years
from qa.scorer import Scorer, load_scorer
from qa.settings import PROJECT_ROOT, Settings
from qa.source import read_documents
from qa.tokens import has_cjk

Progress = Callable[[str], None]
MARKUP = re.compile(r"<[^>]{0,200}>")
EXAMPLE_QUESTION = "去年地区生产总值增长多少？"  # asks of any report: shown where a question was not understood
# A follow-up uses the last three meaningful earlier questions; reading ten turns leaves room for refused
# ones. Turns past these, and any turn longer than a question may be, are dropped before cleaning or word
# splitting, so a history costs at most a few thousand characters of work whatever a client sends.
MAX_HISTORY_TURNS = 10
# Checked after retrieval (it cannot stop a stage midway): an answer that missed it is not worth waiting more.
TIME_LIMIT_S = 5.0
log = logging.getLogger(__name__)


def build_index(paths: Sequence[Path] | None = None, settings: Settings | None = None,
                progress: Progress | None = None, embed_progress: Callable[[int, int], None] | None = None) -> Index:
    """Read, chunk and embed the reports, and return the index (not yet saved). Every text is embedded (see
    qa/embedcache.py for why a full build does not read the cache) and written to the embedding cache, for
    later `qa build --add`."""
    settings = settings or Settings.from_env()
    paths = [Path(p) for p in (paths or settings.reports)]
    documents = [d for p in paths for d in read_documents(p)]
    refuse_copies(documents)
    documents = unique_ids(documents)
    chunks = chunk_documents(documents)
    embedder = load_embedder(settings, progress)
    if progress:
        progress(f"embedding {len(chunks)} chunks from {len(documents)} report(s)")
    vectors, sentence_vectors = embed_chunks(cached(embedder, settings.embedding_cache_dir, read=False), chunks,
                                             progress, embed_progress)
    built = index_files.build(documents, chunks, vectors, embedder.model_id, sentence_vectors)
    built.embedder = embedder
    return built


def load_index(directory: Path | None = None, settings: Settings | None = None, check_sources: bool = True) -> Index:
    """Load a saved index and check it still matches its reports and the configured model."""
    settings = settings or Settings.from_env()
    directory = Path(directory or settings.index_dir)
    loaded = index_files.load(directory)
    if check_sources and (stale := index_files.stale_sources(loaded.manifest, PROJECT_ROOT)):
        raise IndexError_(f"{', '.join(stale)} changed since {directory} was built: run `qa build`")
    wanted = settings.embed_model and model_id_for(settings)
    if wanted and wanted != loaded.model_id:
        raise IndexError_(
            f"{directory} was built with the model {loaded.model_id}, but QA_EMBED_MODEL and QA_BACKEND give "
            f"{wanted}: run `qa build` to rebuild it with this model, or unset QA_EMBED_MODEL"
        )
    loaded.settings = settings
    return loaded


def embedder_for(index: Index) -> Embedder:
    """The index's query embedder, loaded on first use (the same model that built it)."""
    if getattr(index, "embedder", None) is None:
        settings = getattr(index, "settings", None) or Settings.from_env()
        # checked before loading too: a torch-built index asked with the ONNX backend fails at once
        _check_model(index, model_id_for(settings), settings)
        embedder = load_embedder(settings)
        _check_model(index, embedder.model_id, settings)
        index.embedder = embedder
    return index.embedder


def scorer_for(index: Index) -> Scorer:
    """The answer scorer, read once per index from its data file."""
    if getattr(index, "scorer", None) is None:
        index.scorer = load_scorer()
    return index.scorer


def _check_model(index: Index, model_id: str, settings: Settings) -> None:
    if model_id != index.model_id:
        raise IndexError_(f"the index was built with {index.model_id}, not {model_id} (QA_BACKEND={settings.backend}): "
                          "run `qa build`, or set QA_BACKEND to the backend that built it")


def user_questions(history) -> list[str]:
    """Earlier user questions from a history of strings, (user, bot) pairs or chat messages.

    Anything else (a number, None, bytes, a malformed turn) counts as no history rather than an error.
    Example: ["2020年GDP增长多少？", 5, "x" * 10**6] -> ["2020年GDP增长多少？"]
    """
    questions = []
    for turn in _recent_turns(history):
        text = _turn_text(turn)
        if text and len(text) <= MAX_QUESTION_CHARS:  # longer ones were refused when asked
            questions.append(text)
    return [q for q in (clean_question(q) for q in questions) if q and is_meaningful(q)][-3:]


def _recent_turns(history) -> list:
    if isinstance(history, str):  # one earlier question, not a sequence of characters
        return [history]
    if not isinstance(history, (list, tuple)):
        return []
    return list(history[-MAX_HISTORY_TURNS:])


def _turn_text(turn) -> str | None:
    if isinstance(turn, str):
        return turn
    if isinstance(turn, dict) and turn.get("role") == "user":
        content = turn.get("content")
        if isinstance(content, list):  # a message in parts: [{"type": "text", "text": "…"}]
            texts = [part.get("text") for part in content[:MAX_HISTORY_TURNS] if isinstance(part, dict)]
            content = " ".join(text for text in texts if isinstance(text, str))
        return content if isinstance(content, str) else None
    if isinstance(turn, (list, tuple)) and turn and isinstance(turn[0], str):
        return turn[0]
    return None


def clean_question(question) -> str:
    return MARKUP.sub(" ", question if isinstance(question, str) else "").strip()


@dataclass(frozen=True)
class Prepared:
    """A question made ready for the scorer: its analysis, the hits it may be answered from and their
    candidates; or the answer a rule gives before any scoring (a greeting, a byline, a year not covered)."""

    query: Query | None
    hits: list[Hit]
    pool: list[Candidate]
    early: Answer | None = None


def ask(index: Index, question: str, history=(), mode: str = "hybrid", abstain: bool = True,
        scorer: Scorer | None = None) -> Answer:
    """Answer a question from the index. Never raises for bad input: the answer says what is wrong.

    `mode` "dense" or "bm25" uses one retriever and never abstains (the baselines); `abstain=False`
    keeps the full pipeline but always answers; `scorer` replaces the committed answer scorer (the
    eval's leave-one-report-out models).
    """
    prepared = prepare(index, question, history, mode, abstain)
    if prepared.early is not None:
        return prepared.early
    chosen = extract_answer(prepared.query, prepared.hits, prepared.pool, scorer or scorer_for(index),
                            require_confidence=mode == "hybrid" and abstain)
    return replace(chosen, question=question if isinstance(question, str) else "")


def prepare(index: Index, question: str, history=(), mode: str = "hybrid", abstain: bool = True) -> Prepared:
    """Everything before the scorer's choice: input checks, small talk, retrieval, period rules, candidates."""
    raw = question if isinstance(question, str) else ""  # None, numbers, bytes: asked to type a question
    if not raw.strip():
        return Prepared(None, [], [], Answer(raw, raw, "请输入一个问题，例如：" + EXAMPLE_QUESTION, (), False))
    if len(raw) > MAX_QUESTION_CHARS:
        return Prepared(None, [], [], Answer(raw[:MAX_QUESTION_CHARS], "", f"问题太长了（{len(raw)}字）。"
                                             f"请把问题缩短到{MAX_QUESTION_CHARS}字以内。", (), False))
    text = clean_question(raw)
    if not is_meaningful(text):
        return Prepared(None, [], [], Answer(raw, text, "没有看懂这个问题：请用文字说明想了解什么，例如："
                                             + EXAMPLE_QUESTION, (), False))
    if is_small_talk(text):
        return Prepared(None, [], [], Answer(raw, text, welcome(index), (), False))
    if mode != "bm25":
        embedder_for(index)  # the model's first load (seconds, once per process) is not this question's time
    started = time.monotonic()
    query, hits = search(index, text, history, mode)
    if (spent := time.monotonic() - started) > TIME_LIMIT_S:
        log.warning("question took %.1f s before answer extraction, over the %.0f s limit: %.80r", spent, TIME_LIMIT_S, raw)
        return Prepared(query, hits, [], Answer(raw, query.resolved, "这个问题处理得太久了，请稍后再试，或换一个更简短的问法。",
                                                (), False))
    early = _rules(index, query, hits) if mode == "hybrid" and abstain else None
    if early is not None:
        return Prepared(query, hits, [], replace(early, question=raw))
    if mode == "hybrid" and abstain:
        hits = [h for h in hits if period_fit(h.paragraph.period, query.years) != PERIOD_OTHER]
    return Prepared(query, hits, candidates(index, query, hits))


def _rules(index: Index, query: Query, hits: list[Hit]) -> Answer | None:
    """What is decided before any scoring: the report's byline, and periods the report does not cover."""
    if query.about and (byline := about_report(index, query)):
        return byline
    if not knows_any_word(index, query):
        return not_found(query, [], "这些词")
    topic = [w for w in (*query.topic, *query.bridged) if has_cjk(w)]
    if place := other_place(query.asked, report_places(index), lambda word: mentioned(index, word, topic)):
        whose = "、".join(report_places(index)) or "另一个地方"
        return not_found(query, hits, f"关于{place}的内容（这是{whose}的报告）")
    if query.years and query.years[0] == query.years[1]:
        year = query.years[0]
        if year not in covered_years(index):
            return not_found(query, hits, f"关于{year}年的内容")
        if query.asks_actual and year not in reviewed_years(index):
            return not_found(query, hits, f"{year}年的实际完成情况（报告只有这一年的计划和目标）")
    if not any(period_fit(h.paragraph.period, query.years) != PERIOD_OTHER for h in hits):
        return not_found(query, hits, "所问时期的相关内容")
    return None


def knows_any_word(index: Index, query: Query) -> bool:
    """Whether the report uses any word of the question (or of its vocabulary bridges). A question of three or
    more English words may still be found by meaning alone."""
    vocab, words = index.bm25.vocab_dict, (*query.topic, *query.bridged)
    if not words or any(t in vocab for t in words):
        return True
    return not has_cjk(query.asked) and len(re.findall(r"[a-zA-Z]+", query.asked)) >= 3


def report_places(index: Index) -> tuple[str, ...]:
    return tuple(dict.fromkeys(d.get("place") or "" for d in index.documents if d.get("place")))


def mentioned(index: Index, word: str, topic: Sequence[str] = ()) -> bool:
    """Whether a paragraph has the word, and, given a topic, one of its words too (杭州支援湖北 speaks of
    湖北 and 医务工作者, not of 湖北's GDP)."""
    topic = [t for t in topic if t not in word and word not in t]
    return any(word in p.text and (not topic or any(t in p.text for t in topic)) for p in index.paragraphs.values())


def welcome(index: Index) -> str:
    """The reply to a greeting: what this is, and questions to try."""
    titles = "、".join(dict.fromkeys(d.get("title") or d["id"] for d in index.documents))
    return (f"您好！我可以回答关于{titles}的问题，答案都摘自报告原文并注明出处。"
            f"可以试试：{EXAMPLE_QUESTION}今年的主要预期目标是什么？")


def search(index: Index, question: str, history=(), mode: str = "hybrid", k: int = 10) -> tuple[Query, list[Hit]]:
    """The analysed question and its ranked chunks; `mode` "dense" or "bm25" gives a single retriever."""
    doc_year = max((d["year"] for d in index.documents if d.get("year")), default=None)
    query = parse(clean_question(question), user_questions(history), doc_year, index.bm25.vocab_dict,
                  scope_words(report_places(index)))
    vector = embedder_for(index).embed_queries([query.resolved])[0] if mode != "bm25" else None
    return query, retrieve(index, query, vector, k=k, mode=mode)
