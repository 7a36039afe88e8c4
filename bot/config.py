"""Settings in one place: defaults, then a TOML file, then FAQBOT_* environment variables,
then command-line flags (each later source wins). Every value is checked when the settings are
loaded, and an error names the variable, file key or flag at fault.

The config file is the first that exists of: $FAQBOT_CONFIG, ./faqbot.toml, then faqbot.toml at
the top of a checkout (or, for an installed package, in the user's config folder).
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from bot import paths
from bot.corpus.readers import DUPLICATE_QUESTION_POLICIES
from bot.errors import UserError
from bot.retrievers import RETRIEVERS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

PACKAGED_MODEL = "packaged:all-MiniLM-L6-v2"
QUERY_ENCODERS = ("auto", "torch")
# FAQBOT_* variables read by something other than a setting.
OTHER_VARIABLES = {"FAQBOT_CONFIG", "FAQBOT_TORCH_INDEX", "FAQBOT_STACKFAQ"}
_ORIGIN = re.compile(r"^\*$|^https?://[^/\s]+$")


class ConfigError(UserError):
    """A setting could not be read; the message says where and why."""

    prefix = "Configuration error: "


def _is_network(text: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_network(text, strict=False)
        return True
    except ValueError:
        return False


def _check(test: Callable[[Any], bool], expected: str) -> dict:
    """Field metadata: a check a value must pass, and how to describe a valid one."""
    return {"check": test, "expected": expected}


def _one_of(*choices: str) -> dict:
    return _check(lambda v: v in choices, "one of " + ", ".join(choices))


@dataclass
class Settings:
    # What to answer from: a corpus file or a folder of them (.md, .jsonl, .csv). Default: the
    # project's own FAQ (corpus/ in a checkout, shipped inside the installed package).
    corpus: Path = field(default_factory=paths.default_corpus)
    # Where runtime data goes: index/ (one folder per corpus, plus the exported models shared by
    # all of them) and data/ (one folder per corpus: visitors' feedback). Default: the checkout
    # itself, or the user's data folder (~/.local/share/faqbot) for an installed package.
    home: Path = field(default_factory=paths.default_home)
    # This corpus's index folder; empty means <home>/index/<corpus name and path hash>.
    index_dir: Path | None = None
    # This corpus's data folder (feedback); empty means <home>/data/<corpus name and path hash>.
    data_dir: Path | None = None
    # A local sentence-transformers folder, or the model shipped as a Python package.
    model: str = PACKAGED_MODEL
    # How many sources an answer may cite and how many suggestions it offers.
    top_k: int = field(default=3, metadata=_check(lambda v: 1 <= v <= 20, "a whole number from 1 to 20"))
    # Unset (the default, or "auto"): each corpus gets its own answer/decline decision with no
    # labels (bot/decision: the index build measures how the corpus scores questions, and a small
    # model fitted on other FAQs judges every question against that). Set: answer exactly when
    # the best score (a blend of cosine similarities) reaches this value; `faqbot calibrate`
    # sets it from labeled questions.
    answer_threshold: float | None = field(default=None, metadata=_check(lambda v: v is None or -1 <= v <= 2,
                                                                         'a number from -1 to 2, or "auto"'))
    # With answer_threshold unset: the confidence (the decision model's probability that the FAQ
    # answers the question) an answer needs; unset, the value fitted with the model (0.6). Raise it
    # to decline more questions the FAQ only nearly covers, at the cost of declining some it does
    # cover (benchmarks/decision.py measures both).
    min_confidence: float | None = field(default=None, metadata=_check(lambda v: v is None or 0 < v < 1,
                                                                       'a number between 0 and 1, or "auto"'))
    # Steepness of the score -> confidence curve around a set answer_threshold.
    confidence_slope: float = field(default=20.0, metadata=_check(lambda v: 0 < v <= 1000, "a number above 0"))
    # A second entry is cited too when it would be answered alone and scores this close to the best.
    second_answer_margin: float = field(default=0.03, metadata=_check(lambda v: 0 <= v <= 1, "a number from 0 to 1"))
    # Weight of the question views (question, alternates) against the question+answer views.
    # 0.5 was best on both tuning sets (StackFAQ rephrase group 0, the default corpus's
    # calibration half); see benchmarks/retrieval.py.
    question_weight: float = field(default=0.5, metadata=_check(lambda v: 0 <= v <= 1, "a number from 0 to 1"))
    # How entries are ranked: "hybrid" (dense views plus a bonus for the product/organisation
    # names an entry shares with the question), "dense" (embeddings only) or "bm25" (words only,
    # for comparison; its scores are not on the scale answer_threshold is set for).
    retriever: str = field(default="hybrid", metadata=_one_of(*RETRIEVERS))
    # Weight of the name-coverage bonus (0..1 per entry) added to the dense score in "hybrid".
    lexical_weight: float = field(default=0.04, metadata=_check(lambda v: 0 <= v <= 1, "a number from 0 to 1"))
    # "allow" lets several entries ask the same question (e.g. one entry per answer of a thread,
    # as in StackFAQ's pairs); the default "error" reports it as a corpus problem.
    duplicate_questions: str = field(default="error", metadata=_one_of(*DUPLICATE_QUESTION_POLICIES))
    # How questions are embedded: "auto" uses the ONNX export of the model (verified against torch,
    # about 3x faster, no torch import), "torch" always uses sentence-transformers.
    query_encoder: str = field(default="auto", metadata=_one_of(*QUERY_ENCODERS))
    # Recent answers kept in memory; repeated questions are answered from here. 0 turns it off.
    answer_cache_size: int = field(default=256, metadata=_check(lambda v: v >= 0, "0 or more"))
    # From this many searchable views on, search uses an approximate inverted-file (IVF) index
    # instead of exact flat search, probing this many of its lists per question (more: higher
    # recall, slower). Recall against exact search is measured in benchmarks/speed.py.
    ann_min_views: int = field(default=20_000, metadata=_check(lambda v: v >= 1, "1 or more"))
    ivf_nprobe: int = field(default=16, metadata=_check(lambda v: v >= 1, "1 or more"))
    # Long answers are split into passages of about this many words for embedding.
    passage_words: int = field(default=120, metadata=_check(lambda v: 10 <= v <= 10_000, "from 10 to 10000"))
    # Longer questions are refused politely rather than silently cut.
    max_question_chars: int = field(default=1000, metadata=_check(lambda v: 1 <= v <= 100_000, "from 1 to 100000"))
    # Address and port `faqbot serve` listens on.
    host: str = field(default="127.0.0.1", metadata=_check(lambda v: bool(v.strip()), "an address"))
    port: int = field(default=7860, metadata=_check(lambda v: 0 <= v <= 65535, "a port from 0 to 65535"))
    # How often (seconds) a running server looks for a rebuilt index or changed settings; 0 turns it off.
    reload_interval: float = field(default=2.0, metadata=_check(lambda v: v >= 0, "0 or more seconds"))
    # Also rebuild the index (incrementally) when a corpus file changes, at the same interval: the
    # owner saves an edit and the running bot answers from it. A malformed edit is reported (log,
    # /api/health) while the last good build keeps answering. `faqbot serve --watch` sets it.
    watch_corpus: bool = False
    # The bot's name in the chat page, the widget and source pages.
    site_title: str = field(default="FAQ assistant", metadata=_check(lambda v: bool(v.strip()), "a name"))
    # Web origins (scheme://host:port) allowed to frame the chat and call the API, besides the
    # server's own origin and localhost. "*" allows any site.
    allowed_origins: list[str] = field(default_factory=list, metadata=_check(
        lambda v: all(_ORIGIN.match(o) for o in v), 'origins like https://www.example.org, or "*"'))
    # Requests per minute one client may make to /api/ask and the chat before getting 429. 0: no limit.
    rate_limit_per_minute: int = field(default=60, metadata=_check(lambda v: v >= 0, "0 or more"))
    # Larger request bodies are refused with 413.
    max_request_bytes: int = field(default=16384, metadata=_check(lambda v: v >= 1024, "1024 or more"))
    # Reverse proxies (addresses or networks, e.g. 127.0.0.1 or 10.0.0.0/8) whose X-Forwarded-For
    # header names the real client, for the rate limit. Empty: the header is ignored (anyone could forge it).
    trusted_proxies: list[str] = field(default_factory=list, metadata=_check(
        lambda v: all(_is_network(n) for n in v), "IP addresses or networks like 10.0.0.0/8"))
    # Open connections the server accepts at once; beyond it new requests get 503.
    max_connections: int = field(default=1000, metadata=_check(lambda v: v >= 1, "1 or more"))
    # Seconds a client has to send a request's head after connecting (or after the last response);
    # slower connections are closed, so idle sockets cannot pile up.
    header_timeout: float = field(default=10.0, metadata=_check(lambda v: 0 < v <= 3600, "a number of seconds above 0"))
    # Worker processes `faqbot serve` runs, all on one port (the kernel spreads connections
    # among them); 0 means one per CPU core.
    workers: int = field(default=1, metadata=_check(lambda v: 0 <= v <= 256, "a whole number from 0 to 256"))
    # Empty: feedback in SQLite in data_dir. postgresql://user:password@host:port/db: in that
    # PostgreSQL database, shared by every replica (schema created and migrated by the program).
    database_url: str = field(default="", metadata=_check(
        lambda v: v == "" or v.startswith(("postgresql://", "postgres://")), "empty or a postgresql://... URL"))
    # Empty: rate limits per process. redis://host:port/db: counted in Redis, shared by every replica.
    redis_url: str = field(default="", metadata=_check(
        lambda v: v == "" or v.startswith(("redis://", "rediss://", "unix://")), "empty or a redis://... URL"))
    # Which file the settings came from, and what looked wrong but was not fatal; not settings.
    config_file: Path | None = field(default=None, compare=False)
    warnings: list[str] = field(default_factory=list, compare=False)

    @property
    def corpus_key(self) -> str:
        return paths.corpus_key(self.corpus)

    @property
    def index_path(self) -> Path:
        """The index folder for this corpus: explicit, or derived from the corpus path so that
        two corpora never overwrite each other's index."""
        if self.index_dir is not None:
            return Path(self.index_dir)
        return Path(self.home) / "index" / self.corpus_key

    @property
    def data_path(self) -> Path:
        """Where this corpus's runtime data (feedback) is kept."""
        if self.data_dir is not None:
            return Path(self.data_dir)
        return Path(self.home) / "data" / self.corpus_key

    @property
    def exports_path(self) -> Path:
        """Where models exported for fast queries are kept: one per model, shared by every index."""
        return Path(self.home) / "index" / "encoders"

    def replace(self, **changes) -> "Settings":
        """A copy with ``changes`` (None values ignored), checked like the command line's flags."""
        changes = {k: v for k, v in changes.items() if v is not None}
        values = _coerce_all(changes, lambda name: f"option --{name.replace('_', '-')}")
        return dataclasses.replace(self, **values)


