"""The embedded PostgreSQL is reused across runs and shared safely by two processes."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg

CHILD = r"""
import sys
from pathlib import Path
from db.embedded import start_embedded
pg = start_embedded(Path(sys.argv[1]))
print(pg.dsn(), flush=True)
sys.stdin.readline()          # wait until told to leave
print("stopped" if pg.stop() else "left", flush=True)
"""


def _spawn(data_dir: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", CHILD, str(data_dir)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[2])


def _leave(proc: subprocess.Popen[str]) -> str:
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write("\n")
    proc.stdin.flush()
    out = proc.stdout.readline().strip()
    proc.wait(timeout=60)
    return out


def _alive(dsn: str) -> bool:
    try:
        with psycopg.connect(dsn, connect_timeout=3) as conn:
            return conn.execute("SELECT 1").fetchone() == (1,)
    except psycopg.OperationalError:
        return False


def test_two_processes_share_one_server_and_the_last_one_stops_it() -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="steward-embedded-"))
    first, second = _spawn(data_dir), _spawn(data_dir)
    try:
        assert first.stdout is not None and second.stdout is not None
        dsn1, dsn2 = first.stdout.readline().strip(), second.stdout.readline().strip()
        assert dsn1 == dsn2 and dsn1.startswith("postgresql://"), (dsn1, dsn2, first.stderr, second.stderr)
        with psycopg.connect(dsn1, autocommit=True) as conn:
            conn.execute("CREATE TABLE kept (x int)")
            conn.execute("INSERT INTO kept VALUES (42)")
        assert _leave(first) == "left"  # the other process still uses it
        assert _alive(dsn2)
        assert _leave(second) == "stopped"
        assert not _alive(dsn2)
        # The next run reuses the same data.
        third = _spawn(data_dir)
        assert third.stdout is not None
        dsn3 = third.stdout.readline().strip()
        with psycopg.connect(dsn3) as conn:
            assert conn.execute("SELECT x FROM kept").fetchone() == (42,)
        assert _leave(third) == "stopped"
    finally:
        for proc in (first, second):
            if proc.poll() is None:
                proc.kill()


def test_a_crashed_process_does_not_keep_the_server_running() -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="steward-embedded-"))
    crashed, survivor = _spawn(data_dir), _spawn(data_dir)
    try:
        assert crashed.stdout is not None and survivor.stdout is not None
        crashed.stdout.readline()
        dsn = survivor.stdout.readline().strip()
        crashed.kill()  # no clean leave: its pid stays in the handle list
        crashed.wait(timeout=30)
        assert _alive(dsn)
        assert _leave(survivor) == "stopped"  # the dead pid was pruned
        assert not _alive(dsn)
    finally:
        for proc in (crashed, survivor):
            if proc.poll() is None:
                proc.kill()
