"""How the index in use stands against its corpus: what opening the bot did about it, and, when
a corpus mistake kept the last good build in use, what the mistake is.

A typo in one corpus file should not take down a bot whose last build still answers well: the
build stays in use, marked stale, and the problem is reported (log, /api/health) until a build
of the fixed corpus replaces it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bot.corpus import CorpusError


@dataclass(frozen=True)
class IndexStatus:
    # "fresh" (matched the corpus), "built", "rebuilt", "stale" (the corpus changed but does not
    # load; the last good build is used), "loaded" (not compared with the corpus: a bot given its
    # index directly, or a build swapped in by reload, which `faqbot index` made from a good corpus)
    action: str
    build: Path | None = None
    problem: str | None = None  # why the build is stale: the first corpus problem, "file:line: ..."
    corpus_error: CorpusError | None = field(default=None, compare=False, repr=False)

    @property
    def stale(self) -> bool:
        return self.action == "stale"

    @classmethod
    def stale_because(cls, error: CorpusError, corpus: Path, build: Path | None) -> "IndexStatus":
        return cls("stale", build, _problem_summary(error, Path(corpus)), error)

    def warning(self, corpus: Path, built_at: str) -> str:
        """One line for the log: what is wrong, and where answers come from meanwhile."""
        count = len(self.corpus_error.problems) if self.corpus_error else 1
        return (f"The corpus at {corpus} has {count} problem(s) ({self.problem}); answering from the last good "
                f"index, built {built_at}. Fix the corpus (`faqbot corpus check` lists every problem), "
                f"then run `faqbot index`.")


def _problem_summary(error: CorpusError, corpus: Path) -> str:
    # Paths relative to the corpus's parent ("corpus/faq.md:12"): enough to find the line, and no
    # server folders in a reply anyone may fetch (/api/health).
    problems = error.problems or [str(error)]
    text = str(problems[0])
    for parent in {corpus.parent, corpus.resolve().parent}:
        if parent.is_absolute() and parent != Path(parent.anchor):
            text = text.replace(f"{parent}/", "")
    if len(problems) > 1:
        text += f" (and {len(problems) - 1} more)"
    return text
