"""The one core every interface uses: ``FAQBot.open(settings).ask(question)``.

Opening makes sure the index matches the corpus (building or rebuilding it, and saying so) and
loads the model once; ``ask`` is then cheap and thread-safe for reading.
"""

from __future__ import annotations

import re
import sys
from typing import Callable

from bot.answer import Answer, compose
from bot.config import Settings
from bot.corpus import corpus_fingerprint, load_corpus
from bot.index import IndexMismatch, build_index, build_signature, load_index, read_manifest
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


class FAQBot:
    def __init__(self, settings: Settings, embedder, index):
        self.settings = settings
        self.embedder = embedder
        self.index = index
        self.retriever = Retriever.from_settings(index, embedder, settings)

    @classmethod
    def open(cls, settings: Settings, log: Callable[[str], None] = _stderr, progress: bool = True) -> "FAQBot":
        from bot.embedder import Embedder

        embedder = None

        def get_embedder():
            nonlocal embedder
            if embedder is None:
                embedder = Embedder(settings.model)
            return embedder

        ensure_index(settings, get_embedder, log, progress)
        index = load_index(settings.index_path)
        return cls(settings, get_embedder(), index)

    def ask(self, question: str, top_k: int | None = None) -> Answer:
        """Answer ``question`` from the FAQ. Raises QuestionError for unusable input."""
        text = clean_question(question, self.settings.max_question_chars)
        top_k = self.settings.top_k if top_k is None else top_k
        if not 1 <= top_k <= 20:
            raise QuestionError("top_k must be between 1 and 20.")
        hits = self.retriever.search(text, k=max(top_k, 2) + 1)
        return compose(text, hits, self.settings, top_k)
