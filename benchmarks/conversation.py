"""Follow-up questions in a conversation, with and without the conversation's history: one command.

    .venv/bin/python benchmarks/conversation.py [--markdown] [--show-misses]

Dialogues (benchmarks/dialogues/*.jsonl, one per line: turns of {question, expected, kind}) on
the default corpus (64 dialogues) and on the shop corpus (22). Each turn is asked the way the chat
asks it: with the visitor's earlier questions and the ids of the entries that answered them as
``history``. Beside it, every turn asked alone. A turn is handled right when it is answered from
its expected entry (opening, follow-up, topic switch), declined (off-topic), or, for an ambiguous
follow-up, answered from one of its expected entries or asked back offering one of them.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from printing import print_table  # noqa: E402  (benchmarks/printing.py)

from bot import offline  # noqa: E402,F401

DIALOGUES = {"default": (ROOT / "corpus", ROOT / "benchmarks/dialogues/default.jsonl"),
             "shop": (ROOT / "benchmarks/corpora/shop/corpus", ROOT / "benchmarks/dialogues/shop.jsonl")}
WORK = ROOT / "index" / "benchmark-conversation"
KINDS = ("opening", "follow-up", "topic-switch", "off-topic", "ambiguous")


def handled_right(answer, turn: dict) -> bool:
    expected = turn["expected"]
    if not expected:
        return not answer.answered
    if answer.answered:
        return answer.citations[0].id in expected
    from bot.answer import WHICH_ONE

    return turn["kind"] == "ambiguous" and answer.answer == WHICH_ONE and any(s.id in expected for s in answer.suggestions)


def run(bot, path: Path, show_misses: bool) -> dict:
    tally = {kind: {"turns": 0, "with history": 0, "alone": 0} for kind in KINDS}
    for line in path.read_text(encoding="utf-8").splitlines():
        dialogue = json.loads(line)
        history = []
        for turn in dialogue["turns"]:
            answer = bot.ask(turn["question"], history=history)
            alone = bot.ask(turn["question"])
            row = tally[turn["kind"]]
            row["turns"] += 1
            row["with history"] += handled_right(answer, turn)
            row["alone"] += handled_right(alone, turn)
            if show_misses and not handled_right(answer, turn):
                got = answer.citations[0].id if answer.answered else f"declined, offered {[s.id for s in answer.suggestions]}"
                print(f"  {dialogue['id']} [{turn['kind']}] {turn['question']!r}: expected {turn['expected']}, "
                      f"got {got} (read as {answer.interpreted_as!r})")
            history.append({"question": turn["question"],
                            "answered_with": [c.id for c in answer.citations][:1]})
    return tally


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markdown", action="store_true", help="print tables as Markdown")
    parser.add_argument("--show-misses", action="store_true", help="list every turn handled wrong with history")
    args = parser.parse_args()
    from bot.config import load_settings
    from bot.engine import FAQBot

    started = time.perf_counter()
    rows = []
    for name, (corpus, dialogues) in DIALOGUES.items():
        settings = load_settings(corpus=corpus, index_dir=WORK / name, answer_cache_size=0)
        bot = FAQBot.open(settings, log=lambda _: None, progress=False)
        tally = run(bot, dialogues, args.show_misses)
        for kind in KINDS:
            row = tally[kind]
            if row["turns"]:
                rows.append([name, kind, row["turns"], f"{row['with history'] / row['turns']:.3f}",
                             f"{row['alone'] / row['turns']:.3f}"])
    print_table("Turns handled right, with the conversation's history and asked alone",
                ["corpus", "turn", "turns", "with history", "alone"], rows, args.markdown)
    print(f"\n{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
