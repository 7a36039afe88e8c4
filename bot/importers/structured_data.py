"""The FAQ a page states as schema.org data: FAQPage in JSON-LD blocks or in microdata.

JSON-LD is also what .json files holding an FAQPage contain (see :mod:`bot.importers.json_export`).
"""

from __future__ import annotations

import json
import re
from urllib.parse import urljoin

from bs4 import BeautifulSoup, Tag

from bot.importers.html_text import fragment_to_text, html_inline_text, nodes_to_text
from bot.importers.page_urls import anchored, is_web_url
from bot.importers.pairs import Pair, tidy_question


def jsonld_pairs(soup: BeautifulSoup, base_url: str) -> tuple[list[Pair], list[str], list[str]]:
    """Pairs from every FAQPage in the page's JSON-LD blocks, plus errors and skipped questions."""
    pairs: list[Pair] = []
    errors: list[str] = []
    skipped: list[str] = []
    scripts = soup.find_all("script", type=lambda t: bool(t) and t.split(";")[0].strip().lower() == "application/ld+json")
    for number, script in enumerate(scripts, start=1):
        content = script.string or script.get_text()
        # Some CMSs wrap the JSON in an HTML comment or CDATA section.
        opening = re.match(r"\s*(?:<!--|<!\[CDATA\[)?\s*", content)
        raw = re.sub(r"\s*(?:-->|\]\]>)?\s*$", "", content[opening.end():])
        if not raw:
            continue
        try:
            data = json.loads(raw, strict=False)  # strict=False: raw line breaks inside strings are common
        except json.JSONDecodeError as exc:
            line = (script.sourceline or 1) + content[:opening.end()].count("\n") + exc.lineno - 1
            errors.append(f"its JSON-LD (script {number}) is not valid JSON: {exc.msg} at line {line}"
                          + (f" column {exc.colno}" if exc.lineno > 1 else ""))
            continue
        block_pairs, block_skipped = pairs_from_jsonld_data(data, base_url)
        pairs += block_pairs
        skipped += block_skipped
    return pairs, errors, skipped


def pairs_from_jsonld_data(data, base_url: str = "") -> tuple[list[Pair], list[str]]:
    """The pairs of every schema.org FAQPage in parsed JSON-LD (also used for .json files holding
    it), and why any question was skipped."""
    by_id = {node["@id"]: node for node in _nodes(data) if isinstance(node.get("@id"), str)}
    pairs, skipped = [], []
    for faq in (node for node in _nodes(data) if _has_type(node, "FAQPage")):
        # Without the page's address, the FAQPage's own "url" resolves its relative links.
        faq_url = base_url or next((u for u in (_first_text(faq.get("url")), faq.get("@id"))
                                    if isinstance(u, str) and is_web_url(u)), "")
        for position, question in enumerate(_as_list(faq.get("mainEntity")), start=1):
            where = f"JSON-LD question {position}"
            pair = _jsonld_question(_resolve(question, by_id), by_id, faq_url)
            if isinstance(pair, str):
                skipped.append(f"{where}: {pair}")
            else:
                pair.where = where
                pairs.append(pair)
    return pairs, skipped


def _jsonld_question(question, by_id: dict, base_url: str) -> Pair | str:
    """A Pair, or the reason the node is not one."""
    if not isinstance(question, dict) or not _has_type(question, "Question"):
        return "not a schema.org Question"
    name = html_inline_text(_first_text(question.get("name")) or _first_text(question.get("text")))
    if not name:
        return "the question has no name"
    answers = [_resolve(a, by_id) for a in _as_list(question.get("acceptedAnswer")) or
               _as_list(question.get("suggestedAnswer"))]
    texts = [_first_text(a.get("text")) for a in answers if isinstance(a, dict)]
    answer = "\n\n".join(fragment_to_text(t, base_url) for t in texts if t)
    if not answer.strip():
        return f"{name!r} has no answer text"
    url = _first_text(question.get("url"))
    alternates = [html_inline_text(a) for a in _as_list(question.get("alternateName")) if isinstance(a, str)]
    return Pair(name, answer, alternates=[a for a in alternates if a],
                url=urljoin(base_url, url) if url else base_url)


def _nodes(data):
    """Every JSON object in a JSON-LD document, depth first (covers @graph and nesting)."""
    stack = [data]
    while stack:
        node = stack.pop(0)
        if isinstance(node, dict):
            yield node
            stack[0:0] = [v for v in node.values() if isinstance(v, (dict, list))]
        elif isinstance(node, list):
            stack[0:0] = [v for v in node if isinstance(v, (dict, list))]


def _has_type(node: dict, wanted: str) -> bool:
    # "@type" may be a list, and may be written as a full IRI or a prefixed name.
    return any(re.split(r"[/:#]", str(t))[-1].lower() == wanted.lower() for t in _as_list(node.get("@type")))


def _resolve(node, by_id: dict):
    if isinstance(node, dict) and set(node) == {"@id"}:
        return by_id.get(node["@id"], node)
    return node


def _as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _first_text(value) -> str:
    for item in _as_list(value):
        if isinstance(item, str) and item.strip():
            return item
        if isinstance(item, dict) and isinstance(item.get("@value"), str):
            return item["@value"]
    return ""


def microdata_pairs(soup: BeautifulSoup, base_url: str) -> tuple[list[Pair], list[str]]:
    pairs, skipped = [], []
    for scope in soup.find_all(attrs={"itemtype": _schema_type("FAQPage")}):
        questions = scope.find_all(attrs={"itemtype": _schema_type("Question")})
        for position, question in enumerate(questions, start=1):
            where = f"microdata question {position}"
            name_tag = _itemprop(question, "name") or _itemprop(question, "text")
            name = tidy_question(_property_value(name_tag)) if name_tag else ""
            answer_scope = _itemprop(question, "acceptedAnswer") or _itemprop(question, "suggestedAnswer")
            text_tag = _itemprop(answer_scope, "text") if answer_scope else None
            answer = nodes_to_text([text_tag], base_url) if text_tag else ""
            if text_tag is not None and text_tag.name == "meta":
                answer = fragment_to_text(text_tag.get("content", ""), base_url)
            if not name:
                skipped.append(f"{where}: the question has no name")
            elif not answer:
                skipped.append(f"{where}: {name!r} has no answer text")
            else:
                pairs.append(Pair(name, answer, url=anchored(base_url, question), where=where))
    return pairs, skipped


def _schema_type(name: str):
    return re.compile(rf"schema\.org/{name}\b", re.IGNORECASE)


def _itemprop(scope: Tag, prop: str) -> Tag | None:
    """The first element inside ``scope`` with itemprop ``prop`` that belongs to ``scope`` itself,
    not to an item nested in it (an answer's own "name" is not the question's name)."""
    for tag in scope.find_all(attrs={"itemprop": True}):
        if prop in tag.get("itemprop", "").split() and _owner_scope(tag) is scope:
            return tag
    return None


def _owner_scope(tag: Tag) -> Tag | None:
    parent = tag.parent
    while parent is not None and not parent.has_attr("itemscope"):
        parent = parent.parent
    return parent


def _property_value(tag: Tag) -> str:
    return tag.get("content", "") if tag.name == "meta" else tag.get_text(" ")
