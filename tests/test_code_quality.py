"""The house rules, checked like any other behaviour: ruff on everything, mypy on bot, db and jobs."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_ruff_is_clean() -> None:
    proc = _run("ruff", "check", "bot", "db", "jobs", "sql", "tests", "bench", ".ci")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_mypy_is_clean() -> None:
    proc = _run("mypy", "bot", "db", "jobs", "sql")
    assert proc.returncode == 0, proc.stdout + proc.stderr



def private_imports(*roots: str) -> list[str]:
    """Every ``from bot.x import _name`` (one of Steward's packages, a name with one leading underscore) in the
    Python files below ``roots``, as "path:line module._name"."""
    found = []
    for root in roots:
        for path in sorted((ROOT / root).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in ("bot", "db", "jobs"):
                    found += [f"{path.relative_to(ROOT)}:{node.lineno} {node.module}.{alias.name}" for alias in node.names
                              if alias.name.startswith("_") and not alias.name.startswith("__")]
    return found


def test_no_module_imports_another_modules_private_names() -> None:
    """A helper two modules share is public, in the module it belongs to (a listener helper module, bot/blocks, a
    service), never reached for behind another module's underscore."""
    assert private_imports("bot", "db", "jobs") == []
