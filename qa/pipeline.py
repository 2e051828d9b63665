"""The one place that wires the stages: build_index, load_index and ask."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, replace
from pathlib import Path

from qa import index as index_files
from qa.answer import Answer, about_report, comparison, list_answer, not_found
from qa.answer import answer as extract_answer
from qa.candidates import Candidate, Readings, candidates, in_text, read_ahead, readings_for
from qa.chunking import chunk_documents
from qa.corpus import refuse_copies, unique_ids
from qa.embedcache import cached, embed_chunks, embed_indicators
from qa.embedding import Embedder, load_embedder
from qa.errors import IndexError_
from qa.files import file_sha256
from qa.index import Index
from qa.lists import find_list
from qa.onnx_model import model_id_for
from qa.places import SUFFIX, is_place_name, other_city, other_place, other_province, scope_words
from qa.query import (
    ASKING,
    DAYS,
    MAX_QUESTION_CHARS,
    Query,
    as_asked,
    is_meaningful,
    is_small_talk,
    off_topic_words,
    parse,
    strip_period,
    things_named,
)
from qa.retrieval import (
    PERIOD_OTHER,
    Hit,
    covered_years,
    lexical,
    period_fit,
    retrieve,
    reviewed_years,
)
from qa.scope import place_words, resolve, without_places
from qa.scorer import Scorer, load_scorer
from qa.settings import PROJECT_ROOT, Settings
from qa.source import read_documents
from qa.tokens import _jieba, has_cjk

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
    model = cached(embedder, settings.embedding_cache_dir, read=False)
    vectors, sentence_vectors = embed_chunks(model, chunks, progress, embed_progress)
    built = index_files.build(documents, chunks, vectors, embedder.model_id, sentence_vectors,
                              embed_indicators(model, chunks, progress=progress))
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
    # a greeting or thanks asked nothing a follow-up could go on with
    return [q for q in (clean_question(q) for q in questions) if q and is_meaningful(q) and not is_small_talk(q)][-3:]


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


@dataclass(frozen=True)
class Embedding:
    """A question's vector, made or on its way: the text embedded, its Future, when it was asked for and when the
    model's run began (time.perf_counter; 0 for a vector already made)."""

    text: str
    vector: Future
    asked: float = 0.0
    begun: float = 0.0


def embed_soon(index: Index, text: str) -> Embedding:
    """Start embedding `text` on the model's worker thread (qa/embedding.py); the caller goes on meanwhile."""
    embedder = embedder_for(index)  # the model's first load (seconds, once per process) is not this question's time
    asked = time.perf_counter()
    soon = embedder.embed_query_soon(text)
    return Embedding(text, soon, asked, time.perf_counter())  # the run starts as embed_query_soon returns


def embed_as_asked(index: Index, asked: str, earlier: Sequence[str], mode: str) -> Embedding | None:
    """A first question resolves to itself as asked, so its embedding can start before the question is read;
    None for a follow-up (embedded once resolved) or with BM25 alone."""
    return embed_soon(index, as_asked(asked)) if mode != "bm25" and not earlier else None


def made(text: str, vector) -> Embedding:
    done: Future = Future()
    done.set_result(vector)
    return Embedding(text, done)


