"""The rows of an Excel workbook's first sheet, read with the standard library.

An .xlsx file is a ZIP of XML parts; an FAQ sheet needs only cell text, so reading the parts
directly avoids a spreadsheet dependency. Formulas give their cached values; formatting,
other sheets and merged cells are ignored.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from xml.etree import ElementTree

from bot.importers.pairs import ImportFailure

# A workbook is compressed XML; refuse one that would unpack to far more than any FAQ needs.
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_DOC_RELS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


def read_xlsx_rows(data: bytes, name: str) -> list[tuple[int, list[str]]]:
    """(row number, cell texts) for each row of the first sheet."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
            if unpacked > MAX_UNPACKED_BYTES:
                raise ImportFailure(f"{name}: the workbook unpacks to {unpacked // 2**20} MB; that is not an FAQ")
            shared = _shared_strings(archive)
            sheet = ElementTree.fromstring(archive.read(_first_sheet_path(archive)))
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError) as exc:
        raise ImportFailure(f"{name}: not a readable Excel workbook ({exc})") from None
    rows = []
    for position, row in enumerate(sheet.iter(f"{_MAIN}row"), start=1):
        number = int(row.get("r", position))
        cells: dict[int, str] = {}
        for column, cell in enumerate(row.iter(f"{_MAIN}c")):
            reference = cell.get("r")
            if reference:
                column = _column_index(reference)
            cells[column] = _cell_text(cell, shared)
        if cells:
            rows.append((number, [cells.get(i, "") for i in range(max(cells) + 1)]))
    return rows


def _first_sheet_path(archive: zipfile.ZipFile) -> str:
    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    sheet = workbook.find(f"{_MAIN}sheets/{_MAIN}sheet")
    if sheet is not None and "xl/_rels/workbook.xml.rels" in archive.namelist():
        relation_id = sheet.get(f"{_DOC_RELS}id")
        relations = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
        for relation in relations.iter(f"{_RELS}Relationship"):
            if relation.get("Id") == relation_id:
                target = relation.get("Target", "")
                return target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
    return "xl/worksheets/sheet1.xml"


def _shared_strings(archive: zipfile.ZipFile) -> list[str]:
    if "xl/sharedStrings.xml" not in archive.namelist():
        return []
    root = ElementTree.fromstring(archive.read("xl/sharedStrings.xml"))
    # A rich-text string is split into runs (<r><t>..</t></r>); its text is all of them.
    return ["".join(t.text or "" for t in item.iter(f"{_MAIN}t")) for item in root.iter(f"{_MAIN}si")]


def _cell_text(cell, shared: list[str]) -> str:
    kind = cell.get("t", "n")
    if kind == "inlineStr":
        return "".join(t.text or "" for t in cell.iter(f"{_MAIN}t"))
    value = cell.find(f"{_MAIN}v")
    text = value.text if value is not None and value.text is not None else ""
    if kind == "s" and text.isdigit():
        index = int(text)
        return shared[index] if index < len(shared) else ""
    if kind == "b":
        return "TRUE" if text == "1" else "FALSE"
    return text


def _column_index(reference: str) -> int:
    letters = re.match(r"[A-Z]+", reference.upper())
    index = 0
    for letter in letters.group(0) if letters else "A":
        index = index * 26 + (ord(letter) - ord("A") + 1)
    return index - 1
