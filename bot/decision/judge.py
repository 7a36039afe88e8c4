"""Answer or decline: the decision, from a question's retrieval hits.

Two judges, one interface (``verdict(question, hits) -> (answers, confidence)``):

``ModelJudge`` (the default: no labels needed)
    A logistic model over six features of the best hit, each measured against the corpus's own
    profile (bot/decision/profile.py) so that the same weights carry over from one FAQ to another:

    - ``above_general``: best score minus the 95th percentile of general questions' scores here;
    - ``above_paraphrase``: best score minus the median score of the FAQ's own rewordings;
    - ``answer_view``: the best score against the entry's answer passages (a question whose
      words the answer does not echo is often asking something else);
    - ``coverage``: the share of the question's content words that the entry itself uses;
    - ``unknown_names``: names in the question (capitalised or code-like words: "Netflix",
      "iPhone", "PS5") that appear nowhere in the FAQ: "how do I reset my iPhone password" is not
      about the shop's password reset, however close the embeddings are;
    - ``missing_names``: names in the question that the FAQ uses elsewhere but the best entry
      does not mention ("the PMP exam pass mark" against an entry about APM's exams).

    Its weights are fitted on labeled tuning corpora (benchmarks/decision.py --fit writes
    weights.json) and tested on others. The confidence is the model's probability; it answers
    from ``min_confidence`` (chosen with the weights; a setting can move it).
``ThresholdJudge`` (when ``answer_threshold`` is set, e.g. by ``faqbot calibrate`` from labels)
    Answers when the best score reaches the threshold; the confidence is a logistic curve of
    the score, 0.5 at the threshold.

Both offer suggestions only above ``suggestion_floor``: a score that 99% of general questions do
not reach in this corpus (the fixed-threshold judge without a profile uses threshold - 0.15).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from bot.decision.profile import CorpusProfile
from bot.index.lexical import STOPWORDS, entry_text, stem, tokenize, words

if TYPE_CHECKING:
    from bot.retrievers import Hit

WEIGHTS_FILE = Path(__file__).with_name("weights.json")
FEATURES = ("above_general", "above_paraphrase", "answer_view", "coverage", "unknown_names", "missing_names")
# A fixed threshold without a corpus profile offers suggestions this far below it.
SUGGESTION_GAP = 0.15

# A name: a capitalised word that does not start the question, an acronym, a word with a capital
# inside (iPhone), or a word that mixes letters and digits starting with a letter (PS5, A61).
# "7th" or "10k" are numbers, not names.
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9'&-]*")


def names_in(question: str) -> list[str]:
    found = []
    for position, token in enumerate(_TOKEN.findall(question)):
        word = token.strip("'&-")
        if not word or "'" in word or word.lower() in STOPWORDS or word == "I":
            continue
        acronym = len(word) >= 2 and word.isalpha() and word.isupper()
        capitalised = position > 0 and word[0].isupper()
        mixed = not word.isupper() and any(c.isupper() for c in word[1:])  # iPhone, eBay, GitHub
        code = word[0].isalpha() and any(c.isdigit() for c in word)
        if acronym or capitalised or mixed or code:
            found.append(word.casefold())
    return found


def unknown_names(question: str, vocabulary) -> list[str]:
    """Names in ``question`` that the FAQ never uses (``vocabulary``: its stemmed words)."""
    return [name for name in names_in(question)
            if not all(stem(part) in vocabulary for part in words(name))]


@lru_cache(maxsize=4096)
def _entry_words(text: str) -> frozenset[str]:
    return frozenset(tokenize(text))


def features(question: str, hits: list[Hit], profile: CorpusProfile, vocabulary) -> dict[str, float]:
    best = hits[0]
    words = tokenize(question)
    have = _entry_words(entry_text(best.entry))
    coverage = sum(w in have for w in words) / len(words) if words else 1.0
    unknown = unknown_names(question, vocabulary)
    return {
        "above_general": best.score - profile.general_p95,
        "above_paraphrase": best.score - profile.paraphrase_median,
        "answer_view": best.answer_score,
        "coverage": coverage,
        "unknown_names": float(min(len(unknown), 2)),
        "missing_names": float(min(len(set(unknown_names(question, have)) - set(unknown)), 2)),
    }


@dataclass(frozen=True)
class Weights:
    mean: dict[str, float]
    scale: dict[str, float]
    coef: dict[str, float]
    intercept: float
    fitted_on: list[str]
    # The probability an answer needs, chosen with the weights: the one that handled most tuning
    # questions right (answered from a right entry, or declined when the FAQ does not answer).
    min_confidence: float

    @classmethod
    def load(cls, path: Path = WEIGHTS_FILE) -> "Weights":
        data = json.loads(path.read_text(encoding="utf-8"))
        if set(data["coef"]) != set(FEATURES):
            raise ValueError(f"{path} was fitted for other features than {', '.join(FEATURES)}; "
                             "run benchmarks/decision.py --fit")
        return cls(data["mean"], data["scale"], data["coef"], data["intercept"], data["fitted_on"],
                   data["min_confidence"])

    def probability(self, values: dict[str, float]) -> float:
        z = self.intercept + sum(self.coef[f] * (values[f] - self.mean[f]) / self.scale[f] for f in FEATURES)
        return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))


class ModelJudge:
    kind = "self-calibrated"

    def __init__(self, profile: CorpusProfile, vocabulary, weights: Weights | None = None,
                 min_confidence: float | None = None):
        self.profile = profile
        self.vocabulary = vocabulary
        self.weights = weights or Weights.load()
        self.min_confidence = self.weights.min_confidence if min_confidence is None else min_confidence
        self.suggestion_floor = profile.general_p99

    def verdict(self, question: str, hits: list[Hit]) -> tuple[bool, float]:
        probability = self.weights.probability(features(question, hits, self.profile, self.vocabulary))
        return probability >= self.min_confidence, probability

    def summary(self) -> str:
        return f"self-calibrated (no labels), answers from confidence {self.min_confidence:g}"

    def describe(self) -> str:
        return f"{self.summary()}: {self.profile.describe()}"

    def to_json(self) -> dict:
        return {"kind": self.kind, "min_confidence": self.min_confidence, "profile": self.profile.to_json()}


class ThresholdJudge:
    kind = "threshold"

    def __init__(self, threshold: float, slope: float, profile: CorpusProfile | None = None):
        self.threshold = threshold
        self.slope = slope
        self.suggestion_floor = profile.general_p99 if profile else threshold - SUGGESTION_GAP

    def verdict(self, question: str, hits: list[Hit]) -> tuple[bool, float]:
        score = hits[0].score
        return score >= self.threshold, 1.0 / (1.0 + math.exp(-self.slope * (score - self.threshold)))

    def summary(self) -> str:
        return f"answer_threshold {self.threshold:g}"

    def describe(self) -> str:
        return f"{self.summary()} (a fixed score threshold from the settings, e.g. by `faqbot calibrate`)"

    def to_json(self) -> dict:
        return {"kind": self.kind, "threshold": self.threshold}
