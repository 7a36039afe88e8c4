"""Split the labeled default-corpus questions into a calibration half and a held-out half.

    .venv/bin/python benchmarks/default_split.py          # rewrite benchmarks/data/default-*.jsonl
    .venv/bin/python benchmarks/default_split.py --check  # exit 1 if they are out of date

Source: tests/data/visitor_questions.jsonl (answerable, expected entry ids) and
tests/data/out_of_scope.jsonl (expected: [], kind off-topic or near-miss). The split is
deterministic and stratified: within each kind (visitor, off-topic, near-miss), rows alternate
calibration, held-out, calibration, ... in file order. Anything tuned on the default corpus (the
answer threshold) is chosen on the calibration half and reported on the held-out half too.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [ROOT / "tests/data/visitor_questions.jsonl", ROOT / "tests/data/out_of_scope.jsonl"]
OUTPUTS = {"calibration": ROOT / "benchmarks/data/default-calibration.jsonl",
           "heldout": ROOT / "benchmarks/data/default-heldout.jsonl"}


def split_rows() -> dict[str, list[dict]]:
    halves: dict[str, list[dict]] = {"calibration": [], "heldout": []}
    seen_per_kind: dict[str, int] = {}
    for source in SOURCES:
        for number, line in enumerate(source.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            row = json.loads(line)
            kind = row.get("kind", "visitor")
            position = seen_per_kind.get(kind, 0)
            seen_per_kind[kind] = position + 1
            half = "calibration" if position % 2 == 0 else "heldout"
            halves[half].append({"question": row["question"], "expected": row["expected"], "kind": kind,
                                 "split": half, "source": f"{source.relative_to(ROOT)}:{number}"})
    return halves


def rendered() -> dict[Path, str]:
    return {OUTPUTS[half]: "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
            for half, rows in split_rows().items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check that the files are up to date")
    args = parser.parse_args()
    stale = [path for path, text in rendered().items() if not path.is_file() or path.read_text(encoding="utf-8") != text]
    if args.check:
        for path in stale:
            print(f"{path} is out of date: run benchmarks/default_split.py", file=sys.stderr)
        return 1 if stale else 0
    for path, text in rendered().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)} ({text.count(chr(10))} questions)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
