"""Web addresses: where a page lives, the URL of each of its entries, and which links in an
answer leave the page or are relative."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlparse

from bs4 import BeautifulSoup, Tag

from bot.importers.html_text import MARKDOWN_LINK


def canonical_url(soup: BeautifulSoup) -> str:
    """Where a saved page lives on the web, as the page itself says (<link rel=canonical>, og:url)."""
    link = soup.find("link", rel=lambda r: r and "canonical" in (r if isinstance(r, list) else r.split()))
    if link is not None and is_web_url(link.get("href", "")):
        return link["href"].strip()
    meta = soup.find("meta", property="og:url")
    if meta is not None and is_web_url(meta.get("content", "")):
        return meta["content"].strip()
    return ""


def is_web_url(value: str) -> bool:
    return urlparse(value.strip()).scheme in ("http", "https")


def anchored(base_url: str, *tags: Tag) -> str:
    """The page URL, pointing at the entry's own anchor when the page gives it one."""
    if not base_url:
        return ""
    for tag in tags:
        if tag is not None and tag.get("id"):
            return urljoin(base_url, "#" + str(tag["id"]))
    return base_url


def is_other_page(href: str, base_url: str) -> bool:
    if href.startswith("#"):
        return False
    if not base_url:
        return True
    target, here = urlparse(urljoin(base_url, href)), urlparse(base_url)
    return (target.netloc, target.path) != (here.netloc, here.path)


def has_relative_link(answer: str) -> bool:
    return any(not re.match(r"[a-z][a-z0-9+.-]*:", href, re.IGNORECASE) for _, href in MARKDOWN_LINK.findall(answer))
