"""The source page a citation links to: the entry, escaped, with its source and review date."""

from __future__ import annotations

from bot.corpus.model import Entry
from bot.web.pages import not_found_page, source_page


def test_the_source_page_shows_when_the_answer_was_last_reviewed():
    entry = Entry("hours", "When do you <b>open</b>?", "At nine.", url="https://shop.example/hours",
                  reviewed="2026-11-26")
    page = source_page(entry, "Shop")
    assert 'Last reviewed: <time datetime="2026-11-26">26 November 2026</time>' in page
    assert "When do you &lt;b&gt;open&lt;/b&gt;?" in page and "<b>open" not in page
    assert "Last reviewed" not in source_page(Entry("x", "Q?", "A."), "Shop")


def test_every_part_of_a_source_page_is_in_a_landmark():
    page = source_page(Entry("hours", "When?", "At nine.", url="https://shop.example/hours"), "Shop")
    assert '<html lang="en">' in page
    body = page.split("<body>")[1]
    assert body.startswith("<main>") and "</main><footer>" in body and body.endswith("</footer></body></html>")
    missing = not_found_page("nope", "Shop").split("<body>")[1]
    assert missing.startswith("<main><h1>No such FAQ entry</h1>") and "</main><footer>" in missing
