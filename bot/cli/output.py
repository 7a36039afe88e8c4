"""What the command line shares: exit codes, how problems are listed, and how the library's log
messages reach the terminal."""

from __future__ import annotations

import logging
import sys

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


def report_problems(header: str, problems: list) -> int:
    """Print every problem under ``header`` on stderr; the caller wrote nothing. Returns the exit code."""
    print(header, file=sys.stderr)
    for problem in problems:
        print(f"  {problem}", file=sys.stderr)
    print("Nothing was written.", file=sys.stderr)
    return EXIT_USAGE


class _StderrHandler(logging.Handler):
    """Writes to whatever sys.stderr is at the time (tests and `2>` redirections swap it)."""

    def emit(self, record: logging.LogRecord) -> None:
        print(self.format(record), file=sys.stderr, flush=True)


def show_log_messages() -> None:
    """Show the library's messages (index builds, reloads, fallbacks) on stderr, as plain lines."""
    logger = logging.getLogger("faqbot")
    if not any(isinstance(h, _StderrHandler) for h in logger.handlers):
        logger.addHandler(_StderrHandler())
    logger.setLevel(logging.INFO)
    logger.propagate = False
