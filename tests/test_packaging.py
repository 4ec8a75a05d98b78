"""A regular install carries everything Steward reads at run time: the wheel holds the migrations, the named
queries, the sandbox's page and the Slack app manifest, found through their packages (not the checkout).
CI's .ci/wheel-smoke goes further: it installs the wheel alone and runs it."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import db.migrate
import db.queries
import sql

ROOT = Path(__file__).resolve().parents[1]


def test_sql_is_found_through_its_package() -> None:
    assert db.migrate.MIGRATIONS_DIR == Path(sql.__file__).resolve().parent / "migrations"
    assert db.queries.QUERIES_DIR == Path(sql.__file__).resolve().parent / "queries"
    assert db.migrate.discover()  # and it holds the migrations


def test_wheel_carries_sql_and_data_files(tmp_path: Path) -> None:
    # Built from a copy of the tracked files (as .ci/wheel-smoke does): a build/ folder left in the checkout
    # cannot hide a missing file.
    source, dist = tmp_path / "src", tmp_path / "dist"
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True).stdout
    for name in filter(None, tracked.decode().split("\0")):
        target = source / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target, follow_symlinks=False)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dist), "."],
                   check=True, capture_output=True, cwd=source)
    (wheel,) = dist.glob("steward-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {f"sql/migrations/{p.name}" for p in (ROOT / "sql" / "migrations").glob("*.sql")}
    expected |= {f"sql/queries/{p.name}" for p in (ROOT / "sql" / "queries").glob("*.sql")}
    expected |= {"sql/__init__.py", "bot/manifest.yaml", "bot/sandbox/static/index.html", "bot/dashboard/static/dashboard.css"}
    expected |= {f"bot/dashboard/templates/{p.name}" for p in (ROOT / "bot" / "dashboard" / "templates").glob("*.html")}
    assert expected <= names, sorted(expected - names)
    assert not any(name.startswith("tests/") for name in names)
