"""Bot tokens at rest (bot/tokens.py): Fernet with key rotation, nothing readable without a key."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from bot.tokens import TokenBox, TokenKeyError, fingerprint, parse_keys

TOKEN = "xoxb-1234-5678-abcdefghijklmnop"


def test_a_sealed_token_opens_only_with_its_key_and_never_shows_the_token() -> None:
    key, other = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    sealed = TokenBox(key).seal(TOKEN)
    assert TOKEN not in sealed and "abcdefghijklmnop" not in sealed
    assert sealed != TokenBox(key).seal(TOKEN)  # random per call: equal tokens do not look equal at rest
    assert TokenBox(key).open(sealed) == TOKEN
    assert TokenBox(other).open(sealed) is None
    assert TokenBox(key).open(sealed[:-4] + "AAAA") is None  # altered: refused, not garbled
    assert TokenBox(key).open("not a fernet token") is None


def test_rotation_new_key_first_old_keys_still_open() -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    sealed_old = TokenBox(old).seal(TOKEN)
    rotating = TokenBox(f"{new},{old}")
    assert rotating.open(sealed_old) == TOKEN
    resealed = rotating.seal(TOKEN)
    assert TokenBox(new).open(resealed) == TOKEN and TokenBox(old).open(resealed) is None


def test_bad_keys_are_refused_by_position_without_echoing_them() -> None:
    good = Fernet.generate_key().decode()
    assert len(parse_keys(f"{good}, {Fernet.generate_key().decode()}")) == 2
    for raw, position in ((" , ", None), ("short", 1), (f"{good},{good[:-3]}", 2)):
        with pytest.raises(TokenKeyError) as info:
            parse_keys(raw)
        message = str(info.value)
        assert (f"key {position} is not a Fernet key" in message) if position else "is empty" in message
        assert good[:-3] not in message


def test_a_fingerprint_tells_tokens_apart_and_is_not_the_token() -> None:
    assert fingerprint(TOKEN) == fingerprint(TOKEN) != fingerprint(TOKEN + "x")
    assert len(fingerprint(TOKEN)) == 12 and fingerprint(TOKEN) not in TOKEN
