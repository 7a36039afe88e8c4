"""Remove what is never part of a page's FAQ before its visible structures are read: scripts,
navigation, sidebars, the page's header and footer, and cookie banners."""

from __future__ import annotations

import re

from bs4 import BeautifulSoup

from bot.importers.html_text import NOISE_TAGS

NOISE_ROLES = {"navigation", "banner", "contentinfo", "complementary", "search"}
_COOKIE_BANNER = re.compile(r"cookie|consent|gdpr|onetrust|cookiebot|cc-window", re.IGNORECASE)
# A cookie banner is short; a long element matching the pattern is a page wrapper with a
# "cookies-accepted" class, not a banner.
_BANNER_MAX_CHARS = 3000


def remove_noise(soup: BeautifulSoup) -> None:
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
