"""Growth: synthetic corpora of 1, 10 and 100 reports (city names, years and figures varied): build, disk, queries.

    nice -n 10 .venv/bin/python -m bench.growth --markdown          # this section, then bench/RESULTS.md
    nice -n 10 .venv/bin/python -m bench.growth --quick             # smaller sizes and samples
"""

from __future__ import annotations

import os
import random
import re
import sys
import tempfile
import time
from pathlib import Path

from bench.common import (
    REPORT,
    main,
    ms,
    sample_items,
    stage_times,
    table,
    worker,
)

MODULE = "bench.growth"


def w_growth(a: dict) -> dict:
    """Build an index of the given reports (embedding for real, or extrapolated), save it, time queries."""
    import numpy as np

    from qa import index as index_files
    from qa.chunking import chunk_documents
    from qa.embedding import load_embedder
    from qa.pipeline import build_index
    from qa.settings import Settings
    from qa.source import parse_document

    # an empty embedding cache of its own: the synthetic reports share many texts, which a warm cache would skip
    settings = Settings.from_env(threads=a["threads"], embedding_cache=Path(tempfile.mkdtemp(prefix="bench-growth-cache-")))
    paths = [Path(p) for p in a["paths"]]
    out = {"reports": len(paths), "mode": a["mode"]}
    if a["mode"] == "full":
        t = time.perf_counter()
        index = build_index(paths, settings)
        out["build_s"] = time.perf_counter() - t
        out["chunks"] = len(index.chunks)
    else:  # parse, chunk and index for real; embed one report for real, the rest are its vectors perturbed
        t = time.perf_counter()
        documents = [parse_document(p) for p in paths]
        chunks = chunk_documents(documents)
        parse_s = time.perf_counter() - t
        embedder = load_embedder(settings)
        first = [c for c in chunks if c.doc_id == documents[0].id]
        t = time.perf_counter()
        base = embedder.embed_passages([c.embedding_text for c in first])
        embed_one_s = time.perf_counter() - t
        rng = np.random.default_rng(0)
        vectors = base[np.arange(len(chunks)) % len(base)] + rng.normal(0, 0.01, (len(chunks), base.shape[1]))
        vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
        vectors[: len(base)] = base
        extra = {}
        if hasattr(index_files, "sentence_texts"):  # newer builds also embed every sentence of every chunk
            first_sentences = index_files.sentence_texts(first)
            base_s = embedder.embed_passages(first_sentences)
            n_sent = len(index_files.sentence_texts(chunks))
            sv = base_s[np.arange(n_sent) % len(base_s)] + rng.normal(0, 0.01, (n_sent, base_s.shape[1]))
            extra["sentence_vectors"] = (sv / np.linalg.norm(sv, axis=1, keepdims=True)).astype(np.float32)
            out["sentences"] = n_sent
        t = time.perf_counter()
        index = index_files.build(documents, chunks, vectors, embedder.model_id, **extra)
        index.embedder = embedder
        out.update(parse_chunk_s=parse_s, index_s=time.perf_counter() - t, embed_one_report_s=embed_one_s,
                   chunks=len(chunks), first_report_chunks=len(first))
    with tempfile.TemporaryDirectory(prefix="bench-growth-index-") as tmp:
        t = time.perf_counter()
        index_files.save(index, Path(tmp) / "idx")
        out["save_s"] = time.perf_counter() - t
        files = [p for p in (Path(tmp) / "idx").rglob("*") if p.is_file()]
        out["disk_mib"] = sum(p.stat().st_size for p in files) / 2**20
        out["disk_by_file_mib"] = {}
        for p in files:
            key = p.relative_to(Path(tmp) / "idx").parts[0]
            out["disk_by_file_mib"][key] = out["disk_by_file_mib"].get(key, 0) + p.stat().st_size / 2**20
    stages = stage_times(index, sample_items(limit=a["questions"]))
    out["query"] = stages["ask"]
    out["stages"] = stages
    out["loadavg"] = os.getloadavg()[0]
    return out


