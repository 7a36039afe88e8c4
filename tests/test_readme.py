"""The README is the user's manual: its command outputs are what the commands print now
(scripts/readme.py), and it documents every setting and command without this machine's paths."""

from __future__ import annotations

import importlib.util
import re

import pytest

from bot.cli import build_parser
from bot.config import SETTINGS, env_name
from tests.support import ROOT

README = ROOT / "README.md"


def readme_script():
    spec = importlib.util.spec_from_file_location("readme_script", ROOT / "scripts" / "readme.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def section(text: str, heading: str) -> str:
    """The text under a "## heading", up to the next heading of that level."""
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    assert match, f"no '## {heading}' section in README.md"
    return match.group(1)


def commands(parser, prefix: str = "faqbot") -> list[str]:
    """Every command and sub-action: 'faqbot ask', 'faqbot corpus list', ..."""
    found = []
    for action in parser._actions:
        if action.__class__.__name__ == "_SubParsersAction":
            for name, sub in action.choices.items():
                found.append(f"{prefix} {name}")
                found += commands(sub, f"{prefix} {name}")
    return found


@pytest.mark.slow
def test_command_outputs_are_what_the_commands_print_now():
    script = readme_script()
    readme = README.read_text(encoding="utf-8")
    diff = script.check_diff(readme, script.render(readme))
    assert diff == "", f"README.md is out of date; run .venv/bin/python scripts/readme.py\n{diff}"


def test_every_setting_is_documented_with_its_variable():
    lines = section(README.read_text(encoding="utf-8"), "Configuration").splitlines()
    missing = [name for name in SETTINGS
               if not any(f"`{name}`" in line and f"`{env_name(name)}`" in line for line in lines)]
    assert missing == []


def test_no_paths_of_this_machine():
    text = README.read_text(encoding="utf-8")
    assert [p for p in ("/work/", "/root/", "/tmp/", "../shared") if p in text] == []


def test_every_command_has_a_heading():
    headings = [line for line in README.read_text(encoding="utf-8").splitlines() if line.startswith("#")]
    undocumented = [c for c in commands(build_parser()) if not any(c in h for h in headings)]
    assert undocumented == []


def test_outputs_are_made_machine_independent():
    script = readme_script()
    runner = script.Runner(ROOT / "copy", ROOT / "home")
    raw = (f"No index at {ROOT}/home/index/default yet; building it from {ROOT}/copy/corpus...\n"
           "\rEmbedding FAQ:  13%|█▎        | 32/248 [00:01<00:12]\r      \rIndexed 58 entries.\n"
           f"Chat ready at http://127.0.0.1:{runner.ports[7860]}/  (Ctrl+C to stop)\n")
    assert runner.normalise(raw) == ("No index at <home>/index/default yet; building it from ./corpus...\n"
                                     "Indexed 58 entries.\nChat ready at http://127.0.0.1:7860/  (Ctrl+C to stop)")
    assert script.masked("into <home>/index/mine-1a2b3c4d in 2.3 s, built 2026-11-26T12:43:24+00:00") == \
        script.masked("into <home>/index/mine-99ff00aa in 12.0 s, built 2027-01-01T00:00:00+00:00")
    assert script.masked("58 entries") != script.masked("59 entries")
