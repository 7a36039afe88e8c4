"""Turn the pairs of one or more sources into corpus entries, merged with the entries the output
file already has.

Rules, in the order they apply to each pair:

- A question already asked in another file of the same corpus stays there: the pair is skipped.
- The same question (``bot.corpus.normalise_question``: case, punctuation and spacing ignored) as
  an entry of the output file refreshes that entry from the source: answer, url, category, and any
  new alternates. Re-importing an unchanged source therefore changes nothing.
- The same question twice within this import is one entry: alternates are combined when the
  answers agree; when they differ the first answer is kept and the summary says so.
- A different question with the same, substantial answer text is the same FAQ entry worded
  differently: it joins that entry as an alternate. Short answers ("Yes.") are shared by unrelated
  questions, so they never merge.
- Anything else is a new entry, with a stable id from its question (``bot.corpus.slugify``).

Entries of the output file that this import does not mention are kept as they are.
"""

from __future__ import annotations

import dataclasses
import unicodedata
from dataclasses import dataclass, field

from bot.corpus.model import VALID_ID, Entry, normalise_question, slugify
from bot.importers.pairs import Extraction, Pair, flatten_headings, tidy_answer, tidy_question

# Answers shorter than this are too generic to prove that two questions are the same one.
MIN_WORDS_TO_MERGE_BY_ANSWER = 8


@dataclass
class SourceTally:
    """What became of one source's pairs."""
    source: str
    method: str
    pairs: int
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    merged: int = 0
    skipped: int = 0


@dataclass
class MergeReport:
    sources: list[SourceTally] = field(default_factory=list)
    merged: list[str] = field(default_factory=list)    # what was folded into what, and why
    skipped: list[str] = field(default_factory=list)   # what was left out, and why
    notes: list[str] = field(default_factory=list)     # anything else the owner should know
    # Entries of the result: created, changed, matched without change, and not mentioned by the import.
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    kept: int = 0


def merge(existing: list[Entry], extractions: list[Extraction], category: str = "",
          elsewhere: list[Entry] = ()) -> tuple[list[Entry], MergeReport]:
    """The entries to write, and a report of how they came about.

    ``existing``: the output file's entries (not modified). ``category``: overrides every pair's
    category when given. ``elsewhere``: entries of the corpus's other files, whose questions and
    ids must not be used again.
    """
    book = _Book(existing, elsewhere)
    report = MergeReport()
    for extraction in extractions:
        tally = SourceTally(extraction.source, extraction.method, len(extraction.pairs))
        report.sources.append(tally)
        for reason in extraction.skipped:
            report.skipped.append(f"{extraction.source}: {reason}")
        for note in extraction.notes:
            report.notes.append(f"{extraction.source}: {note}")
        pairs, folded = _combine_groups(extraction.pairs)
        for row, first in folded:
            report.merged.append(f"{extraction.source} ({row.where}): {row.question!r} joins {first.question!r} "
                                 "as an alternate (the source marks them as one entry)")
        tally.merged += len(folded)
        for pair in pairs:
            outcome = book.add(pair, extraction, category, report)
            setattr(tally, outcome, getattr(tally, outcome) + 1)
    for entry in book.entries:
        if not book.was_existing(entry):
            report.new += 1
        elif book.was_changed(entry):
            report.updated += 1
        elif book.was_touched(entry):
            report.unchanged += 1
        else:
            report.kept += 1
    return book.entries, report


def _combine_groups(pairs: list[Pair]) -> tuple[list[Pair], list[tuple[Pair, Pair]]]:
    """Rows that the source marks as one entry (same group) become one pair. Returns the pairs and
    the (row, pair it joined) of each row folded in."""
    combined: list[Pair] = []
    folded: list[tuple[Pair, Pair]] = []
    by_group: dict[str, Pair] = {}
    for pair in pairs:
        if pair.group and pair.group in by_group:
            first = by_group[pair.group]
            first.alternates = [*first.alternates, pair.question, *pair.alternates]
            folded.append((pair, first))
            continue
        pair = dataclasses.replace(pair, alternates=list(pair.alternates))
        if pair.group:
            by_group[pair.group] = pair
        combined.append(pair)
    return combined, folded


def _answer_key(answer: str) -> str:
    return " ".join(answer.split()).casefold()


