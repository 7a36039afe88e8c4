"""Turn HTML into answer and question text the way a reader sees it: paragraphs, list items and
table rows on their own lines, links kept as Markdown ``[text](absolute URL)``, and controls,
media and scripts left out."""

from __future__ import annotations

import re
from urllib.parse import urljoin

from bs4 import BeautifulSoup, Comment, NavigableString, Tag
from bs4.element import PreformattedString

from bot.importers.pairs import tidy_answer, tidy_question

HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
# Never part of an FAQ's text.
NOISE_TAGS = ("script", "style", "noscript", "template", "nav", "footer", "aside", "iframe", "svg",
              "canvas", "object", "embed", "video", "audio", "select", "textarea", "input", "dialog")
# Left out of answers: controls and media have no text a reader of the answer needs.
_SKIP_IN_ANSWERS = set(NOISE_TAGS) | {"button", "img", "picture", "map", "head", "title", "meta", "link"}
_BLOCKS = {"p", "div", "section", "article", "main", "header", "blockquote", "pre", "figure", "figcaption",
           "dl", "dt", "dd", "details", "summary", "hr", "address", "fieldset", "form", "table", "center",
           *HEADINGS}
MARKDOWN_LINK = re.compile(r"\[([^\]]*)\]\(([^)\s]*)\)")


class _TextWriter:
    """Collects text the way a reader sees it: paragraphs, lines within them (list items, <br>),
    and runs of spaces collapsed."""

    def __init__(self):
        self.paragraphs: list[str] = []
        self.lines: list[str] = []
        self.words: list[str] = []
        self.list_depth = 0

    def text(self, value: str) -> None:
        self.words.append(value)

    def line_break(self) -> None:
        line = " ".join("".join(self.words).split())
        if line:
            self.lines.append(line)
        self.words = []

    def paragraph_break(self) -> None:
        self.line_break()
        if self.list_depth:
            return  # blocks inside a list item stay on its lines
        if self.lines:
            self.paragraphs.append("\n".join(self.lines))
        self.lines = []

    def result(self) -> str:
        self.paragraph_break()
        return tidy_answer("\n\n".join(self.paragraphs))


def nodes_to_text(nodes: list, base_url: str) -> str:
    writer = _TextWriter()
    for node in nodes:
        _write(node, writer, base_url)
    return writer.result()


def fragment_to_text(fragment: str, base_url: str) -> str:
    """Text of an HTML fragment such as a JSON-LD answer ("<p>Yes, see <a href=..>..</a></p>")."""
    if "<" not in fragment and "&" not in fragment:
        return tidy_answer(fragment)
    return nodes_to_text(list(BeautifulSoup(fragment, "html.parser").contents), base_url)


def html_inline_text(fragment: str) -> str:
    if "<" not in fragment and "&" not in fragment:
        return tidy_question(fragment)
    return tidy_question(BeautifulSoup(fragment, "html.parser").get_text(" "))


def tag_text(tag: Tag) -> str:
    return tidy_question(tag.get_text(" "))


def _write(node, out: _TextWriter, base_url: str) -> None:
    if isinstance(node, NavigableString):
        if not isinstance(node, (Comment, PreformattedString)) and type(node).__name__ not in ("Script", "Stylesheet"):
            out.text(str(node))
        return
    if not isinstance(node, Tag) or node.name in _SKIP_IN_ANSWERS:
        return
    name = node.name
    if name == "br":
        out.line_break()
    elif name == "a" and node.get("href"):
        out.text(_markdown_link(node, base_url))
    elif name in ("ul", "ol"):
        out.paragraph_break()
        out.list_depth += 1
        number = 0
        for child in node.children:
            if isinstance(child, Tag) and child.name == "li":
                number += 1
                out.line_break()
                out.text(f"{number}. " if name == "ol" else "- ")
                for grandchild in child.children:
                    _write(grandchild, out, base_url)
                out.line_break()
            else:
                _write(child, out, base_url)
        out.list_depth -= 1
        out.paragraph_break()
    elif name == "tr":
        out.line_break()
        cells = [nodes_to_text([cell], base_url).replace("\n", " ") for cell in node.find_all(("td", "th"), recursive=False)]
        out.text(" | ".join(cell for cell in cells if cell))
        out.line_break()
    elif name in _BLOCKS or name == "li":
        out.paragraph_break()
        for child in node.children:
            _write(child, out, base_url)
        out.paragraph_break()
    else:
        for child in node.children:
            _write(child, out, base_url)


def _markdown_link(tag: Tag, base_url: str) -> str:
    text = tidy_question(tag.get_text(" ")).replace("[", "(").replace("]", ")")
    href = tag["href"].strip()
    if href.lower().startswith(("javascript:", "data:")) or (href.startswith("#") and not base_url):
        return text
    href = urljoin(base_url, href) if base_url else href
    href = href.replace(" ", "%20").replace("(", "%28").replace(")", "%29")
    if not text:
        return ""
    if text == href or "mailto:" + text == href:
        return text
    return f"[{text}]({href})"
