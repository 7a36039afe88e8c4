"""The one core every interface uses: ``FAQBot.open(settings).ask(question)``.

Opening makes sure the index matches the corpus (building or rebuilding it, and saying so) and
loads the query encoder once: the ONNX export of the model when one has been verified (no torch
import at all), else the sentence-transformers model. ``ask`` is then cheap and thread-safe.

A running bot can switch to a newer build of its index or to changed settings (``reload``): the
new state is made beside the old one and swapped in with one assignment, so requests in flight
finish on the state they started with and no request ever sees half of each.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import unicodedata
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Callable

from bot.answer import Answer
from bot.conversation import Subject, Turn, parse_history, subjects
from bot.config import Settings
from bot.corpus import CorpusError, corpus_fingerprint, load_corpus
from bot.decision import Judge, decision_in_force, judge_for
from bot.encoders import DocumentEncoder, QueryEncoder, open_document_encoder, open_query_encoder
from bot.errors import UserError
from bot.highlight import Highlighter
from bot.index import (
    FORMAT_VERSION,
    IndexMismatch,
    IndexProblem,
    LoadedIndex,
    build_index,
    build_signature,
    current_build,
    load_index,
    read_manifest,
)
from bot.index.status import IndexStatus
from bot.reply import reply
from bot.retrievers import Hit, Retriever, make_retriever

MAX_TOP_K = 20


class QuestionError(UserError):
    """The question cannot be asked as given (empty, too long); the message is for the user."""

    prefix = ""


# What the bot does on its own (building an index, falling back to torch) is said here; the
# command line shows it on stderr (bot/cli/output.py).
_log = logging.getLogger("faqbot").info


def clean_question(question: object, max_chars: int) -> str:
    if not isinstance(question, str):
        raise QuestionError("The question must be text.")
    text = " ".join(_visible_text(question).split())
    # Punctuation or combining marks alone ask nothing; symbols count (a visitor may send just an emoji).
    if not any(unicodedata.category(ch)[0] in "LNS" for ch in text):
        raise QuestionError("Please type a question.")
    if len(text) > max_chars:
        raise QuestionError(f"That question is {len(text)} characters long; please keep it under {max_chars}.")
    return text


def _visible_text(question: str) -> str:
    # Control characters carry no meaning and can upset terminals and logs. Format characters
    # (zero-width joiners, BOMs, bidi marks, soft hyphens) are invisible, and the model's tokenizer
    # drops them anyway; a zero-width space still separates words (Thai, Khmer). A lone surrogate
    # (JSON's "\ud800", or an undecodable byte in argv that Python hands over as "\udcff") cannot
    # be encoded at all: the tokenizer, SQLite and the JSON reply would each raise on it.
    kept = []
    for ch in question:
        category = unicodedata.category(ch)
        if category == "Cc" or ch == "\u200b":
            kept.append(" ")
        elif category not in ("Cf", "Cs"):
            kept.append(ch)
    return "".join(kept)


def ensure_index(settings: Settings, embedder_factory: Callable[[], DocumentEncoder],
                 log: Callable[[str], None] = _log, progress: bool = True) -> IndexStatus:
    """Build the index if it is missing or stale. Returns what was done: ``action`` "fresh",
    "built" or "rebuilt"; or "stale" when the corpus changed but no longer loads (a typo): the
    last good build is kept for use and the status says why (the caller reports it). Without an
    earlier build of this format to fall back on, the CorpusError is raised."""
    manifest = read_manifest(settings.index_path)
    if manifest is not None and manifest.get("model") != settings.model:
        raise IndexMismatch(
            f"the index at {settings.index_path} was built with model {manifest.get('model')!r} but the "
            f"configuration asks for {settings.model!r}; run `faqbot index` to rebuild it with the new model")
    try:
        fingerprint = corpus_fingerprint(settings.corpus)
        if manifest is not None and manifest == {**manifest, **build_signature(settings, fingerprint, settings.model)}:
            return IndexStatus("fresh", current_build(settings.index_path))
        entries = load_corpus(settings.corpus, duplicate_questions=settings.duplicate_questions)
    except CorpusError as exc:
        if manifest is None or manifest.get("format_version") != FORMAT_VERSION:
            raise
        return IndexStatus.stale_because(exc, settings.corpus, current_build(settings.index_path))
    if manifest is not None:
        log(f"The corpus at {settings.corpus} changed since the index was built; rebuilding the index...")
    else:
        log(f"No index at {settings.index_path} yet; building it from {settings.corpus}...")
    build = build_index(entries, settings, embedder_factory(), fingerprint, progress=progress)
    log(f"Indexed {len(entries)} entries into {settings.index_path}.")
    log(f"Answer or decline: {decision_in_force(settings, read_manifest(settings.index_path))}.")
    return IndexStatus("built" if manifest is None else "rebuilt", build)


def retriever_for(settings: Settings, index: LoadedIndex, encoder: QueryEncoder, method: str | None = None) -> Retriever:
    """The retriever the settings ask for (or ``method`` instead), over ``index``."""
    return make_retriever(method or settings.retriever, index, encoder, settings.question_weight,
                          settings.lexical_weight)


def query_encoder_for(settings: Settings, index: LoadedIndex, get_embedder: Callable[[], DocumentEncoder],
                      log: Callable[[str], None] = _log) -> QueryEncoder:
    """The query encoder the settings ask for, verified on the index's own texts when new."""
    return open_query_encoder(settings.query_encoder, settings.model, settings.exports_path,
                              [v.text for v in index.views[:200]], get_embedder, log)


