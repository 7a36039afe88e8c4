"""How a corpus scores questions, measured on the corpus itself when its index is built: no labels.

Retrieval scores mean different things in different FAQs. A FAQ whose entries carry several
alternate wordings scores its visitors' questions around 0.8; an imported FAQ with one wording
per entry scores the same kind of question around 0.5; and a FAQ about bins and parking scores
"how do I unsubscribe from Netflix" higher than a FAQ about project qualifications does. A fixed
threshold cannot serve both, so each build measures two reference points:

- **general questions**: a bank of about 400 everyday questions shipped with the project
  (weather, sport, homework, chit-chat...; ``general_questions.txt``), none of which an
  organisation's FAQ answers. Their top scores here say how high "not in this FAQ" reaches in
  this corpus (the 95th and 99th percentiles).
- **paraphrases**: each alternate wording of an entry, scored against its own entry with that
  wording's own view left out (leave-one-out). Their median says how high "a rewording of one of
  our questions" reaches. With fewer than ``MIN_PARAPHRASES`` alternates the median is too
  noisy, and the profile falls back to ``general_p95 + PARAPHRASE_FALLBACK_GAP``.

bot/decision/judge.py turns a question's scores into a decision relative to these two points.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.encoders import DocumentEncoder
    from bot.index.store import LoadedIndex

GENERAL_QUESTIONS = Path(__file__).with_name("general_questions.txt")
MIN_PARAPHRASES = 8
# The typical distance from general_p95 to the paraphrase median in the tuning corpora that have
# enough alternates (benchmarks/decision.py prints it): used when a corpus has too few.
PARAPHRASE_FALLBACK_GAP = 0.35
# Enough leave-one-out paraphrases for a stable median, without slowing a big build.
MAX_PARAPHRASES = 2000


@dataclass(frozen=True)
class CorpusProfile:
    general_p95: float  # 95th percentile of the general questions' top scores
    general_p99: float  # 99th percentile: the floor for offering a suggestion
    paraphrase_median: float  # median leave-one-out score of alternate wordings (or the fallback)
    general_questions: int
    paraphrases: int  # 0 .. MAX_PARAPHRASES; below MIN_PARAPHRASES the median is the fallback

    def to_json(self) -> dict:
        return {k: round(v, 4) if isinstance(v, float) else v for k, v in asdict(self).items()}

    @classmethod
    def from_json(cls, data: dict) -> "CorpusProfile":
        return cls(**{k: data[k] for k in cls.__dataclass_fields__})

    def describe(self) -> str:
        source = (f"median of {self.paraphrases} alternate wordings" if self.paraphrases >= MIN_PARAPHRASES
                  else f"too few alternate wordings ({self.paraphrases}), estimated")
        return (f"general questions reach {self.general_p95:.2f} (95th percentile of {self.general_questions}); "
                f"rewordings of the FAQ's questions reach {self.paraphrase_median:.2f} ({source})")


def general_questions() -> list[str]:
    lines = GENERAL_QUESTIONS.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def paraphrase_scores(index: LoadedIndex, question_weight: float) -> np.ndarray:
    """Leave-one-out scores of every alternate wording against its own entry (dense formula)."""
    scores = []
    for rows in index.rows_by_entry:
        q_rows = [r for r in rows if index.is_q_view[r]]
        qa_rows = [r for r in rows if not index.is_q_view[r]]
        for left_out in q_rows[1:]:  # the first q view is the entry's question; the rest are alternates
            query = index.vectors[left_out]
            others = [r for r in q_rows if r != left_out]
            q_score = float((index.vectors[others] @ query).max())
            a_score = float((index.vectors[qa_rows] @ query).max()) if qa_rows else q_score
            scores.append(question_weight * q_score + (1 - question_weight) * a_score)
            if len(scores) >= MAX_PARAPHRASES:
                return np.array(scores)
    return np.array(scores)


def profile_corpus(index: LoadedIndex, top_score, general_vectors: np.ndarray, question_weight: float) -> CorpusProfile:
    """Measure ``index``.

    Args:
        index: the freshly built index.
        top_score: ``(vector, text) -> float``, the retriever's best score for an embedded question.
        general_vectors: the embedded general questions (general_questions(), in order).
        question_weight: the retriever's weight of question views (for the paraphrase scores).
    """
    texts = general_questions()
    general = np.array([top_score(vector, text) for vector, text in zip(general_vectors, texts)])
    paraphrases = paraphrase_scores(index, question_weight)
    p95 = float(np.percentile(general, 95))
    median = float(np.median(paraphrases)) if len(paraphrases) >= MIN_PARAPHRASES else p95 + PARAPHRASE_FALLBACK_GAP
    return CorpusProfile(p95, float(np.percentile(general, 99)), median, len(texts), len(paraphrases))


class ProfileMeasure:
    """What ``build_index`` calls (its ``measure``) to profile a fresh build with the configured
    retriever. The general questions' vectors depend only on the model, so they are embedded once
    per model and kept beside the model's exports, shared by every index."""

    def __init__(self, settings: Settings):
        self.settings = settings

    def __call__(self, index: LoadedIndex, embedder: DocumentEncoder) -> dict:
        from bot.retrievers import make_retriever

        settings = self.settings
        retriever = make_retriever(settings.retriever if settings.retriever != "bm25" else "hybrid", index, None,
                                   settings.question_weight, settings.lexical_weight)

        def top_score(vector: np.ndarray, text: str) -> float:
            hits = retriever.search_vector(vector, 1, text)
            return hits[0].score if hits else 0.0

        vectors = general_vectors(embedder, settings.exports_path)
        return profile_corpus(index, top_score, vectors, settings.question_weight).to_json()


def general_vectors(embedder: DocumentEncoder, folder: Path) -> np.ndarray:
    """The general questions embedded by ``embedder``'s model, cached in ``folder``."""
    texts = general_questions()
    digest = hashlib.blake2b("\0".join([embedder.name, *texts]).encode(), digest_size=8).hexdigest()
    path = Path(folder) / f"general-questions-{digest}.npy"
    try:
        vectors = np.load(path, allow_pickle=False)
        if vectors.shape == (len(texts), embedder.dimension):
            return vectors
    except (OSError, ValueError):
        pass  # not embedded yet for this model (or damaged): embed again
    vectors = np.asarray(embedder.encode(texts), dtype=np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as handle:
        np.save(handle, vectors)
    os.replace(tmp, path)
    return vectors
