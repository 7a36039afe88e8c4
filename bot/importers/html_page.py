"""Find the question/answer pairs of an FAQ web page.

Structures are tried in order of trust and the first that yields pairs is used:

1. schema.org FAQPage in JSON-LD (what search engines read: the owner's own statement of the FAQ),
2. schema.org FAQPage in microdata,
3. ``<details>``/``<summary>`` disclosure widgets,
4. ``<dl>`` lists of ``<dt>`` questions and ``<dd>`` answers,
5. headings that end with a question mark, answered by the content up to the next heading.

Only one structure is used because pages often show the same FAQ twice (JSON-LD for search
engines, an accordion for people), and the less trusted structures are where noise comes from;
the summary says what a lower one also found. Scripts, navigation, sidebars, page headers,
footers and cookie banners are removed before the visible structures are read. Answers keep
their links, as Markdown ``[text](absolute URL)``.

Nothing is guessed from loose text: a page whose questions are only a list of links, or whose
columns are mixed up, yields no pairs rather than invented ones.
"""

from __future__ import annotations

import json
import re
from urllib.parse import urljoin, urlparse

from bs4 import BeautifulSoup, Comment, NavigableString, Tag
from bs4.element import PreformattedString

from bot.importers.pairs import (Extraction, ImportFailure, Pair, clean_answer, clean_question,
                                 ends_with_question_mark, is_question_like)

HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
# Never part of an FAQ's text.
NOISE_TAGS = ("script", "style", "noscript", "template", "nav", "footer", "aside", "iframe", "svg",
              "canvas", "object", "embed", "video", "audio", "select", "textarea", "input", "dialog")
NOISE_ROLES = {"navigation", "banner", "contentinfo", "complementary", "search"}
_COOKIE_BANNER = re.compile(r"cookie|consent|gdpr|onetrust|cookiebot|cc-window", re.IGNORECASE)
# A cookie banner is short; a long element matching the pattern is a page wrapper with a
# "cookies-accepted" class, not a banner.
_BANNER_MAX_CHARS = 3000
# Left out of answers: controls and media have no text a reader of the answer needs.
_SKIP_IN_ANSWERS = set(NOISE_TAGS) | {"button", "img", "picture", "map", "head", "title", "meta", "link"}
_BLOCKS = {"p", "div", "section", "article", "main", "header", "blockquote", "pre", "figure", "figcaption",
           "dl", "dt", "dd", "details", "summary", "hr", "address", "fieldset", "form", "table", "center",
           *HEADINGS}
_MARKDOWN_LINK = re.compile(r"\[([^\]]*)\]\(([^)\s]*)\)")
_TITLE_SEPARATORS = re.compile(r"\s+[|\-–—·:»]\s+")


def extract_from_html(text: str, name: str, page_url: str = "") -> Extraction:
    """The FAQ pairs of one page. ``page_url`` (where it was fetched from) resolves relative links
    and becomes each entry's url; for a saved file the page's canonical link is used instead."""
    soup = BeautifulSoup(text, "html.parser")
    base_url = page_url or _canonical_url(soup)
    category = _page_title(soup)
    found: list[tuple[str, list[Pair], list[str]]] = []  # (method, pairs, skipped) per structure

    jsonld_pairs, jsonld_errors, jsonld_skipped = _jsonld_pairs(soup, base_url)
    found.append(("FAQPage JSON-LD", jsonld_pairs, jsonld_skipped))
    _remove_noise(soup)
    found.append(("FAQPage microdata", *_microdata_pairs(soup, base_url)))
    found.append(("<details>/<summary>", *_details_pairs(soup, base_url)))
    found.append(("<dl> definition list", *_dl_pairs(soup, base_url)))
    found.append(("question headings", *_heading_pairs(soup, base_url)))

    for position, (method, pairs, skipped) in enumerate(found):
        if pairs:
            extraction = Extraction(name, method, pairs, category=category, skipped=skipped)
            if not base_url and any(_has_relative_link(pair.answer) for pair in pairs):
                extraction.notes.append("relative links in answers are kept as they are: the saved page does not "
                                        "say its web address (import it from its URL to make them absolute)")
            for error in jsonld_errors:
                extraction.skipped.append(f"{error}; the FAQ was read from the page's {method} instead")
            for other, other_pairs, _ in found[position + 1:]:
                if other_pairs:
                    extraction.notes.append(f"also found {len(other_pairs)} pair(s) as {other}, not used: "
                                            f"the page's {method} is more reliable")
            return extraction

    if jsonld_errors:
        raise ImportFailure(f"no question/answer pairs found in {name}: {jsonld_errors[0]}")
    # Rejected question headings say most about why a page yields nothing; list them first.
    reasons = [reason for _, _, skipped in reversed(found) for reason in skipped]
    if not soup.get_text(strip=True) and not jsonld_skipped:
        detail = "the page has no text"
    elif reasons:
        detail = f"{len(reasons)} candidate(s) rejected, e.g. {reasons[0]}"
    else:
        detail = "looked for FAQPage JSON-LD or microdata, <details>, <dl> and headings ending in '?'"
    raise ImportFailure(f"no question/answer pairs found in {name} ({detail})")