class _Book:
    """The entries being built, findable by question and by answer text."""

    def __init__(self, existing: list[Entry], elsewhere: list[Entry]):
        self.entries = [dataclasses.replace(e, alternates=list(e.alternates), metadata=dict(e.metadata))
                        for e in existing]
        self._existing = {id(e) for e in self.entries}
        self._touched: set[int] = set()      # entries this import created or refreshed
        self._changed: set[int] = set()      # existing entries this import changed
        self._origin: dict[int, str] = {}    # where this import first gave each entry, for messages
        self.by_question: dict[str, Entry] = {}
        self.by_answer: dict[str, Entry] = {}
        self.ids = {e.id for e in self.entries} | {e.id for e in elsewhere}
        self.elsewhere = {normalise_question(q): e for e in elsewhere for q in e.questions}
        for entry in self.entries:
            for question in entry.questions:
                self.by_question.setdefault(normalise_question(question), entry)
            self._index_answer(entry)

    def was_existing(self, entry: Entry) -> bool:
        return id(entry) in self._existing

    def was_touched(self, entry: Entry) -> bool:
        return id(entry) in self._touched

    def was_changed(self, entry: Entry) -> bool:
        return id(entry) in self._changed

    def _index_answer(self, entry: Entry) -> None:
        if len(entry.answer.split()) >= MIN_WORDS_TO_MERGE_BY_ANSWER:
            self.by_answer.setdefault(_answer_key(entry.answer), entry)

    def add(self, pair: Pair, extraction: Extraction, category: str, report: MergeReport) -> str:
        """Fold one pair in; returns which SourceTally count it adds to."""
        label = f"{extraction.source} ({pair.where})" if pair.where else extraction.source
        question = tidy_question(pair.question)
        if not normalise_question(question):
            report.skipped.append(f"{label}: {question!r} has no words")
            return "skipped"
        answer, flattened = flatten_headings(tidy_answer(pair.answer))
        if flattened:
            report.notes.append(f"{label}: {question!r}: {flattened} answer line(s) started with '#' (a Markdown "
                                "heading); kept as plain text")
        key = normalise_question(question)
        if key in self.elsewhere:
            report.skipped.append(f"{label}: {question!r} is already in {_file_of(self.elsewhere[key])} "
                                  f"('{self.elsewhere[key].id}')")
            return "skipped"
        alternates = [tidy_question(a) for a in pair.alternates]
        url = tidy_question(pair.url)
        category = tidy_question(category or pair.category or extraction.category)

        target = self.by_question.get(key)
        if target is None:
            for alternate in alternates:
                target = self.by_question.get(normalise_question(alternate))
                if target is not None:
                    break
        if target is not None and id(target) in self._touched:
            # The same question twice in this import.
            if _answer_key(target.answer) != _answer_key(answer):
                report.merged.append(f"{label}: {question!r} is also in {self._origin[id(target)]} with a different "
                                     "answer; kept the first")
                return "merged"
            self._add_alternates(target, [question, *alternates], label, report)
            relation = "a duplicate" if normalise_question(target.question) == key else "an alternate"
            report.merged.append(f"{label}: {question!r} is {relation} of {target.question!r} "
                                 f"from {self._origin[id(target)]} (same answer)")
            return "merged"
        if target is not None:
            if pair.reviewed and target.reviewed != pair.reviewed:
                target.reviewed = pair.reviewed
                self._changed.add(id(target))
            return self._refresh(target, question, answer, alternates, url, category, label, report)

        target = self.by_answer.get(_answer_key(answer)) if len(answer.split()) >= MIN_WORDS_TO_MERGE_BY_ANSWER else None
        if target is not None:
            added = self._add_alternates(target, [question, *alternates], label, report)
            report.merged.append(f"{label}: {question!r} joins {target.question!r} as an alternate (same answer)")
            if self.was_existing(target) and added:
                self._changed.add(id(target))
            self._touched.add(id(target))
            self._origin.setdefault(id(target), label)
            return "merged"

        entry = Entry(id=self._new_id(pair.id, question), question=question, answer=answer, category=category, url=url,
                      reviewed=pair.reviewed)
        self.entries.append(entry)
        self.by_question[key] = entry
        self._add_alternates(entry, alternates, label, report)
        self._index_answer(entry)
        self._touched.add(id(entry))
        self._origin[id(entry)] = label
        return "new"

    def _refresh(self, target: Entry, question: str, answer: str, alternates: list[str], url: str,
                 category: str, label: str, report: MergeReport) -> str:
        """Update an entry of the output file from its source."""
        changes = []
        if target.answer != answer:
            target.answer = answer
            self._index_answer(target)
            changes.append("answer")
        if url and target.url != url:
            target.url = url
            changes.append("url")
        if category and target.category != category:
            target.category = category
            changes.append("category")
        if self._add_alternates(target, [question, *alternates], label, report):
            changes.append("alternates")
        self._touched.add(id(target))
        self._origin.setdefault(id(target), label)
        if not changes:
            return "unchanged"
        self._changed.add(id(target))
        report.notes.append(f"{label}: updated '{target.id}' ({', '.join(changes)})")
        return "updated"

    def _add_alternates(self, target: Entry, questions: list[str], label: str, report: MergeReport) -> list[str]:
        added = []
        for question in questions:
            key = normalise_question(question)
            if not key:
                continue
            owner = self.by_question.get(key)
            if owner is target:
                continue
            if owner is not None:
                report.skipped.append(f"{label}: alternate {question!r} is already a question of '{owner.id}'")
                continue
            if key in self.elsewhere:
                report.skipped.append(f"{label}: alternate {question!r} is already in "
                                      f"{_file_of(self.elsewhere[key])} ('{self.elsewhere[key].id}')")
                continue
            target.alternates.append(question)
            self.by_question[key] = target
            added.append(question)
        return added

    def _new_id(self, given: str, question: str) -> str:
        base = given if given and VALID_ID.fullmatch(given) else slugify(_without_accents(question))
        candidate, number = base, 1
        while candidate in self.ids:
            number += 1
            candidate = f"{base}-{number}"
        self.ids.add(candidate)
        return candidate


def _without_accents(text: str) -> str:
    # slugify() splits "café" into "cafe" but "coût" into "cou-t"; dropping the accents first keeps words whole.
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


def _file_of(entry: Entry) -> str:
    return entry.origin.rsplit(":", 1)[0] if entry.origin else "another corpus file"