def ask(index: Index, question: str, history=(), mode: str = "hybrid", abstain: bool = True,
        scorer: Scorer | None = None, report: str | None = None) -> Answer:
    """Answer a question from the index. Never raises for bad input: the answer says what is wrong.

    The question is answered from the report it is about (qa/scope.py): the place or year it names, else
    `report` (a report id); naming two places, or 各省, gives one answer per report. With neither, in an index of
    several reports, the reports a whole-index search likes best and the bundled one each answer, and the answer
    the scorer finds most probable wins.
    `mode` "dense" or "bm25" uses one retriever and never abstains (the baselines); `abstain=False`
    keeps the full pipeline but always answers; `scorer` replaces the committed answer scorer (the
    eval's leave-one-report-out models).
    """
    if report is not None and (not isinstance(report, str) or report not in {d["id"] for d in index.documents}):
        names = "、".join(d["id"] for d in index.documents)
        return Answer(question if isinstance(question, str) else "", "", f"没有这个报告：{str(report)[:80]}。可选的报告：{names}。",
                      (), False)
    raw, text, earlier = question if isinstance(question, str) else "", clean_question(question), user_questions(history)
    # a first question's vector is started at once, as reading the question and its scope take a tenth of a
    # millisecond; not before the model is loaded, nor for input too long or a greeting, which need no model
    loaded = getattr(index, "embedder", None) is not None
    asks = loaded and text and len(raw) <= MAX_QUESTION_CHARS and not is_small_talk(text)
    if asks:  # once a process, not this question's time: the scorer (LightGBM's import) and jieba's dictionary, ~3 s
        if scorer is None:  # a caller's own scorer (the eval's left-out models) needs not the committed one
            scorer_for(index)
        _jieba()
    early = embed_as_asked(index, text, earlier, mode) if asks else None
    if (reply := not_a_question(index, raw)) is not None:
        return reply  # before scoping: a greeting is welcomed to every report
    scope = resolve(index.documents, text, earlier, report, default_report(index),
                    lambda doc_id, phrase: phrase in report_texts(index).get(doc_id, ""))
    if scope.compare:
        return compare(index, question, history, scope, mode, abstain, scorer)
    scorer = scorer or scorer_for(index)
    if scope.reason == "best" or (scope.reason == "chosen" and report is None and len(index.documents) > 1):
        # no place named, none chosen: the reports retrieval likes best (and the bundled one) answer in turn
        return from_best_report(index, question, history, mode, abstain, scorer, scope.doc_ids if scope.reason == "chosen" else (),
                                early)
    view = index.view(scope.doc_ids)
    chosen = answer_prepared(view, prepare(view, question, history, mode, abstain, early), scorer, mode, abstain)
    return from_report(replace(chosen, question=raw), view)


def from_best_report(index: Index, question: str, history, mode: str, abstain: bool, scorer: Scorer,
                     also: tuple[str, ...] = (), embedded: Embedding | None = None) -> Answer:
    """With no place named and no report chosen, the first ROUTED_REPORTS reports of one whole-index search each
    answer on their own; the answer the scorer finds most probable wins (a found answer over a refusal).
    `embedded`: the question's vector, made or on its way."""
    text = clean_question(question)
    query, hits, vector, _ = _search(index, text, history, mode, embedded=embedded)
    fitting = [h for h in hits if period_fit(h.paragraph.period, query.years) != PERIOD_OTHER] or hits
    reports = list(dict.fromkeys([*also, *(h.chunk.doc_id for h in fitting)]))[:ROUTED_REPORTS + len(also)] or [index.documents[0]["id"]]
    embedded = made(query.resolved, vector)  # a report's own reading of the question may resolve it alike
    best = None
    for doc_id in reports:
        view = index.view([doc_id])
        chosen = answer_prepared(view, prepare(view, question, history, mode, abstain, embedded), scorer, mode, abstain)
        if best is None or (chosen.found, chosen.confidence) > (best[0].found, best[0].confidence):
            best = (chosen, view)
    return from_report(replace(best[0], question=question if isinstance(question, str) else ""), best[1])


ROUTED_REPORTS = 3  # reports tried for a question that names none
LIST_NUMBER = re.compile(r"\d{1,2}")  # a list item's number (1., 12.), not a figure, a year or a word


def answer_prepared(index: Index, prepared: Prepared, scorer: Scorer, mode: str, abstain: bool) -> Answer:
    """A rule's answer (or a list's items), else the scorer's choice among the candidates."""
    if prepared.early is not None:
        return prepared.early
    return extract_answer(prepared.query, prepared.hits, prepared.pool, scorer, require_confidence=mode == "hybrid" and abstain)