# --- structured data -----------------------------------------------------------------------------

def _jsonld_pairs(soup: BeautifulSoup, base_url: str) -> tuple[list[Pair], list[str], list[str]]:
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
                                    if isinstance(u, str) and _is_web_url(u)), "")
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
    name = _html_inline_text(_first_text(question.get("name")) or _first_text(question.get("text")))
    if not name:
        return "the question has no name"
    answers = [_resolve(a, by_id) for a in _as_list(question.get("acceptedAnswer")) or
               _as_list(question.get("suggestedAnswer"))]
    texts = [_first_text(a.get("text")) for a in answers if isinstance(a, dict)]
    answer = "\n\n".join(_fragment_to_text(t, base_url) for t in texts if t)
    if not answer.strip():
        return f"{name!r} has no answer text"
    url = _first_text(question.get("url"))
    alternates = [_html_inline_text(a) for a in _as_list(question.get("alternateName")) if isinstance(a, str)]
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


def _microdata_pairs(soup: BeautifulSoup, base_url: str) -> tuple[list[Pair], list[str]]:
    pairs, skipped = [], []
    for scope in soup.find_all(attrs={"itemtype": _schema_type("FAQPage")}):
        questions = scope.find_all(attrs={"itemtype": _schema_type("Question")})
        for position, question in enumerate(questions, start=1):
            where = f"microdata question {position}"
            name_tag = _itemprop(question, "name") or _itemprop(question, "text")
            name = clean_question(_property_value(name_tag)) if name_tag else ""
            answer_scope = _itemprop(question, "acceptedAnswer") or _itemprop(question, "suggestedAnswer")
            text_tag = _itemprop(answer_scope, "text") if answer_scope else None
            answer = _nodes_to_text([text_tag], base_url) if text_tag else ""
            if text_tag is not None and text_tag.name == "meta":
                answer = _fragment_to_text(text_tag.get("content", ""), base_url)
            if not name:
                skipped.append(f"{where}: the question has no name")
            elif not answer:
                skipped.append(f"{where}: {name!r} has no answer text")
            else:
                pairs.append(Pair(name, answer, url=_anchored(base_url, question), where=where))
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


# --- visible structures ----------------------------------------------------------------------------

def _remove_noise(soup: BeautifulSoup) -> None:
    for tag in soup.find_all(NOISE_TAGS):
        tag.decompose()
    for tag in soup.find_all(attrs={"role": True}):
        if not tag.decomposed and tag.get("role", "").lower() in NOISE_ROLES:
            tag.decompose()
    for tag in soup.find_all("header"):
        # The page's header (logo, menu) is noise; an <article>'s own header holds its heading.
        if not tag.decomposed and tag.find_parent(("article", "section", "main", "details")) is None:
            tag.decompose()
    for tag in soup.find_all(True):
        if tag.decomposed or tag.name in ("html", "body", "main", "article"):
            continue
        label = " ".join([tag.get("id", ""), *tag.get("class", []), tag.get("aria-label", "")])
        if _COOKIE_BANNER.search(label) and len(tag.get_text()) < _BANNER_MAX_CHARS:
            tag.decompose()


def _details_pairs(soup: BeautifulSoup, base_url: str) -> tuple[list[Pair], list[str]]:
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


def _dl_pairs(soup: BeautifulSoup, base_url: str) -> tuple[list[Pair], list[str]]:
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
        groups.setdefault(id(group), []).append(is_question_like(_tag_text(question_tags[0])))
    pairs, skipped = [], []
    for position, (element, group, question_tags, body) in enumerate(candidates, start=1):
        questions = [_tag_text(tag) for tag in question_tags]
        question = questions[0]
        where = f"{kind} {position}"
        votes = groups[id(group)]
        answer = _nodes_to_text(body, base_url)
        if not question:
            skipped.append(f"{where}: no question text")
        elif not is_question_like(question) and sum(votes) * 2 < len(votes):
            skipped.append(f"{where}: {question!r} is not worded as a question")
        elif (reason := _not_an_answer(answer)) is not None:
            skipped.append(f"{where}: {question!r}: {reason}")
        else:
            pairs.append(Pair(question, answer, alternates=[q for q in questions[1:] if q],
                              url=_anchored(base_url, element, *question_tags), where=where))
    return pairs, skipped


