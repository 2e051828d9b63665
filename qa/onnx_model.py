"""Export the materialized model to ONNX and quantize it to int8, once per machine: the default backend."""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
from pathlib import Path

from qa.errors import ModelError
from qa.files import file_sha256
from qa.model import MODEL_ID, Progress, ensure_model, load_sentence_transformer, notify, temp_beside
from qa.settings import Settings

BACKENDS = ("onnx-int8", "torch")
# in model ids: an index embedded by one backend (or one export) is not queried by another. "w7": the weights use
# 7 of their 8 bits (export_int8), so vectors are the same on processors with and without AVX-512 VNNI
ONNX_SUFFIX = "+onnx-int8-w7"
ONNX_FILE = "onnx/model_qint8_w7.onnx"
STALE_EXPORTS = ("model_qint8.onnx",)  # earlier exports (8-bit weights) beside it: 113 MiB each, never read again
log = logging.getLogger(__name__)


def checksum_path(path: Path) -> Path:
    """Where the export's sha256 is recorded: model_qint8.onnx -> model_qint8.onnx.sha256 (sha256sum format)."""
    return path.with_name(path.name + ".sha256")


def matches_checksum(path: Path) -> bool:
    """True if `path` is the file exported (sha256, ~0.1 s for 113 MiB): byte flips load without an error.

    An export made before checksums were recorded has its checksum recorded now, once, where writable.
    """
    try:
        recorded = checksum_path(path).read_text(encoding="utf-8").split()[0]
    except (OSError, IndexError):
        _record_checksum(path, file_sha256(path))
        return True
    if file_sha256(path) == recorded:
        return True
    log.warning("%s differs from the file exported (checksum mismatch): exporting it again", path)
    return False


def _record_checksum(path: Path, digest: str) -> None:
    """Write `<name>.sha256` beside `path` through a temp file."""
    target = checksum_path(path)
    tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(f"{digest}  {path.name}\n", encoding="utf-8")
        os.replace(tmp, target)
    except OSError as exc:
        log.info("cannot record the checksum of %s (%s): it stays unchecked", path, exc)
        tmp.unlink(missing_ok=True)


def check_backend(settings: Settings) -> str:
    if settings.backend not in BACKENDS:
        raise ModelError(f"QA_BACKEND={settings.backend} is not one of {', '.join(BACKENDS)}: unset it or pick one")
    return settings.backend


def model_id_for(settings: Settings) -> str:
    """The id an index built with these settings records, known without loading anything."""
    base = str(Path(settings.embed_model).expanduser().resolve()) if settings.embed_model else MODEL_ID
    return base + (ONNX_SUFFIX if check_backend(settings) == "onnx-int8" else "")


def onnx_path(folder: Path, settings: Settings) -> Path:
    """The bundled model keeps its export inside its folder; a QA_EMBED_MODEL folder is never written to."""
    if not settings.embed_model:
        return folder / ONNX_FILE
    # keyed by path and weight files, so replacing the weights in place exports them again
    weights = sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in folder.glob("*.safetensors"))
    key = hashlib.sha256(repr((str(folder), weights)).encode()).hexdigest()[:16]
    return Path(settings.cache_dir) / "onnx" / f"{folder.name}-{key}" / Path(ONNX_FILE).name


def export_onnx(st_model, path: Path) -> None:
    """The transformer of a SentenceTransformer as ONNX: (input_ids, attention_mask) -> last_hidden_state.

    Pooling and normalization stay in numpy (qa.embedding), so the graph is the plain encoder. The
    TorchScript exporter (dynamo=False) traces the same graph every run: an index built on one machine
    then matches questions embedded on another (the tests export twice and compare checksums).
    """
    import torch

    encoder = st_model[0].auto_model.eval()

    class Wrapper(torch.nn.Module):
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask):
            return self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    enc = st_model.tokenizer(["query: 你好", "passage: 全年地区生产总值增长3.9%"], padding=True, return_tensors="pt")
    axes = {"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"},
            "last_hidden_state": {0: "batch", 1: "seq"}}
    with torch.inference_mode():
        torch.onnx.export(Wrapper(encoder), (enc["input_ids"], enc["attention_mask"]), str(path),
                          input_names=["input_ids", "attention_mask"], output_names=["last_hidden_state"],
                          dynamic_axes=axes, opset_version=17, dynamo=False)


