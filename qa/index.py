"""Index stage: FAISS over chunk vectors plus BM25 over jieba tokens, saved as plain files with a manifest."""

from __future__ import annotations

import ctypes
import errno
import json
import logging
import math
import os
import secrets
import shutil
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import cached_property
from importlib import metadata
from pathlib import Path
from typing import TypeVar

import numpy as np

from qa.chunking import CHUNK_OVERLAP, CHUNK_SIZE, SEPARATORS, Chunk, spans
from qa.errors import IndexError_
from qa.files import file_sha256, process_alive
from qa.periods import Period
from qa.source import Document, Paragraph
from qa.tokens import CJK, tokenize

FORMAT_VERSION = 1
APPROXIMATE_ABOVE = 100_000  # vectors; exact search passes 10 ms at ~86k here (bench/RESULTS.md)
log = logging.getLogger(__name__)
T = TypeVar("T")
LIBRARIES = ("faiss-cpu", "bm25s", "jieba", "sentence-transformers", "langchain-text-splitters", "torch", "onnxruntime")


@dataclass
class Index:
    """Everything retrieval needs, in memory."""

    documents: list[dict]  # id, title, year, place, level, meeting_date, occasion, speaker, path, sha256, source
    paragraphs: dict[str, Paragraph]
    chunks: list[Chunk]
    faiss_index: object = field(repr=False)
    bm25: object = field(repr=False)
    manifest: dict
    sentence_vectors: np.ndarray | None = field(default=None, repr=False)  # one row per sentence of each chunk
    # what each figure measures (indicator_texts) -> its vector: how near a figure's measure is to the question
    indicator_vectors: dict[str, np.ndarray] | None = field(default=None, repr=False)
    embedder: object = field(default=None, repr=False)  # set by the pipeline: the model that embeds queries
    scorer: object = field(default=None, repr=False)  # set by the pipeline: the answer scorer
    settings: object = field(default=None, repr=False)

    def __post_init__(self):
        self.chunk_rows = {c.id: row for row, c in enumerate(self.chunks)}
        counts = [len(spans(c.text)) for c in self.chunks]
        self.sentence_offsets = np.concatenate([[0], np.cumsum(counts)]).astype(int)
        self._views: dict[frozenset[str], Index] = {}

    def kept(self, name: str, make: Callable[[], T]) -> T:
        """make(), made on first use and kept: what a later stage derives from the index's reports alone, which do
        not change under it (the years a report covers: once an index, not once a question)."""
        if name not in self.__dict__:
            self.__dict__[name] = make()
        return self.__dict__[name]

    def sentence_scores(self, chunk: Chunk, query_vector: np.ndarray | None) -> np.ndarray | None:
        """Cosine of the query with each sentence of a chunk (in `spans(chunk.text)` order)."""
        if self.sentence_vectors is None or query_vector is None:
            return None
        row = self.chunk_rows[chunk.id]
        return self.sentence_vectors[self.sentence_offsets[row] : self.sentence_offsets[row + 1]] @ query_vector

    @cached_property
    def chunk_periods(self) -> tuple[tuple, np.ndarray]:
        """The distinct periods of the chunks' paragraphs, and each chunk's place among them: retrieval weighs
        each period once a question, not each chunk."""
        periods = list(dict.fromkeys(self.paragraphs[c.paragraph_id].period for c in self.chunks))
        where = {p: i for i, p in enumerate(periods)}
        return tuple(periods), np.array([where[self.paragraphs[c.paragraph_id].period] for c in self.chunks], dtype=np.int64)

    @cached_property
    def char_rows(self) -> dict[str, np.ndarray]:
        """The chunk rows holding each CJK character: character overlap finds a paraphrase that shares characters
        with the report where it shares no word (税费 in 减税降费)."""
        rows: dict[str, list[int]] = {}
        for row, chunk in enumerate(self.chunks):
            for ch in set(CJK.findall(chunk.text)):
                rows.setdefault(ch, []).append(row)
        return {ch: np.array(r, dtype=np.int64) for ch, r in rows.items()}

    @cached_property
    def token_idf(self) -> dict[str, float]:
        """BM25's idf of each token over the chunks, read once from its score matrix."""
        indptr, n = self.bm25.scores["indptr"], len(self.chunks)
        df = {t: int(indptr[i + 1] - indptr[i]) for t, i in self.bm25.vocab_dict.items() if i + 1 < len(indptr)}
        return {token: math.log(1 + (n - d + 0.5) / (d + 0.5)) for token, d in df.items() if d}

    @cached_property
    def unit_shares(self) -> dict[str, float]:
        """The share of the report's figures that carry each measure word (元, %, 岁 ...): how telling a unit is."""
        from qa.figures import extract_figures, measure_of

        counts = Counter(measure_of(f.unit) for p in self.paragraphs.values() for f in extract_figures(p.text))
        total = sum(counts.values()) or 1
        return {measure: count / total for measure, count in counts.items()}

    @property
    def model_id(self) -> str:
        return self.manifest["model"]["id"]

    def search_dense(self, query_vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-k chunk rows by inner product (cosine on normalized vectors)."""
        k = min(k, len(self.chunks))
        scores, rows = self.faiss_index.search(np.asarray(query_vector, dtype=np.float32).reshape(1, -1), k)
        keep = rows[0] >= 0
        return rows[0][keep], scores[0][keep]

    def bm25_scores(self, tokens: list[str]) -> np.ndarray:
        """BM25 score of every chunk for the query tokens (zeros where no token is known)."""
        known = [t for t in tokens if t in self.bm25.vocab_dict]
        if not known:
            return np.zeros(len(self.chunks), dtype=np.float32)
        return self.bm25.get_scores(known)

    def document_year(self, doc_id: str) -> int | None:
        return next((d["year"] for d in self.documents if d["id"] == doc_id), None)

    def view(self, doc_ids) -> Index:
        """The index of just these reports, as if built from them alone: their chunks, vectors and paragraphs,
        BM25 and idf over their own text, so that periods, rules and the scorer read one report as in training.
        Built on first use and kept (a BM25 over one report takes a fraction of a second)."""
        wanted = frozenset(doc_ids)
        if wanted >= {d["id"] for d in self.documents}:
            return self
        if wanted not in self._views:
            rows = [row for row, c in enumerate(self.chunks) if c.doc_id in wanted]
            chunks = [self.chunks[row] for row in rows]
            sentence_vectors = None
            if self.sentence_vectors is not None:
                sentence_vectors = np.concatenate(
                    [self.sentence_vectors[self.sentence_offsets[r] : self.sentence_offsets[r + 1]] for r in rows])
            vectors = np.vstack([self.faiss_index.reconstruct(int(r)) for r in rows]) if rows else np.zeros((0, 1))
            part = Index(
                documents=[d for d in self.documents if d["id"] in wanted],
                paragraphs={k: p for k, p in self.paragraphs.items() if p.doc_id in wanted},
                chunks=chunks,
                faiss_index=make_faiss_index(vectors),
                bm25=make_bm25(chunks),
                manifest=self.manifest,
                sentence_vectors=sentence_vectors,
                indicator_vectors=self.indicator_vectors,  # looked up by text: another report's rows do no harm
                embedder=self.embedder,
                scorer=self.scorer,
                settings=self.settings,
            )
            self._views[wanted] = part
        part = self._views[wanted]
        # one model and one scorer for the index and all its views, whichever loaded it first
        self.embedder = self.embedder or part.embedder
        self.scorer = self.scorer or part.scorer
        part.embedder, part.scorer = self.embedder, self.scorer
        return part


def make_faiss_index(vectors: np.ndarray):
    """Exact inner product for small corpora; HNSW above the size where exact search gets slow."""
    faiss = _faiss()

    dim = vectors.shape[1]
    if len(vectors) > APPROXIMATE_ABOVE:
        index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        # recall@10 against exact search on 100k perturbed report vectors (bench, hnswtune): σ=0.05
        # 0.960 at 256, 0.984 at 512, 0.996 at 1024 (about 2 ms); near-duplicates (σ=0.02) 0.95 at 1024
        index.hnsw.efSearch = 1024
    else:
        index = faiss.IndexFlatIP(dim)
    index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


def make_bm25(chunks: list[Chunk]):
    import bm25s

    docs = [tokenize(c.header + " " + c.text) for c in chunks]
    # bm25s numbers the words in set order, which changes from process to process: every build rewrote the files
    vocab = {word: i for i, word in enumerate(sorted({w for doc in docs for w in doc}))}
    bm25 = bm25s.BM25()
    bm25.index(bm25s.tokenization.Tokenized(ids=[[vocab[w] for w in doc] for doc in docs], vocab=vocab),
               show_progress=False)
    return bm25


def sentence_texts(chunks: list[Chunk]) -> list[str]:
    """Every sentence of every chunk, in index order: what `sentence_vectors` embeds."""
    return [c.text[a:b] for c in chunks for a, b in spans(c.text)]


def indicator_texts(chunks: list[Chunk]) -> list[str]:
    """What the figures of every sentence measure (qa.figures, read as candidates read them), each once, sorted:
    what `indicator_vectors` embeds."""
    from qa.figures import figures_in

    return sorted({f.indicator for s in dict.fromkeys(sentence_texts(chunks)) for f in figures_in(s) if f.indicator})


def build(documents: list[Document], chunks: list[Chunk], vectors: np.ndarray, model_id: str,
          sentence_vectors: np.ndarray | None = None, indicator_vectors: dict[str, np.ndarray] | None = None) -> Index:
    ids = Counter(d.id for d in documents)
    if twice := sorted(doc_id for doc_id, count in ids.items() if count > 1):
        # a report's id comes from its file name: two of them would share paragraph ids, one hiding the other
        paths = [d.path for d in documents if d.id in twice]
        raise IndexError_(f"reports {', '.join(map(str, paths))} have the same file name, so their paragraphs would "
                          "share ids: rename one of them, then run `qa build`")
    return assemble([_document_record(d) for d in documents], [p for d in documents for p in d.paragraphs],
                    chunks, vectors, model_id, sentence_vectors, indicator_vectors)


def assemble(documents: list[dict], paragraphs: list[Paragraph], chunks: list[Chunk], vectors: np.ndarray,
             model_id: str, sentence_vectors: np.ndarray | None = None,
             indicator_vectors: dict[str, np.ndarray] | None = None) -> Index:
    """An index from document records (as saved in documents.json), their paragraphs, chunks and vectors:
    what a full build and an incremental one (qa/corpus.py) both end with."""
    if not chunks:
        raise IndexError_("the reports produced no text to index: check the files passed to `qa build`")
    manifest = {
        "format_version": FORMAT_VERSION,
        "model": {"id": model_id, "dimension": int(vectors.shape[1])},
        "chunking": {"chunk_size": CHUNK_SIZE, "chunk_overlap": CHUNK_OVERLAP, "separators": SEPARATORS},
        "sources": [{"path": d["path"], "sha256": d["sha256"], "doc_id": d["id"]} for d in documents],
        "libraries": {name: _version(name) for name in LIBRARIES},
        "counts": {"documents": len(documents), "paragraphs": len(paragraphs), "chunks": len(chunks)},
    }
    return Index(
        documents=documents,
        paragraphs={p.id: p for p in paragraphs},
        chunks=chunks,
        faiss_index=make_faiss_index(vectors),
        bm25=make_bm25(chunks),
        manifest=manifest,
        sentence_vectors=sentence_vectors,
        indicator_vectors=indicator_vectors,
    )


def chunk_vectors(index: Index) -> np.ndarray:
    """The stored chunk vectors, in chunk order (read back from FAISS: flat and HNSW both keep them whole)."""
    return index.faiss_index.reconstruct_n(0, index.faiss_index.ntotal)


def save(index: Index, directory: Path) -> None:
    """Write into a temporary sibling folder, then swap it in: an interrupted save loses nothing.

    The folders get the usual permissions (umask), so another user can serve the index; temp folders
    left by interrupted saves are removed by the next one.
    """
    import faiss

    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = _staging_beside(directory)
    try:
        faiss.write_index(index.faiss_index, str(staging / "vectors.faiss"))
        _write_jsonl(staging / "chunks.jsonl", (asdict(c) for c in index.chunks))
        _write_jsonl(staging / "paragraphs.jsonl", (_paragraph_record(p) for p in index.paragraphs.values()))
        (staging / "documents.json").write_text(json.dumps(index.documents, ensure_ascii=False, indent=1), "utf-8")
        index.bm25.save(str(staging / "bm25"), show_progress=False)
        if index.sentence_vectors is not None:
            np.save(staging / "sentences.npy", index.sentence_vectors.astype(np.float16))  # half the size, same ranking
        if index.indicator_vectors is not None:
            names = list(index.indicator_vectors)
            (staging / "indicators.json").write_text(json.dumps(names, ensure_ascii=False), "utf-8")
            np.save(staging / "indicators.npy", np.array([index.indicator_vectors[n] for n in names], dtype=np.float16)
                    .reshape(len(names), index.faiss_index.d))
        manifest = dict(index.manifest, built_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
        manifest["files"] = {str(p.relative_to(staging)): file_sha256(p) for p in sorted(staging.rglob("*")) if p.is_file()}
        (staging / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), "utf-8")
        _swap(staging, directory)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


# What a damaged file makes the readers (json, numpy, faiss, bm25s, our records) raise.
UNREADABLE = (OSError, EOFError, ValueError, TypeError, KeyError, AttributeError, IndexError, RuntimeError)


def load(directory: Path) -> Index:
    """Load and verify an index folder; every problem becomes an IndexError_ that says what to run."""
    directory = Path(directory)
    try:
        return _load(_recovered(directory))
    except PermissionError as exc:
        raise IndexError_(
            f"cannot read the index in {directory} ({exc.strerror}: {exc.filename}): the user serving it needs read "
            f"access: run `chmod -R a+rX {directory}`, or `qa build` as this user"
        ) from exc


def _recovered(directory: Path) -> Path:
    """The folder to read: `directory`, or the previous index if a save stopped between its two renames."""
    old = _old_beside(directory)
    if not directory.exists() and (old / "manifest.json").is_file():
        log.warning("%s is missing but %s holds the previous index (a save was interrupted): reading that", directory, old)
        return old
    return directory


def _load(directory: Path) -> Index:
    manifest = read_manifest(directory)
    for name, digest in manifest["files"].items():
        path = directory / name
        if not path.is_file():
            raise IndexError_(f"{path} is missing: run `qa build` to rebuild the index")
        if file_sha256(path) != digest:
            raise IndexError_(f"{path} is corrupt (its checksum does not match the manifest): run `qa build`")
    try:
        index = _read_index(directory, manifest)
    except UNREADABLE as exc:
        raise IndexError_(f"the index in {directory} cannot be read ({type(exc).__name__}: {exc}): run `qa build`") from exc
    if index.faiss_index.ntotal != len(index.chunks) or index.faiss_index.d != manifest["model"]["dimension"]:
        raise IndexError_(f"the index in {directory} is inconsistent (vectors vs chunks): run `qa build`")
    if index.sentence_vectors is not None and len(index.sentence_vectors) != index.sentence_offsets[-1]:
        raise IndexError_(f"the index in {directory} is inconsistent (sentences vs chunks): run `qa build`")
    if any(c.paragraph_id not in index.paragraphs for c in index.chunks) or not all(
        isinstance(d, dict) and "id" in d for d in index.documents
    ):
        raise IndexError_(f"the index in {directory} is inconsistent (chunks, paragraphs, documents): run `qa build`")
    return index


def _faiss():
    import faiss

    faiss.omp_set_num_threads(1)  # one query at a time is never faster on two threads (bench)
    return faiss


def _read_index(directory: Path, manifest: dict) -> Index:
    import bm25s

    faiss = _faiss()

    chunks = [Chunk(**row) for row in _read_jsonl(directory / "chunks.jsonl")]
    paragraphs = [_paragraph_from(row) for row in _read_jsonl(directory / "paragraphs.jsonl")]
    documents = json.loads((directory / "documents.json").read_text("utf-8"))
    faiss_index = faiss.read_index(str(directory / "vectors.faiss"))
    bm25 = bm25s.BM25.load(str(directory / "bm25"), show_progress=False, verbosity=0)
    sentences = directory / "sentences.npy"
    sentence_vectors = np.load(sentences).astype(np.float32) if sentences.is_file() else None
    indicators = None
    if (directory / "indicators.json").is_file():
        names = json.loads((directory / "indicators.json").read_text("utf-8"))
        rows = np.load(directory / "indicators.npy").astype(np.float32)
        if not isinstance(names, list) or rows.shape != (len(names), faiss_index.d):
            raise ValueError("indicators.json and indicators.npy do not line up")
        indicators = dict(zip(names, rows, strict=True))
    return Index(documents, {p.id: p for p in paragraphs}, chunks, faiss_index, bm25, manifest, sentence_vectors,
                 indicators)


def read_manifest(directory: Path) -> dict:
    path = Path(directory) / "manifest.json"
    if not path.is_file():
        raise IndexError_(f"no index in {directory} (manifest.json is missing): run `qa build` first")
    try:
        manifest = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexError_(f"{path} is corrupt ({exc}): run `qa build` to rebuild the index") from exc
    if not isinstance(manifest, dict) or manifest.get("format_version") != FORMAT_VERSION:
        raise IndexError_(
            f"{directory} holds an index of format {manifest.get('format_version') if isinstance(manifest, dict) else '?'}, "
            f"this version reads format {FORMAT_VERSION}: run `qa build`"
        )
    model, files, sources = manifest.get("model"), manifest.get("files"), manifest.get("sources", [])
    well_formed = (
        isinstance(model, dict) and isinstance(model.get("id"), str) and isinstance(model.get("dimension"), int)
        and isinstance(files, dict) and isinstance(sources, list)
        and all(isinstance(s, dict) and isinstance(s.get("path"), str) and isinstance(s.get("sha256"), str)
                for s in sources)
    )
    if not well_formed:
        raise IndexError_(f"{path} lacks the model, files or sources it should list: run `qa build`")
    return manifest


def stale_sources(manifest: dict, root: Path) -> list[str]:
    """Source files that changed since the index was built (files no longer present are not judged)."""
    stale = []
    for source in manifest.get("sources", []):
        path = Path(source["path"]) if Path(source["path"]).is_absolute() else root / source["path"]
        if path.is_file() and file_sha256(path) != source["sha256"]:
            stale.append(str(path))
    return stale


def _staging_beside(directory: Path) -> Path:
    """A new temp folder next to `directory`, after removing those of saves whose process is gone.

    os.mkdir, not tempfile.mkdtemp: mkdtemp makes the folder 0700, and it becomes the index, which another
    user serving the app then cannot read.
    """
    prefix = f".{directory.name}-tmp-"
    for stale in directory.parent.glob(prefix + "*"):
        pid = stale.name[len(prefix) :].split("-")[0]
        if pid.isdigit() and not process_alive(int(pid)):
            shutil.rmtree(stale, ignore_errors=True)
    staging = directory.parent / f"{prefix}{os.getpid()}-{secrets.token_hex(4)}"
    os.mkdir(staging)
    return staging


def _old_beside(directory: Path) -> Path:
    return directory.with_name(f".{directory.name}-old")


def _swap(staging: Path, directory: Path) -> None:
    """Put `staging` in place of `directory`: one atomic exchange where the system has it, else two renames.

    Between the two renames there is no `directory`; a reader then loads the previous index from its
    `-old` folder (see _recovered), and the next save tidies up.
    """
    if directory.exists() and _exchange(staging, directory):
        shutil.rmtree(staging, ignore_errors=True)  # it now holds the previous index
        return
    old = _old_beside(directory)
    if directory.exists():
        shutil.rmtree(old, ignore_errors=True)
        os.replace(directory, old)
    os.replace(staging, directory)
    shutil.rmtree(old, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step with Linux's renameat2(RENAME_EXCHANGE); False where it is not available."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2  # glibc 2.28+
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):  # an old kernel, or a filesystem without it
        return False
    raise OSError(code, os.strerror(code), str(b))


def _portable(path: str) -> str:
    """Paths inside the project are stored relative to it, so a clone elsewhere still matches."""
    from qa.settings import PROJECT_ROOT

    try:
        return str(Path(path).resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(Path(path).resolve())


def _document_record(document: Document) -> dict:
    return {
        "id": document.id, "path": _portable(document.path), "title": document.title, "year": document.year,
        "occasion": document.occasion, "speaker": document.speaker, "sha256": document.sha256,
        "place": document.place, "level": document.level, "meeting_date": document.meeting_date,
        "source": document.source,
    }


def _paragraph_record(paragraph: Paragraph) -> dict:
    return asdict(paragraph)


def _paragraph_from(row: dict) -> Paragraph:
    row = dict(row, heading_path=tuple(row["heading_path"]), period=Period(**row["period"]))
    return Paragraph(**row)


def _write_jsonl(path: Path, rows) -> None:
    with open(path, "w", encoding="utf-8") as out:
        out.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def _read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as rows:
        return [json.loads(line) for line in rows if line.strip()]


def _version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None
