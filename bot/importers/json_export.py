"""FAQ pairs from other bots' JSON exports, and from JSONL.

Understood shapes (keys are matched without regard to case):

- a list of objects, or an object holding one under a known key (``qnaDocuments``, ``qnaList``,
  ``Assets.Qnas``, ``qna``, ``faqs``, ``items``, ``entries``, ``data``...);
- each object with a question (``question``, ``q``, or a ``questions`` list whose first item is
  the main question and the rest alternates, as QnA Maker and Azure question answering export),
  an answer (``answer``, ``a``, ``response``), and optionally alternates (``alternates``,
  ``alternateQuestions``...), ``category``/``topic``/``t``, ``url``/``source``, ``id``/``qid``;
  QnABot's ``q`` list and ``a`` text, and QnA Maker's ``metadata`` list of name/value pairs too;
- schema.org FAQPage JSON-LD saved as a .json file;
- JSONL: one such object per line (faqbot's own JSONL corpus format included).
"""

from __future__ import annotations

import json

from bot.importers.pairs import Extraction, ImportFailure, Pair, tidy_answer, tidy_question
from bot.importers.structured_data import pairs_from_jsonld_data

LIST_KEYS = ("qnadocuments", "qnalist", "qnas", "qna", "faqs", "faq", "items", "entries", "data", "questions",
             "knowledgebase", "kb", "records")
QUESTION_FIELDS = ("question", "q", "questions", "query", "title", "name")
ANSWER_KEYS = ("answer", "a", "response", "reply", "text", "body")
ALTERNATE_KEYS = ("alternates", "alternatequestions", "alternativequestions", "alternate_questions",
                  "alternative_questions", "alternatives", "paraphrases", "similarquestions", "also")
CATEGORY_KEYS = ("category", "topic", "t", "section")
URL_KEYS = ("url", "link", "source")
ID_KEYS = ("id", "qid")


def extract_from_json(text: str, name: str) -> Extraction:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportFailure(f"{name}: not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    faq_pairs, faq_skipped = pairs_from_jsonld_data(data)
    if faq_pairs:
        return Extraction(name, "schema.org FAQPage JSON", faq_pairs, skipped=faq_skipped)
    records, path = _find_records(data)
    if records is None:
        raise ImportFailure(f"no question/answer pairs found in {name} (expected a list of objects with a "
                            "question and an answer, or an export holding one)")
    extraction = Extraction(name, f"JSON export ({path})" if path else "JSON list")
    for position, record in enumerate(records, start=1):
        _add_record(record, f"item {position}", extraction)
    return extraction


def extract_from_jsonl(text: str, name: str) -> Extraction:
    extraction = Extraction(name, "JSONL")
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ImportFailure(f"{name}:{number}: not valid JSON ({exc.msg} at column {exc.colno})") from None
        _add_record(record, f"line {number}", extraction)
    return extraction


def _find_records(data, path: str = "") -> tuple[list | None, str]:
    """The list of FAQ records in an export, and the key path it was found under."""
    if isinstance(data, list) and any(isinstance(item, dict) for item in data):
        return data, path
    if isinstance(data, dict):
        lowered = {str(key).lower(): key for key in data}
        for wanted in LIST_KEYS:
            if wanted in lowered:
                key = lowered[wanted]
                found, found_path = _find_records(data[key], f"{path}.{key}" if path else key)
                if found is not None:
                    return found, found_path
        # Azure question answering wraps its list one level down: {"Assets": {"Qnas": [...]}}.
        for key, value in data.items():
            if isinstance(value, dict):
                found, found_path = _find_records(value, f"{path}.{key}" if path else key)
                if found is not None:
                    return found, found_path
    return None, path


def _add_record(record, where: str, extraction: Extraction) -> None:
    if not isinstance(record, dict):
        extraction.skipped.append(f"{where}: not an object")
        return
    fields = {str(key).lower(): value for key, value in record.items()}
    questions = _texts(_first(fields, QUESTION_FIELDS))
    answer_value = _first(fields, ANSWER_KEYS)
    if isinstance(answer_value, dict):  # e.g. {"acceptedAnswer": {"text": ...}} style nesting
        answer_value = _first({str(k).lower(): v for k, v in answer_value.items()}, ANSWER_KEYS)
    answer = tidy_answer(answer_value) if isinstance(answer_value, (str, int, float)) else ""
    if not questions:
        extraction.skipped.append(f"{where}: no question")
        return
    if not answer:
        extraction.skipped.append(f"{where}: {questions[0]!r} has no answer")
        return
    alternates = questions[1:] + _texts(_first(fields, ALTERNATE_KEYS), split_bars=True)
    source = _first(fields, URL_KEYS)
    category = _first(fields, CATEGORY_KEYS)
    record_id = _first(fields, ID_KEYS)
    extraction.pairs.append(Pair(
        questions[0], answer, alternates=alternates,
        url=source.strip() if isinstance(source, str) and source.lower().startswith(("http://", "https://")) else "",
        category=tidy_question(category) if isinstance(category, str) else _category_in_metadata(fields.get("metadata")),
        # Numeric ids (QnA Maker's 1, 2, 3...) mean nothing outside their knowledge base.
        id=record_id if isinstance(record_id, str) and not record_id.isdigit() else "",
        where=where,
    ))


def _first(fields: dict, keys: tuple[str, ...]):
    for key in keys:
        if fields.get(key) not in (None, "", []):
            return fields[key]
    return None


def _texts(value, split_bars: bool = False) -> list[str]:
    """Question texts from a string or a list of strings (or of {"question": ...} objects)."""
    items = value if isinstance(value, list) else [value] if value is not None else []
    texts = []
    for item in items:
        if isinstance(item, dict):
            item = _first({str(k).lower(): v for k, v in item.items()}, QUESTION_FIELDS + ("value",))
        if isinstance(item, str):
            parts = item.split("|") if split_bars else [item]
            texts.extend(tidy_question(part) for part in parts if tidy_question(part))
    return texts


def _category_in_metadata(metadata) -> str:
    # QnA Maker: [{"name": "category", "value": "billing"}]; Azure: {"category": "billing"}.
    if isinstance(metadata, dict):
        for key, value in metadata.items():
            if str(key).lower() in ("category", "topic") and isinstance(value, str):
                return tidy_question(value)
    if isinstance(metadata, list):
        for item in metadata:
            if isinstance(item, dict) and str(item.get("name", "")).lower() in ("category", "topic"):
                return tidy_question(item.get("value", ""))
    return ""