CITIES = ["杭州", "宁波", "温州", "嘉兴", "湖州", "绍兴", "金华", "衢州", "舟山", "台州", "丽水", "南京", "苏州", "无锡", "常州", "南通", "扬州", "镇江", "泰州", "徐州", "盐城", "淮安", "连云港", "宿迁", "合肥", "芜湖", "蚌埠", "安庆", "福州", "厦门", "泉州", "漳州", "莆田", "南昌", "九江", "赣州", "济南", "青岛", "烟台", "潍坊", "淄博", "临沂", "济宁", "郑州", "洛阳", "开封", "新乡", "武汉", "宜昌", "襄阳", "长沙", "株洲", "湘潭", "岳阳", "广州", "深圳", "珠海", "佛山", "东莞", "中山", "惠州", "汕头", "南宁", "柳州", "桂林", "海口", "三亚", "成都", "绵阳", "德阳", "宜宾", "重庆", "贵阳", "遵义", "昆明", "大理", "西安", "宝鸡", "咸阳", "兰州", "天水", "西宁", "银川", "太原", "大同", "石家庄", "保定", "唐山", "邯郸", "沈阳", "大连", "鞍山", "长春", "吉林", "哈尔滨", "大庆", "呼和浩特", "包头", "天津", "北京", "上海", "拉萨"]


def synth_reports(n: int, folder: Path) -> list[Path]:
    """n variants of the bundled report: other city, year shifted, every multi-digit figure redrawn."""
    text = REPORT.read_text(encoding="utf-8")
    paths = []
    for i in range(n):
        rng = random.Random(i)
        city, shift = CITIES[i % len(CITIES)], i % 6
        body = re.sub(r"((?:19|20)\d\d)(?=年)", lambda m: str(int(m.group(1)) - shift), text)
        if i:
            def redraw(m: re.Match) -> str:
                whole, frac = m.group(1), m.group(2) or ""
                if len(whole) < 2:
                    return m.group(0)  # item numbers and single digits keep the structure
                new = str(rng.randint(10 ** (len(whole) - 1), 10 ** len(whole) - 1))
                return new + ("." + "".join(str(rng.randint(0, 9)) for _ in frac[1:]) if frac else "")

            body = re.sub(r"(?<![\d.])(\d+)(\.\d+)?(?![\d.]*年)", redraw, body)
        body = body.replace("杭州", city)
        path = folder / f"report-{i:03d}-{city}-{2021 - shift}.txt"
        path.write_text(body, encoding="utf-8")
        paths.append(path)
    return paths


def run(quick: bool) -> dict:
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-growth-") as tmp:
        paths = synth_reports(100, Path(tmp))
        questions = 20 if quick else 40
        for n in (1, 10):
            rows.append(worker(MODULE, "growth", {"paths": [str(p) for p in paths[:n]], "mode": "full", "threads": 1,
                                          "questions": questions}, env={"QA_THREADS": "1"}))
        rows.append(worker(MODULE, "growth", {"paths": [str(p) for p in paths], "mode": "extrapolate", "threads": 1,
                                      "questions": questions}, env={"QA_THREADS": "1"}))
    return {"rows": rows}


def render(res: dict) -> str:
    rows = res["rows"]
    full = sorted((r for r in rows if r["mode"] == "full"), key=lambda r: r["chunks"])
    small, large = full[0], full[-1]
    # marginal whole-build time per chunk between the two real builds (model load and imports cancel out)
    per_chunk = (large["build_s"] - small["build_s"]) / max(1, large["chunks"] - small["chunks"])
    body = []
    for r in rows:
        if r["mode"] == "full":
            build = f"{r['build_s']:.0f}"
        else:
            est = large["build_s"] + (r["chunks"] - large["chunks"]) * per_chunk
            build = f"≈{est:.0f} (extrapolated)"
        st_ = r.get("stages", {})
        stage = (lambda k: ms(st_[k]["p50"]) if k in st_ else "")
        body.append([r["reports"], r["chunks"], build, f"{r['disk_mib']:.1f}", f"{r['_peak_rss_mib']:.0f}",
                     ms(r["query"]["p50"]), ms(r["query"]["p95"]), stage("embed"), stage("dense"), stage("bm25"),
                     stage("fusion"), stage("answer")])
    note = ("\n100 reports: parsing, chunking, FAISS and BM25 are real (measured "
            + ", ".join(f"{r['parse_chunk_s']:.1f} s parse+chunk, {r['index_s']:.1f} s index" for r in rows if r["mode"] != "full")
            + f"); its build time is the 10-report build plus {per_chunk * 1000:.0f} ms per further chunk (the "
            "marginal cost between the 1- and 10-report builds), and its vectors are the first report's real embeddings "
            "repeated with small noise. Its peak RSS includes the loaded model and one report's embedding.")
    return "### Growth: synthetic corpora (city names, years and figures varied), torch threads 1\n\n" + table(
        ["reports", "chunks", "build s", "index on disk MiB", "build peak RSS MiB", "ask p50 ms", "ask p95 ms",
         "embed p50", "dense p50", "BM25 p50", "fusion p50", "answer p50"], body) + note


WORKERS = {"growth": w_growth}

if __name__ == "__main__":
    sys.exit(main(["growth"], description=__doc__.splitlines()[0]))
