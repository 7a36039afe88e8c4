"""Read a question in the light of the conversation so far.

Visitors chat: after "What does a programme manager do?" they ask "does it pay well?". The
question is read alone and together with each of the last two subjects of the conversation (the
entry that answered an earlier question when the client says which, else the visitor's own
earlier question), and the reading the evidence supports is kept:

- a question that stands on its own and is answered alone keeps that answer ("What is P3O?"
  after a PMO question is a new topic, not a follow-up);
- a question that leans on the conversation (a pronoun such as "it" or "that", an opener such as
  "and" or "what about", or hardly any words of its own: "how long?") is read in context, most
  recent subject first; when the two last subjects lead to different entries with about the same
  confidence, the bot asks which one was meant instead of guessing;
- a question the FAQ does not cover alone and that scores like an everyday question ("what's the
  weather in London") stays declined: the context cannot make it answerable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.index.lexical import STOPWORDS, stem, tokenize

if TYPE_CHECKING:
    from bot.retrievers import Hit

MAX_HISTORY = 20  # earlier turns accepted in a request; only the last CONTEXT_TURNS are read
CONTEXT_TURNS = 2
# Two readings within this confidence of each other that lead to different entries: ask back.
AMBIGUITY_MARGIN = 0.08
# A follow-up read in its most recent context this confidently is not ambiguous.
CLEARLY_MEANT = 0.95
# A follow-up whose reading in context leads to one of the question's own best few candidates is
# about the FAQ, whatever words it uses.
AGREEMENT_DEPTH = 3
DEPENDENT_WORDS = frozenset("""it its it's itself that this those these they them their theirs there
he she him her his one ones such same""".split())
OPENERS = ("and ", "what about", "how about", "also ", "so ", "but ", "or ", "then ", "same ")
_WORDS = re.compile(r"[a-z0-9']+")
SWAP_FILLER = frozenset({"about", "ok", "okay", "then", "instead", "too", "one", "also"})


@dataclass(frozen=True)
class Turn:
    """One earlier question, with the ids of the entries that answered it when the client says."""

    question: str
    answered_with: tuple[str, ...] = ()


@dataclass(frozen=True)
class Subject:
    """What an earlier turn was about: the question of the entry that answered it (else the
    visitor's own words), and the visitor's own words, which say what they meant even when the
    entry that answered was not the one they were after."""

    text: str
    said: str


@dataclass
class Reading:
    text: str  # what was searched and judged
    context: str | None  # the subject it was read with; None: the question alone
    hits: list[Hit] = field(repr=False)
    answered: bool
    confidence: float

    @property
    def top(self) -> str | None:
        return self.hits[0].entry.id if self.hits else None


def parse_history(raw, max_chars: int) -> list[Turn]:
    """``raw``: earlier questions, oldest first, each a string or {"question": ..., "answered_with":
    [ids]}. Raises ValueError with a message for the visitor's client."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ValueError("history must be a list of earlier questions, oldest first.")
    if len(raw) > MAX_HISTORY:
        raw = raw[-MAX_HISTORY:]  # only the last turns matter; a long chat is not an error
    turns = []
    for item in raw:
        ids: list = []
        if isinstance(item, dict):
            ids = item.get("answered_with") or []
            item = item.get("question")
        if not isinstance(item, str) or not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise ValueError('each history item must be a question (text), or {"question": text, '
                             '"answered_with": [entry ids]}.')
        text = " ".join(item.split())
        if len(text) > max_chars:
            raise ValueError(f"an earlier question in history is over {max_chars} characters.")
        if text:
            turns.append(Turn(text, tuple(ids)))
    return turns


def subjects(turns: list[Turn], entry_question) -> list[Subject]:
    """The conversation's last subjects, most recent first: the question of the entry that
    answered a turn (``entry_question(id)``, None if unknown), else the turn's own words; each
    with the turn's own words."""
    found: list[Subject] = []
    for turn in reversed(turns):
        known = [q for q in (entry_question(i) for i in turn.answered_with) if q]
        subject = Subject(known[0] if known else turn.question, turn.question)
        if subject.text not in [f.text for f in found]:
            found.append(subject)
        if len(found) == CONTEXT_TURNS:
            break
    return found


def leans_on_context(question: str, names: set[str] | frozenset = frozenset()) -> bool:
    """Whether ``question`` refers back to the conversation: a pronoun, an opener such as "and" or
    "what about", or hardly any words of its own and no name the FAQ knows (``names``: stemmed)."""
    if refers_back(question):
        return True
    words = [w.removesuffix("'s") for w in _WORDS.findall(question.casefold())]
    own = [w for w in words if w not in STOPWORDS]
    return len(own) <= 2 and not any(stem(w) in names for w in own)


def refers_back(question: str) -> bool:
    """Whether ``question`` points at something said before: a pronoun ("is it stressful?") or an
    opener ("and the PMQ?", "what about a PMO?")."""
    text = question.casefold().strip()
    return text.startswith(OPENERS) or any(w.removesuffix("'s") in DEPENDENT_WORDS for w in _WORDS.findall(text))


def swap_names(subject: str, question: str, names: set[str] | frozenset) -> str | None:
    """The subject asked about the question's own name instead: "What is the APM PFQ?" followed by
    "and the PMQ?" reads "What is the APM PMQ?". ``names``: the stemmed names the FAQ uses
    (capitalised mid-sentence: PFQ, PMQ, PRINCE2). None when either side names nothing."""
    words = [w for w in re.findall(r"\w+", question) if w.casefold() not in STOPWORDS | SWAP_FILLER]
    asked = [w for w in words if stem(w.casefold()) in names]
    if not asked or len(asked) < len(words):
        return None  # only a question that is nothing but a name ("and the PMQ?") swaps it in
    asked_keys = {stem(w.casefold()) for w in asked}
    spots = [m for m in re.finditer(r"\w+", subject)
             if stem(m.group().casefold()) in names and stem(m.group().casefold()) not in asked_keys]
    if not spots:
        return None
    last = spots[-1]  # the most specific name comes last ("the APM PFQ")
    return subject[:last.start()] + " ".join(dict.fromkeys(asked)) + subject[last.end():]


def foreign_share(question: str, vocabulary) -> float:
    """The share of the question's own content words that the FAQ never uses (0 when it has none)."""
    own = tokenize(question)
    return sum(w not in vocabulary for w in own) / len(own) if own else 0.0


def choose(question: str, alone: Reading, in_context: list[Reading], relates: float,
           names: set[str] | frozenset = frozenset(), vocabulary=frozenset()) -> tuple[Reading, list[Reading]]:
    """The reading to answer from, and (when it is not clear which subject was meant) the
    readings to offer instead. ``in_context``: the readings with a subject, in order of
    preference (most recent subject first). ``relates``: a best score from which a question is
    about the FAQ at all. ``names`` and ``vocabulary``: the FAQ's stemmed names and words."""
    if not in_context:
        return alone, []
    dependent = leans_on_context(question, names)
    # "and for programme managers?" asks the last question again about something else, however
    # well it is answered alone; "is it stressful?" answered alone with near certainty stays so.
    carries_question = question.casefold().strip().startswith(OPENERS)
    if alone.answered and (not dependent or (alone.confidence >= CLEARLY_MEANT and not carries_question)):
        return alone, []
    best_alone = alone.hits[0].score if alone.hits else 0.0
    # A follow-up says little of its own ("and every year after that?"), so it need not score
    # high; but what it does say must be mostly words the FAQ uses: "is it going to rain
    # tomorrow" or "tell me a joke" is no follow-up, whatever came before.
    # ("can I prep on my own for it too?" uses one word the FAQ never does, yet its own best
    # candidates include the entry its reading in context leads to: that agreement counts too.)
    answered = [r for r in in_context if r.answered]
    own_candidates = {h.entry.id for h in alone.hits[:AGREEMENT_DEPTH]}
    agrees = any(r.top in own_candidates for r in answered)
    about_faq = best_alone >= relates or (dependent and (foreign_share(question, vocabulary) <= 0.5 or agrees))
    if not answered or not about_faq:
        return alone, []  # "is it going to rain tomorrow" is no follow-up, whatever came before
    best = answered[0]
    # The context adds nothing the question does not say itself: "When are you open?" (short,
    # but pointing at nothing said before) answered alone from the same entry stays plain.
    if (alone.answered and alone.top == best.top and not refers_back(question)) or \
            (not dependent and best.confidence <= alone.confidence):
        return alone, []
    rivals = [r for r in answered if r.context != best.context and r.top != best.top
              and best.confidence - r.confidence <= AMBIGUITY_MARGIN]
    if rivals and best.confidence < CLEARLY_MEANT:
        return best, [best, rivals[0]]
    return best, []
