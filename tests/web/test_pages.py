"""The source page a citation links to: the entry, escaped, with its source and review date."""

from __future__ import annotations

from bot.corpus.model import Entry
from bot.web.pages import source_page


def test_the_source_page_shows_when_the_answer_was_last_reviewed():
    entry = Entry("hours", "When do you <b>open</b>?", "At nine.", url="https://shop.example/hours",
                  reviewed="2026-11-26")
    page = source_page(entry, "Shop")
    assert 'Last reviewed: <time datetime="2026-11-26">26 November 2026</time>' in page
    assert "When do you &lt;b&gt;open&lt;/b&gt;?" in page and "<b>open" not in page
    assert "Last reviewed" not in source_page(Entry("x", "Q?", "A."), "Shop")