def warm_views(index: Index) -> None:
    """Build every report's view and its character table now (0.1–0.3 s each), so no visitor's first question about a
    report waits for them.
    The app runs this in a background thread after start; a view is only stored once it is complete."""
    if len(index.documents) > 1:
        for view in [index, *(index.view([document["id"]]) for document in index.documents)]:
            _ = view.char_rows  # character overlap's table: about 6 ms a report, made once


def from_report(answer: Answer, view: Index) -> Answer:
    """The answer labelled with the report it came from (when the index holds one report, or was narrowed to one)."""
    if len(view.documents) != 1:
        return answer
    return replace(answer, report=view.documents[0]["id"], report_title=report_label(view.documents[0]))


def compare(index: Index, question: str, history, scope, mode: str, abstain: bool, scorer: Scorer | None) -> Answer:
    """One answer per report, each from its own report alone: a row of the comparison table."""
    rows, scorer = [], scorer or scorer_for(index)
    for doc_id in scope.doc_ids:
        own = index.view([doc_id])
        others = [w for w in scope.named if w not in place_words(own.documents[0])]
        asked = without_places(clean_question(question), others)
        prepared = prepare(own, asked, history, mode, abstain)
        rows.append(from_report(answer_prepared(own, prepared, scorer, mode, abstain), own))
    return comparison(question if isinstance(question, str) else "", rows)


def default_report(index: Index) -> str | None:
    """The bundled report when the index holds it (the same bytes, wherever they were read from): what the app
    answers from until another is chosen."""
    return index.kept("default_report", lambda: _bundled_report(index))  # the files are hashed once an index


def _bundled_report(index: Index) -> str | None:
    bundled = {file_sha256(p) for p in Settings.from_env().reports if Path(p).is_file()}
    return next((d["id"] for d in index.documents if d.get("sha256") in bundled), None)


def report_label(document: dict) -> str:
    """A report's name with its year and place: "2024年全国政府工作报告" for a title that says neither."""
    title, place, year = document.get("title") or document["id"], document.get("place") or "", document.get("year")
    if place and SUFFIX.sub("", place) not in title:
        title = place + title
    if year and str(year) not in title:
        title = f"{year}年{title}"
    return title


def prepare(index: Index, question: str, history=(), mode: str = "hybrid", abstain: bool = True,
            embedded: Embedding | None = None) -> Prepared:
    """Everything before the scorer's choice: input checks, small talk, retrieval, period rules, an announced
    list asked for, candidates. `embedded`: the question's vector, made or on its way, used if its text matches
    the question as resolved."""
    raw = question if isinstance(question, str) else ""
    if (reply := not_a_question(index, raw)) is not None:
        return Prepared(None, [], [], reply)
    text = clean_question(raw)
    if mode != "bm25":
        embedder_for(index)  # the model's first load (seconds, once per process) is not this question's time
    # the question's time runs from when its embedding was asked for, if that was before
    started = embedded.asked if embedded is not None and embedded.asked else time.perf_counter()
    query, hits, vector, readings = _search(index, text, history, mode, embedded=embedded)
    if (spent := time.perf_counter() - started) > TIME_LIMIT_S:
        log.warning("question took %.1f s before answer extraction, over the %.0f s limit: %.80r", spent, TIME_LIMIT_S, raw)
        return Prepared(query, hits, [], Answer(raw, query.resolved, "这个问题处理得太久了，请稍后再试，或换一个更简短的问法。",
                                                (), False))
    early = _rules(index, query, hits) if mode == "hybrid" and abstain else None
    if early is not None:
        return Prepared(query, hits, [], replace(early, question=raw))
    if mode == "hybrid" and abstain:
        hits = [h for h in hits if period_fit(h.paragraph.period, query.years) != PERIOD_OTHER]
    if mode == "hybrid" and (found := find_list(index, query, hits)) is not None:
        return Prepared(query, hits, [], replace(list_answer(query, found), question=raw))
    pool = candidates(index, query, hits, readings, vector)
    # "宁波GDP目标" of Hangzhou's report: only a sentence naming 宁波 answers; "台湾GDP" of Fujian's report: only a
    # paragraph naming 台湾 (its 台资 sentence follows 闽台融合)
    places = report_places(index)
    for (place, names), whole in ((other_city(query.resolved, places), False), (other_province(query.resolved, places), True)):
        if place and mode == "hybrid" and abstain:
            pool = [c for c in pool if any(n in (c.hit.paragraph.text if whole else c.hit.paragraph.text[c.start : c.end])
                                           for n in names)]
            if not pool:
                return Prepared(query, hits, [], replace(not_found(query, hits, f"关于{place}的内容"), question=raw))
    return Prepared(query, hits, pool)