def document_encoder_for(settings: Settings, get_embedder: Callable[[], DocumentEncoder]) -> DocumentEncoder:
    """What (re)builds the index: the verified ONNX export if there is one, else torch."""
    return open_document_encoder(settings.query_encoder, settings.model, settings.exports_path, get_embedder)


@dataclass
class _Served:
    """Everything an answer depends on, swapped as one unit on reload."""

    settings: Settings
    index: LoadedIndex
    retriever: Retriever
    judge: Judge
    entries_by_id: dict
    answers: OrderedDict = field(default_factory=OrderedDict)  # recent answers, most recent last
    others: dict = field(default_factory=dict)  # retrievers other than the configured one, by name


class FAQBot:
    def __init__(self, settings: Settings, encoder: QueryEncoder, index: LoadedIndex,
                 settings_source: Callable[[], Settings] | None = None):
        """``encoder`` embeds questions (the ONNX encoder or the sentence-transformers one).
        ``settings_source``, if given, re-reads the settings on ``reload``."""
        self.encoder = encoder
        self._settings_source = settings_source
        self._served = self._serve(settings, index)
        self._cache_lock = threading.Lock()
        self._reload_lock = threading.Lock()
        self._highlighter = Highlighter(encoder)

    def _serve(self, settings: Settings, index: LoadedIndex) -> _Served:
        return _Served(settings, index, retriever_for(settings, index, self.encoder), judge_for(settings, index),
                       {e.id: e for e in index.entries})

    @property
    def settings(self) -> Settings:
        return self._served.settings

    @property
    def index(self) -> LoadedIndex:
        return self._served.index

    @property
    def retriever(self) -> Retriever:
        return self._served.retriever

    @property
    def judge(self) -> Judge:
        """What decides between answering and "not in our FAQ" (bot.decision)."""
        return self._served.judge

    def entry(self, entry_id: str):
        return self._served.entries_by_id.get(entry_id)

    @classmethod
    def open(cls, settings: Settings, log: Callable[[str], None] = _log, progress: bool = True,
             settings_source: Callable[[], Settings] | None = None) -> "FAQBot":
        embedder = None

        def get_embedder() -> DocumentEncoder:
            nonlocal embedder
            if embedder is None:
                from bot.encoders.torch_encoder import Embedder

                embedder = Embedder(settings.model)
            return embedder

        def get_document_encoder() -> DocumentEncoder:
            return document_encoder_for(settings, get_embedder)

        status = ensure_index(settings, get_document_encoder, log, progress)
        try:
            index = load_index(settings.index_path)
        except IndexProblem:
            if status.corpus_error is None:
                raise
            raise status.corpus_error from None  # no good build to fall back on: the corpus is what to fix
        if status.stale:
            logging.getLogger("faqbot").warning(status.warning(settings.corpus, index.manifest.get("built_at")))
        bot = cls(settings, query_encoder_for(settings, index, get_embedder, log), index, settings_source)
        bot._index_status = status
        return bot

    _index_status: IndexStatus | None = None  # what open() found; None for a bot given its index directly

    @property
    def index_status(self) -> IndexStatus:
        """How the served build stands against the corpus, as opening found it (``stale`` with
        the corpus problem when a mistake kept the last good build in use). A build swapped in
        since by ``reload`` was made from a corpus that loaded: it reports "loaded", not the old problem."""
        status = self._index_status
        if status is None or status.build != self.index.path:
            return IndexStatus("loaded", self.index.path)
        return status

    def mark_stale(self, error: CorpusError) -> None:
        """Record that the corpus changed into something that does not load: the served build
        stays in use, reported stale with the problem (see index_status)."""
        self._index_status = IndexStatus.stale_because(error, self.settings.corpus, self.index.path)

    def reload(self) -> bool:
        """Serve the index's current build and the current settings if either is not the one
        being served. Returns whether anything changed. Settings that need the model or another
        corpus (model, corpus, index folder, home, query encoder) are refused (IndexMismatch):
        those need a restart. A settings file that no longer reads raises ConfigError."""
        with self._reload_lock:
            served = self._served
            settings = self._settings_source() if self._settings_source else served.settings
            fixed = ("model", "corpus", "index_path", "exports_path", "query_encoder")
            moved = [name for name in fixed if getattr(settings, name) != getattr(served.settings, name)]
            if moved:
                raise IndexMismatch(f"changed settings need a restart of the server: {', '.join(moved)}")
            build = current_build(settings.index_path)
            new_build = build is not None and build != served.index.path
            if not new_build and settings == served.settings:
                return False
            index = load_index(settings.index_path) if new_build else served.index
            if index.manifest.get("model") != served.index.manifest.get("model"):
                raise IndexMismatch(f"the new build at {index.path} uses model {index.manifest.get('model')!r}, "
                                    "not the one this server loaded; restart the server to switch models")
            self._served = self._serve(settings, index)  # one assignment: requests see the old or the new
            return True

    def ask(self, question: str, top_k: int | None = None, history: list | None = None) -> Answer:
        """Answer ``question`` from the FAQ; ``history``: the visitor's earlier questions, oldest
        first (strings, or {"question", "answered_with": [ids]}: bot/conversation.py). Raises
        QuestionError for unusable input."""
        served = self._served
        text, top_k = self._check(question, top_k, served.settings)
        subjects = self._subjects(history, served)
        # Visitors ask the same few questions again and again: recent answers are kept.
        key = (text.casefold(), top_k, tuple(subjects))
        with self._cache_lock:
            answer = served.answers.get(key)
            if answer is not None:
                served.answers.move_to_end(key)
        if answer is None:
            answer, _ = self._answer(served, served.retriever, text, top_k, max(top_k, 2) + 1, subjects)
            if served.settings.answer_cache_size > 0:
                with self._cache_lock:
                    served.answers[key] = answer
                    while len(served.answers) > served.settings.answer_cache_size:
                        served.answers.popitem(last=False)
        if answer.question != text:  # a cached answer to the same question in other letter case
            answer = dataclasses.replace(answer, question=text)
        return answer

    def ask_ranked(self, question: str, depth: int, method: str | None = None,
                   history: list | None = None) -> tuple[Answer, list[Hit]]:
        """``ask`` without its cache, also returning the ranking to ``depth`` entries, with the
        configured retriever or ``method``: what evaluation measures."""
        served = self._served
        text, top_k = self._check(question, None, served.settings)
        return self._answer(served, self.retriever_named(method), text, top_k, max(depth, top_k + 1),
                            self._subjects(history, served))

    @staticmethod
    def _subjects(history: list | None, served: _Served) -> list[Subject]:
        try:
            turns = parse_history(history, served.settings.max_question_chars)
        except ValueError as exc:
            raise QuestionError(str(exc)) from None
        turns = [Turn(clean, t.answered_with) for t in turns if (clean := _visible_text(t.question).strip())]

        def entry_question(entry_id: str) -> str | None:
            entry = served.entries_by_id.get(entry_id)
            return entry.question if entry else None

        return subjects(turns, entry_question)

    def retriever_named(self, method: str | None = None) -> Retriever:
        """The configured retriever, or the one called ``method`` (bot.retrievers.RETRIEVERS)."""
        served = self._served
        if method in (None, served.retriever.name):
            return served.retriever
        if method not in served.others:
            served.others[method] = retriever_for(served.settings, served.index, self.encoder, method)
        return served.others[method]

    @staticmethod
    def _check(question: str, top_k: int | None, settings: Settings) -> tuple[str, int]:
        text = clean_question(question, settings.max_question_chars)
        top_k = settings.top_k if top_k is None else top_k
        if not 1 <= top_k <= MAX_TOP_K:
            raise QuestionError(f"top_k must be between 1 and {MAX_TOP_K}.")
        return text, top_k

    def _answer(self, served: _Served, retriever: Retriever, text: str, top_k: int, depth: int,
                subjects: list[Subject]) -> tuple[Answer, list[Hit]]:
        lexical = served.index.lexical
        names, vocabulary = (lexical.name_idf.keys(), lexical.bm25.vocabulary) if lexical else ((), {})
        return reply(text, subjects, retriever, self.encoder, served.judge, self._highlighter, top_k, depth,
                     served.settings.second_answer_margin, names, vocabulary)
