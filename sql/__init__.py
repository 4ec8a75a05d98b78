"""The SQL that ships with Steward, as package data: ``migrations/NNNN_name.sql`` (the schema, applied in
order by :mod:`db.migrate`) and ``queries/*.sql`` (the named queries of :mod:`db.queries`).

Found through this package, so an installed wheel finds them in site-packages as an editable install finds
them in the source tree."""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
MIGRATIONS_DIR = HERE / "migrations"
QUERIES_DIR = HERE / "queries"
