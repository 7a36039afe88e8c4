"""The package as someone else installs it: a wheel, installed (not editable) into a fresh
virtual environment, run from another folder. It must find its own FAQ inside the package, keep
its runtime data in the user's data folder, and write nothing into site-packages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import pytest

from tests.support import ROOT, free_port, wait_for_http

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A fresh venv with the wheel of this checkout installed into it. The dependencies (torch,
    gradio...) are borrowed from the test venv through a .pth file, so the install takes seconds
    and nothing is downloaded; the faqbot package itself is a real, non-editable install."""
    tmp = tmp_path_factory.mktemp("installed")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                    str(tmp / "dist"), str(ROOT)], check=True, capture_output=True)
    wheel = next((tmp / "dist").glob("faqbot-*.whl"))
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = Path(subprocess.run([str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    # Only the dependencies' folder: the checkout's editable-install hooks live in .pth files
    # there, which Python does not read from a folder added this way.
    (site / "borrowed-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site),
                    str(wheel)], check=True, capture_output=True)
    script = venv / "bin" / "faqbot"
    script.write_text(f"#!{venv / 'bin' / 'python'}\nimport sys\nfrom bot.cli import main\nsys.exit(main())\n")
    script.chmod(0o755)
    home = tmp / "user"
    work = tmp / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FAQBOT_", "VIRTUAL_ENV", "PYTHON"))}
    env |= {"HOME": str(home), "XDG_DATA_HOME": str(home / ".local/share"), "XDG_CONFIG_HOME": str(home / ".config"),
            "PATH": f"{venv / 'bin'}:{env.get('PATH', '')}"}
    return {"site": site, "work": work, "home": home, "env": env, "faqbot": str(script)}


def run(installed, *args, check=True):
    result = subprocess.run([installed["faqbot"], *args], cwd=installed["work"], env=installed["env"],
                            capture_output=True, text=True, timeout=600)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def site_files(site: Path) -> dict[str, float]:
    return {str(p): p.stat().st_mtime for p in site.rglob("*") if p.is_file() and "__pycache__" not in p.parts}


def test_the_wheel_ships_the_default_corpus_and_the_widget(installed):
    package = installed["site"] / "bot"
    assert sorted(p.name for p in (package / "default_corpus").glob("*.md")) == \
        sorted(p.name for p in (ROOT / "corpus").glob("*.md"))
    assert (package / "web" / "static" / "widget.js").is_file()


def test_installed_package_answers_indexes_and_serves_from_another_folder(installed):
    before = site_files(installed["site"])
    data = installed["home"] / ".local/share/faqbot"

    ask = run(installed, "ask", "what is a PMO?", "--json")
    answer = json.loads(ask.stdout)
    assert answer["answered"] and answer["citations"][0]["id"] == "pmo-what-is"
    assert (data / "index" / "default" / "current").is_file()
    assert list((data / "index" / "encoders").glob("*/query_encoder.onnx"))

    info = run(installed, "info", "--json")
    facts = json.loads(info.stdout)
    assert facts["running from"].startswith("an installed package at " + str(installed["site"]))
    assert facts["corpus"].startswith(str(installed["site"] / "bot" / "default_corpus"))
    assert facts["home"] == str(data)

    mine = installed["work"] / "mine"
    mine.mkdir()
    (mine / "faq.md").write_text("# Shop\n\n## When do you open?\nid: hours\n\nFrom nine to five, Monday to Friday.\n")
    indexed = run(installed, "index", "--corpus", "mine")
    assert "Indexed 1 entries" in indexed.stdout
    mine_answer = json.loads(run(installed, "ask", "what are your opening hours?", "--corpus", "mine", "--json").stdout)
    assert mine_answer["citations"][0]["id"] == "hours"
    assert len(list((data / "index").glob("mine-*/current"))) == 1  # its own index, beside the default's

    port = free_port()
    server = subprocess.Popen([installed["faqbot"], "serve", "--port", str(port), "--corpus", "mine"],
                              cwd=installed["work"], env=installed["env"], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    try:
        wait_for_http(f"http://127.0.0.1:{port}/api/health", server)
        import urllib.request

        request = urllib.request.Request(f"http://127.0.0.1:{port}/api/feedback", method="POST",
                                         data=json.dumps({"question": "q", "vote": "up"}).encode(),
                                         headers={"content-type": "application/json"})
        assert urllib.request.urlopen(request, timeout=30).status == 200
    finally:
        server.terminate()
        server.wait(timeout=30)
    # Feedback is kept per corpus, in the user's data folder.
    assert len(list((data / "data").glob("mine-*/feedback.sqlite3"))) == 1
    assert not (data / "data" / "default").exists()

    time.sleep(0.01)
    assert site_files(installed["site"]) == before  # nothing written into site-packages


def test_import_into_the_installed_default_writes_in_the_current_folder(installed, tmp_path):
    page = tmp_path / "page.html"
    page.write_text("<html><body><details><summary>Is parking free?</summary><p>Yes, for two hours.</p>"
                    "</details></body></html>")
    before = site_files(installed["site"])
    result = run(installed, "import", str(page))
    assert (installed["work"] / "imported.md").is_file(), result.stdout
    assert site_files(installed["site"]) == before
