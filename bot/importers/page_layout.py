"""The FAQ a page shows to people: ``<details>``/``<summary>`` widgets, ``<dl>`` definition lists,
and headings worded as questions answered by the content up to the next heading.

Each structure is read from a page whose noise has already been removed
(:func:`bot.importers.page_noise.remove_noise`); candidates that are menus, lists of links or
more questions rather than answers are skipped, with the reason.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, Tag

from bot.importers.html_text import HEADINGS, MARKDOWN_LINK, nodes_to_text, tag_text
from bot.importers.page_urls import anchored, is_other_page
from bot.importers.pairs import Pair, ends_with_question_mark, is_question_like


def details_pairs(soup: BeautifulSoup, base_url: str) -> tuple[list[Pair], list[str]]:
    candidates = []
    for details in soup.find_all("details"):
        summary = details.find("summary")
        if summary is None or summary.find_parent("details") is not details:
            continue
        if any(inner.find("summary") for inner in details.find_all("details")):
            continue  # a group of questions (e.g. "Shipping"), whose inner <details> are the entries
        body = [child for child in details.children if child is not summary]
        group = details.parent
        if group.parent is not None and len(group.find_all("details", recursive=False)) == 1:
            group = group.parent  # each <details> in its own wrapper: its siblings are the wrappers'
        candidates.append((details, group, [summary], body))
    return _accept(candidates, base_url, "<details>")


def dl_pairs(soup: BeautifulSoup, base_url: str) -> tuple[list[Pair], list[str]]:
    candidates = []
    for dl in soup.find_all("dl"):
        terms: list[Tag] = []
        descriptions: list[Tag] = []
        items = [tag for tag in dl.find_all(("dt", "dd")) if tag.find_parent("dl") is dl]

        def close():
            if terms:
                # Several <dt> sharing one <dd> are, in an FAQ, one question worded several ways.
                candidates.append((terms[0], dl, terms, list(descriptions)))

        for item in items:
            if item.name == "dt":
                if descriptions:
                    close()
                    terms, descriptions = [], []
                terms.append(item)
            else:
                descriptions.append(item)
        close()
    return _accept(candidates, base_url, "<dl>")


def _accept(candidates: list, base_url: str, kind: str) -> tuple[list[Pair], list[str]]:
    """Pairs from (element, group, question tags, answer nodes) candidates; several question tags
    are one question worded several ways.

    A widget whose label is not worded as a question ("Delivery times") is still an FAQ entry
    when most of its siblings are questions; on its own it is more likely a menu or a
    "show more" box, and is left out.
    """
    groups: dict[int, list[bool]] = {}
    for _, group, question_tags, _ in candidates:
        groups.setdefault(id(group), []).append(is_question_like(tag_text(question_tags[0])))
    pairs, skipped = [], []
    for position, (element, group, question_tags, body) in enumerate(candidates, start=1):
        questions = [tag_text(tag) for tag in question_tags]
        question = questions[0]
        where = f"{kind} {position}"
        votes = groups[id(group)]
        answer = nodes_to_text(body, base_url)
        if not question:
            skipped.append(f"{where}: no question text")
        elif not is_question_like(question) and sum(votes) * 2 < len(votes):
            skipped.append(f"{where}: {question!r} is not worded as a question")
        elif (reason := _not_an_answer(answer)) is not None:
            skipped.append(f"{where}: {question!r}: {reason}")
        else:
            pairs.append(Pair(question, answer, alternates=[q for q in questions[1:] if q],
                              url=anchored(base_url, element, *question_tags), where=where))
    return pairs, skipped


def heading_pairs(soup: BeautifulSoup, base_url: str) -> tuple[list[Pair], list[str]]:
    questions = [h for h in soup.find_all(HEADINGS) if _is_question_heading(h)]
    if not questions:
        return [], []
    # The FAQ's questions are the most common level of question heading (the shallower on a tie);
    # a deeper one ("Still unsure?" under an answer) is a sub-heading of that answer.
    levels = [_level(h) for h in questions]
    faq_level = min(set(levels), key=lambda level: (-levels.count(level), level))
    pairs, skipped = [], []
    for heading in questions:
        if _level(heading) > faq_level:
            continue
        question = tag_text(heading)
        where = f"heading {question!r}"
        link = heading.find("a", href=True)
        if link is not None and tag_text(link) == question and is_other_page(link["href"], base_url):
            # An index of questions, each linking to its own page: the answers are on those pages.
            skipped.append(f"{where}: links to another page, where its answer is")
            continue
        answer = _without_trailing_navigation(nodes_to_text(_content_after(heading, faq_level), base_url))
        if (reason := _not_an_answer(answer)) is not None:
            skipped.append(f"{where}: {reason}")
            continue
        pairs.append(Pair(question, answer, url=anchored(base_url, heading), where=where))
    return pairs, skipped


def _is_question_heading(tag: Tag) -> bool:
    text = tag_text(tag)
    return ends_with_question_mark(text) and is_question_like(text)


def _level(heading: Tag) -> int:
    return int(heading.name[1])


def _content_after(heading: Tag, faq_level: int) -> list:
    """The nodes after ``heading`` up to the next heading of the same or a higher level, or the next
    question heading of the FAQ, without leaving the section the heading is in."""
    level = _level(heading)
    nodes: list = []

    def collect(node) -> bool:  # True when a stopping heading is reached
        if isinstance(node, Tag):
            if node.name in HEADINGS:
                if _level(node) <= level or (_level(node) <= faq_level and _is_question_heading(node)):
                    return True
                nodes.append(node)  # a sub-heading inside the answer
                return False
            if node.find(HEADINGS) is not None:
                return any(collect(child) for child in list(node.children))
        nodes.append(node)
        return False

    current = heading
    while current is not None:
        for sibling in list(current.next_siblings):
            if collect(sibling):
                return nodes
        # The answer may continue after the heading's wrapper (<div class="q"><h3>..</h3></div>
        # <div class="a">..</div>), but never beyond the section the question belongs to.
        current = current.parent
        if current is None or current.name in ("body", "html", "main", "article", "section", "[document]"):
            break
    return nodes


def _not_an_answer(answer: str) -> str | None:
    """Why ``answer`` is not really an answer, or None if it is one."""
    if not answer.strip():
        return "no answer text"
    plain = MARKDOWN_LINK.sub(r"\1", answer)
    links = MARKDOWN_LINK.findall(answer)
    text_chars = len(re.sub(r"[\s\-*|.,;:]|^\d+\.", "", plain))
    link_chars = sum(len(re.sub(r"\s", "", text)) for text, _ in links)
    if len(links) >= 2 and link_chars >= 0.7 * text_chars:
        return "the content is a list of links (navigation), not an answer"
    # Links worded as questions are an index of other FAQ entries; text mixed in between them is
    # page furniture (contact details, footers), as on pages whose columns run together.
    question_links = [text for text, _ in links if ends_with_question_mark(text)]
    if len(question_links) >= 2 and sum(len(t) for t in question_links) >= 0.25 * text_chars:
        return "the content is mostly links to other questions, not an answer"
    lines = [line.lstrip("-*0123456789. ").strip() for line in plain.split("\n") if line.strip()]
    if len(lines) >= 2 and all(ends_with_question_mark(line) for line in lines):
        return "the content is more questions, not an answer"
    return None


def _without_trailing_navigation(answer: str) -> str:
    """Drop a "Related questions" list of links (and its short title) from the end of an answer:
    on single-question pages the content after the question runs on into such lists."""
    paragraphs = answer.split("\n\n")
    while len(paragraphs) > 1 and _not_an_answer(paragraphs[-1]) is not None:
        paragraphs.pop()
        last = paragraphs[-1] if paragraphs else ""
        if len(paragraphs) > 1 and "\n" not in last and len(last.split()) <= 6 and not last.endswith((".", "!")):
            paragraphs.pop()  # the list's title
    return "\n\n".join(paragraphs)
