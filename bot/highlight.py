"""Pinpoint what answers the question: the sentence(s) of a grounded answer closest to the
question, as character spans of the answer text, like the "short answer" of the cloud services,
done offline with the same model that ranks the entries.

An entry's sentences are embedded the first time one of its answers is highlighted and kept (a
small LRU cache keyed by the entry's text), so a popular answer costs one dot product.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

# Sentences end in ., ! or ?, or at a line break (list items); a citation mark "[1]" stays with its sentence.
_SENTENCE = re.compile(r"[^.!?\n]+(?:[.!?]+(?:\s*\[\d+\])?|(?=\n)|$)")
_CITATION = re.compile(r"\s*\[\d+\]$")
# A sentence is highlighted when it comes this close to the best one (cosine).
CLOSE_TO_BEST = 0.04
MAX_HIGHLIGHTS = 2
CACHE_ENTRIES = 2048


@dataclass(frozen=True)
class Span:
    start: int
    end: int


def sentence_spans(text: str) -> list[Span]:
    """Character spans of the sentences of ``text`` (stripped of surrounding spaces)."""
    spans = []
    for match in _SENTENCE.finditer(text):
        start, end = match.start(), match.end()
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if any(c.isalnum() for c in text[start:end]):
            spans.append(Span(start, end))
    return spans


class Highlighter:
    def __init__(self, encoder):
        self.encoder = encoder
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def _embed(self, sentences: list[str]) -> np.ndarray:
        key = "\0".join(sentences)
        with self._lock:
            vectors = self._vectors.get(key)
            if vectors is not None:
                self._vectors.move_to_end(key)
                return vectors
        if hasattr(self.encoder, "encode"):
            vectors = np.asarray(self.encoder.encode(sentences), dtype=np.float32)
        else:
            vectors = np.vstack([self.encoder.encode_query(s) for s in sentences])
        with self._lock:
            self._vectors[key] = vectors
            while len(self._vectors) > CACHE_ENTRIES:
                self._vectors.popitem(last=False)
        return vectors

    def spans(self, answer_text: str, first_part_end: int, question_vector: np.ndarray) -> list[Span]:
        """The best-matching sentence(s) among ``answer_text[:first_part_end]`` (the first cited
        entry's part of the answer), in reading order."""
        spans = sentence_spans(answer_text[:first_part_end])
        if len(spans) < 2:
            return []  # a one-sentence answer is its own short answer
        vectors = self._embed([_CITATION.sub("", answer_text[s.start:s.end]) for s in spans])
        similarity = vectors @ question_vector
        best = float(similarity.max())
        chosen = sorted(np.argsort(-similarity)[:MAX_HIGHLIGHTS].tolist())
        return [spans[i] for i in chosen if similarity[i] >= best - CLOSE_TO_BEST]