def export_int8(folder: Path, target: Path, progress: Progress = None) -> Path:
    """Export `folder` to ONNX and quantize it to int8 at `target`, through a temp folder beside it.

    The fp32 export (~470 MB) lives only in the temp folder; `target` appears by one os.replace, so a
    file at that name is always whole.
    """
    import warnings

    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = temp_beside(target)
        tmp.mkdir()
    except OSError as e:
        raise ModelError(f"cannot write the ONNX model to {target.parent}: {e}; set QA_CACHE_DIR to a writable folder") from e
    try:
        notify(progress, "exporting the model to ONNX (once per machine)")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer warnings about Python control flow in the encoder
            export_onnx(load_sentence_transformer(folder), tmp / "model.onnx")
        notify(progress, "quantizing the ONNX model to int8")
        from onnxruntime.quantization import QuantType, quantize_dynamic

        # quiet its advice to pre-process first (quality was measured without it), and undo the root
        # handler its logging.warning() call installs, which would print other libraries' debug lines
        root, handlers = logging.getLogger(), logging.getLogger().handlers[:]
        logging.disable(logging.WARNING)
        try:
            # per channel: one scale per output row keeps cosine to torch at 0.997 instead of 0.988, same size.
            # reduce_range (7-bit weights): without AVX-512 VNNI, onnxruntime multiplies uint8 by int8 in pairs
            # summed to int16 (vpmaddubsw), which saturates with full 8-bit weights; with 7 bits no sum overflows,
            # so every processor computes the same integers, and an index built on one matches questions on another
            quantize_dynamic(tmp / "model.onnx", tmp / target.name, weight_type=QuantType.QInt8, per_channel=True,
                             reduce_range=True)
        finally:
            logging.disable(logging.NOTSET)
            root.handlers[:] = handlers
        os.replace(tmp / target.name, target)
        _record_checksum(target, file_sha256(target))
    except ModelError:
        raise
    except OSError as e:
        if target.is_file():  # another process finished first
            return target
        raise ModelError(f"cannot write the ONNX model to {target}: {e}; check free space and permissions") from e
    except Exception as e:  # torch.onnx and onnxruntime raise many kinds; the user needs one message
        raise ModelError(f"cannot export {folder} to ONNX int8 ({type(e).__name__}: {e}); "
                         "set QA_BACKEND=torch to use the model without ONNX") from e
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    notify(progress, f"wrote {target} ({target.stat().st_size / 2**20:.0f} MiB)")
    return target


def ensure_onnx(settings: Settings, progress: Progress = None) -> tuple[Path, Path, str]:
    """Return (model folder, int8 ONNX file, model_id): the folder as ensure_model, exported once."""
    folder, model_id = ensure_model(settings, progress)
    target = onnx_path(folder, settings)
    if target.is_file() and not matches_checksum(target):
        try:
            target.unlink()
        except OSError as e:
            raise ModelError(f"{target} is damaged (its checksum does not match the export) and cannot be removed "
                             f"({e}): delete it, and it is exported again") from e
    if not target.is_file():
        export_int8(folder, target, progress)
        _remove_stale_exports(target)
    return folder, target, model_id + ONNX_SUFFIX


def _remove_stale_exports(target: Path) -> None:
    """An earlier export beside `target` is not read by this version: free its space (a failure is only logged)."""
    for name in STALE_EXPORTS:
        for stale in (target.with_name(name), checksum_path(target.with_name(name))):
            try:
                stale.unlink(missing_ok=True)
            except OSError as exc:
                log.info("cannot remove the earlier export %s (%s)", stale, exc)
