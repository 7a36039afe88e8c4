"""The lexical side of retrieval: BM25 over each entry's words, built with ``bm25s``.

Two signals come from the same tokens:

- ``bm25``: plain Okapi BM25 over an entry's question, alternates and answer. On its own it is
  far weaker than the dense views (StackFAQ threads hit@1 about .68 against .96), and blending
  it in, even with a small weight, flips as many right answers to wrong as the other way: shared
  everyday words ("archive", "search", "list") say little about which entry is meant.
- ``name coverage``: BM25 with binary term frequency (k1 = 0, so a term counts its IDF once,
  however often it occurs) restricted to the query's *name terms*, divided by the most those
  terms could score. Name terms are the words the FAQ itself writes capitalised mid-sentence
  (GitHub, Vimeo, Trello, CSV, PMO, PRINCE2): products, organisations, formats. They are what
  dense embeddings confuse ("cross out text on GitHub" lands on the Gmail strikethrough entry)
  and what a human would check first. The value is 0..1: the share of the query's
  IDF-weighted names an entry mentions. Questions that name nothing get 0 for every entry, so
  the signal cannot disturb them.

Both are built at index time and saved beside the vectors (``lexical/`` in a build folder).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

# A term counts as a name when at least this share of its mid-sentence occurrences in the FAQ
# are capitalised. Half keeps "GitHub" and "Trello" while leaving "Archive" (a button label
# sometimes capitalised, mostly not) out. Chosen on StackFAQ's rephrase group 0.
NAME_CASE_RATIO = 0.5
BM25_K1, BM25_B = 1.2, 0.75

# Function words and question scaffolding: they carry no topic, and BM25 rewards any
# overlap, so "how can I" must not count. (bm25s's built-in English list has only 33 words.)
STOPWORDS = frozenset("""
a about above after again against all am an and any are as at be because been before being below between
both but by can cannot could did do does doing down during each few for from further had has have having he
her here hers herself him himself his how i if in into is it its itself just let me more most much must my
myself no nor not now of off on once only or other ought our ours ourselves out over own same shall she
should so some such than that the their theirs them themselves then there these they this those through to
too under until up upon very was we were what when where which while who whom why will with would you your
yours yourself yourselves also get got may might want way possible anyone someone something anything thing
things please tell know im ive id dont cant doesnt didnt isnt wont s t d ll m re ve don won didn doesn isn
aren couldn wouldn shouldn hasn haven wasn weren
""".split())

_WORD = re.compile(r"\w+")
# Characters after which a capital letter says "new sentence or list item", not "a name".
_SENTENCE_OPENERS = set(".!?:;\"'([*#>-\u2022")


def stem(word: str) -> str:
    """A light English suffix stripper: enough that "importing", "imports" and "import" meet,
    and "archived" / "archive" / "archiving" too, without a stemming library."""
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith(("sses", "shes", "ches", "xes", "zes")):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[:-len(suffix)]
            if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "lsz":
                word = word[:-1]  # "mapped" -> "map"
            break
    if word.endswith("e") and len(word) > 3:
        word = word[:-1]
    return word


def words(text: str) -> list[str]:
    return _WORD.findall(text.casefold())


def tokenize(text: str) -> list[str]:
    """Lower-cased, stemmed content words of ``text``."""
    return [stem(w) for w in words(text) if w not in STOPWORDS and len(w) > 1]


def tokenize_query(text: str, vocabulary) -> list[str]:
    """Query tokens, plus any two adjacent words that the FAQ writes as one ("git hub" -> github,
    "drop box" -> dropbox), each once."""
    tokens = tokenize(text)
    raw = words(text)
    tokens += [stem(a + b) for a, b in zip(raw, raw[1:]) if stem(a + b) in vocabulary]
    return [t for t in dict.fromkeys(tokens) if t in vocabulary]


def name_terms(texts: list[str], ratio: float = NAME_CASE_RATIO) -> set[str]:
    """Stemmed terms that ``texts`` mostly write capitalised in mid-sentence: names of things."""
    capitalised, seen = Counter(), Counter()
    for text in texts:
        for match in _WORD.finditer(text):
            before = text[:match.start()].rstrip()
            if not before or before[-1] in _SENTENCE_OPENERS:
                continue  # a capital here is grammar, not a name
            word = match.group()
            key = stem(word.casefold())
            seen[key] += 1
            capitalised[key] += any(c.isupper() for c in word)
    return {t for t, n in seen.items()
            if capitalised[t] / n >= ratio and t not in STOPWORDS and not t.isdigit() and len(t) > 1}


def entry_text(entry) -> str:
    return " ".join([*entry.questions, entry.answer])


class TermScores:
    """Precomputed per-term document scores as bm25s computes and saves them (a sparse
    term-by-document matrix in CSC arrays): a query's scores are the sum of its terms' columns.
    Scoring here needs only numpy, so answering a question never imports bm25s or scipy
    (about half a second of start-up); bm25s is used to build the index."""

    FILES = ("data.csc.index.npy", "indices.csc.index.npy", "indptr.csc.index.npy")

    def __init__(self, vocabulary: dict[str, int], data: np.ndarray, indices: np.ndarray, indptr: np.ndarray,
                 num_docs: int):
        self.vocabulary = vocabulary
        self.data, self.indices, self.indptr = data, indices, indptr
        self.num_docs = int(num_docs)

    @classmethod
    def from_bm25s(cls, model) -> "TermScores":
        scores = model.scores
        return cls(dict(model.vocab_dict), scores["data"], scores["indices"], scores["indptr"], scores["num_docs"])

    @classmethod
    def load(cls, folder: Path) -> "TermScores":
        params = json.loads((folder / "params.index.json").read_text(encoding="utf-8"))
        vocabulary = json.loads((folder / "vocab.index.json").read_text(encoding="utf-8"))
        data, indices, indptr = (np.load(folder / name, allow_pickle=False) for name in cls.FILES)
        if len(data) != len(indices) or int(indptr[-1]) != len(data):
            raise ValueError(f"the lexical index at {folder} is inconsistent")
        return cls(vocabulary, data, indices, indptr, params["num_docs"])

    def scores(self, tokens: list[str]) -> np.ndarray:
        """Sum of the per-document scores of ``tokens`` (tokens not in the vocabulary add nothing)."""
        total = np.zeros(self.num_docs, dtype=np.float32)
        for token in tokens:
            term = self.vocabulary.get(token)
            if term is not None and term + 1 < len(self.indptr):  # bm25s's "" token has no column
                start, end = self.indptr[term], self.indptr[term + 1]
                total[self.indices[start:end]] += self.data[start:end]  # each document once per term
        return total


@dataclass
class LexicalIndex:
    """BM25 and name-coverage scoring over the entries of one index build."""

    bm25: TermScores  # Okapi BM25, k1=1.2, b=0.75
    presence: TermScores  # BM25 with k1=0: each matched term scores its IDF once
    name_idf: dict[str, float]  # name term -> its IDF (the most it can add to a presence score)
    # The bm25s models, kept after build() so save() can write them; None after load().
    _models: tuple | None = field(default=None, repr=False, compare=False)

    @classmethod
    def build(cls, entries) -> "LexicalIndex":
        import logging

        import bm25s

        logging.getLogger("bm25s").setLevel(logging.WARNING)
        texts = [entry_text(e) for e in entries]
        tokens = [tokenize(t) or ["\u2205"] for t in texts]  # bm25s needs a token per document
        bm25 = bm25s.BM25(k1=BM25_K1, b=BM25_B)
        bm25.index(tokens, show_progress=False)
        presence = bm25s.BM25(k1=0.0, b=0.0)
        presence.index(tokens, show_progress=False)
        presence_scores = TermScores.from_bm25s(presence)
        names = name_terms(texts) & set(presence_scores.vocabulary)
        name_idf = {t: float(presence_scores.scores([t]).max()) for t in sorted(names)}
        return cls(TermScores.from_bm25s(bm25), presence_scores, name_idf, (bm25, presence))

    def save(self, folder: Path) -> None:
        if self._models is None:
            raise ValueError("only a freshly built lexical index can be saved")
        folder.mkdir(parents=True, exist_ok=True)
        bm25, presence = self._models
        bm25.save(str(folder / "bm25"), show_progress=False)
        presence.save(str(folder / "presence"), show_progress=False)
        (folder / "names.json").write_text(json.dumps(self.name_idf, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> "LexicalIndex":
        name_idf = json.loads((folder / "names.json").read_text(encoding="utf-8"))
        return cls(TermScores.load(folder / "bm25"), TermScores.load(folder / "presence"), name_idf)

    def bm25_scores(self, question: str) -> np.ndarray:
        """Okapi BM25 of ``question`` against every entry (zeros when no word matches)."""
        return self.bm25.scores(tokenize_query(question, self.bm25.vocabulary))

    def name_coverage(self, question: str) -> np.ndarray:
        """Per entry, the IDF-weighted share of the question's name terms that the entry mentions
        (0..1); all zeros when the question names nothing the FAQ knows."""
        names = [t for t in tokenize_query(question, self.presence.vocabulary) if t in self.name_idf]
        if not names:
            return np.zeros(self.presence.num_docs, dtype=np.float32)
        return self.presence.scores(names) / sum(self.name_idf[t] for t in names)
