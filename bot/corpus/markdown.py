"""Read a Markdown corpus file, and tell which lines Markdown would read as a heading.

The format (one category per file)::

    # Category name

    ## The main question?
    id: stable-id
    also: An alternate wording?
    also: Another one?
    url: https://example.org/where-this-comes-from

    The answer, one or more paragraphs.

The fields (``id``, ``also``, ``url``, ``reviewed``, ``category``) come right after the question; the first line
that is not a field starts the answer. Text before a file's or a category's first question
describes it and is not an entry.

Only ``# `` and ``## `` at the start of a line are headings here. Markdown has other ways to write
one, and an author who wrote them meant a heading, not more answer text, so each is a
``file:line`` problem saying what to write instead (see :func:`heading_shape`):

- ``##Question`` or ``#<tab>Category`` (no space after the hashes), and an empty ``#`` or ``##``;
- ``###`` and deeper: answers cannot contain headings;
- a line underlined with ``===`` or ``---`` (a "setext" heading); a ``---`` after a blank line is
  a horizontal rule and stays answer text.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple

from bot.corpus.model import Entry, Problem, make_entry

MARKDOWN_KEYS = ("id", "also", "url", "reviewed", "category")
HEADING_STARTS = ("# ", "## ")
_FIELD = re.compile(r"([A-Za-z_][\w-]*):\s*(.*)")
# CommonMark: up to three spaces of indent, then only '=' or only '-'; anything else is text or a rule.
_SETEXT_UNDERLINE = re.compile(r" {0,3}(=+|-+)[ \t]*")


class Shape(NamedTuple):
    """A line Markdown reads as a heading that this format does not accept."""
    kind: str         # what it would be read as, for the writer: "a '###' heading"
    message: str      # the problem for the corpus author, with what to write instead
    structural: bool  # a malformed '#'/'##': the author meant a category or question, wherever it is


def heading_shape(line: str, previous: str) -> Shape | None:
    """What ``line`` (which comes after ``previous``) would be in Markdown if it is a heading the
    corpus format does not accept; None for text and for the ``# ``/``## `` headings it reads."""
    if line.startswith(HEADING_STARTS):
        return None
    hashes = len(line) - len(line.lstrip("#"))
    marks, rest = line[:hashes], line[hashes:]
    if hashes >= 3:
        text = rest.strip() or "..."
        return Shape(f"a '{marks}' heading",
                     f"'{marks}' heading in an answer: answers cannot contain headings; start a new question "
                     f"with '## {text}', or remove the '{marks}' to keep the line as answer text", False)
    what = "category" if hashes == 1 else "question"
    if hashes and not rest.strip():
        return Shape("an empty heading",
                     f"empty heading '{marks}': write the {what} after '{marks} ', or delete the line", True)
    # '#' then text is a hashtag or "#1", as in CommonMark; '##' then text is not prose anyone
    # writes, so it is the question marker missing its space. Rather than guess, say so: the file
    # would otherwise read differently here than in any Markdown preview.
    if hashes == 2 or (hashes == 1 and rest[:1].isspace()):
        return Shape(f"a heading without a space after '{marks}'",
                     f"heading needs a space after '{marks}': write '{marks} {rest.strip()}'", True)
    underline = _SETEXT_UNDERLINE.fullmatch(line)
    if underline and previous.strip() and not previous.startswith(HEADING_STARTS):
        char = underline.group(1)[0]
        title = previous.strip()
        instead = (f"write '# {title}' for a category or '## {title}' for a question" if char == "="
                   else f"write '## {title}' for a new question, or leave a blank line above '---' "
                        "for a horizontal rule")
        return Shape("a setext heading",
                     f"setext heading ({title!r} underlined with '{char * 3}'): answers cannot contain "
                     f"headings; {instead}", False)
    return None


def parse_markdown(path: Path, text: str) -> tuple[list[Entry], list[Problem]]:
    problems: list[Problem] = []
    entries: list[Entry] = []
    category = ""
    current: dict | None = None
    in_metadata = False
    previous = ""

    def close():
        if current is not None:
            current["answer"] = "\n".join(current.pop("lines")).strip()
            entry = make_entry(path, current.pop("line"), current, problems)
            if entry:
                entries.append(entry)

    for number, line in enumerate(text.splitlines(), start=1):
        shape = heading_shape(line, previous)
        # Text describing a file may have its own subheadings; only a malformed '#'/'##' there
        # is reported, as it is a category or question that would be lost.
        reported = shape is not None and (shape.structural or current is not None)
        previous = "" if reported else line
        stripped = line.strip()
        if line.startswith("## "):
            close()
            current = {"question": line[3:], "alternates": [], "lines": [], "line": number, "category": category}
            in_metadata = True
            continue
        if line.startswith("# "):
            close()
            current = None
            category = line[2:].strip()
            continue
        if reported:
            problems.append(Problem(path, number, shape.message))
            continue
        if current is None:
            continue  # text before the first question describes the file; it is not an entry
        if in_metadata:
            match = _FIELD.fullmatch(stripped)
            if match and not stripped.lower().startswith(("http:", "https:")):
                key, value = match.group(1).lower(), match.group(2).strip()
                if key not in MARKDOWN_KEYS:
                    problems.append(Problem(path, number, f"unknown field '{key}' (known: {', '.join(MARKDOWN_KEYS)}); "
                                                          "leave a blank line between the fields and the answer"))
                elif key == "also":
                    current["alternates"].append(value)
                elif key in current and current[key] and key != "category":
                    problems.append(Problem(path, number, f"field '{key}' given twice"))
                else:
                    current[key] = value
                continue
            in_metadata = False
        current["lines"].append(line)
    close()
    return entries, problems
