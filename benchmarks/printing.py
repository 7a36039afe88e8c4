"""How the benchmarks print their tables: plain text for a terminal, or Markdown for the README."""

from __future__ import annotations


def print_table(title: str, headers: list[str], rows: list[list], markdown: bool) -> None:
    from bot.evaluation.summary import format_table

    print(f"\n{title}")
    if not markdown:
        print(format_table(headers, rows))
        return
    cell = lambda v: "–" if v is None else (f"{v:.3f}" if isinstance(v, float) else str(v))  # noqa: E731
    print("| " + " | ".join(headers) + " |")
    print("|" + "---|" * len(headers))
    for row in rows:
        print("| " + " | ".join(cell(v) for v in row) + " |")
