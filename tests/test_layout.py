"""The package's shape, checked so it stays readable: small modules, the command line on top of
the library (never under it), one definition of each name, one FAISS module, and a package list
in pyproject.toml that matches the folders."""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

from tests.support import ROOT

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

BOT = ROOT / "bot"
MAX_LINES = 350


def modules() -> list[Path]:
    return sorted(p for p in BOT.rglob("*.py") if "__pycache__" not in p.parts)


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_no_module_is_over_350_lines():
    long = {str(p.relative_to(ROOT)): n for p in modules() if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert long == {}


def test_library_code_never_imports_the_command_line():
    offenders = [str(p.relative_to(ROOT)) for p in modules()
                 if "cli" not in p.relative_to(BOT).parts and p.name != "__main__.py"
                 and any(m == "bot.cli" or m.startswith("bot.cli.") for m in imported_modules(p))]
    assert offenders == []


def test_library_code_never_prints():
    # Commands print; the library returns values, raises bot.errors.UserError, or logs.
    offenders = []
    for path in modules():
        if "cli" in path.relative_to(BOT).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print":
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


def test_only_one_module_imports_faiss():
    users = [str(p.relative_to(ROOT)) for p in modules() if "faiss" in imported_modules(p)]
    assert users == ["bot/index/vectors.py"]


def test_each_top_level_name_is_defined_once():
    # Every command module has a `register(commands)`: that is the interface, not a duplicate.
    shared_interface = {"register"}
    where = defaultdict(list)
    for path in modules():
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name not in shared_interface:
                where[node.name].append(str(path.relative_to(ROOT)))
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name) and target.id.isupper() and target.id != "__all__":
                        where[target.id].append(str(path.relative_to(ROOT)))
    assert {name: files for name, files in where.items() if len(files) > 1} == {}


def test_pyproject_lists_every_package_and_ships_the_default_corpus():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    folders = {".".join(p.parent.relative_to(ROOT).parts) for p in BOT.rglob("__init__.py")}
    assert set(config["packages"]) == folders | {"bot.default_corpus"}
    assert config["package-dir"]["bot.default_corpus"] == "corpus"


def test_user_errors_have_one_base():
    # Every exception class the library defines is a UserError (mapped to an exit code in one place).
    bases = {}
    for path in modules():
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.ClassDef) and any(isinstance(b, ast.Name) and b.id.endswith(("Error", "Exception"))
                                                      for b in node.bases):
                bases[node.name] = [b.id for b in node.bases if isinstance(b, ast.Name)]
    assert bases and all(b in (["UserError"], ["Exception"]) or set(b) & set(bases) for b in bases.values()), bases
    assert [name for name, b in bases.items() if b == ["Exception"]] == ["UserError"]
