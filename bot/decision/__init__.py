"""Whether the FAQ answers a question, decided the same way for any FAQ without labels: each
index build measures how its corpus scores questions (profile), and a small model fitted on
other FAQs judges a question's hits against that measure (judge). Setting ``answer_threshold``
(``faqbot calibrate`` does, from labeled questions) replaces the model with a fixed threshold."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.decision.judge import ModelJudge, ThresholdJudge
from bot.decision.profile import CorpusProfile, general_questions, profile_corpus

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.index.store import LoadedIndex

Judge = ModelJudge | ThresholdJudge
UNPROFILED_THRESHOLD = 0.60

__all__ = ["CorpusProfile", "Judge", "ModelJudge", "ThresholdJudge", "decision_in_force", "general_questions",
           "judge_for", "profile_corpus"]


def judge_for(settings: Settings, index: LoadedIndex) -> Judge:
    """The judge in force: the fixed threshold when the settings give one, else the model over
    the profile the index was built with."""
    measured = index.manifest.get("decision")
    profile = CorpusProfile.from_json(measured) if measured else None
    if settings.answer_threshold is not None or profile is None:
        # A build made without a profile (build_index called without ``measure``) gets the fixed
        # threshold that served the default corpus before profiles existed.
        threshold = UNPROFILED_THRESHOLD if settings.answer_threshold is None else settings.answer_threshold
        return ThresholdJudge(threshold, settings.confidence_slope, profile)
    vocabulary = index.lexical.bm25.vocabulary if index.lexical is not None else {}
    return ModelJudge(profile, vocabulary, min_confidence=settings.min_confidence)


def decision_in_force(settings: Settings, manifest: dict | None) -> str:
    """One line for people: which decision answers questions, read from the settings and an
    index manifest only (no model, no weights)."""
    if settings.answer_threshold is not None:
        return (f"answer_threshold {settings.answer_threshold:g} from the settings (a fixed score threshold; "
                "unset it to decide per corpus without labels)")
    text = "self-calibrated for this corpus, no labels needed"
    if manifest and manifest.get("decision"):
        text += ": " + CorpusProfile.from_json(manifest["decision"]).describe()
    return text
