"""Open one import source (a local file or an http(s) URL), tell what kind of document it is, and
decode its text.

Fetching is the only place where faqbot reaches the network, and only because the owner named a
URL: one GET with a timeout, no retries, nothing else contacted.
"""

from __future__ import annotations

import http.client
import io
import re
import socket
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import urlparse

from bot import __version__
from bot.importers.pairs import ImportFailure

MAX_BYTES = 20 * 1024 * 1024  # far beyond any FAQ; stops a wrong URL from filling memory
USER_AGENT = f"faqbot-import/{__version__}"

# What a document is, from its name or HTTP content type.
SUFFIX_KINDS = {
    ".html": "html", ".htm": "html", ".xhtml": "html", ".shtml": "html",
    ".json": "json", ".jsonld": "json", ".jsonl": "jsonl", ".ndjson": "jsonl",
    ".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".txt": "text",
    ".xlsx": "xlsx", ".md": "markdown", ".markdown": "markdown",
}
CONTENT_TYPE_KINDS = {
    "text/html": "html", "application/xhtml+xml": "html",
    "application/json": "json", "application/ld+json": "json",
    "application/x-ndjson": "jsonl", "application/jsonl": "jsonl",
    "text/csv": "csv", "text/tab-separated-values": "tsv", "text/plain": "text",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "text/markdown": "markdown",
}
# Leading bytes of common binary files, to name them in the error.
_MAGIC = (
    (b"%PDF", "a PDF document; save the FAQ page as HTML (Web Page) and import that"),
    (b"\x89PNG", "a PNG image"), (b"GIF8", "a GIF image"), (b"\xff\xd8\xff", "a JPEG image"),
    (b"\xd0\xcf\x11\xe0", "an old Office document (.xls/.doc); save it as .xlsx or CSV"),
    (b"\x1f\x8b", "a gzip archive"), (b"\x7fELF", "a program"), (b"MZ", "a program"),
)


@dataclass
class Source:
    name: str                # as the user gave it, for messages
    data: bytes
    url: str = ""            # where it was fetched from (after redirects); "" for a local file
    content_type: str = ""   # from the HTTP response, e.g. "text/html"
    charset: str = ""        # from the HTTP response
    suffix: str = ""         # of the file name or URL path, lower case


def is_url(spec: str) -> bool:
    return re.match(r"https?://", spec, re.IGNORECASE) is not None


def open_source(spec: str, timeout: float) -> Source:
    if is_url(spec):
        return _fetch(spec, timeout)
    if re.match(r"[a-z][a-z0-9+.-]*://", spec, re.IGNORECASE):
        raise ImportFailure(f"{spec}: only http:// and https:// addresses (or local files) can be imported")
    path = Path(spec).expanduser()
    if path.is_dir():
        raise ImportFailure(f"{spec} is a folder; name the files to import")
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise ImportFailure(f"{spec}: no such file") from None
    except OSError as exc:
        raise ImportFailure(f"{spec}: cannot be read ({exc.strerror or exc})") from None
    if len(data) > MAX_BYTES:
        raise ImportFailure(f"{spec} is larger than {MAX_BYTES // 2**20} MB; that is not an FAQ")
    return Source(spec, data, suffix=path.suffix.lower())