def not_a_question(index: Index, raw: str) -> Answer | None:
    """The reply to input that is not a question about a report: empty, too long, no words, a greeting."""
    if not raw.strip():  # also None, numbers, bytes: asked to type a question
        return Answer(raw, raw, "请输入一个问题，例如：" + EXAMPLE_QUESTION, (), False)
    if len(raw) > MAX_QUESTION_CHARS:
        return Answer(raw[:MAX_QUESTION_CHARS], "", f"问题太长了（{len(raw)}字）。"
                      f"请把问题缩短到{MAX_QUESTION_CHARS}字以内。", (), False)
    text = clean_question(raw)
    if not is_meaningful(text):
        return Answer(raw, text, "没有看懂这个问题：请用文字说明想了解什么，例如：" + EXAMPLE_QUESTION, (), False)
    if is_small_talk(text):
        return Answer(raw, text, welcome(index, thanked=THANKS.search(text) is not None), (), False)
    return None


def _rules(index: Index, query: Query, hits: list[Hit]) -> Answer | None:
    """What is decided before any scoring: the report's byline, and periods the report does not cover."""
    if query.about and (byline := about_report(index, query)):
        return byline
    if not knows_any_word(index, query):
        return not_found(query, [], "这些词")
    if subject := off_topic(query):
        return not_found(query, [], f"关于{subject}的内容（政府工作报告不谈这些）")
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
    """Whether the question has anything the report could speak of: a word of the report (or of its vocabulary
    bridges) besides place names (a report names its cities, but has nothing on "明天长沙天气"), as a word or inside
    one (造林 in 营造林, which BM25 keeps whole). A question that asks for an amount in words the report never uses
    ("新种了多少亩树" of a report that says 营造林) is left to the scorer: the figure it asks for is something to
    check an answer against, which "兰州牛肉面哪家最正宗" has not. A question of three or more English words may be
    found by meaning alone."""
    vocab, words = index.bm25.vocab_dict, [t for t in (*query.topic, *query.bridged) if not is_place_name(t)]
    # "asdf 2", "？？？7": every report numbers its lists (1., 2.), so a small number alone names nothing in it
    counted = [t for t in words if not LIST_NUMBER.fullmatch(t)]
    if words and not counted:
        return False
    chinese = [t for t in counted if has_cjk(t) and len(t) > 1]
    if not counted or any(t in vocab for t in counted) or any(in_text(index, t) for t in chinese) or (
            chinese and query.wants_figure):
        return True
    return not has_cjk(query.asked) and len(re.findall(r"[a-zA-Z]+", query.asked)) >= 3


def off_topic(query: Query) -> str | None:
    """The question's subject when it is only something a work report never speaks of (qa/data/offtopic.txt):
    "明天长沙天气怎么样" asks about 天气 alone once the place, the day and the question word are set aside."""
    places = [t for t in query.topic if is_place_name(t)]
    words = {t for t in query.topic if t not in DAYS and not ASKING.search(t) and not any(t in p for p in places)}
    off = words & off_topic_words()
    if not off:
        return None
    if off == words:  # "明天杭州天气怎么样": decided without jieba's tagger
        return min(off)
    # "推荐几只能涨的东北股票吧": besides 股票, only actions and a place; "小区一下雨就积水" names 小区 and 积水 too
    others = [w for w in things_named(strip_period(query.resolved)) if w not in DAYS and w not in off]
    return None if others else min(off)


