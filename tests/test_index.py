"""Index mechanics (with a deterministic fake embedder): exact search, save/load, and every broken-index case."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from qa import index as index_files
from qa.chunking import chunk_documents
from qa.errors import IndexError_
from qa.pipeline import load_index
from qa.query import parse
from qa.retrieval import character_scores, retrieve


def fake_vectors(texts: list[str], dim: int = 32) -> np.ndarray:
    """Unit vectors seeded by each text's hash: deterministic, unrelated to meaning."""
    rows = []
    for text in texts:
        seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
        row = np.random.default_rng(seed).standard_normal(dim).astype(np.float32)
        rows.append(row / np.linalg.norm(row))
    return np.vstack(rows)


@pytest.fixture()
def small_index(document):
    chunks = chunk_documents([document])
    vectors = fake_vectors([c.embedding_text for c in chunks])
    return index_files.build([document], chunks, vectors, "fake-model"), vectors


def test_faiss_top_k_equals_brute_force(small_index):
    index, vectors = small_index
    for query in fake_vectors(["q1", "q2", "q3"]):
        rows, scores = index.search_dense(query, 10)
        expected = np.argsort(-(vectors @ query), kind="stable")[:10]
        assert list(rows) == list(expected)
        assert np.allclose(scores, (vectors @ query)[expected], atol=1e-5)


def test_bm25_scores_equal_a_reference_implementation(small_index):
    """Lucene's BM25 (bm25s's default: k1=1.5, b=0.75, no (k1+1) factor) written out by hand."""
    from qa.tokens import tokenize

    index, _ = small_index
    docs = [tokenize(c.header + " " + c.text) for c in index.chunks]
    avgdl = sum(map(len, docs)) / len(docs)
    query = ["网络", "零售额", "增长"]

    def reference(doc: list[str]) -> float:
        score = 0.0
        for token in query:
            df = sum(token in d for d in docs)
            tf = doc.count(token)
            idf = np.log(1 + (len(docs) - df + 0.5) / (df + 0.5))
            score += idf * tf / (tf + 1.5 * (0.25 + 0.75 * len(doc) / avgdl))
        return score

    assert np.allclose(index.bm25_scores(query), [reference(d) for d in docs], rtol=1e-4)
    assert "网络零售额8992亿元" in index.chunks[int(np.argmax(index.bm25_scores(["8992"])))].text


def test_character_scores_equal_a_reference_implementation(small_index):
    """Each chunk's share of the question's topic characters, each weighted by log(1 + chunks / chunks holding it)."""
    index, _ = small_index
    query = parse("网上卖东西卖了多少钱？", (), 2021)
    asked = {ch for word in (*query.topic, *query.bridged) for ch in word if "\u4e00" <= ch <= "\u9fff"}
    held = [{ch for ch in c.text if ch in asked} for c in index.chunks]
    weight = {ch: np.log(1 + len(held) / n) for ch in asked if (n := sum(ch in h for h in held))}

    def reference(chars: set[str]) -> float:
        return sum(weight[ch] for ch in chars) / sum(weight.values())

    scores = character_scores(index, query)
    assert np.allclose(scores, [reference(h) for h in held]) and scores.max() > 0.5
    assert character_scores(index, parse("What is the weather like?", (), 2021)) is None


def test_save_then_load_gives_identical_hits(small_index, tmp_path):
    index, _ = small_index
    index_files.save(index, tmp_path / "idx")
    loaded = index_files.load(tmp_path / "idx")
    assert [c.id for c in loaded.chunks] == [c.id for c in index.chunks]
    assert loaded.paragraphs == index.paragraphs
    for question, vector in zip(["去年网络零售额多少？", "十四五目标"], fake_vectors(["a", "b"])):
        query = parse(question, (), 2021)
        before = [(h.chunk.id, round(h.score, 6)) for h in retrieve(index, query, vector)]
        after = [(h.chunk.id, round(h.score, 6)) for h in retrieve(loaded, query, vector)]
        assert before == after


