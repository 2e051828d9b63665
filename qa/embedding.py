"""Embedding stage: turn chunks and questions into normalized vectors (onnxruntime int8 or sentence-transformers)."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from qa.errors import ModelError
from qa.settings import Settings

BATCH_SIZE = 8  # fastest or tied in every bench run; 32 and 64 were slower
# One short question gains little from a second thread, and on a busy 2-core machine torch's
# spinning threads made a 25 ms query take a second (bench/RESULTS.md): questions use one thread.
QUERY_THREADS = 1
Progress = Callable[[int, int], None] | None


@dataclass
class Embedder:
    """A loaded sentence-transformers model with the e5 prompts ("query: " / "passage: ")."""

    model_id: str
    model: object = field(repr=False)
    batch_threads: int = 0  # torch threads for embedding many passages; 0 = torch's default (all cores)
    def query_seconds(self) -> float:
        return 0.0  # embed_query_soon has finished by the time it returns

    def embed_query_soon(self, question: str) -> Future:
        """The question's vector, as a finished Future: torch runs in the caller's thread."""
        done: Future = Future()
        done.set_result(self.embed_queries([question])[0])
        return done

    @property
    def dim(self) -> int:
        return int((getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension)())

    def _prompt_name(self, name: str) -> str | None:
        return name if name in getattr(self.model, "prompts", {}) else None

    def embed_queries(self, questions: Sequence[str]) -> np.ndarray:
        _use_threads(QUERY_THREADS)
        return self._encode(list(questions), "query")

    def embed_passages(self, texts: Sequence[str], progress: Progress = None) -> np.ndarray:
        """Embed in batches so a caller can show progress; rows are L2-normalized float32."""
        _use_threads(self.batch_threads or os.cpu_count() or 1)
        return _in_batches(list(texts), lambda batch: self._encode(batch, "passage"), self.dim, progress)

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


def _in_batches(texts: list[str], encode: Callable[[list[str]], np.ndarray], dim: int,
                progress: Progress) -> np.ndarray:
    """Either backend's passages, BATCH_SIZE at a time, reporting progress after each batch."""
    parts = []
    for begin in range(0, len(texts), BATCH_SIZE):
        parts.append(encode(texts[begin : begin + BATCH_SIZE]))
        if progress:
            progress(min(begin + BATCH_SIZE, len(texts)), len(texts))
    return np.vstack(parts) if parts else np.zeros((0, dim), dtype=np.float32)


