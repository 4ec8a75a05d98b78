"""The deterministic offline embedding: feature hashing into a fixed number of dimensions.

Used when no OpenAI key is set (and by the OpenAI fake, with another salt). Each text becomes a
bag of features -- normalised, lightly stemmed word unigrams, bigrams of adjacent content words,
and character trigrams of each word (typo and inflection robustness) -- each hashed with keyed
BLAKE2b into an index and a sign (so collisions cancel out on average instead of piling up).
Counts are dampened (1 + ln tf), each feature group is weighted, and the vector is L2-normalised,
so cosine similarity is a dot product and pgvector's ``<=>`` behaves as with real embeddings.

Properties: deterministic across processes and machines (no ``hash()``), pure Python (1,000
Slack-sized texts take 0.15-0.5 s). It knows nothing about synonyms: "car" and "automobile" are unrelated.
An empty text gets a fixed unit vector (never a zero vector, whose cosine distance is undefined).

Vectors from this function and from a real embedding model live in different spaces: never
compare one with the other. :data:`OFFLINE_EMBEDDING_MODEL` names the space.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from hashlib import blake2b

__all__ = ["OFFLINE_EMBEDDING_MODEL", "embed_offline", "features"]

OFFLINE_EMBEDDING_MODEL = "steward-offline-hash-v1"
DEFAULT_DIM = 1536
_SALT = b"steward-v1"

# Feature group weights: whole words carry most of the meaning, bigrams some word order,
# trigrams (spread over many features per word) robustness to typos and inflections.
_W_UNIGRAM = 1.0
_W_BIGRAM = 0.6
_W_TRIGRAM = 0.35

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)
_POSSESSIVE = re.compile(r"['’](?:s|d|ll|re|ve|m|t)$")
_STOPWORDS = frozenset(
    """
    a an the and or but nor so yet of to in on at by for with from into onto about as than then
    is are was were be been being am do does did doing have has had having will would shall should
    can could may might must it its this that these those there here i me my mine we us our ours
    you your yours he him his she her hers they them their theirs what which who whom whose
    not no just also very too up out if while over under again further once all any both each few
    more most other some such only own same s t d ll re ve m o y
    """.split()
)
# Longest first. A suffix is removed only when a stem of at least 3 letters stays.
_SUFFIXES = (
    "ational", "ations", "ation", "ments", "ment", "ingly", "ings", "ing", "edly", "ness", "ities",
    "ity", "ies", "als", "al", "ers", "er", "ed", "es", "ly", "s",
)  # fmt: skip


@lru_cache(maxsize=100_000)
def _stem(word: str) -> str:
    if len(word) <= 3 or word.isdigit():
        return word
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            stem = word[: -len(suffix)]
            if suffix == "ies":
                return stem + "y"
            if suffix in ("es", "s") and word.endswith("ss"):
                return word
            # "renewing" -> "renew", "planned" -> "plann" -> "plan"
            if len(stem) > 3 and stem[-1] == stem[-2] and stem[-1] not in "lsz":
                stem = stem[:-1]
            return stem
    return word


def _normalise(text: str) -> str:
    if text.isascii():
        return text.lower()
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return text.casefold()


def _words(text: str) -> list[str]:
    out = []
    for m in _WORD.finditer(_normalise(text)):
        w = _POSSESSIVE.sub("", m.group())
        w = w.replace("'", "").replace("’", "")
        if w:
            out.append(w)
    return out


def features(text: str) -> dict[str, float]:
    """The weighted, tf-dampened features of one text (exposed for tests and debugging)."""
    counts: dict[str, int] = {}

    def add(feature: str) -> None:
        counts[feature] = counts.get(feature, 0) + 1

    words = _words(text)
    content = [_stem(w) for w in words if w not in _STOPWORDS]
    if not content:  # a text made only of stopwords still means something
        content = [_stem(w) for w in words]
    for w in content:
        add("u:" + w)
    for a, b in zip(content, content[1:], strict=False):
        add("b:" + a + " " + b)
    for w in words:
        if len(w) < 3:
            continue
        padded = "<" + w + ">"
        for i in range(len(padded) - 2):
            add("c:" + padded[i : i + 3])

    out: dict[str, float] = {}
    for feature, tf in counts.items():
        kind = feature[0]
        weight = _W_UNIGRAM if kind == "u" else _W_BIGRAM if kind == "b" else _W_TRIGRAM
        out[feature] = weight * (1.0 + math.log(tf))
    return out


@lru_cache(maxsize=200_000)
def _slot(feature: str, dim: int, salt: bytes) -> tuple[int, float]:
    digest = blake2b(feature.encode("utf-8"), digest_size=8, key=salt).digest()
    value = int.from_bytes(digest, "little")
    return value % dim, (1.0 if value >> 63 else -1.0)


def _embed_one(text: str, dim: int, salt: bytes) -> list[float]:
    feats = features(text) or {"<empty>": 1.0}
    sparse: dict[int, float] = {}
    for feature, weight in feats.items():
        index, sign = _slot(feature, dim, salt)
        sparse[index] = sparse.get(index, 0.0) + sign * weight
    norm = math.sqrt(math.fsum(x * x for x in sparse.values()))
    if norm == 0.0:  # every feature cancelled out (vanishingly rare): use the empty text's vector
        index, sign = _slot("<empty>", dim, salt)
        sparse, norm = {index: sign}, 1.0
    vec = [0.0] * dim
    inv = 1.0 / norm
    for index, value in sparse.items():
        vec[index] = value * inv
    return vec


def embed_offline(texts: Sequence[str], dim: int = DEFAULT_DIM, *, salt: bytes = _SALT) -> list[list[float]]:
    """One L2-normalised ``dim``-dimensional vector per text, deterministic everywhere.

    ``salt`` selects an independent hash space (the OpenAI fake uses its own, so its vectors
    differ from Steward's offline ones the way a different model's would).
    """
    if isinstance(texts, str):
        raise TypeError("embed_offline takes a sequence of texts, not a single string")
    if dim < 1:
        raise ValueError("dim must be positive")
    return [_embed_one(t or "", dim, salt) for t in texts]