def _fetch(url: str, timeout: float) -> Source:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, headers={
        "User-Agent": USER_AGENT,
        "Accept": "text/html, application/xhtml+xml, application/json, text/csv, text/plain;q=0.9, */*;q=0.5",
    })
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            data = response.read(MAX_BYTES + 1)
            final_url = response.geturl()
            has_type = response.headers.get("Content-Type")
            content_type = response.headers.get_content_type() if has_type else ""
            charset = response.headers.get_content_charset() or ""
    except urllib.error.HTTPError as exc:
        raise ImportFailure(f"could not fetch {url}: HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        raise ImportFailure(f"could not fetch {url}: {_describe(exc.reason, timeout)}") from None
    except (OSError, http.client.HTTPException) as exc:
        raise ImportFailure(f"could not fetch {url}: {_describe(exc, timeout)}") from None
    except ValueError as exc:  # malformed address, e.g. "http://"
        raise ImportFailure(f"could not fetch {url}: {exc}") from None
    if len(data) > MAX_BYTES:
        raise ImportFailure(f"{url} is larger than {MAX_BYTES // 2**20} MB; that is not an FAQ")
    suffix = PurePosixPath(urlparse(final_url).path).suffix.lower()
    return Source(url, data, url=final_url, content_type=content_type, charset=charset, suffix=suffix)


def _describe(reason, timeout: float) -> str:
    if isinstance(reason, (socket.timeout, TimeoutError)):
        return f"no answer within {timeout:g} s (timed out)"
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused (is the server running?)"
    if isinstance(reason, socket.gaierror):
        return "unknown host name (or no network)"
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror[0].lower() + reason.strerror[1:]
    return str(reason) or type(reason).__name__


def binary_kind(source: Source) -> str | None:
    """A description of the source if it is a binary file rather than text, else None.
    An Excel workbook (.xlsx) is binary but importable: it is reported as None here."""
    data = source.data
    if data.startswith(b"PK\x03\x04"):
        try:
            names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
        except zipfile.BadZipFile:
            return "a damaged ZIP archive"
        if "xl/workbook.xml" in names:
            return None
        if "word/document.xml" in names:
            return "a Word document; save it as HTML (Web Page) and import that"
        return "a ZIP archive"
    for magic, description in _MAGIC:
        if data.startswith(magic):
            return description
    head = data[:8192]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None  # UTF-16 text (Excel's "Unicode Text" export) has NUL bytes but is text
    if b"\x00" in head:
        return "binary data"
    return None


def decode_text(source: Source) -> tuple[str, str]:
    """The source's text, and a note if it was not UTF-8 (empty otherwise)."""
    data = source.data
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), ""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace"), ""
    # The server's charset, then the document's own (<meta charset>, <?xml encoding?>), then UTF-8.
    from bs4.dammit import EncodingDetector

    declared = EncodingDetector.find_declared_encoding(data[:4096], is_html=True)
    encodings = [e for e in (source.charset, declared) if e]
    for encoding in [*encodings, "utf-8"]:
        try:
            text = data.decode(encoding)
            break
        except (UnicodeDecodeError, LookupError):
            continue
    else:
        # Excel on Windows saves "CSV" in the ANSI code page; this decodes nearly every byte.
        text = data.decode("cp1252", errors="replace")
        return _refuse_control_heavy(source, text), "not UTF-8; read as Windows-1252"
    return _refuse_control_heavy(source, text), ""


def _refuse_control_heavy(source: Source, text: str) -> str:
    controls = sum(1 for ch in text[:8192] if ord(ch) < 32 and ch not in "\t\n\r\f")
    if controls > max(8, len(text[:8192]) // 100):
        raise ImportFailure(f"{source.name} is not a text or HTML file (it looks like binary data)")
    return text


def declared_kind(source: Source) -> str | None:
    """What the server or the file name says the document is. A server's content type wins over
    the URL's suffix (pages are often served from "faq.php" or "/faq/"), except "text/plain",
    which servers give to anything they do not know."""
    by_type = CONTENT_TYPE_KINDS.get(source.content_type)
    if source.url and by_type and by_type != "text":
        return by_type
    return SUFFIX_KINDS.get(source.suffix) or by_type


def sniffed_kind(text: str) -> str | None:
    """What the text looks like, for sources whose name says nothing (or says .txt)."""
    start = text.lstrip()[:1000].lower()
    if start.startswith(("<!doctype html", "<html", "<head", "<body", "<!--", "<?xml")) or \
            re.search(r"<(html|body|div|p|h[1-6]|details|dl)[\s>]", start):
        return "html"
    if start.startswith(("{", "[")):
        lines = [line for line in text.splitlines() if line.strip()]
        if len(lines) > 1 and all(line.lstrip().startswith("{") and line.rstrip().endswith("}") for line in lines[:20]):
            return "jsonl"
        return "json"
    first_lines = [line for line in text.splitlines()[:20] if line.strip()]
    if first_lines and sum("\t" in line for line in first_lines) >= max(1, len(first_lines) * 0.8):
        return "tsv"
    return None
