"""Embedding cache: passage vectors on disk, keyed by model id and text hash, so a rebuild embeds only new texts.

One small file a text: `<folder>/<model hash>/<key[:2]>/<key>`, holding a sha256 of the key and vector, then
the float32 vector. Files are written through a temp file and a rename; a file that is short, fails its
checksum or cannot be read is a miss (the text is embedded again and the file rewritten), never an error.

A full build writes the cache but does not read it: the int8 model's vector of a text shifts slightly with
the texts that share its batch (cosine ≈ 0.998), so reading vectors embedded in other batches would make a
build, and every score measured on it, depend on what was embedded before. An incremental add reads it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from qa.chunking import Chunk

log = logging.getLogger(__name__)
DIGEST = 32  # bytes of sha256 before the vector


@dataclass
class CachedEmbedder:
    """Wraps an embedder: passages come from the cache where present; `computed` counts texts the model embedded."""

    inner: object = field(repr=False)  # Embedder | OnnxEmbedder
    folder: Path | None  # None: nothing is read or written
    read: bool = True  # False: embed every text as given (a full build), only write the cache
    computed: int = 0  # texts the model embedded (each distinct text once a call when reading)
    reused: int = 0  # texts read from the cache

    @property
    def model_id(self) -> str:
        return self.inner.model_id

    @property
    def dim(self) -> int:
        return int(self.inner.dim)

    def embed_queries(self, questions: Sequence[str]) -> np.ndarray:
        return self.inner.embed_queries(questions)

    def embed_passages(self, texts: Sequence[str], progress: Callable[[int, int], None] | None = None) -> np.ndarray:
        texts = list(texts)
        if not self.read:
            vectors = self.inner.embed_passages(texts, progress)
            self.computed += len(texts)
            for text, vector in dict(zip(texts, vectors)).items():
                self._write(text, vector)
            return vectors
        found: dict[str, np.ndarray] = {}
        for text in dict.fromkeys(texts):
            if (vector := self._read(text)) is not None:
                found[text] = vector
        missing = [t for t in dict.fromkeys(texts) if t not in found]
        self.reused += sum(t in found for t in texts)
        if missing:
            vectors = self.inner.embed_passages(missing, progress)
            self.computed += len(missing)
            for text, vector in zip(missing, vectors):
                found[text] = vector
                self._write(text, vector)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.ascontiguousarray(np.vstack([found[t] for t in texts]), dtype=np.float32)

    def _path(self, text: str) -> tuple[Path, bytes]:
        key = hashlib.sha256(f"{self.model_id}\0passage\0{text}".encode()).hexdigest()
        model = hashlib.sha256(self.model_id.encode()).hexdigest()[:16]
        return self.folder / model / key[:2] / key, key.encode()

    def _read(self, text: str) -> np.ndarray | None:
        if self.folder is None:
            return None
        path, key = self._path(text)
        try:
            data = path.read_bytes()
        except OSError:  # absent, or unreadable: a miss either way
            return None
        body = data[DIGEST:]
        if len(body) != 4 * self.dim or hashlib.sha256(key + body).digest() != data[:DIGEST]:
            log.warning("embedding cache entry %s is damaged: embedding its text again", path)
            return None
        vector = np.frombuffer(body, dtype=np.float32)
        return vector if np.all(np.isfinite(vector)) else None

    def _write(self, text: str, vector: np.ndarray) -> None:
        if self.folder is None:
            return
        path, key = self._path(text)
        body = np.ascontiguousarray(vector, dtype=np.float32).tobytes()
        temp = path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(3)}")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            temp.write_bytes(hashlib.sha256(key + body).digest() + body)
            os.replace(temp, path)
        except OSError as exc:  # a full or read-only disk costs speed next time, not this build
            log.warning("cannot write the embedding cache in %s (%s): building without it", self.folder, exc)
            try:
                temp.unlink(missing_ok=True)
            except OSError:  # its folder could not be made either
                pass
            self.folder = None


def cached(embedder, folder: Path | None, read: bool = True) -> CachedEmbedder:
    return embedder if isinstance(embedder, CachedEmbedder) else CachedEmbedder(embedder, folder, read)


def embed_chunks(embedder, chunks: list[Chunk], progress: Callable[[str], None] | None = None,
                 embed_progress: Callable[[int, int], None] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Vectors of the chunks (with their headers) and of every sentence of them, in index order."""
    from qa.index import sentence_texts

    before = (getattr(embedder, "computed", 0), getattr(embedder, "reused", 0))
    if progress:
        progress(f"embedding {len(chunks)} chunks")
    vectors = embedder.embed_passages([c.embedding_text for c in chunks], embed_progress)
    sentences = sentence_texts(chunks)
    if progress:
        progress(f"embedding {len(sentences)} sentences (for choosing the answering sentence)")
    sentence_vectors = embedder.embed_passages(sentences, embed_progress)
    if progress and isinstance(embedder, CachedEmbedder):
        progress(f"embedded {embedder.computed - before[0]} texts; {embedder.reused - before[1]} came from the cache")
    return vectors, sentence_vectors


def embed_indicators(embedder, chunks: list[Chunk], known: dict[str, np.ndarray] | None = None,
                     progress: Callable[[str], None] | None = None) -> dict[str, np.ndarray]:
    """`known` and the vectors of what the chunks' figures measure that it lacks (qa.index.indicator_texts)."""
    from qa.index import indicator_texts

    known = dict(known or {})
    texts = [t for t in indicator_texts(chunks) if t not in known]
    if progress:
        progress(f"embedding {len(texts)} figures' measures (for choosing the figure asked for)")
    if texts:
        known.update(zip(texts, embedder.embed_passages(texts), strict=True))
    return known
