"""Regenerate the command output blocks of README.md by running the real commands.

    .venv/bin/python scripts/readme.py           rewrite README.md
    .venv/bin/python scripts/readme.py --check   exit 1 with a diff if README.md is out of date

The convention, in README.md: one or more comments right before a fenced block.

    <!-- run: faqbot ask "Can you self study for APM?" -->     the block becomes "$ command" and what
                                                                it prints (stdout and stderr)
    <!-- file: my-faq/questions.jsonl -->                       the block is left as it is, and written
                                                                to that file for the commands after it

Commands run with bash, in order, in a fresh copy of the checkout (its git files, without
index/ and data/; so nothing is ever written into the checkout) with FAQBOT_HOME set to a fresh
temporary folder, so the first command builds the index and says so. A command that prints a
"ready" line (`faqbot serve`, `faqbot demo-site`) is left running until the end of its block,
so later commands of the block can talk to it. The ports a block names (7860, 8000, 8999) are
replaced by free ones when run and shown as written. `./run chat` runs as `faqbot serve` (what it
does once set up; its set-up lines are static text in the README).

Outputs are made machine-independent (the copy's path becomes ".", the runtime folder "<home>",
the virtual environment's site-packages "<site-packages>", progress bars are dropped); the
check also ignores what changes from run to run (times, dates, build names, path hashes,
latencies, the Python version). Blocks that differ only in those are left untouched.
"""

from __future__ import annotations

import difflib
import os
import re
import signal
import socket
import subprocess
import sys
import sysconfig
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BLOCK = re.compile(r"^((?:<!-- (?:run|file): [^\n]*? -->\n)+)(```[^\n]*\n)(.*?)^```$", re.S | re.M)
DIRECTIVE = re.compile(r"<!-- (run|file): ([^\n]*?) -->")
READY = re.compile(r"Chat ready at |Demo page with the widget at ")
ALIASES = {"./run chat": "faqbot serve", "./run faqbot": "faqbot"}
SHOWN_PORTS = (7860, 8000, 8999)  # replaced by free ports when run, shown as these
TIMEOUT = 900
VOLATILE = [  # (pattern, placeholder): what differs between two runs of the same commands
    (r"\d{8}T\d{6,}-[0-9a-f]{8}", "<build>"),
    (r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d| UTC)?", "<time>"),
    (r"\b\d+(\.\d+)?s? \(\d+:\d\d:\d\d\)|\b\d+(\.\d+)? ?(s|ms|µs)\b", "<duration>"),
    (r"(?m)^((?:latency|run time)[^\n]*?)[\d.]+$", r"\1<duration>"),
    (r"-[0-9a-f]{8}\b", "-<hash>"),
    (r'(python"?:\s+"?)\d+\.\d+\.\d+', r"\1<version>"),
    (r"(?<=\S) {2,}", " "),  # column widths that follow the numbers above
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def copy_checkout(target: Path) -> None:
    """The checkout's files as git sees them (tracked and new, not ignored), without faqbot.toml."""
    names = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, check=True,
                           capture_output=True).stdout.decode().split("\0")
    for name in filter(None, names):
        source = ROOT / name
        if source.is_file() and name != "faqbot.toml":
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            (target / name).write_bytes(source.read_bytes())
            (target / name).chmod(source.stat().st_mode)


