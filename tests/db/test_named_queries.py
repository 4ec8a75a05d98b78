"""Every named query in sql/queries/*.sql is prepared against the migrated schema.

PostgreSQL's PREPARE parses, resolves every table, column, function and operator, and infers the
parameters' types without running anything, so a renamed column or table fails here rather than in
someone's day. Parameters become ``$n`` (db.queries.numbered); one whose type nothing in the query
decides (``SELECT %(x)s``) is retried as ``text``, which is how psycopg sends a Python str.
"""

from __future__ import annotations

import re

import psycopg
import pytest
from psycopg import errors

from db.queries import load, numbered, parameter_names

_INDETERMINATE = re.compile(r"could not determine data type of parameter \$(\d+)")
# Steward's rules take ``now`` as an aware datetime, which psycopg sends as timestamptz. Left to
# inference, ``%(now)s - interval '5 minutes'`` would read ``now`` as an interval.
KNOWN_TYPES = {"now": "timestamptz"}


def prepare(conn: psycopg.Connection, name: str, query: str) -> None:
    """PREPARE ``query`` (then DEALLOCATE it); raises what PostgreSQL says about it."""
    names = parameter_names(query)
    count = len(names)
    types = [KNOWN_TYPES.get(n, "unknown") for n in names]  # "unknown": PostgreSQL infers it from the query
    for _ in range(count + 1):
        signature = f" ({', '.join(types)})" if count else ""
        try:
            with conn.transaction():
                conn.execute(f"PREPARE {name}{signature} AS {numbered(query)}")
        except errors.IndeterminateDatatype as exc:
            found = _INDETERMINATE.search(str(exc))
            if found is None or types[int(found[1]) - 1] != "unknown":
                raise
            types[int(found[1]) - 1] = "text"
            continue
        conn.execute(f"DEALLOCATE {name}")
        return
    raise AssertionError(f"{name}: parameter types never settled")  # pragma: no cover - bounded by count


def test_every_named_query_prepares_against_the_schema(db_dsn: str) -> None:
    queries = load()
    assert len(queries) > 100  # the registry really was read
    failures: list[str] = []
    with psycopg.connect(db_dsn, autocommit=True) as conn:
        for name, query in queries.items():
            try:
                prepare(conn, f"check_{name}", query)
            except psycopg.Error as exc:
                failures.append(f"{name}: {str(exc).strip().splitlines()[0]}")
    assert not failures, "named queries that do not prepare against the migrated schema:\n" + "\n".join(failures)


def test_a_renamed_column_fails(db_dsn: str) -> None:
    with psycopg.connect(db_dsn, autocommit=True) as conn:
        prepare(conn, "check_now", "DELETE FROM job_runs WHERE started_at < %(now)s - interval '30 days'")
        prepare(conn, "check_good", "SELECT title FROM tasks WHERE organization_id = %(organization_id)s")
        with pytest.raises(errors.UndefinedColumn):
            prepare(conn, "check_bad", "SELECT titel FROM tasks WHERE organization_id = %(organization_id)s")
        prepare(conn, "check_untyped", "SELECT %(anything)s, %(organization_id)s IS NULL")
