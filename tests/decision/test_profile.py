"""Each index build measures how its corpus scores questions, with no labels."""

from __future__ import annotations

from bot.decision import CorpusProfile, general_questions
from bot.decision.profile import MIN_PARAPHRASES, PARAPHRASE_FALLBACK_GAP


def test_the_general_question_bank_ships_with_the_package_and_has_no_duplicates():
    questions = general_questions()
    assert len(questions) >= 300
    assert len({q.casefold() for q in questions}) == len(questions)


def test_a_build_records_its_corpus_profile_in_the_manifest(bakery_bot):
    profile = CorpusProfile.from_json(bakery_bot.index.manifest["decision"])
    assert profile.general_questions == len(general_questions())
    # Everyday questions score far below rewordings of the FAQ's own questions.
    assert 0.1 < profile.general_p95 < profile.general_p99 < profile.paraphrase_median
    # The bakery has 4 alternate wordings: too few to trust their median, so it is estimated.
    assert profile.paraphrases < MIN_PARAPHRASES
    assert abs(profile.paraphrase_median - (profile.general_p95 + PARAPHRASE_FALLBACK_GAP)) < 1e-3


def test_a_faq_with_many_alternates_measures_its_paraphrases(default_bot):
    profile = CorpusProfile.from_json(default_bot.index.manifest["decision"])
    assert profile.paraphrases >= 100
    assert profile.paraphrase_median > profile.general_p99 + 0.2


def test_general_question_vectors_are_embedded_once_per_model_and_shared(bakery_bot):
    cached = list(bakery_bot.settings.exports_path.glob("general-questions-*.npy"))
    assert len(cached) == 1