def report_texts(index: Index) -> dict[str, str]:
    """Each report's paragraphs joined, by report id: whether a report uses a phrase is one substring search."""
    def joined() -> dict[str, str]:
        texts: dict[str, list[str]] = {}
        for paragraph in index.paragraphs.values():
            texts.setdefault(paragraph.doc_id, []).append(paragraph.text)
        return {doc_id: "\n".join(parts) for doc_id, parts in texts.items()}

    return index.kept("report_texts", joined)


def report_places(index: Index) -> tuple[str, ...]:
    return tuple(dict.fromkeys(d.get("place") or "" for d in index.documents if d.get("place")))


def mentioned(index: Index, word: str, topic: Sequence[str] = ()) -> bool:
    """Whether a paragraph has the word, and, given a topic, one of its words too (杭州支援湖北 speaks of
    湖北 and 医务工作者, not of 湖北's GDP)."""
    topic = [t for t in topic if t not in word and word not in t]
    return any(word in p.text and (not topic or any(t in p.text for t in topic)) for p in index.paragraphs.values())


THANKS = re.compile(r"谢|麻烦|打扰|thank", re.IGNORECASE)


def welcome(index: Index, thanked: bool = False) -> str:
    """The reply to a greeting (or to thanks: 不客气 first): what this is, and questions to try."""
    titles = list(dict.fromkeys(report_label(d) for d in index.documents))
    named = "、".join(titles[:3]) + (f"等{len(titles)}份报告" if len(titles) > 3 else "")
    return (f"{'不客气！我还' if thanked else '您好！我'}可以回答关于{named}的问题，答案都摘自报告原文并注明出处。"
            f"可以试试：{EXAMPLE_QUESTION}今年的主要预期目标是什么？")


def search(index: Index, question: str, history=(), mode: str = "hybrid", k: int = 10) -> tuple[Query, list[Hit]]:
    """The analysed question and its ranked chunks; `mode` "dense" or "bm25" gives a single retriever."""
    query, hits, _, _ = _search(index, question, history, mode, k)
    return query, hits


def _search(index: Index, question: str, history=(), mode: str = "hybrid", k: int = 10,
            embedded: Embedding | None = None) -> tuple[Query, list[Hit], object, Readings | None]:
    """`search`, the question's vector, and the sentences read while it was made; one `embedded` (made or on its
    way) for the same resolved text is not made again.

    The question is embedded on a worker thread while this one scores BM25 and character overlap and reads the
    sentences of the chunks they like best (most of the candidates to come), so the model's few milliseconds are
    not added to the rest.
    A first question is embedded as asked, at once; a follow-up once it is resolved."""
    doc_year = max((d["year"] for d in index.documents if d.get("year")), default=None)
    asked, earlier = clean_question(question), user_questions(history)
    soon = embedded or embed_as_asked(index, asked, earlier, mode)
    query = parse(asked, earlier, doc_year, index.bm25.vocab_dict, scope_words(report_places(index)))
    if mode != "bm25" and (soon is None or soon.text != query.resolved):
        soon = embed_soon(index, query.resolved)
    lexical_part = lexical(index, query, mode) if mode != "dense" else None
    readings = readings_for(index, query) if mode == "hybrid" else None  # its reader, made once a question
    if readings is not None and soon is not None and lexical_part is not None and not soon.vector.done():
        ahead = [(index.chunks[row], index.paragraphs[index.chunks[row].paragraph_id])
                 for row in lexical_part.likeliest(READ_AHEAD)]
        read_ahead(ahead, readings, soon.begun + embedder_for(index).query_seconds())
    vector = soon.vector.result() if mode != "bm25" else None
    hits = retrieve(index, query, vector, k=k, mode=mode, lexical_part=lexical_part)
    return query, hits, vector, readings


# chunks read while the question is embedded, likeliest first: about nine in ten of the sentences candidates come from
READ_AHEAD = 20
