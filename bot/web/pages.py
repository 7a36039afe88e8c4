"""Plain HTML pages the server renders itself: one FAQ entry (what citations link to) and a
not-found page. Every corpus text is escaped; the pages load nothing from anywhere."""

from __future__ import annotations

from datetime import date
from html import escape

from bot.corpus.model import Entry

PAGE_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; max-width: 46rem;
       margin: 2rem auto; padding: 0 1rem; line-height: 1.55; color: #1f2937; }
h1 { font-size: 1.6rem; line-height: 1.25; }
.category { color: #6b7280; font-size: .9rem; text-transform: uppercase; letter-spacing: .04em; }
.also { color: #4b5563; font-size: .95rem; }
.also li { margin: .15rem 0; }
footer { margin-top: 2rem; padding-top: 1rem; border-top: 1px solid #e5e7eb; font-size: .9rem; }
a { color: #1d4ed8; }
"""


def _page(title: str, body: str) -> str:
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)}</title><style>{PAGE_STYLE}</style></head><body>{body}</body></html>")


def source_page(entry: Entry, site_title: str) -> str:
    paragraphs = "".join(f"<p>{escape(' '.join(p.split()))}</p>" for p in entry.answer.split("\n\n") if p.strip())
    also = ""
    if entry.alternates:
        items = "".join(f"<li>{escape(a)}</li>" for a in entry.alternates)
        also = f'<div class="also">Also asked as:<ul>{items}</ul></div>'
    original = ""
    if entry.url.startswith(("http://", "https://")):
        original = f'Original source: <a href="{escape(entry.url)}" rel="noopener noreferrer">{escape(entry.url)}</a><br>'
    reviewed = ""
    if entry.reviewed:
        day = date.fromisoformat(entry.reviewed)
        reviewed = f'Last reviewed: <time datetime="{day.isoformat()}">{day.day} {day:%B %Y}</time><br>'
    # Everything in landmarks: the entry is the page's <main>, its provenance the <footer>.
    body = (f'<main><p class="category">{escape(entry.category)}</p><h1>{escape(entry.question)}</h1>'
            f"{paragraphs}{also}</main><footer>{original}{reviewed}FAQ entry <code>{escape(entry.id)}</code> · "
            f'<a href="/">Ask {escape(site_title)} another question</a></footer>')
    return _page(f"{entry.question} | {site_title}", body)


def not_found_page(entry_id: str, site_title: str) -> str:
    body = (f"<main><h1>No such FAQ entry</h1><p>There is no entry with the id <code>{escape(entry_id)}</code>. "
            f"It may have been removed or renamed.</p></main>"
            f'<footer><a href="/">Ask {escape(site_title)} a question</a></footer>')
    return _page(f"Not found | {site_title}", body)