def _heading_pairs(soup: BeautifulSoup, base_url: str) -> tuple[list[Pair], list[str]]:
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
        question = _tag_text(heading)
        where = f"heading {question!r}"
        link = heading.find("a", href=True)
        if link is not None and _tag_text(link) == question and _is_other_page(link["href"], base_url):
            # An index of questions, each linking to its own page: the answers are on those pages.
            skipped.append(f"{where}: links to another page, where its answer is")
            continue
        answer = _without_trailing_navigation(_nodes_to_text(_content_after(heading, faq_level), base_url))
        if (reason := _not_an_answer(answer)) is not None:
            skipped.append(f"{where}: {reason}")
            continue
        pairs.append(Pair(question, answer, url=_anchored(base_url, heading), where=where))
    return pairs, skipped


def _is_question_heading(tag: Tag) -> bool:
    text = _tag_text(tag)
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
    plain = _MARKDOWN_LINK.sub(r"\1", answer)
    links = _MARKDOWN_LINK.findall(answer)
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


def _has_relative_link(answer: str) -> bool:
    return any(not re.match(r"[a-z][a-z0-9+.-]*:", href, re.IGNORECASE) for _, href in _MARKDOWN_LINK.findall(answer))


def _is_other_page(href: str, base_url: str) -> bool:
    if href.startswith("#"):
        return False
    if not base_url:
        return True
    target, here = urlparse(urljoin(base_url, href)), urlparse(base_url)
    return (target.netloc, target.path) != (here.netloc, here.path)


def _anchored(base_url: str, *tags: Tag) -> str:
    """The page URL, pointing at the entry's own anchor when the page gives it one."""
    if not base_url:
        return ""
    for tag in tags:
        if tag is not None and tag.get("id"):
            return urljoin(base_url, "#" + str(tag["id"]))
    return base_url


# --- page facts --------------------------------------------------------------------------------------

def _canonical_url(soup: BeautifulSoup) -> str:
    """Where a saved page lives on the web, as the page itself says (<link rel=canonical>, og:url)."""
    link = soup.find("link", rel=lambda r: r and "canonical" in (r if isinstance(r, list) else r.split()))
    if link is not None and _is_web_url(link.get("href", "")):
        return link["href"].strip()
    meta = soup.find("meta", property="og:url")
    if meta is not None and _is_web_url(meta.get("content", "")):
        return meta["content"].strip()
    return ""


def _is_web_url(value: str) -> bool:
    return urlparse(value.strip()).scheme in ("http", "https")


def _page_title(soup: BeautifulSoup) -> str:
    """The page's title without the site name ("Delivery FAQ | Acme" -> "Delivery FAQ")."""
    if soup.title is not None:
        title = clean_question(soup.title.get_text())
        if title:
            return _TITLE_SEPARATORS.split(title)[0]
    h1 = soup.find("h1")
    return clean_question(h1.get_text(" ")) if h1 is not None else ""


# --- HTML to answer text -----------------------------------------------------------------------------

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
        return clean_answer("\n\n".join(self.paragraphs))


def _nodes_to_text(nodes: list, base_url: str) -> str:
    writer = _TextWriter()
    for node in nodes:
        _write(node, writer, base_url)
    return writer.result()


def _fragment_to_text(fragment: str, base_url: str) -> str:
    """Text of an HTML fragment such as a JSON-LD answer ("<p>Yes, see <a href=..>..</a></p>")."""
    if "<" not in fragment and "&" not in fragment:
        return clean_answer(fragment)
    return _nodes_to_text(list(BeautifulSoup(fragment, "html.parser").contents), base_url)


def _html_inline_text(fragment: str) -> str:
    if "<" not in fragment and "&" not in fragment:
        return clean_question(fragment)
    return clean_question(BeautifulSoup(fragment, "html.parser").get_text(" "))


def _tag_text(tag: Tag) -> str:
    return clean_question(tag.get_text(" "))


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
        cells = [_nodes_to_text([cell], base_url).replace("\n", " ") for cell in node.find_all(("td", "th"), recursive=False)]
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
    text = clean_question(tag.get_text(" ")).replace("[", "(").replace("]", ")")
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
