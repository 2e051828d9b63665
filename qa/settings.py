"""One settings object: defaults, environment overrides, and a help string per field."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _user_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "report-qa"


@dataclass(frozen=True)
class Settings:
    """Every knob of the project. Each field is read from the environment variable in its metadata."""

    index_dir: Path = field(
        default=PROJECT_ROOT / "index",
        metadata={"env": "QA_INDEX_DIR", "help": "Folder of the built index (manifest.json, FAISS, chunks)."},
    )
    reports: tuple[Path, ...] = field(
        default=(PROJECT_ROOT / "data" / "hangzhou-2021-government-work-report.txt",),
        metadata={"env": "QA_REPORTS", "help": "Report files `qa build` indexes by default (os.pathsep-separated)."},
    )
    cache_dir: Path = field(
        default_factory=_user_cache_dir,
        metadata={"env": "QA_CACHE_DIR", "help": "Where the embedding model is materialized once (outside the repo)."},
    )
    embedding_cache: Path | None = field(
        default=None,
        metadata={
            "env": "QA_EMBEDDING_CACHE",
            "help": "Folder of passage vectors kept by model and text hash: `qa build` writes them, `qa build --add` "
            "embeds only texts not there; default `embeddings/` in the cache folder.",
        },
    )
    embed_model: str = field(
        default="",
        metadata={
            "env": "QA_EMBED_MODEL",
            "help": "A sentence-transformers model folder to use instead of the bundled multilingual-e5-small.",
        },
    )
    backend: str = field(
        default="onnx-int8",
        metadata={
            "env": "QA_BACKEND",
            "help": "How the model runs: `onnx-int8` (onnxruntime, int8 export made once; 6x faster questions, "
            "no torch when answering) or `torch` (sentence-transformers, the reference). An index is "
            "queried with the backend that built it.",
        },
    )
    data_dir: Path = field(
        default=PROJECT_ROOT / "var",
        metadata={"env": "QA_DATA_DIR", "help": "Writable folder for the feedback database."},
    )
    host: str = field(default="127.0.0.1", metadata={"env": "QA_HOST", "help": "Address the app listens on."})
    port: int = field(default=7860, metadata={"env": "QA_PORT", "help": "Port the app listens on."})
    threads: int = field(
        default=0, metadata={"env": "QA_THREADS", "help": "Threads for building (embedding passages); 0 uses every core. Questions use one."}
    )

    @property
    def embedding_cache_dir(self) -> Path:
        return Path(self.embedding_cache) if self.embedding_cache else Path(self.cache_dir) / "embeddings"

    @classmethod
    def from_env(cls, **overrides) -> Settings:
        """Defaults, then environment variables, then explicit overrides."""
        values = {}
        for f in fields(cls):
            raw = os.environ.get(f.metadata["env"])
            if raw is None or raw == "":
                continue
            if f.name == "reports":
                values[f.name] = tuple(Path(p) for p in raw.split(os.pathsep) if p)
            elif f.name in ("port", "threads"):
                values[f.name] = int(raw)
            elif f.name in ("index_dir", "cache_dir", "data_dir", "embedding_cache"):
                values[f.name] = Path(raw)
            else:
                values[f.name] = raw
        return replace(cls(**values), **overrides)
