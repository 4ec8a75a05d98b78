"""The OpenAI fake itself, driven by the real openai client over loopback."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator

import openai
import pytest
import pytest_asyncio

from bot.ai import prompts as p
from bot.emulators.openai_fake import OpenAIFake, conform, strict_schema_problems
from bot.parsing import DEFAULT_TASK_TYPES

for _var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
    os.environ.pop(_var, None)


@pytest_asyncio.fixture
async def client(fake: OpenAIFake) -> AsyncIterator[openai.AsyncOpenAI]:
    c = openai.AsyncOpenAI(api_key="sk-test", base_url=fake.base_url, max_retries=0, timeout=10)
    yield c
    await c.close()


def _fmt(name: str, schema: dict) -> dict:
    return {"type": "json_schema", "json_schema": {"name": name, "strict": True, "schema": schema}}


def test_steward_schemas_are_valid_strict_schemas() -> None:
    schemas = [
        p.tasks_schema([r.task_type for r in DEFAULT_TASK_TYPES]),
        p.reminder_schema(),
        p.ooo_schema(),
        p.observations_schema(),
        p.answer_schema(),
        p.summary_schema(),
    ]
    for schema in schemas:
        assert strict_schema_problems(schema) == []


def test_strict_schema_rules() -> None:
    loose = {"type": "object", "properties": {"a": {"type": "string"}}, "required": []}
    problems = strict_schema_problems(loose)
    assert any("additionalProperties" in x for x in problems)
    assert any("missing 'a'" in x for x in problems)
    assert strict_schema_problems({"anyOf": [{"type": "object"}]}) == ["the root schema must be an object (type: object), not anyOf"]


def test_conform_makes_any_value_valid() -> None:
    schema = p.reminder_schema()
    doc = conform(schema, {"found": "yes", "extra": 1, "recurrence": {"kind": "hourly"}})
    assert doc == {
        "found": False,
        "what": "",
        "date": None,
        "time": None,
        "recurrence": {"kind": "daily", "hour": 0, "minute": 0, "weekdays": [], "day": None, "interval": 0},
    }


async def test_unknown_schema_gets_a_minimal_valid_document(fake: OpenAIFake, client: openai.AsyncOpenAI) -> None:
    schema = {
        "type": "object",
        "properties": {"n": {"type": "integer"}, "tags": {"type": "array", "items": {"type": "string"}},
                       "mode": {"type": ["string", "null"], "enum": ["a", "b", None]}},
        "required": ["n", "tags", "mode"],
        "additionalProperties": False,
    }  # fmt: skip
    response = await client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], response_format=_fmt("other", schema)
    )
    assert json.loads(response.choices[0].message.content or "") == {"n": 0, "tags": [], "mode": None}
    assert response.choices[0].finish_reason == "stop"
    assert fake.calls[0].schema_name == "other"


async def test_a_non_strict_schema_is_refused_like_openai(client: openai.AsyncOpenAI) -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string"}}}
    with pytest.raises(openai.BadRequestError) as caught:
        await client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], response_format=_fmt("bad", schema)
        )
    assert "additionalProperties" in caught.value.message


async def test_plain_chat_and_scripts(fake: OpenAIFake, client: openai.AsyncOpenAI) -> None:
    response = await client.chat.completions.create(model="m", messages=[{"role": "user", "content": "ping"}])
    assert "ping" in (response.choices[0].message.content or "")

    async def handler(messages: list, schema_name: str | None) -> dict:
        return {"seen": messages[-1]["content"], "schema": schema_name}

    fake.script(handler)
    response = await client.chat.completions.create(model="m", messages=[{"role": "user", "content": "pong"}])
    assert json.loads(response.choices[0].message.content or "") == {"seen": "pong", "schema": None}


async def test_failures_carry_openai_error_bodies_and_retry_after(fake: OpenAIFake, client: openai.AsyncOpenAI) -> None:
    fake.fail_next(1, status=429, retry_after=2)
    fake.fail_next(1, status=500)
    fake.fail_next(1, status=503)

    with pytest.raises(openai.RateLimitError) as rate:
        await client.embeddings.create(model="text-embedding-3-small", input="x")
    assert rate.value.response.headers["retry-after"] == "2"
    assert rate.value.code == "rate_limit_exceeded"
    with pytest.raises(openai.InternalServerError) as server:
        await client.models.list()
    assert server.value.status_code == 500 and server.value.type == "server_error"
    with pytest.raises(openai.InternalServerError) as overloaded:
        await client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
    assert overloaded.value.status_code == 503
    assert [c.status for c in fake.calls] == [429, 500, 503]

    models = await client.models.list()
    assert "text-embedding-3-small" in [m.id for m in models.data]


async def test_api_key_check(fake: OpenAIFake) -> None:
    fake.api_key = "sk-right"
    async with openai.AsyncOpenAI(api_key="sk-wrong", base_url=fake.base_url, max_retries=0) as wrong:
        with pytest.raises(openai.AuthenticationError):
            await wrong.models.list()
    assert "authorization" not in fake.calls[0].headers  # keys are not recorded


async def test_embeddings_float_and_base64_agree(fake: OpenAIFake, client: openai.AsyncOpenAI) -> None:
    texts = ["Acme SSO renewal", "Acme's SSO certificate needs renewing", "team lunch"]
    as_base64 = await client.embeddings.create(model="text-embedding-3-small", input=texts)  # the client asks for base64
    as_float = await client.embeddings.create(model="text-embedding-3-small", input=texts, encoding_format="float")
    assert fake.calls[0].body["encoding_format"] == "base64"
    for a, b in zip(as_base64.data, as_float.data, strict=True):
        assert len(a.embedding) == 1536
        assert max(abs(x - y) for x, y in zip(a.embedding, b.embedding, strict=True)) < 1e-6

    small = await client.embeddings.create(model="text-embedding-3-small", input="hello", dimensions=256)
    assert len(small.data[0].embedding) == 256

    with pytest.raises(openai.BadRequestError):
        await client.embeddings.create(model="text-embedding-3-small", input=["ok", ""])


async def test_delay_applies_to_every_request(fake: OpenAIFake, client: openai.AsyncOpenAI) -> None:
    fake.delay = 0.3
    with pytest.raises(openai.APITimeoutError):
        await client.with_options(timeout=0.1).models.list()
