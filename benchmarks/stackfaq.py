"""Where the benchmarks find StackFAQ, optional evaluation data that is not in the repository.

StackFAQ (Karan & Šnajder 2018: Stack Exchange threads about web applications, with hand-written
paraphrase queries) is read from the folder named by the environment variable FAQBOT_STACKFAQ,
else from ``../shared/data/stackfaq`` beside the checkout if that exists. The folder holds
``faq.jsonl`` and ``queries.jsonl`` (the "pairs" variant: one entry per answer) and
``threads/faq.jsonl`` and ``threads/queries.jsonl`` (one entry per thread). Without it the
benchmarks say so in one line and run everything else.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENV = "FAQBOT_STACKFAQ"
BESIDE_CHECKOUT = ROOT.parent / "shared" / "data" / "stackfaq"
FILES = {"pairs": ("faq.jsonl", "queries.jsonl"), "threads": ("threads/faq.jsonl", "threads/queries.jsonl")}
HOW_TO_PROVIDE = (f"set {ENV} to a folder holding faq.jsonl, queries.jsonl and threads/ "
                  f"(or put it at {BESIDE_CHECKOUT})")


def stackfaq_folder() -> Path | None:
    """The StackFAQ folder, or None when it is not available. A folder named by FAQBOT_STACKFAQ
    that lacks the files is an error (SystemExit), not a silent skip."""
    named = os.environ.get(ENV)
    if named:
        folder = Path(named).expanduser()
        missing = [name for pair in FILES.values() for name in pair if not (folder / name).is_file()]
        if missing:
            raise SystemExit(f"{ENV}={named} does not hold StackFAQ: missing {', '.join(missing)}")
        return folder
    if all((BESIDE_CHECKOUT / name).is_file() for pair in FILES.values() for name in pair):
        return BESIDE_CHECKOUT
    return None


def variant_files(folder: Path, variant: str) -> tuple[Path, Path]:
    """(corpus, queries) of the "pairs" or "threads" variant."""
    corpus, queries = FILES[variant]
    return folder / corpus, folder / queries


def skipped(consequence: str) -> str:
    """The one line printed when StackFAQ is absent, saying what that changes."""
    return f"StackFAQ not found ({consequence}): {HOW_TO_PROVIDE}."
