"""Embedding stage: turn chunks and questions into normalized vectors with sentence-transformers."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from qa.errors import ModelError
from qa.settings import Settings

BATCH_SIZE = 8  # fastest or tied in every bench run; 32 and 64 were slower
# One short question gains little from a second thread, and on a busy 2-core machine torch's
# spinning threads made a 25 ms query take a second (bench/RESULTS.md): questions use one thread.
QUERY_THREADS = 1


@dataclass
class Embedder:
    """A loaded sentence-transformers model with the e5 prompts ("query: " / "passage: ")."""

    model_id: str
    model: object = field(repr=False)
    batch_threads: int = 0  # torch threads for embedding many passages; 0 = torch's default (all cores)

    @property
    def dim(self) -> int:
        return int((getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension)())

    def _prompt_name(self, name: str) -> str | None:
        return name if name in getattr(self.model, "prompts", {}) else None

    def embed_queries(self, questions: Sequence[str]) -> np.ndarray:
        _use_threads(QUERY_THREADS)
        return self._encode(list(questions), "query")

    def embed_passages(
        self, texts: Sequence[str], progress: Callable[[int, int], None] | None = None
    ) -> np.ndarray:
        """Embed in batches so a caller can show progress; rows are L2-normalized float32."""
        texts = list(texts)
        _use_threads(self.batch_threads or os.cpu_count() or 1)
        parts = []
        for begin in range(0, len(texts), BATCH_SIZE):
            parts.append(self._encode(texts[begin : begin + BATCH_SIZE], "passage"))
            if progress:
                progress(min(begin + BATCH_SIZE, len(texts)), len(texts))
        return np.vstack(parts) if parts else np.zeros((0, self.dim), dtype=np.float32)

    def _encode(self, texts: list[str], prompt: str) -> np.ndarray:
        vectors = self.model.encode(
            texts,
            prompt_name=self._prompt_name(prompt),
            batch_size=BATCH_SIZE,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)


def _use_threads(count: int) -> None:
    import torch

    if torch.get_num_threads() != count:
        torch.set_num_threads(count)


def load_embedder(settings: Settings, progress: Callable[[str], None] | None = None) -> Embedder:
    """Materialize the bundled model if needed, then load it offline."""
    from qa.model import ensure_model, load_sentence_transformer

    folder, model_id = ensure_model(settings, progress)
    try:
        model = load_sentence_transformer(folder, settings.threads)
    except ModelError:
        raise
    except Exception as exc:  # sentence-transformers raises many kinds; the user needs one message
        raise ModelError(
            f"cannot load the embedding model from {folder}: {exc}. "
            f"Delete that folder to have it rebuilt, or check QA_EMBED_MODEL."
        ) from exc
    return Embedder(model_id=model_id, model=model, batch_threads=settings.threads)
