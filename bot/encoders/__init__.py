"""Text to vectors: the seam between the index/retrievers and the embedding model.

Two implementations of the same model: ``torch_encoder.Embedder`` (sentence-transformers, used
to build indexes and as the reference) and ``onnx_encoder.OnnxEncoder`` (the model exported
once to ONNX, verified against torch, about 3x faster per question and with no torch import; it
also embeds documents in batches, so rebuilding an index need not import torch either).
``open_query_encoder`` and ``open_document_encoder`` choose between them.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable, Protocol

import numpy as np


class QueryEncoder(Protocol):
    """Embeds one question as an L2-normalised vector."""

    def encode_query(self, text: str) -> np.ndarray: ...


class DocumentEncoder(QueryEncoder, Protocol):
    """Embeds many texts at once, for building an index."""

    name: str
    dimension: int

    def encode(self, texts: list[str], batch_size: int = 32, progress: str | None = None) -> np.ndarray: ...


# What the bot does on its own (building an index, falling back to torch) is said here; the
# command line shows it on stderr (bot/cli/output.py).
_log = logging.getLogger("faqbot").info


def open_query_encoder(kind: str, model: str, exports: Path, sample_texts: list[str],
                       get_embedder: Callable[[], DocumentEncoder],
                       log: Callable[[str], None] = _log) -> QueryEncoder:
    """The fastest trustworthy way to embed questions with ``model``.

    Args:
        kind: "auto" uses the ONNX export of the model kept under ``exports`` (one per model,
            shared by every index), exporting and verifying it once if missing; "torch" always
            uses sentence-transformers.
        model: the model setting (the packaged model or a local folder).
        exports: the folder that holds the exports of every model.
        sample_texts: texts to verify a new export on (cosine to torch >= 0.999 on each).
        get_embedder: makes (or returns) the sentence-transformers encoder, only when needed.
        log: where to say that the export could not be used.
    """
    if kind == "torch":
        return get_embedder()
    from bot.encoders import onnx_encoder
    from bot.encoders.torch_encoder import resolve_model_path

    model_path = resolve_model_path(model)
    folder = onnx_encoder.export_folder(exports, model)
    encoder = onnx_encoder.load_verified(folder, model_path, model)
    if encoder is not None:
        return encoder
    log(f"Exporting the model for fast questions into {folder} (once per model)...")
    try:
        record = onnx_encoder.export(model_path, model, get_embedder(), folder, sample_texts[:200])
    except Exception as exc:  # a missing onnx package or an exporter problem: torch still works
        log(f"Could not export the model for fast queries ({type(exc).__name__}: {exc}); using torch.")
        return get_embedder()
    if not record["ok"]:
        log(f"The exported model disagrees with torch (cosine {record['min_cosine']}); using torch.")
        return get_embedder()
    return onnx_encoder.load_verified(folder, model_path, model) or get_embedder()


def open_document_encoder(kind: str, model: str, exports: Path,
                          get_embedder: Callable[[], DocumentEncoder]) -> DocumentEncoder:
    """What builds an index: the verified ONNX export when there is one (``kind`` "auto"), so
    an incremental rebuild never imports torch; else sentence-transformers."""
    if kind == "auto":
        from bot.encoders import onnx_encoder
        from bot.encoders.torch_encoder import resolve_model_path

        encoder = onnx_encoder.load_verified(onnx_encoder.export_folder(exports, model), resolve_model_path(model),
                                             model)
        if encoder is not None:
            return encoder
    return get_embedder()
