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

import re

from bs4 import BeautifulSoup

from bot.importers import page_layout, structured_data
from bot.importers.page_noise import remove_noise
from bot.importers.page_urls import canonical_url, has_relative_link
from bot.importers.pairs import Extraction, ImportFailure, Pair, tidy_question

_TITLE_SEPARATORS = re.compile(r"\s+[|\-–—·:»]\s+")


def extract_from_html(text: str, name: str, page_url: str = "") -> Extraction:
    """The FAQ pairs of one page. ``page_url`` (where it was fetched from) resolves relative links
    and becomes each entry's url; for a saved file the page's canonical link is used instead."""
    soup = BeautifulSoup(text, "html.parser")
    base_url = page_url or canonical_url(soup)
    category = _page_title(soup)
    found: list[tuple[str, list[Pair], list[str]]] = []  # (method, pairs, skipped) per structure

    jsonld_pairs, jsonld_errors, jsonld_skipped = structured_data.jsonld_pairs(soup, base_url)
    found.append(("FAQPage JSON-LD", jsonld_pairs, jsonld_skipped))
    remove_noise(soup)
    found.append(("FAQPage microdata", *structured_data.microdata_pairs(soup, base_url)))
    found.append(("<details>/<summary>", *page_layout.details_pairs(soup, base_url)))
    found.append(("<dl> definition list", *page_layout.dl_pairs(soup, base_url)))
    found.append(("question headings", *page_layout.heading_pairs(soup, base_url)))

    for position, (method, pairs, skipped) in enumerate(found):
        if pairs:
            extraction = Extraction(name, method, pairs, category=category, skipped=skipped)
            if not base_url and any(has_relative_link(pair.answer) for pair in pairs):
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


def _page_title(soup: BeautifulSoup) -> str:
    """The page's title without the site name ("Delivery FAQ | Acme" -> "Delivery FAQ")."""
    if soup.title is not None:
        title = tidy_question(soup.title.get_text())
        if title:
            return _TITLE_SEPARATORS.split(title)[0]
    h1 = soup.find("h1")
    return tidy_question(h1.get_text(" ")) if h1 is not None else ""
