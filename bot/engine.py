"""The one core every interface uses: ``FAQBot.open(settings).ask(question)``.

Opening makes sure the index matches the corpus (building or rebuilding it, and saying so) and
loads the query encoder once: the ONNX export of the model when one has been verified (no torch
import at all), else the sentence-transformers model. ``ask`` is then cheap and thread-safe.

A running bot can switch to a newer build of its index (``reload``): the new index is loaded
beside the old one and swapped in with one assignment, so requests in flight finish on the
index they started with and no request ever sees half of each.
"""

from __future__ import annotations

import re
import sys
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Callable

from bot.answer import Answer, compose
from bot.config import Settings
from bot.corpus import corpus_fingerprint, load_corpus
from bot.index import IndexMismatch, build_index, build_signature, current_build, load_index, read_manifest
from bot.retriever import Retriever


class QuestionError(ValueError):
    """The question cannot be asked as given (empty, too long); the message is for the user."""


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def clean_question(question, max_chars: int) -> str:
    if not isinstance(question, str):
        raise QuestionError("The question must be text.")
    # Control characters (other than spaces) carry no meaning and can upset terminals and logs.
    text = " ".join(re.sub(r"[\x00-\x1f\x7f]", " ", question).split())
    if not text:
        raise QuestionError("Please type a question.")
    if len(text) > max_chars:
        raise QuestionError(f"That question is {len(text)} characters long; please keep it under {max_chars}.")
    return text


def ensure_index(settings: Settings, embedder_factory: Callable, log: Callable[[str], None] = _stderr,
                 progress: bool = True) -> str:
    """Build the index if it is missing or stale. Returns what was done: "fresh", "built" or "rebuilt"."""
    fingerprint = corpus_fingerprint(settings.corpus)
    manifest = read_manifest(settings.index_path)
    if manifest is not None:
        if manifest.get("model") != settings.model:
            raise IndexMismatch(
                f"the index at {settings.index_path} was built with model {manifest.get('model')!r} but the "
                f"configuration asks for {settings.model!r}; run `faqbot index` to rebuild it with the new model")
        if manifest == {**manifest, **build_signature(settings, fingerprint, settings.model)}:
            return "fresh"
        log(f"The corpus at {settings.corpus} changed since the index was built; rebuilding the index...")
    else:
        log(f"No index at {settings.index_path} yet; building it from {settings.corpus}...")
    entries = load_corpus(settings.corpus, duplicate_questions=settings.duplicate_questions)
    build_index(entries, settings, embedder_factory(), fingerprint, progress=progress)
    log(f"Indexed {len(entries)} entries into {settings.index_path}.")
    return "built" if manifest is None else "rebuilt"


def open_query_encoder(settings: Settings, index, get_embedder: Callable, log: Callable[[str], None] = _stderr):
    """The fastest trustworthy way to embed questions with the configured model.

    ``query_encoder = "auto"`` (default) uses the ONNX export kept beside the index, exporting and
    verifying it once if missing; "torch" always uses sentence-transformers. An export that fails
    or disagrees with torch (cosine below 0.999 on the index's own texts) is not used.
    """
    if settings.query_encoder == "torch":
        return get_embedder()
    from bot import onnx_encoder
    from bot.embedder import resolve_model_path

    model_path = resolve_model_path(settings.model)
    folder = onnx_encoder.export_folder(settings.index_path, settings.model)
    encoder = onnx_encoder.load_verified(folder, model_path, settings.model)
    if encoder is not None:
        return encoder
    try:
        record = onnx_encoder.export(model_path, settings.model, get_embedder(), folder,
                                     [v.text for v in index.views[:200]])
    except Exception as exc:  # a missing onnx package or an exporter problem: torch still works
        log(f"Could not export the model for fast queries ({type(exc).__name__}: {exc}); using torch.")
        return get_embedder()
    if not record["ok"]:
        log(f"The exported model disagrees with torch (cosine {record['min_cosine']}); using torch.")
        return get_embedder()
    return onnx_encoder.load_verified(folder, model_path, settings.model)


@dataclass
class _Served:
    """Everything an answer depends on, swapped as one unit when the index is reloaded."""

    index: object
    retriever: Retriever
    entries_by_id: dict
    answers: OrderedDict = field(default_factory=OrderedDict)  # recent answers, most recent last


class FAQBot:
    def __init__(self, settings: Settings, embedder, index):
        """``embedder`` is anything with ``encode_query(text) -> vector``: the ONNX encoder or the
        sentence-transformers Embedder."""
        self.settings = settings
        self.embedder = embedder
        self._served = self._serve(index)
        self._cache_lock = threading.Lock()
        self._reload_lock = threading.Lock()

    def _serve(self, index) -> _Served:
        return _Served(index, Retriever.from_settings(index, self.embedder, self.settings),
                       {e.id: e for e in index.entries})

    @property
    def index(self):
        return self._served.index

    @property
    def retriever(self) -> Retriever:
        return self._served.retriever

    def entry(self, entry_id: str):
        return self._served.entries_by_id.get(entry_id)

    @classmethod
    def open(cls, settings: Settings, log: Callable[[str], None] = _stderr, progress: bool = True) -> "FAQBot":
        embedder = None

        def get_embedder():
            nonlocal embedder
            if embedder is None:
                from bot.embedder import Embedder

                embedder = Embedder(settings.model)
            return embedder

        ensure_index(settings, get_embedder, log, progress)
        index = load_index(settings.index_path)
        return cls(settings, open_query_encoder(settings, index, get_embedder, log), index)

    def reload(self) -> bool:
        """Serve the index's current build if it is not the one being served. Returns whether
        it switched. A build made with another model is refused (IndexMismatch)."""
        with self._reload_lock:
            build = current_build(self.settings.index_path)
            if build is None or build == self._served.index.path:
                return False
            index = load_index(self.settings.index_path)
            if index.manifest.get("model") != self._served.index.manifest.get("model"):
                raise IndexMismatch(f"the new build at {index.path} uses model {index.manifest.get('model')!r}, "
                                    "not the one this server loaded; restart the server to switch models")
            self._served = self._serve(index)  # one assignment: requests see the old or the new, never a mix
            return True

    def ask(self, question: str, top_k: int | None = None) -> Answer:
        """Answer ``question`` from the FAQ. Raises QuestionError for unusable input."""
        text = clean_question(question, self.settings.max_question_chars)
        top_k = self.settings.top_k if top_k is None else top_k
        if not 1 <= top_k <= 20:
            raise QuestionError("top_k must be between 1 and 20.")
        served = self._served
        # Visitors ask the same few questions again and again: recent answers are kept.
        key = (text.casefold(), top_k)
        with self._cache_lock:
            answer = served.answers.get(key)
            if answer is not None:
                served.answers.move_to_end(key)
        if answer is None:
            hits = served.retriever.search(text, k=max(top_k, 2) + 1)
            answer = compose(text, hits, self.settings, top_k)
            if self.settings.answer_cache_size > 0:
                with self._cache_lock:
                    served.answers[key] = answer
                    while len(served.answers) > self.settings.answer_cache_size:
                        served.answers.popitem(last=False)
        if answer.question != text:  # a cached answer to the same question in other letter case
            answer = Answer(text, answer.answered, answer.answer, answer.confidence, answer.citations,
                            answer.suggestions)
        return answer