SETTINGS = {f.name: f for f in dataclasses.fields(Settings) if f.name not in ("config_file", "warnings")}


def env_name(setting: str) -> str:
    return f"FAQBOT_{setting.upper()}"


def _coerce(name: str, value, where: str):
    setting = SETTINGS[name]
    kind = str(setting.type)
    try:
        if "Path" in kind:
            if value in ("", None):
                if "None" not in kind:
                    raise ValueError
                return None
            if not isinstance(value, (str, Path)):
                raise ValueError
            result = Path(os.path.expanduser(str(value)))
        elif "list" in kind:
            items = value.split(",") if isinstance(value, str) else value
            if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
                raise ValueError
            result = [i.strip().rstrip("/") for i in items if i.strip()]
        elif kind == "int":
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError
            result = int(str(value).strip()) if isinstance(value, str) else int(value)
        elif kind == "bool":
            words = {"true": True, "yes": True, "on": True, "1": True, "false": False, "no": False, "off": False, "0": False}
            if isinstance(value, bool):
                result = value
            elif isinstance(value, str) and value.strip().lower() in words:
                result = words[value.strip().lower()]
            else:
                raise ValueError
        elif "float" in kind:
            if "None" in kind and (value is None or (isinstance(value, str) and value.strip() in ("", "auto"))):
                return None
            if isinstance(value, bool):
                raise ValueError
            result = float(value)
            if not math.isfinite(result):
                raise ValueError
        else:
            if not isinstance(value, str):
                raise ValueError
            result = value
    except (TypeError, ValueError):
        expected = setting.metadata.get("expected") or {"int": "a whole number", "float": "a number",
                                                         "bool": "true or false"}.get(
            kind, "a path" if "Path" in kind else "a list of text" if "list" in kind else "text")
        raise ConfigError(f"{where} is {value!r}; expected {expected}") from None
    check = setting.metadata.get("check")
    if check is not None and not check(result):
        raise ConfigError(f"{where} is {value!r}; expected {setting.metadata['expected']}")
    return result