def _pooled(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mean over the attention mask, L2-normalized: sentence-transformers' pooling of this model."""
    pooled = (hidden * mask[..., None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1)
    return np.ascontiguousarray(pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12), dtype=np.float32)


def _use_threads(count: int) -> None:
    import torch

    if torch.get_num_threads() != count:
        torch.set_num_threads(count)


@dataclass
class OnnxEmbedder:
    """The int8 ONNX export run by onnxruntime, tokenized by `tokenizers`: answering never imports torch.

    Same vectors as sentence-transformers up to int8 rounding (cosine >= 0.97, tests/test_model.py):
    the same tokenizer.json, truncation to max_seq_length tokens including <s> and </s>, mean pooling over
    the attention mask, L2 normalization.
    """

    model_id: str
    path: Path
    tokenizer: object = field(repr=False)
    prompts: dict[str, str]
    dim: int
    batch_threads: int = 0  # onnxruntime threads for many passages; 0 = every core
    sessions: dict = field(default_factory=dict, repr=False)  # intra-op threads -> session, made on first use
    workers: dict = field(default_factory=dict, repr=False)  # the thread pool of embed_query_soon, made on first use

    def embed_query_soon(self, question: str) -> Future:
        """The question's vector, made while the caller goes on: the model runs on a worker thread, outside Python's
        lock, so the caller's Python runs on the second core meanwhile.

        The question is tokenized here, and this returns once the model's run has begun: a thread that needs
        Python's lock waits for the holder to let go of it, up to 5 ms (sys.getswitchinterval), so the worker holds
        it only to start and, once the caller waits on result(), to pool. Up to one worker a core: the app's
        visitors still embed side by side."""
        ids, mask = self._tokenized([self.prompts.get("query", "") + question])
        session = self._session(QUERY_THREADS)
        begun = threading.Event()

        def run() -> np.ndarray:
            begun.set()
            spent = time.thread_time()  # this thread's CPU time: not the wait for the lock after the model's run
            hidden = session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
            self.workers["seconds"] = time.thread_time() - spent
            return _pooled(hidden, mask)[0]  # an error here reaches the caller through result(), as any other

        pool = self.workers.get("pool") or self.workers.setdefault(
            "pool", ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="embed"))
        running = pool.submit(run)
        begun.wait()
        return running

    def query_seconds(self) -> float:
        """How long the model's last background run took (0 before the first): the time the caller has to spare."""
        return self.workers.get("seconds", 0.0)

    def embed_queries(self, questions: Sequence[str]) -> np.ndarray:
        return self._encode([self.prompts.get("query", "") + q for q in questions], QUERY_THREADS)

    def embed_passages(self, texts: Sequence[str], progress: Progress = None) -> np.ndarray:
        texts = [self.prompts.get("passage", "") + t for t in texts]
        threads = self.batch_threads or os.cpu_count() or 1
        return _in_batches(texts, lambda batch: self._encode(batch, threads), self.dim, progress)

    def token_ids(self, texts: list[str]) -> list[list[int]]:
        """Unpadded token ids, as the model sees them (for checking against sentence-transformers)."""
        return [[i for i, m in zip(e.ids, e.attention_mask) if m] for e in self.tokenizer.encode_batch(texts)]

    def _encode(self, texts: list[str], threads: int) -> np.ndarray:
        parts = []
        for begin in range(0, len(texts), BATCH_SIZE):  # padding to the longest of 8, not of all
            ids, mask = self._tokenized(texts[begin : begin + BATCH_SIZE])
            parts.append(_pooled(self._session(threads).run(None, {"input_ids": ids, "attention_mask": mask})[0], mask))
        if not parts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.ascontiguousarray(np.vstack(parts), dtype=np.float32)

    def _tokenized(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        encodings = self.tokenizer.encode_batch(texts)
        return (np.array([e.ids for e in encodings], dtype=np.int64),
                np.array([e.attention_mask for e in encodings], dtype=np.int64))

    def _session(self, threads: int):
        if threads not in self.sessions:
            import onnxruntime as ort

            options = ort.SessionOptions()
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            try:
                self.sessions[threads] = ort.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])
            except Exception as exc:  # onnxruntime raises its own Fail/InvalidGraph kinds
                raise ModelError(f"cannot load {self.path} ({exc}): delete it so it is exported again, "
                                 "or set QA_BACKEND=torch") from exc
        return self.sessions[threads]


def load_onnx_embedder(folder: Path, path: Path, model_id: str, threads: int = 0) -> OnnxEmbedder:
    """Tokenizer, prompts and pooling from the sentence-transformers folder; the model from `path`."""
    from tokenizers import Tokenizer

    def read(name: str) -> dict:
        file = folder / name
        return json.loads(file.read_text(encoding="utf-8")) if file.is_file() else {}

    hint = "set QA_BACKEND=torch to run this model with sentence-transformers"
    pooling = read("1_Pooling/config.json")
    if not pooling.get("pooling_mode_mean_tokens", False) or not (folder / "tokenizer.json").is_file():
        raise ModelError(f"the ONNX backend needs mean pooling and a tokenizer.json in {folder}: {hint}")
    try:
        tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    except Exception as exc:  # tokenizers raises a bare Exception for a file it cannot parse
        raise ModelError(f"cannot read {folder / 'tokenizer.json'} ({exc}): {hint}") from exc
    config = read("config.json")
    tokenizer.enable_truncation(max_length=read("sentence_bert_config.json").get("max_seq_length", 512))
    pad = config.get("pad_token_id", 0)
    tokenizer.enable_padding(pad_id=pad, pad_token=tokenizer.id_to_token(pad) or "<pad>")
    prompts = read("config_sentence_transformers.json").get("prompts") or {}
    dim = pooling.get("word_embedding_dimension") or config["hidden_size"]
    return OnnxEmbedder(model_id, path, tokenizer, prompts, int(dim), threads)


def load_embedder(settings: Settings, progress: Callable[[str], None] | None = None) -> Embedder | OnnxEmbedder:
    """Materialize the bundled model if needed (and export it to ONNX int8 once), then load it offline."""
    from qa.model import ensure_model, load_sentence_transformer
    from qa.onnx_model import check_backend, ensure_onnx

    if check_backend(settings) == "onnx-int8":
        folder, path, model_id = ensure_onnx(settings, progress)
        return load_onnx_embedder(folder, path, model_id, settings.threads)
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
