"""Where things live, for the two ways the bot runs.

- From a checkout of the project (``./run``, or an editable install): the default corpus is the
  checkout's ``corpus/``, and runtime data goes beside it, in ``index/`` and ``data/``.
- Installed as a package (``pip install faqbot``): the default corpus ships inside the package
  (read-only), and runtime data goes to the user's data folder (``~/.local/share/faqbot`` on
  Linux, from platformdirs). Nothing is ever written into the installed package.

Either way the ``home`` setting (``FAQBOT_HOME``) moves all runtime data elsewhere.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

APP_NAME = "faqbot"
PACKAGE_DIR = Path(__file__).resolve().parent


def checkout_root() -> Path | None:
    """The project checkout this code runs from, or None when it runs as an installed package."""
    root = PACKAGE_DIR.parent
    if (root / "pyproject.toml").is_file() and (root / "corpus").is_dir():
        return root
    return None


def default_corpus() -> Path:
    """The FAQ the bot answers from when no corpus is configured."""
    root = checkout_root()
    if root is not None:
        return root / "corpus"
    # Installed: the wheel carries the corpus as the data package bot.default_corpus.
    return PACKAGE_DIR / "default_corpus"


def is_packaged_corpus(path: Path) -> bool:
    """Whether ``path`` is the default corpus shipped inside an installed package (read-only)."""
    return checkout_root() is None and Path(path).resolve() == default_corpus().resolve()


def default_home() -> Path:
    """Where runtime data (indexes, exported models, feedback) goes by default."""
    root = checkout_root()
    if root is not None:
        return root
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False)


def config_candidates(cwd: Path) -> list[Path]:
    """Config files looked for, in order, when FAQBOT_CONFIG is not set."""
    root = checkout_root()
    if root is not None:
        beside = root / "faqbot.toml"
    else:
        from platformdirs import user_config_path

        beside = user_config_path(APP_NAME, appauthor=False) / "faqbot.toml"
    return list(dict.fromkeys([cwd / "faqbot.toml", beside]))


def corpus_key(corpus: Path) -> str:
    """A folder name for a corpus's index and data: "default" for the default corpus, else the
    corpus's name and a hash of its full path, so two corpora never share an index or feedback."""
    resolved = Path(corpus).resolve()
    if resolved == default_corpus().resolve():
        return "default"
    tag = hashlib.sha256(str(resolved).encode()).hexdigest()[:8]
    return f"{resolved.stem}-{tag}"
