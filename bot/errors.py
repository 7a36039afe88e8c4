"""The one base class of every error a user can act on.

Library code raises these with a message written for the person running the bot; the command
line maps them to exit codes in one place (bot/cli/__init__.py) and never shows a traceback for
them. Anything else that escapes is a bug.
"""

from __future__ import annotations


class UserError(Exception):
    """Something the user can fix: a setting, a file, a question. ``exit_code`` is what the
    command line exits with (2: the input was wrong; 1: the request was fine but could not be met)."""

    exit_code = 2
    # How the command line introduces the message ("" prints it as it is).
    prefix = "Error: "
