"""Settings in one place: defaults, then a TOML file, then FAQBOT_* environment variables,
then command-line flags (each later source wins).

The config file is the first that exists of: $FAQBOT_CONFIG, ./faqbot.toml, <project>/faqbot.toml.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = PROJECT_ROOT / "corpus"
DEFAULT_INDEX_ROOT = PROJECT_ROOT / "index"
PACKAGED_MODEL = "packaged:all-MiniLM-L6-v2"


class ConfigError(Exception):
    """A setting could not be read; the message says where and why."""


@dataclass
class Settings:
    # What to answer from: a corpus file or a folder of them (.md, .jsonl, .csv).
    corpus: Path = DEFAULT_CORPUS
    # Where the built index lives; empty means index/<name of the corpus>.
    index_dir: Path | None = None
    # A local sentence-transformers folder, or the model shipped as a Python package.
    model: str = PACKAGED_MODEL
    # How many sources an answer may cite and how many suggestions it offers.
    top_k: int = 3
    # Score (a blend of cosine similarities) at which confidence is 0.5: below it the bot says
    # the FAQ does not cover the question. `faqbot calibrate` on the calibration half of the
    # labeled default-corpus questions (benchmarks/data/default-calibration.jsonl), maximising
    # F1 of answering, put it at 0.6002 (the middle of the gap 0.580..0.621 between scores).
    answer_threshold: float = 0.60
    # Steepness of the score -> confidence curve around the threshold.
    confidence_slope: float = 20.0
    # A second entry is cited too when it also passes the threshold and scores this close to the best.
    second_answer_margin: float = 0.03
    # Weight of the question views (question, alternates) against the question+answer views.
    # 0.5 was best on both tuning sets (StackFAQ rephrase group 0, the default corpus's
    # calibration half); see benchmarks/retrieval.py.
    question_weight: float = 0.5
    # How entries are ranked: "hybrid" (dense views plus a bonus for the product/organisation
    # names an entry shares with the question), "dense" (embeddings only) or "bm25" (words only,
    # for comparison; its scores are not on the scale answer_threshold is set for).
    retriever: str = "hybrid"
    # Weight of the name-coverage bonus (0..1 per entry) added to the dense score in "hybrid".
    lexical_weight: float = 0.04
    # "allow" lets several entries ask the same question (e.g. one entry per answer of a thread,
    # as in StackFAQ's pairs); the default "error" reports it as a corpus problem.
    duplicate_questions: str = "error"
    # How questions are embedded: "auto" uses the ONNX export of the model (verified against torch,
    # about 3x faster, no torch import), "torch" always uses sentence-transformers.
    query_encoder: str = "auto"
    # Recent answers kept in memory; repeated questions are answered from here. 0 turns it off.
    answer_cache_size: int = 256
    # From this many searchable views on, search uses an approximate inverted-file (IVF) index
    # instead of exact flat search, probing this many of its lists per question (more: higher
    # recall, slower). Recall against exact search is measured in benchmarks/speed.py.
    ann_min_views: int = 20_000
    ivf_nprobe: int = 16
    # Long answers are split into passages of about this many words for embedding.
    passage_words: int = 120
    # Longer questions are refused politely rather than silently cut.
    max_question_chars: int = 1000
    host: str = "127.0.0.1"
    port: int = 7860
    # How often (seconds) a running server looks for a rebuilt index to swap in; 0 turns it off.
    reload_interval: float = 2.0
    # The bot's name in the chat page, the widget and source pages.
    site_title: str = "FAQ assistant"
    # Web origins (scheme://host:port) allowed to frame the chat and call the API, besides the
    # server's own origin and localhost. "*" allows any site.
    allowed_origins: list[str] = field(default_factory=list)
    # Requests per minute one client may make to /api/ask and the chat before getting 429.
    rate_limit_per_minute: int = 60
    # Larger request bodies are refused with 413.
    max_request_bytes: int = 16384
    # Where runtime data (feedback, logs of unanswered questions) is written.
    data_dir: Path = PROJECT_ROOT / "data"
    # Which file the settings came from, for messages; not a setting itself.
    config_file: Path | None = field(default=None, compare=False)

    @property
    def index_path(self) -> Path:
        """The index folder for this corpus: explicit, or derived from the corpus path so that
        two corpora never overwrite each other's index."""
        if self.index_dir is not None:
            return Path(self.index_dir)
        corpus = Path(self.corpus).resolve()
        if corpus == DEFAULT_CORPUS.resolve():
            return DEFAULT_INDEX_ROOT / "default"
        tag = hashlib.sha256(str(corpus).encode()).hexdigest()[:8]
        return DEFAULT_INDEX_ROOT / f"{corpus.stem}-{tag}"

    def replace(self, **changes) -> "Settings":
        changes = {k: v for k, v in changes.items() if v is not None}
        return dataclasses.replace(self, **_coerce_all(changes, "command line"))


_FIELDS = {f.name: f for f in dataclasses.fields(Settings) if f.name != "config_file"}


def _coerce(name: str, value, where: str):
    kind = _FIELDS[name].type
    try:
        if "Path" in str(kind):
            return None if value in ("", None) else Path(os.path.expanduser(str(value)))
        if "list" in str(kind):
            items = value.split(",") if isinstance(value, str) else value
            if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
                raise ValueError
            return [i.strip() for i in items if i.strip()]
        if kind in ("int", int):
            if isinstance(value, bool):
                raise ValueError
            return int(value)
        if kind in ("float", float):
            if isinstance(value, bool):
                raise ValueError
            return float(value)
        return str(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: setting '{name}' has an invalid value {value!r} (expected {kind})") from None


def _coerce_all(values: dict, where: str) -> dict:
    out = {}
    for name, value in values.items():
        if name not in _FIELDS:
            known = ", ".join(sorted(_FIELDS))
            raise ConfigError(f"{where}: unknown setting '{name}' (known: {known})")
        out[name] = _coerce(name, value, where)
    return out


def find_config_file() -> Path | None:
    explicit = os.environ.get("FAQBOT_CONFIG")
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(f"FAQBOT_CONFIG points to {path}, which does not exist")
        return path
    for candidate in (Path.cwd() / "faqbot.toml", PROJECT_ROOT / "faqbot.toml"):
        if candidate.is_file():
            return candidate
    return None


def load_settings(**overrides) -> Settings:
    """Defaults < config file < FAQBOT_* environment < keyword overrides (None means unset)."""
    values: dict = {}
    config_file = find_config_file()
    if config_file is not None:
        try:
            data = tomllib.loads(config_file.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{config_file}: not valid TOML: {exc}") from None
        data = data.get("faqbot", data)  # allow either a [faqbot] table or top-level keys
        values.update(_coerce_all(data, str(config_file)))
        # Relative paths in the file are relative to the file, not to wherever we run from.
        for key in ("corpus", "index_dir", "data_dir"):
            if values.get(key) is not None and not values[key].is_absolute():
                values[key] = (config_file.parent / values[key]).resolve()
    for name in _FIELDS:
        env = os.environ.get(f"FAQBOT_{name.upper()}")
        if env is not None:
            values[name] = _coerce(name, env, f"environment variable FAQBOT_{name.upper()}")
    settings = Settings(**values, config_file=config_file)
    return settings.replace(**overrides)