def _coerce_all(values: dict, where: Callable[[str], str]) -> dict:
    out = {}
    for name, value in values.items():
        if name not in SETTINGS:
            raise ConfigError(f"{where(name)}: unknown setting '{name}' (known: {', '.join(sorted(SETTINGS))})")
        out[name] = _coerce(name, value, where(name))
    return out


def find_config_file() -> Path | None:
    explicit = os.environ.get("FAQBOT_CONFIG")
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise ConfigError(f"FAQBOT_CONFIG points to {path}, which does not exist")
        return path
    for candidate in paths.config_candidates(Path.cwd()):
        if candidate.is_file():
            return candidate
    return None


def _read_config_file(config_file: Path) -> dict:
    try:
        data = tomllib.loads(config_file.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{config_file}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{config_file}: cannot be read: {exc.strerror}") from None
    data = data.get("faqbot", data)  # allow either a [faqbot] table or top-level keys
    if not isinstance(data, dict):
        raise ConfigError(f"{config_file}: [faqbot] must be a table of settings")
    values = _coerce_all(data, lambda name: f"{config_file}: key '{name}'")
    # Relative paths in the file are relative to the file, not to wherever we run from.
    for key in ("corpus", "home", "index_dir", "data_dir"):
        if values.get(key) is not None and not values[key].is_absolute():
            values[key] = (config_file.parent / values[key]).resolve()
    return values


def load_settings(**overrides) -> Settings:
    """Defaults < config file < FAQBOT_* environment < keyword overrides (None means unset).

    Raises ConfigError naming the file key, variable or option whose value is wrong. Unknown
    FAQBOT_* variables (likely typos) are listed in ``Settings.warnings``.
    """
    config_file = find_config_file()
    values = _read_config_file(config_file) if config_file is not None else {}
    warnings = []
    for variable, value in sorted(os.environ.items()):
        if not variable.startswith("FAQBOT_") or variable in OTHER_VARIABLES:
            continue
        name = variable[len("FAQBOT_"):].lower()
        if name in SETTINGS:
            values[name] = _coerce(name, value, f"environment variable {variable}")
        else:
            import difflib

            close = difflib.get_close_matches(name, SETTINGS, n=1, cutoff=0.6)
            hint = f"did you mean {env_name(close[0])}?" if close else "`faqbot info` and the README list the settings"
            warnings.append(f"environment variable {variable} is not a setting and was ignored ({hint})")
    settings = Settings(**values, config_file=config_file, warnings=warnings)
    return settings.replace(**overrides)


def write_threshold(config_path: Path, threshold: float, note: str) -> None:
    """Set ``answer_threshold`` in the TOML file at ``config_path`` (created if missing),
    keeping its other settings and comments. ``note`` becomes the line's comment."""
    import tomlkit

    config_path = Path(config_path)
    config_path.parent.mkdir(parents=True, exist_ok=True)
    document = tomlkit.parse(config_path.read_text(encoding="utf-8")) if config_path.is_file() else tomlkit.document()
    # Settings may live at the top level or in a [faqbot] table (see load_settings); keep to
    # whichever the file already uses.
    table = document["faqbot"] if "faqbot" in document and hasattr(document["faqbot"], "keys") else document
    item = tomlkit.item(float(threshold))
    item.comment(note)
    table["answer_threshold"] = item
    tmp = config_path.with_name(f".{config_path.name}.tmp")
    tmp.write_text(tomlkit.dumps(document), encoding="utf-8")
    tmp.replace(config_path)
