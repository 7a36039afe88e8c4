"""Fast query encoding: the sentence-transformers model exported once to ONNX and run with ONNX
Runtime, so answering a question needs neither torch nor its ~4.5 s import.

The exported graph includes mean pooling and L2 normalisation, so its output is the same vector
``torch_encoder.Embedder.encode`` produces (checked at export time: cosine >= MIN_COSINE on sample texts,
otherwise the export is not used and queries go through torch).
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from bot.encoders.batching import encode_in_batches

if TYPE_CHECKING:
    from bot.encoders.torch_encoder import Embedder

MIN_COSINE = 0.999
ONNX_FILE = "query_encoder.onnx"
CHECK_FILE = "query_encoder.json"


def export_folder(exports: Path, model_name: str) -> Path:
    """Where the export of ``model_name`` is kept: one folder per model, shared by every index."""
    return Path(exports) / hashlib.sha256(model_name.encode()).hexdigest()[:12]


def model_signature(model_path: Path) -> list:
    """Names, sizes and modification times of the model's files: a replaced model folder no
    longer matches its old export."""
    files = sorted(p for p in Path(model_path).rglob("*") if p.is_file())
    return [[str(p.relative_to(model_path)), p.stat().st_size, int(p.stat().st_mtime)] for p in files]


def export(model_path: Path, model_name: str, embedder: Embedder, out_dir: Path, sample_texts: list[str]) -> dict:
    """Export the model at ``model_path`` to ``out_dir`` and verify it against ``embedder`` (the
    same model in sentence-transformers) on ``sample_texts``.

    Returns:
        The verification record written beside the export: ``{"ok", "min_cosine", "texts", ...}``.
    """
    import torch

    transformer = embedder._model[0]
    max_length = int(transformer.max_seq_length)

    class Pooled(torch.nn.Module):
        def __init__(self, auto_model):
            super().__init__()
            self.auto_model = auto_model

        def forward(self, input_ids, attention_mask, token_type_ids):
            tokens = self.auto_model(input_ids=input_ids, attention_mask=attention_mask,
                                     token_type_ids=token_type_ids).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(tokens.dtype)
            pooled = (tokens * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1)

    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = out_dir / f".{ONNX_FILE}.{os.getpid()}.tmp"  # processes may export side by side
    example = transformer.tokenizer(["an example question"], return_tensors="pt")
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the exporter's notes on tracing are for model authors, not users
        torch.onnx.export(
            Pooled(transformer.auto_model).eval(),
            (example["input_ids"], example["attention_mask"], example.get("token_type_ids",
                                                                          torch.zeros_like(example["input_ids"]))),
            str(tmp), input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=["embedding"],
            dynamic_axes={name: {0: "batch", 1: "sequence"} for name in ("input_ids", "attention_mask", "token_type_ids")}
            | {"embedding": {0: "batch"}},
            opset_version=17, dynamo=False,
        )
    tmp.replace(out_dir / ONNX_FILE)
    encoder = OnnxEncoder(out_dir / ONNX_FILE, model_path, max_length, model_name)
    texts = sample_texts[:200] or ["an example question"]
    reference = embedder.encode(texts)
    # Both paths are checked: one question at a time (serving) and padded batches (building).
    one_by_one = np.stack([encoder.encode_query(t) for t in texts])
    batched = encoder.encode(texts)
    min_cosine = float(min((reference * one_by_one).sum(1).min(), (reference * batched).sum(1).min()))
    record = {"ok": min_cosine >= MIN_COSINE, "min_cosine": round(min_cosine, 6), "texts": len(texts),
              "max_length": max_length, "model": model_name, "model_files": model_signature(model_path),
              "checks": ["queries", "batches"]}
    tmp = out_dir / f".{CHECK_FILE}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(record))
    tmp.replace(out_dir / CHECK_FILE)  # written last: an export without its record is never used
    return record


def verified_record(out_dir: Path, model_path: Path, model_name: str) -> dict | None:
    """The verification record of the export in ``out_dir`` if it passed its check and was made
    from the model files as they are now; else None. Reads files only (no ONNX Runtime)."""
    try:
        record = json.loads((out_dir / CHECK_FILE).read_text())
    except (OSError, ValueError):
        return None
    # An export made before batches were checked too is redone once (a few seconds with torch).
    if (not record.get("ok") or record.get("model") != model_name or "batches" not in record.get("checks", ())
            or record.get("model_files") != model_signature(model_path) or not (out_dir / ONNX_FILE).is_file()):
        return None
    return record


def load_verified(out_dir: Path, model_path: Path, model_name: str) -> "OnnxEncoder | None":
    """The exported encoder in ``out_dir`` if its export is verified (see verified_record); else None."""
    record = verified_record(out_dir, model_path, model_name)
    if record is None:
        return None
    try:
        return OnnxEncoder(out_dir / ONNX_FILE, model_path, int(record["max_length"]), model_name)
    except Exception:  # a damaged file: the caller exports again or falls back to torch
        return None


class OnnxEncoder:
    """The exported model: one question at a time for serving (``encode_query``), or many texts
    in padded batches for building an index (``encode``), without torch."""

    def __init__(self, onnx_path: Path, model_path: Path, max_length: int, name: str = ""):
        import onnxruntime

        options = onnxruntime.SessionOptions()
        # One query is a tiny graph: a single thread avoids thread hand-off costs that dominate at this size.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
        self._tokenizer_file = str(Path(model_path) / "tokenizer.json")
        self._max_length = max_length
        self._tokenizer = self._new_tokenizer(padding=False)
        self._batch_tokenizer = None  # made on first batch: padding is tokenizer state, queries must not share it
        self.name = name  # the model setting, as the embedding cache keys it
        self.dimension = int(self.encode_query("dimension").shape[0])

    def _new_tokenizer(self, padding: bool):
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(self._tokenizer_file)
        tokenizer.enable_truncation(self._max_length)
        if padding:
            tokenizer.enable_padding()
        else:
            tokenizer.no_padding()
        return tokenizer

    def _run(self, encodings) -> np.ndarray:
        feeds = {"input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
                 "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
                 "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64)}
        return self._session.run(None, feeds)[0]

    def encode_query(self, text: str) -> np.ndarray:
        # ONNX Runtime sessions may be run from several threads at once.
        return self._run([self._tokenizer.encode(text)])[0]

    def encode(self, texts: list[str], batch_size: int = 32, progress: str | None = None) -> np.ndarray:
        """Embed ``texts`` (rows in input order); with ``progress`` set, show a progress bar on stderr."""
        if self._batch_tokenizer is None:
            self._batch_tokenizer = self._new_tokenizer(padding=True)
        return encode_in_batches(texts, self.dimension, batch_size, progress,
                                 lambda batch: self._run(self._batch_tokenizer.encode_batch(batch)))
