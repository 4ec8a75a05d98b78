"""The house rules, checked like any other behaviour: ruff on everything, mypy on bot, db and jobs."""

from __future__ import annotations

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
