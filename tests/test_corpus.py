"""Many reports, one index: incremental adds embed only new texts, removal, listing, the embedding cache,
distinct ids, and the cached multi-report index of real reports. Real model throughout."""

from __future__ import annotations

import json

import numpy as np
import pytest

from qa import cli
from qa import index as index_files
from qa.chunking import chunk_documents
from qa.corpus import add_reports, remove_reports, report_rows, unique_ids
from qa.embedcache import CachedEmbedder
from qa.errors import IndexError_, SourceError
from qa.index import indicator_texts, sentence_texts
from qa.pipeline import ask, build_index, load_index
from qa.settings import Settings
from qa.source import read_documents

CITY = "{city}2021年政府工作报告\n（2021年2月3日在{city}第十三届人民代表大会第六次会议上）\n各位代表：\n现在，我代表市人民政府，向大会报告工作，请予审议。\n一、2020年工作回顾\n{fact}\n二、2021年工作安排\n{plan}\n"
REPORTS = {
    "jiaxing.txt": CITY.format(city="嘉兴市", fact="全年地区生产总值增长3.5%，粮食产量98万吨。", plan="地区生产总值增长7%左右。"),
    "huzhou.txt": CITY.format(city="湖州市", fact="全年地区生产总值增长3.3%，新增城镇就业8万人。", plan="新建公园20个。"),
    "shaoxing.txt": CITY.format(city="绍兴市", fact="全年地区生产总值增长3.3%，新能源汽车产量12万辆，同比增长45%。",
                                plan="新增学位3万个，新建幼儿园40所。"),
}


@pytest.fixture()
def corpus(tmp_path, real_index, monkeypatch):
    """Two reports built into tmp/idx with the session's model and an empty embedding cache in tmp/cache."""
    from qa import embedding, pipeline

    for name, text in REPORTS.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    monkeypatch.setattr(pipeline, "load_embedder", lambda settings, progress=None: real_index.embedder)
    monkeypatch.setattr(embedding, "load_embedder", lambda settings, progress=None: real_index.embedder)
    monkeypatch.setenv("QA_EMBEDDING_CACHE", str(tmp_path / "cache"))
    settings = Settings.from_env()
    built = build_index([tmp_path / "jiaxing.txt", tmp_path / "huzhou.txt"], settings)
    index_files.save(built, tmp_path / "idx")
    return tmp_path, settings


def texts_of(path) -> set[str]:
    chunks = chunk_documents(read_documents(path))
    return {c.embedding_text for c in chunks} | set(sentence_texts(chunks)) | set(indicator_texts(chunks))


def test_adding_a_report_embeds_only_its_texts_and_keeps_the_others_vectors(corpus, capsys):
    tmp, settings = corpus
    before = index_files.load(tmp / "idx")
    known = texts_of(tmp / "jiaxing.txt") | texts_of(tmp / "huzhou.txt")
    new = texts_of(tmp / "shaoxing.txt") - known
    assert new and len(new) < len(texts_of(tmp / "shaoxing.txt"))  # shared lines come from the cache

    assert cli.main(["build", "--add", str(tmp / "shaoxing.txt"), "--index", str(tmp / "idx")]) == 0
    assert f"({len(new)} texts embedded," in capsys.readouterr().out

    after = load_index(tmp / "idx", settings)
    assert [d["id"] for d in after.documents] == ["jiaxing", "huzhou", "shaoxing"]
    n = len(before.chunks)
    assert [c.id for c in after.chunks[:n]] == [c.id for c in before.chunks]
    assert np.array_equal(index_files.chunk_vectors(after)[:n], index_files.chunk_vectors(before))
    assert np.array_equal(after.sentence_vectors[: len(before.sentence_vectors)], before.sentence_vectors)
    # what each figure measures has its vector, the old reports' as they were and the new one's added
    assert set(after.indicator_vectors) == set(indicator_texts(after.chunks)) and "新能源汽车产量" in after.indicator_vectors
    assert all(np.array_equal(after.indicator_vectors[t], v) for t, v in before.indicator_vectors.items())
    assert {s["doc_id"]: s["sha256"] for s in after.manifest["sources"]}["shaoxing"] == \
        read_documents(tmp / "shaoxing.txt")[0].sha256
    answer = ask(after, "绍兴新能源汽车产量多少？")
    assert answer.found and "12万辆" in answer.text and answer.citations[0].paragraph_id.startswith("shaoxing#")

    # the same file again is refused, and the index is left as it was
    with pytest.raises(SourceError, match="already in the index as shaoxing.*qa remove shaoxing"):
        add_reports([tmp / "shaoxing.txt"], tmp / "idx", settings)
    assert len(index_files.load(tmp / "idx").documents) == 3