def test_building_twice_gives_identical_chunk_ids_and_files(document, tmp_path):
    for name in ("one", "two"):
        chunks = chunk_documents([document])
        index_files.save(index_files.build([document], chunks, fake_vectors([c.embedding_text for c in chunks]), "m"),
                         tmp_path / name)
    one = json.loads((tmp_path / "one" / "manifest.json").read_text())["files"]
    two = json.loads((tmp_path / "two" / "manifest.json").read_text())["files"]
    assert one == two


def test_bm25_numbers_its_words_in_sorted_order(document):
    """bm25s numbered the words in set order, which changes with each process's hash seed: every `qa build` rewrote
    the BM25 files though nothing had changed. Sorted, the numbering is the same in every process."""
    vocab = index_files.make_bm25(chunk_documents([document])).vocab_dict
    words = [w for w in vocab if w]  # bm25s adds "" last, for a query of no known word
    assert words == sorted(words) and [vocab[w] for w in words] == list(range(len(words)))


def test_missing_index_says_what_to_run(tmp_path):
    with pytest.raises(IndexError_, match="qa build"):
        index_files.load(tmp_path / "nowhere")


@pytest.mark.parametrize("victim", ["vectors.faiss", "chunks.jsonl", "manifest.json"])
def test_truncated_or_corrupt_files_are_reported(small_index, tmp_path, victim):
    index, _ = small_index
    index_files.save(index, tmp_path / "idx")
    path = tmp_path / "idx" / victim
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
    with pytest.raises(IndexError_, match="qa build"):
        index_files.load(tmp_path / "idx")


def test_deleted_file_is_reported(small_index, tmp_path):
    index, _ = small_index
    index_files.save(index, tmp_path / "idx")
    (tmp_path / "idx" / "paragraphs.jsonl").unlink()
    with pytest.raises(IndexError_, match="missing"):
        index_files.load(tmp_path / "idx")


def test_an_index_of_another_model_is_refused(small_index, tmp_path):
    from qa.settings import Settings

    index, _ = small_index
    index_files.save(index, tmp_path / "idx")
    other = tmp_path / "other-model"
    other.mkdir()
    with pytest.raises(IndexError_, match="built with the model fake-model"):
        load_index(tmp_path / "idx", Settings.from_env(embed_model=str(other)))


def test_an_index_of_a_changed_report_is_refused(document, tmp_path, monkeypatch):
    from qa import pipeline

    report = tmp_path / "report.txt"
    report.write_text("某市2021年政府工作报告\n\n一、2020年工作回顾\n\n全年地区生产总值增长3.9%。\n", encoding="utf-8")
    [doc] = pipeline.read_documents(report)
    chunks = chunk_documents([doc])
    index_files.save(index_files.build([doc], chunks, fake_vectors([c.text for c in chunks]), "m"), tmp_path / "idx")
    report.write_text("某市2021年政府工作报告\n\n全年地区生产总值增长4.0%。\n", encoding="utf-8")
    with pytest.raises(IndexError_, match="changed since"):
        load_index(tmp_path / "idx")


def test_two_reports_of_the_same_file_name_are_refused_not_merged(tmp_path):
    """Paragraph ids come from the file name: two report.txt in different folders would share them."""
    from qa.source import parse_document

    documents = []
    for folder, growth in (("a", "3.9%"), ("b", "4.5%")):
        path = tmp_path / folder / "report.txt"
        path.parent.mkdir()
        path.write_text(f"某市2021年政府工作报告\n\n全年地区生产总值增长{growth}。\n", encoding="utf-8")
        documents.append(parse_document(path))
    chunks = chunk_documents(documents)
    with pytest.raises(IndexError_, match="same file name.*rename one"):
        index_files.build(documents, chunks, fake_vectors([c.text for c in chunks]), "m")
