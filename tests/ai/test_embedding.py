"""The deterministic offline embedding."""

from __future__ import annotations

import math
import subprocess
import sys
import time

import pytest

from bot.embedding import embed_offline


def _dot(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def test_deterministic_and_normalised() -> None:
    texts = ["SSO certificate renewal for Acme", "Lunch on Friday", "ünïcödé — ✅ text", "a"]
    first = embed_offline(texts)
    second = embed_offline(list(texts))
    assert first == second
    for vec in first:
        assert len(vec) == 1536
        assert math.isclose(math.sqrt(sum(x * x for x in vec)), 1.0, rel_tol=1e-9)


def test_stable_across_processes() -> None:
    code = "from bot.embedding import embed_offline; v = embed_offline(['Acme SSO renewal'])[0]; print(repr(sum(v[:50])), repr(v.index(max(v))))"
    outputs = {
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env={"PYTHONHASHSEED": seed}).stdout
        for seed in ("1", "2")
    }
    assert len(outputs) == 1
    here = embed_offline(["Acme SSO renewal"])[0]
    assert outputs.pop().strip() == f"{sum(here[:50])!r} {here.index(max(here))!r}"


def test_similar_texts_are_closer_than_unrelated_ones() -> None:
    a, b, c, d = embed_offline(
        [
            "SSO certificate renewal for Acme",
            "Acme's SSO certificate needs renewing",
            "Lunch order for the team offsite on Friday",
            "The Globex invoice is overdue",
        ]
    )
    assert _dot(a, b) > 0.5
    assert _dot(a, b) > _dot(a, c) + 0.3
    assert _dot(a, b) > _dot(a, d) + 0.3


def test_typos_still_land_nearby() -> None:
    right, typo, other = embed_offline(["deploy the landing page", "deplyo the landng page", "book a dentist appointment"])
    assert _dot(right, typo) > _dot(right, other) + 0.2


def test_empty_text_gets_a_unit_vector_not_zeros() -> None:
    empty, blank, stop = embed_offline(["", "   ", "the and of"])
    assert math.isclose(sum(x * x for x in empty), 1.0)
    assert empty == blank
    assert math.isclose(sum(x * x for x in stop), 1.0)


def test_dimensions_and_salt() -> None:
    (small,) = embed_offline(["hello world"], dim=64)
    assert len(small) == 64
    (ours,) = embed_offline(["hello world"])
    (other,) = embed_offline(["hello world"], salt=b"another-space")
    assert ours != other
    with pytest.raises(TypeError):
        embed_offline("not a list")  # type: ignore[arg-type]


def test_a_thousand_texts_are_fast_enough() -> None:
    texts = [f"Acme asked to move the SSO certificate renewal to next Tuesday (item {i}); their IT team is out" for i in range(1000)]
    started = time.perf_counter()
    vectors = embed_offline(texts)
    elapsed = time.perf_counter() - started
    assert len(vectors) == 1000
    assert elapsed < 5.0, f"1,000 texts took {elapsed:.2f} s"