def test_adding_to_an_index_saved_before_measures_were_embedded_gives_every_report_its_measures(corpus,
                                                                                               saved_before_measures):
    """An index folder without indicators.json (an older version's) gets the measures of its old reports too when a
    report is added, from the embedding cache, so the scorer reads them for every report alike."""
    tmp, settings = corpus
    saved_before_measures(tmp / "idx")
    assert index_files.load(tmp / "idx").indicator_vectors is None

    change = add_reports([tmp / "shaoxing.txt"], tmp / "idx", settings)
    after = load_index(tmp / "idx", settings)
    assert set(after.indicator_vectors) == set(indicator_texts(after.chunks))
    assert {"粮食产量", "新能源汽车产量"} <= set(after.indicator_vectors)  # jiaxing's, shaoxing's
    assert change.embedded == len(texts_of(tmp / "shaoxing.txt") - texts_of(tmp / "jiaxing.txt")
                                  - texts_of(tmp / "huzhou.txt"))  # the old measures came from the cache


def test_remove_then_list_and_adding_back_embeds_nothing(corpus, capsys):
    tmp, settings = corpus
    add_reports([tmp / "shaoxing.txt"], tmp / "idx", settings)
    assert cli.main(["remove", "huzhou", "--index", str(tmp / "idx")]) == 0
    capsys.readouterr()
    assert cli.main(["list", "--index", str(tmp / "idx")]) == 0
    rows = [line.split("\t") for line in capsys.readouterr().out.splitlines()]
    assert [(r[0], r[1], r[2]) for r in rows] == [("jiaxing", "嘉兴市", "2021"), ("shaoxing", "绍兴市", "2021")]
    index = load_index(tmp / "idx", settings)  # the saved files pass every consistency check
    assert not any(c.doc_id == "huzhou" for c in index.chunks)
    assert set(index.indicator_vectors) == set(indicator_texts(index.chunks))  # huzhou's measures went with it
    assert not ask(index, "湖州新建公园多少个？").text.count("20个")
    with pytest.raises(IndexError_, match="holds no report huzhou"):
        remove_reports(["huzhou"], tmp / "idx")
    with pytest.raises(IndexError_, match="empty"):
        remove_reports(["jiaxing", "shaoxing"], tmp / "idx")

    again = add_reports([tmp / "huzhou.txt"], tmp / "idx", settings)
    assert again.embedded == 0 and again.reused > 0  # every text was in the embedding cache
    assert "20个" in ask(load_index(tmp / "idx", settings), "湖州新建公园多少个？").text
    assert cli.main(["list", "--index", str(tmp / "idx"), "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(r["id"], r["level"], r["meeting_date"]) for r in listed][-1] == ("huzhou", "city", "2021-02-03")
    assert report_rows(index)[0]["paragraphs"] == len([p for p in index.paragraphs.values() if p.doc_id == "jiaxing"])


def test_two_adds_at_once_both_land(corpus):
    """Each add loads, changes and saves the whole index: without the lock the later save drops the other's report."""
    from concurrent.futures import ThreadPoolExecutor

    tmp, settings = corpus
    (tmp / "quzhou.txt").write_text(CITY.format(city="衢州市", fact="全年粮食产量60万吨。", plan="新建公园5个。"), "utf-8")
    with ThreadPoolExecutor(2) as pool:
        done = list(pool.map(lambda name: add_reports([tmp / name], tmp / "idx", settings), ["shaoxing.txt", "quzhou.txt"]))
    assert sorted(c.added[0] for c in done) == ["quzhou", "shaoxing"]
    assert sorted(d["id"] for d in index_files.load(tmp / "idx").documents) == ["huzhou", "jiaxing", "quzhou", "shaoxing"]


def test_two_files_of_the_same_name_get_distinct_ids_in_a_build_and_an_add(corpus):
    tmp, settings = corpus
    for folder, growth in (("a", "3.9%"), ("b", "4.5%")):
        (tmp / folder).mkdir()
        (tmp / folder / "jiaxing.txt").write_text(f"某县2021年政府工作报告\n全年地区生产总值增长{growth}。\n", "utf-8")
    documents = unique_ids([d for f in ("a", "b") for d in read_documents(tmp / f / "jiaxing.txt")], ["jiaxing"])
    assert [d.id for d in documents] == ["jiaxing-2", "jiaxing-3"]
    assert all(p.id.startswith(d.id + "#") and p.doc_id == d.id for d in documents for p in d.paragraphs)
    change = add_reports([tmp / "a" / "jiaxing.txt", tmp / "b" / "jiaxing.txt"], tmp / "idx", settings)
    assert change.added == ("jiaxing-2", "jiaxing-3")
    index = index_files.load(tmp / "idx")
    parts = [tmp / "jiaxing.txt", tmp / "huzhou.txt", tmp / "a" / "jiaxing.txt", tmp / "b" / "jiaxing.txt"]
    assert len(index.paragraphs) == sum(len(read_documents(p)[0].paragraphs) for p in parts)  # none overwritten
    assert {p.doc_id for p in index.paragraphs.values()} == {"jiaxing", "huzhou", "jiaxing-2", "jiaxing-3"}
    # one file passed twice under two names is one report, not two
    (tmp / "copy.txt").write_bytes((tmp / "shaoxing.txt").read_bytes())
    with pytest.raises(SourceError, match="same file"):
        build_index([tmp / "shaoxing.txt", tmp / "copy.txt"], settings)


def test_a_full_build_gives_the_same_vectors_with_a_warm_or_an_empty_cache(corpus, tmp_path_factory):
    """The int8 model's vector of a text shifts with its batch: a full build must not read vectors that were
    embedded with other texts (here, huzhou's were embedded after jiaxing's in the fixture's build)."""
    tmp, settings = corpus
    warm = build_index([tmp / "huzhou.txt"], settings)
    empty = Settings.from_env(embedding_cache=tmp_path_factory.mktemp("empty-cache"))
    cold = build_index([tmp / "huzhou.txt"], empty)
    assert np.array_equal(index_files.chunk_vectors(warm), index_files.chunk_vectors(cold))
    assert np.array_equal(warm.sentence_vectors, cold.sentence_vectors)


def test_a_damaged_cache_entry_is_embedded_again_never_an_error(tmp_path, real_index):
    cache = CachedEmbedder(real_index.embedder, tmp_path / "cache")
    texts = ["全年地区生产总值增长3.9%。", "新建公园20个。"]
    first = cache.embed_passages(texts)
    assert cache.computed == 2
    files = sorted(p for p in (tmp_path / "cache").rglob("*") if p.is_file())
    assert len(files) == 2
    files[0].write_bytes(files[0].read_bytes()[:100])  # truncated
    data = bytearray(files[1].read_bytes())
    data[-5] ^= 0xFF  # one flipped bit pattern in the vector
    files[1].write_bytes(bytes(data))
    second = cache.embed_passages(texts)
    assert cache.computed == 4 and np.allclose(first, second, atol=1e-6)
    third = CachedEmbedder(real_index.embedder, tmp_path / "cache").embed_passages(texts)  # rewritten whole
    assert np.array_equal(third, second)
    (tmp_path / "ro").mkdir()
    (tmp_path / "ro" / "blocker").write_text("a file where the cache's folder should be")
    unwritable = CachedEmbedder(real_index.embedder, tmp_path / "ro" / "blocker")
    assert np.allclose(unwritable.embed_passages(texts), first, atol=1e-6)  # builds without the cache


CORPUS = ["hangzhou-2021-government-work-report.txt", "national-2024-government-work-report.txt",
          "provincial-2026/2026_北京市_政府工作报告.csv", "provincial-2026/2026_江苏省_政府工作报告.csv",
          "provincial-2026/2026_山东省_政府工作报告.csv"]


def test_the_cached_multi_report_index_is_truthful_and_loads_without_building(monkeypatch):
    from eval.sets import corpus_index, report_path, shared_data
    from qa.files import file_sha256
    from qa.settings import PROJECT_ROOT

    if not (shared_data() / CORPUS[1]).is_file():
        pytest.skip("../shared/data is not beside the clone")
    index = corpus_index(CORPUS)
    rows = report_rows(index)
    assert [(r["place"], r["level"], r["year"]) for r in rows] == [
        ("杭州市", "city", 2021), ("全国", "national", 2024), ("北京市", "province", 2026),
        ("江苏省", "province", 2026), ("山东省", "province", 2026)]
    assert len({r["id"] for r in rows}) == 5 and all(r["paragraphs"] > 40 for r in rows)
    sources = index.manifest["sources"]
    assert [s["sha256"] for s in sources] == [file_sha256(report_path(r)) for r in CORPUS]
    assert sources[0]["path"] == "data/hangzhou-2021-government-work-report.txt"  # in the project: relative
    assert not index_files.stale_sources(index.manifest, PROJECT_ROOT)
    # each report keeps the vectors of its own index (the eval's), whatever else the corpus holds
    from eval.sets import index_for
    from qa.corpus import merge

    national = index_for([CORPUS[1]])
    rows = [row for row, c in enumerate(index.chunks) if c.doc_id == national.documents[0]["id"]]
    assert np.array_equal(index_files.chunk_vectors(index)[rows], index_files.chunk_vectors(national))
    with pytest.raises(IndexError_, match="two reports have the id"):
        merge([index, national])

    from qa import pipeline

    def no_build(*args, **kwargs):
        raise AssertionError("a second call must load the cached index, not build one")

    monkeypatch.setattr(pipeline, "build_index", no_build)
    again = corpus_index(CORPUS)
    assert [c.id for c in again.chunks] == [c.id for c in index.chunks]


def test_qa_serve_index_points_the_app_at_that_folder(tmp_path, monkeypatch):
    """`qa serve --index DIR` is QA_INDEX_DIR=DIR for the app (app.py reads its index from the settings)."""
    import sys
    import types

    seen = {}
    fake_app = types.ModuleType("app")
    fake_app.main = lambda argv: seen.update(index=Settings.from_env().index_dir, argv=argv) or 0
    monkeypatch.setitem(sys.modules, "app", fake_app)  # the real app would start a server
    # set (not deleted) first, so monkeypatch restores what was there after `qa serve` changes it
    monkeypatch.setenv("QA_INDEX_DIR", str(tmp_path / "elsewhere"))
    assert cli.main(["serve", "--index", str(tmp_path / "corpus"), "--port", "7999"]) == 0
    assert seen == {"index": tmp_path / "corpus", "argv": ["--port", "7999"]}
