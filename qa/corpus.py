"""Corpus: many reports in one index. Document ids, copies refused, and a saved index's reports added,
removed and listed, embedding only texts the embedding cache has not seen.

An incremental change keeps the vectors the index already holds, embeds only the new reports' texts
(through qa/embedcache.py), rebuilds FAISS and BM25 from all chunks and saves with index.save (atomic).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from qa import index as index_files
from qa.chunking import chunk_documents
from qa.embedcache import cached, embed_chunks, embed_indicators
from qa.errors import IndexError_, SourceError
from qa.index import Index
from qa.settings import Settings
from qa.source import Document, read_documents

Progress = Callable[[str], None] | None


def unique_ids(documents: list[Document], taken: Sequence[str] = ()) -> list[Document]:
    """Two files of the same name would share paragraph ids and overwrite each other: number the later ones.

    Example: two report.txt, with "report" already in the index -> ids "report-2" and "report-3".
    """
    used = set(taken)
    out = []
    for document in documents:
        new, number = document.id, 1
        while new in used:
            number += 1
            new = f"{document.id}-{number}"
        if new != document.id:
            paragraphs = tuple(replace(p, id=new + p.id[len(document.id):], doc_id=new) for p in document.paragraphs)
            document = replace(document, id=new, paragraphs=paragraphs)
        used.add(new)
        out.append(document)
    return out


def refuse_copies(documents: list[Document], present: Sequence[dict] = ()) -> None:
    """A file already indexed (same sha256), or passed twice under two names, is an error, not a second copy.
    (The rows of one dataset share its file's sha256: they are one file, passed once.)"""
    indexed = {d["sha256"]: d["id"] for d in present}
    files: dict[str, str] = {}
    for document in documents:
        if document.sha256 in indexed:
            doc_id = indexed[document.sha256]
            raise SourceError(f"{document.path} is already in the index as {doc_id} (same sha256): nothing to add. "
                              f"To replace it, run `qa remove {doc_id}` first")
        first = files.setdefault(document.sha256, str(document.path))
        if first != str(document.path):
            raise SourceError(f"{first} and {document.path} are the same file (same sha256): pass it once")


@contextmanager
def one_change_at_a_time(directory: Path) -> Iterator[None]:
    """Each change loads, changes and saves the whole index: a second one on the same folder waits for the
    first (an advisory lock on `.<folder>.lock` beside it), so neither saves over the other's report."""
    try:
        import fcntl
    except ImportError:  # not on Linux or macOS: no lock, as before
        yield
        return
    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    with open(directory.parent / f".{directory.name}.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@dataclass(frozen=True)
class Change:
    """What an incremental change did: reports added or removed, and texts embedded vs read from the cache."""

    index: Index
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    embedded: int = 0  # texts the model embedded
    reused: int = 0  # texts read from the embedding cache


def add_reports(paths: Sequence[Path], directory: Path, settings: Settings | None = None,
                progress: Progress = None, embed_progress: Callable[[int, int], None] | None = None,
                embedder=None) -> Change:
    """Add the reports in `paths` to the index in `directory` and save it; only their texts are embedded."""
    from qa.onnx_model import model_id_for

    settings = settings or Settings.from_env()
    with one_change_at_a_time(directory):
        return _add(paths, Path(directory), settings, progress, embed_progress, embedder, model_id_for(settings))


def _add(paths, directory: Path, settings: Settings, progress, embed_progress, embedder, wanted: str) -> Change:
    from qa.embedding import load_embedder

    index = index_files.load(directory)
    if index.model_id != wanted:
        raise IndexError_(f"{directory} was built with {index.model_id}, but these settings embed with {wanted}: "
                          f"adding would mix two models' vectors. Rebuild it with `qa build --index {directory} …`")
    documents = [d for p in paths for d in read_documents(Path(p))]
    refuse_copies(documents, index.documents)
    documents = unique_ids(documents, [d["id"] for d in index.documents])
    chunks = chunk_documents(documents)
    if not chunks:
        raise SourceError(f"{', '.join(map(str, paths))} produced no text to index: check the file")
    model = cached(embedder or load_embedder(settings, progress), settings.embedding_cache_dir)
    before = (model.computed, model.reused)
    if progress:
        progress(f"adding {len(documents)} report(s) to {len(index.documents)} in {directory}")
    vectors, sentence_vectors = embed_chunks(model, chunks, progress, embed_progress)
    # an index saved without measures gets them for its old reports too (from the cache, if it was built here)
    indicators = embed_indicators(model, chunks if index.indicator_vectors is not None else index.chunks + chunks,
                                  index.indicator_vectors, progress)
    if index.sentence_vectors is not None:
        sentence_vectors = np.vstack([index.sentence_vectors, sentence_vectors]).astype(np.float32)
    else:  # an index saved without sentence vectors stays without them: its rows could not be lined up
        sentence_vectors = None
    built = index_files.assemble(
        index.documents + [index_files._document_record(d) for d in documents],
        [*index.paragraphs.values(), *(p for d in documents for p in d.paragraphs)],
        index.chunks + chunks,
        np.vstack([index_files.chunk_vectors(index), vectors]),
        index.model_id,
        sentence_vectors,
        indicators,
    )
    index_files.save(built, directory)
    return Change(built, added=tuple(d.id for d in documents), embedded=model.computed - before[0],
                  reused=model.reused - before[1])


def remove_reports(doc_ids: Sequence[str], directory: Path) -> Change:
    """Remove reports (by id, as `qa list` shows them) from the index in `directory` and save it."""
    with one_change_at_a_time(directory):
        return _remove(doc_ids, Path(directory))


def _remove(doc_ids: Sequence[str], directory: Path) -> Change:
    index = index_files.load(directory)
    known = [d["id"] for d in index.documents]
    if unknown := [i for i in doc_ids if i not in known]:
        raise IndexError_(f"{directory} holds no report {', '.join(unknown)}; it holds {', '.join(known)} "
                          "(see `qa list`)")
    gone = set(doc_ids)
    if gone >= set(known):
        raise IndexError_(f"removing {', '.join(doc_ids)} would leave {directory} empty: build another index "
                          "with `qa build FILE --index DIR` instead")
    keep = [row for row, c in enumerate(index.chunks) if c.doc_id not in gone]
    kept_chunks = [index.chunks[row] for row in keep]
    indicators = None
    if index.indicator_vectors is not None:
        indicators = {t: index.indicator_vectors[t] for t in index_files.indicator_texts(kept_chunks)
                      if t in index.indicator_vectors}
    sentences = None
    if index.sentence_vectors is not None:
        offsets = index.sentence_offsets
        rows = [r for row in keep for r in range(offsets[row], offsets[row + 1])]
        sentences = index.sentence_vectors[rows]
    built = index_files.assemble(
        [d for d in index.documents if d["id"] not in gone],
        [p for p in index.paragraphs.values() if p.doc_id not in gone],
        kept_chunks,
        index_files.chunk_vectors(index)[keep],
        index.model_id,
        sentences,
        indicators,
    )
    index_files.save(built, directory)
    return Change(built, removed=tuple(doc_ids))


def merge(indexes: Sequence[Index]) -> Index:
    """One index of several saved ones, documents in order, each keeping its vectors. Reports embedded alone
    and then merged have the same vectors whatever else is in the corpus (eval.sets.corpus_index)."""
    if len(models := {ix.model_id for ix in indexes}) > 1:
        raise IndexError_(f"cannot merge indexes built with different models ({', '.join(sorted(models))}): rebuild them")
    if twice := sorted(i for i, n in Counter(d["id"] for ix in indexes for d in ix.documents).items() if n > 1):
        raise IndexError_(f"two reports have the id {', '.join(twice)}: rename one of the files")
    sentences = None
    if all(ix.sentence_vectors is not None for ix in indexes):
        sentences = np.vstack([ix.sentence_vectors for ix in indexes]).astype(np.float32)
    indicators = None
    if all(ix.indicator_vectors is not None for ix in indexes):
        indicators = {t: v for ix in indexes for t, v in ix.indicator_vectors.items()}
    return index_files.assemble(
        [d for ix in indexes for d in ix.documents],
        [p for ix in indexes for p in ix.paragraphs.values()],
        [c for ix in indexes for c in ix.chunks],
        np.vstack([index_files.chunk_vectors(ix) for ix in indexes]),
        indexes[0].model_id,
        sentences,
        indicators,
    )


def report_rows(index: Index) -> list[dict]:
    """One row a report: id, place, level, year, meeting date, title, paragraphs (what `qa list` prints)."""
    counts: dict[str, int] = {}
    for paragraph in index.paragraphs.values():
        counts[paragraph.doc_id] = counts.get(paragraph.doc_id, 0) + 1
    return [{"id": d["id"], "place": d.get("place") or "", "level": d.get("level") or "", "year": d.get("year"),
             "meeting_date": d.get("meeting_date") or "", "title": d.get("title") or "",
             "paragraphs": counts.get(d["id"], 0)} for d in index.documents]
