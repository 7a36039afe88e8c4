"""The rows of an Excel workbook's first sheet, read with openpyxl.

Read-only and values-only: formulas give their cached values; formatting, other sheets and
merged cells are ignored, which is all an FAQ sheet needs.
"""

from __future__ import annotations

import io
import zipfile

from bot.importers.pairs import ImportFailure

# A workbook is compressed XML; refuse one that would unpack to far more than any FAQ needs.
MAX_UNPACKED_BYTES = 200 * 1024 * 1024


def read_xlsx_rows(data: bytes, name: str) -> list[tuple[int, list[str]]]:
    """(row number, cell texts) for each non-empty row of the first sheet."""
    import openpyxl

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
        if unpacked > MAX_UNPACKED_BYTES:
            raise ImportFailure(f"{name}: the workbook unpacks to {unpacked // 2**20} MB; that is not an FAQ")
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except ImportFailure:
        raise
    except Exception as exc:  # openpyxl raises many types for a damaged or non-Excel file
        raise ImportFailure(f"{name}: not a readable Excel workbook ({type(exc).__name__}: {exc})") from None
    try:
        sheet = workbook.worksheets[0]
        rows = []
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = ["" if value is None else _text(value) for value in row]
            while cells and not cells[-1]:
                cells.pop()
            if cells:
                rows.append((number, cells))
        return rows
    finally:
        workbook.close()


def _text(value) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