class Runner:
    """Runs README commands in one copy of the checkout and one runtime folder, in order."""

    def __init__(self, work: Path, home: Path):
        self.work, self.home, self.background = work, home, []
        self.ports = {shown: free_port() for shown in SHOWN_PORTS}
        venv_bin = str(Path(sys.executable).parent)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("FAQBOT_") and k != "VIRTUAL_ENV"}
        self.env.update(FAQBOT_HOME=str(home), FAQBOT_PORT=str(self.ports[7860]), PYTHONPATH=str(work),
                        PYTHONUNBUFFERED="1", PATH=venv_bin + os.pathsep + os.environ.get("PATH", ""))
        paths = [(sysconfig.get_paths()["purelib"], "<site-packages>"), (str(home), "<home>"), (str(work), "."),
                 (str(ROOT), "."), (str(Path.home()), "~")]
        self.paths = sorted(paths, key=lambda p: -len(p[0]))

    def run(self, command: str) -> str:
        real = command
        for shown, port in self.ports.items():
            real = re.sub(rf"\b{shown}\b", str(port), real)
        for alias, target in ALIASES.items():
            if real.startswith(alias):
                real = target + real[len(alias):]
        proc = subprocess.Popen(["bash", "-c", real], cwd=self.work, env=self.env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
        lines, done = [], threading.Event()

        def pump():
            for raw in proc.stdout:
                lines.append(raw.decode("utf-8", "replace"))
                if READY.search(lines[-1]):
                    done.set()
            done.set()

        threading.Thread(target=pump, daemon=True).start()
        if not done.wait(TIMEOUT):
            self.stop([proc])
            raise RuntimeError(f"{command!r} neither finished nor became ready in {TIMEOUT} s")
        output = "".join(lines)
        if READY.search(output) and proc.poll() is None:
            self.background.append(proc)  # a server: stopped at the end of its block
        else:
            proc.wait()
        return self.normalise(output)

    def normalise(self, text: str) -> str:
        text = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text)
        kept = []
        for line in text.split("\n"):
            if "\r" in line:  # a progress bar redrawn in place: keep what is left on the line, if text
                line = next((part for part in reversed(line.split("\r")) if part.strip()), "")
                if not line.strip() or re.search(r"\d+%\|", line):
                    continue
            kept.append(line.rstrip())
        text = "\n".join(kept).strip("\n")
        for path, shown in self.paths:
            text = text.replace(path, shown)
        for shown, port in self.ports.items():
            text = re.sub(rf"(?<=[:\s]){port}\b", str(shown), text)
        return text

    def stop(self, procs=None) -> None:
        for proc in procs if procs is not None else self.background:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGINT)
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
        if procs is None:
            self.background = []

    def block(self, directives: list[tuple[str, str]], body: str) -> str:
        """The new text of one fenced block."""
        parts = []
        try:
            for kind, argument in directives:
                if kind == "file":
                    (self.work / argument).parent.mkdir(parents=True, exist_ok=True)
                    (self.work / argument).write_text(body, encoding="utf-8")
                    return body
                output = self.run(argument)
                parts.append(f"$ {argument}\n{output}\n" if output else f"$ {argument}\n")
        finally:
            self.stop()
        return "\n".join(parts)


def masked(text: str) -> str:
    for pattern, placeholder in VOLATILE:
        text = re.sub(pattern, placeholder, text)
    return text


def render(readme: str) -> str:
    """README text with every run block replaced by what its commands print now."""
    if (ROOT / "faqbot.toml").exists():
        print("Note: ./faqbot.toml is not used: the README shows the default settings.", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="faqbot-readme-") as tmp:
        work, home = Path(tmp, "checkout"), Path(tmp, "home")
        work.mkdir()
        home.mkdir()
        copy_checkout(work)
        runner = Runner(work.resolve(), home.resolve())

        def replace(match: re.Match) -> str:
            old = match.group(3)
            new = runner.block(DIRECTIVE.findall(match.group(1)), old)
            new = old if masked(new) == masked(old) else new  # keep the README stable between runs
            return match.group(1) + match.group(2) + new + "```"

        return BLOCK.sub(replace, readme)


def check_diff(readme: str, rendered: str) -> str:
    """What differs between the README and the rendered one, ignoring volatile parts ("" if nothing)."""
    return "".join(difflib.unified_diff(masked(readme).splitlines(True), masked(rendered).splitlines(True),
                                        "README.md", "README.md (commands run now)"))


def main(argv: list[str]) -> int:
    readme = README.read_text(encoding="utf-8")
    rendered = render(readme)
    if "--check" in argv:
        diff = check_diff(readme, rendered)
        if diff:
            print(diff, end="")
            print("README.md is out of date: run .venv/bin/python scripts/readme.py", file=sys.stderr)
            return 1
        print("README.md is up to date.", file=sys.stderr)
        return 0
    if rendered != readme:
        README.write_text(rendered, encoding="utf-8")
    print("README.md written." if rendered != readme else "README.md is up to date.", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
