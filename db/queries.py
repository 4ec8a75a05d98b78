"""Named queries from ``sql/queries/*.sql``.

A file holds blocks introduced by a header line ``-- name: <query_name>``; the SQL that
follows (with ``%(param)s`` placeholders) runs until the next header. Names are global
across files so a call site reads ``Q["claim_inbox_events"]`` without caring where it lives.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path

from sql import QUERIES_DIR

_HEADER = re.compile(r"^--\s*name:\s*([a-z_][a-z0-9_]*)\s*$", re.MULTILINE)
_PARAM = re.compile(r"%\((\w+)\)s")


class QueryNotFound(KeyError):
    pass


class Queries(Mapping[str, str]):
    def __init__(self, queries: dict[str, str]) -> None:
        self._queries = queries

    def __getitem__(self, name: str) -> str:
        try:
            return self._queries[name]
        except KeyError:
            raise QueryNotFound(f"no query named {name!r} in {QUERIES_DIR}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._queries)

    def __len__(self) -> int:
        return len(self._queries)


def parse_file(text: str, source: str = "<string>") -> dict[str, str]:
    out: dict[str, str] = {}
    parts = _HEADER.split(text)
    # parts = [preamble, name1, body1, name2, body2, ...]
    for name, body in zip(parts[1::2], parts[2::2], strict=True):
        sql = body.strip()
        if not sql:
            raise ValueError(f"{source}: query {name!r} is empty")
        if name in out:
            raise ValueError(f"{source}: query {name!r} is defined twice")
        out[name] = sql
    return out


def parameter_names(query: str) -> list[str]:
    """The ``%(name)s`` placeholders of ``query``, each once, in order of first use."""
    return list(dict.fromkeys(_PARAM.findall(query)))


def numbered(query: str) -> str:
    """``query`` with its ``%(name)s`` placeholders as PostgreSQL's ``$1, $2...`` (the same name, the
    same number, as :func:`parameter_names` orders them), for ``PREPARE`` and ``EXPLAIN (GENERIC_PLAN)``."""
    names = parameter_names(query)
    return _PARAM.sub(lambda match: f"${names.index(match[1]) + 1}", query)


def load(directory: Path = QUERIES_DIR) -> Queries:
    """Every named query in ``directory``'s ``*.sql`` files. Raises ValueError for a name defined twice and
    QueryNotFound when the folder holds no query file (an incomplete install), naming the folder."""
    merged: dict[str, str] = {}
    paths = sorted(directory.glob("*.sql"))
    if not paths:
        raise QueryNotFound(f"no named-query files (*.sql) in {directory}: this install of Steward is incomplete; "
                            "reinstall it")
    for path in paths:
        for name, sql in parse_file(path.read_text(encoding="utf-8"), path.name).items():
            if name in merged:
                raise ValueError(f"query {name!r} is defined in more than one file (again in {path.name})")
            merged[name] = sql
    return Queries(merged)


@cache
def queries() -> Queries:
    return load()


class _Lazy(Mapping[str, str]):
    def __getitem__(self, name: str) -> str:
        return queries()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(queries())

    def __len__(self) -> int:
        return len(queries())


Q: Mapping[str, str] = _Lazy()
