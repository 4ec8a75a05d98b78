"""OpenAIFake: an OpenAI-compatible API on loopback, for tests and the sandbox.

    fake = OpenAIFake()
    await fake.start()                    # 127.0.0.1, a free port
    client = AsyncOpenAI(api_key="sk-test", base_url=fake.base_url)

Endpoints: ``POST /v1/chat/completions`` (``response_format`` json_schema honoured: the answer is
always valid for the schema, and a strict schema that breaks OpenAI's strict-mode rules is refused
with a 400 as OpenAI would), ``POST /v1/embeddings`` (str or list input, ``dimensions``,
``encoding_format`` float or base64; deterministic, L2-normalised bag-of-words vectors, so similar
texts are near), ``GET /v1/models``.

Controls: ``fail_next(n, status, retry_after)``, ``delay``, ``hang()`` / ``release()`` (``held``: requests
waiting now), ``script(handler)``, ``calls``.

Without a script, a small deterministic "model" answers Steward's schemas: the offline parser
stands in for the model on tasks, reminders and OOO; extraction echoes the substantive sentences;
answers quote the facts sharing words with the question; summaries join the observations. Any
other schema gets a minimal valid document.
"""

from __future__ import annotations

import asyncio
import base64
import inspect
import itertools
import json
import logging
import re
import struct
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from datetime import time as dtime
from typing import Any

from aiohttp import web

from bot.embedding import embed_offline

log = logging.getLogger(__name__)

JsonDict = dict[str, Any]
Script = Callable[[list[JsonDict], str | None], Any]

MAX_BODY_BYTES = 32 * 1024 * 1024
DEFAULT_EMBEDDING_DIM = 1536
FAKE_SALT = b"openai-fake-v1"
_ERROR_TEXT = {
    400: ("invalid_request_error", "Bad request."),
    401: ("invalid_request_error", "Incorrect API key provided."),
    404: ("invalid_request_error", "Not found."),
    408: ("timeout", "Request timed out."),
    409: ("conflict", "Conflict."),
    429: ("requests", "Rate limit reached for requests. Please try again later."),
    500: ("server_error", "The server had an error while processing your request. Sorry about that!"),
    502: ("server_error", "Bad gateway."),
    503: ("server_error", "The engine is currently overloaded, please try again later."),
    504: ("server_error", "Gateway timeout."),
}
_STRICT_TYPES = {"object", "array", "string", "number", "integer", "boolean", "null"}


@dataclass
class FakeCall:
    """One request as received. ``status`` is the HTTP status that was answered."""

    method: str
    path: str
    model: str | None
    body: Any
    headers: dict[str, str]
    status: int = 0
    at: float = field(default_factory=time.monotonic)

    @property
    def messages(self) -> list[JsonDict]:
        return list(self.body.get("messages") or []) if isinstance(self.body, dict) else []

    @property
    def schema_name(self) -> str | None:
        return _schema_name(self.body)


@dataclass(frozen=True)
class FakeReply:
    """What a script may return for full control: raw ``content`` (not necessarily JSON), a
    ``refusal``, or another ``finish_reason`` ("length")."""

    content: str | None = None
    refusal: str | None = None
    finish_reason: str = "stop"


@dataclass
class _Failure:
    status: int
    retry_after: float | None


class OpenAIFake:
    def __init__(self, *, api_key: str | None = None, embedding_dim: int = DEFAULT_EMBEDDING_DIM) -> None:
        """``api_key``: when set, other bearer tokens get a 401 (by default any non-empty key passes)."""
        self.api_key = api_key
        self.embedding_dim = embedding_dim
        self.calls: list[FakeCall] = []
        self.delay: float = 0.0
        self.held = 0
        self._hung: asyncio.Event | None = None
        self.base_url = ""
        self._failures: deque[_Failure] = deque()
        self._script: Script | None = None
        self._runner: web.AppRunner | None = None
        self._ids = itertools.count(1)

    # ------------------------------------------------------------------ lifecycle

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> OpenAIFake:
        app = web.Application(client_max_size=MAX_BODY_BYTES)
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_post("/v1/embeddings", self._embeddings)
        app.router.add_get("/v1/models", self._models)
        app.router.add_route("*", "/{tail:.*}", self._not_found)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        bound = self._runner.addresses[0][1]
        self.base_url = f"http://{host}:{bound}/v1"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> OpenAIFake:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # ------------------------------------------------------------------ controls

    def fail_next(self, n: int = 1, status: int = 500, retry_after: float | None = None) -> None:
        """The next ``n`` requests (any endpoint) fail with ``status`` and an OpenAI-style error body;
        ``retry_after`` adds a Retry-After header (seconds)."""
        for _ in range(n):
            self._failures.append(_Failure(status, retry_after))

    def hang(self) -> None:
        """From now on every request is held without an answer (a hung endpoint: the client's own
        timeout ends it) until :meth:`release`; ``held`` counts the requests waiting."""
        if self._hung is None:
            self._hung = asyncio.Event()

    def release(self) -> None:
        """Answer the held requests (and the next ones) normally again."""
        if self._hung is not None:
            self._hung.set()
            self._hung = None

    def script(self, handler: Script | None) -> None:
        """Answer chat completions with ``handler(messages, schema_name)`` (sync or async): a dict
        (sent as JSON), a str (sent verbatim: use it for invalid JSON) or a :class:`FakeReply`.
        ``None`` restores the default model."""
        self._script = handler

    def reset(self) -> None:
        self.calls.clear()
        self._failures.clear()
        self._script = None
        self.delay = 0.0
        self.release()

    def calls_to(self, path: str) -> list[FakeCall]:
        """Recorded calls whose path ends with ``path`` ("/embeddings", "/chat/completions")."""
        return [c for c in self.calls if c.path.endswith(path)]

    # ------------------------------------------------------------------ plumbing

    async def _begin(self, request: web.Request) -> tuple[FakeCall, web.Response | None]:
        raw = await request.read()
        try:
            body = json.loads(raw) if raw else {}
        except (json.JSONDecodeError, UnicodeDecodeError):
            body = None
        call = FakeCall(
            method=request.method,
            path=request.path,
            model=body.get("model") if isinstance(body, dict) else None,
            body=body,
            headers={k.lower(): v for k, v in request.headers.items() if k.lower() != "authorization"},
        )
        self.calls.append(call)
        if self._hung is not None:
            hung = self._hung
            self.held += 1
            try:
                await hung.wait()
            finally:
                self.held -= 1
        if self.delay > 0:
            await asyncio.sleep(self.delay)
        if self._failures:
            failure = self._failures.popleft()
            headers = {"retry-after": _fmt_seconds(failure.retry_after)} if failure.retry_after is not None else {}
            return call, self._error(call, failure.status, headers=headers)
        token = request.headers.get("Authorization", "")
        if not token.startswith("Bearer ") or not token[7:].strip():
            return call, self._error(call, 401, "You didn't provide an API key.")
        if self.api_key is not None and token[7:].strip() != self.api_key:
            return call, self._error(call, 401, code="invalid_api_key")
        if not isinstance(body, dict):
            return call, self._error(call, 400, "We could not parse the JSON body of your request.")
        return call, None

    def _error(
        self, call: FakeCall, status: int, message: str | None = None, *, code: str | None = None,
        param: str | None = None, headers: Mapping[str, str] | None = None,
    ) -> web.Response:  # fmt: skip
        kind, default = _ERROR_TEXT.get(status, ("server_error", f"HTTP {status}"))
        if status == 429 and code is None:
            code = "rate_limit_exceeded"
        call.status = status
        body = {"error": {"message": message or default, "type": kind, "param": param, "code": code}}
        return web.json_response(body, status=status, headers={"x-request-id": f"req_fake_{next(self._ids)}", **(headers or {})})

    def _ok(self, call: FakeCall, body: JsonDict) -> web.Response:
        call.status = 200
        return web.json_response(body, headers={"x-request-id": f"req_fake_{next(self._ids)}"})

    async def _not_found(self, request: web.Request) -> web.Response:
        call, failed = await self._begin(request)
        return failed or self._error(call, 404, f"Invalid URL ({request.method} {request.path})")

    async def _models(self, request: web.Request) -> web.Response:
        call, failed = await self._begin(request)
        if failed:
            return failed
        names = ["gpt-4o-mini", "gpt-4o", "text-embedding-3-small", "text-embedding-3-large"]
        data = [{"id": n, "object": "model", "created": 1700000000, "owned_by": "openai-fake"} for n in names]
        return self._ok(call, {"object": "list", "data": data})

    # ------------------------------------------------------------------ chat completions

    async def _chat(self, request: web.Request) -> web.Response:
        call, failed = await self._begin(request)
        if failed:
            return failed
        body = call.body
        if not isinstance(body.get("model"), str) or not body["model"]:
            return self._error(call, 400, "you must provide a model parameter", param="model")
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages or not all(isinstance(m, dict) and "role" in m for m in messages):
            return self._error(call, 400, "'messages' must be a non-empty array of messages", param="messages")
        if body.get("stream"):
            return self._error(call, 400, "streaming is not supported by the fake", param="stream")
        fmt = body.get("response_format")
        schema_name: str | None = None
        schema: JsonDict | None = None
        if fmt is not None:
            if not isinstance(fmt, dict) or fmt.get("type") not in ("text", "json_object", "json_schema"):
                return self._error(call, 400, "Invalid response_format", param="response_format")
            if fmt["type"] == "json_schema":
                spec = fmt.get("json_schema")
                if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
                    return self._error(call, 400, "Missing required parameter: 'response_format.json_schema.name'.", param="response_format")
                if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", spec["name"]):
                    return self._error(call, 400, "Invalid 'response_format.json_schema.name'.", param="response_format")
                schema_name, schema = spec["name"], spec.get("schema") or {}
                if spec.get("strict"):
                    problems = strict_schema_problems(schema)
                    if problems:
                        return self._error(call, 400, f"Invalid schema for response_format '{schema_name}': {problems[0]}",
                                           param="response_format", code="invalid_json_schema")  # fmt: skip

        reply = await self._reply(messages, schema_name, schema, fmt)
        prompt_tokens = sum(len(str(m.get("content") or "")) for m in messages) // 4 + 1
        completion_tokens = len(reply.content or reply.refusal or "") // 4 + 1
        return self._ok(
            call,
            {
                "id": f"chatcmpl-fake{next(self._ids)}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body["model"],
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": reply.content, "refusal": reply.refusal},
                        "finish_reason": reply.finish_reason,
                        "logprobs": None,
                    }
                ],
                "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                          "total_tokens": prompt_tokens + completion_tokens},
                "system_fingerprint": "fp_fake",
            },
        )  # fmt: skip

    async def _reply(self, messages: list[JsonDict], schema_name: str | None, schema: JsonDict | None, fmt: Any) -> FakeReply:
        if self._script is not None:
            result = self._script(messages, schema_name)
            if inspect.isawaitable(result):
                result = await result
            if isinstance(result, FakeReply):
                return result
            if isinstance(result, str):
                return FakeReply(content=result)
            return FakeReply(content=json.dumps(result, ensure_ascii=False))
        if schema is not None:
            try:
                doc = default_model(messages, schema_name)
            except Exception:  # the stand-in model must never take the server down
                log.exception("openai fake: default model failed for %s", schema_name)
                doc = None
            return FakeReply(content=json.dumps(conform(schema, doc), ensure_ascii=False))
        if isinstance(fmt, dict) and fmt.get("type") == "json_object":
            return FakeReply(content="{}")
        return FakeReply(content=_echo(messages))

    # ------------------------------------------------------------------ embeddings

    async def _embeddings(self, request: web.Request) -> web.Response:
        call, failed = await self._begin(request)
        if failed:
            return failed
        body = call.body
        if not isinstance(body.get("model"), str) or not body["model"]:
            return self._error(call, 400, "you must provide a model parameter", param="model")
        raw = body.get("input")
        if isinstance(raw, str):
            inputs = [raw]
        elif isinstance(raw, list) and raw and all(isinstance(x, str) for x in raw):
            inputs = list(raw)
        elif isinstance(raw, list) and raw and all(isinstance(x, int) for x in raw):
            inputs = [" ".join(f"tok{x}" for x in raw)]
        elif isinstance(raw, list) and raw and all(isinstance(x, list) for x in raw):
            inputs = [" ".join(f"tok{x}" for x in item) for item in raw]
        else:
            return self._error(call, 400, "'$.input' is invalid. Please check the API reference.", param="input")
        if len(inputs) > 2048:
            return self._error(call, 400, "'$.input' must have at most 2048 items.", param="input")
        if any(not s for s in inputs):
            return self._error(call, 400, "'$.input' is invalid: an input is an empty string.", param="input")
        dim = body.get("dimensions", self.embedding_dim)
        if not isinstance(dim, int) or isinstance(dim, bool) or not 1 <= dim <= 3072:
            return self._error(call, 400, "Invalid 'dimensions'.", param="dimensions")
        encoding = body.get("encoding_format") or "float"
        if encoding not in ("float", "base64"):
            return self._error(call, 400, "Invalid 'encoding_format'.", param="encoding_format")
        vectors = embed_offline(inputs, dim, salt=FAKE_SALT)
        data = []
        for i, vec in enumerate(vectors):
            value: Any = vec
            if encoding == "base64":
                value = base64.b64encode(struct.pack(f"<{len(vec)}f", *vec)).decode("ascii")
            data.append({"object": "embedding", "index": i, "embedding": value})
        tokens = sum(len(s.split()) for s in inputs)
        return self._ok(call, {"object": "list", "data": data, "model": body["model"],
                               "usage": {"prompt_tokens": tokens, "total_tokens": tokens}})  # fmt: skip


# ====================================================================== schema helpers


def _schema_name(body: Any) -> str | None:
    if not isinstance(body, dict):
        return None
    fmt = body.get("response_format")
    if isinstance(fmt, dict) and isinstance(fmt.get("json_schema"), dict):
        name = fmt["json_schema"].get("name")
        return name if isinstance(name, str) else None
    return None


def _fmt_seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _types(schema: Mapping[str, Any]) -> list[str]:
    t = schema.get("type")
    if isinstance(t, str):
        return [t]
    if isinstance(t, list):
        return [x for x in t if isinstance(x, str)]
    return []


def strict_schema_problems(schema: Any, path: str = "$") -> list[str]:
    """Violations of OpenAI's strict-mode subset: objects must list every property as required
    and set additionalProperties false; types must be known; the root must be an object."""
    problems: list[str] = []
    if path == "$" and (not isinstance(schema, dict) or _types(schema) != ["object"]):
        return ["the root schema must be an object (type: object), not anyOf"]

    def walk(node: Any, where: str) -> None:
        if not isinstance(node, dict):
            problems.append(f"{where} is not a schema object")
            return
        if "anyOf" in node:
            branches = node["anyOf"]
            if not isinstance(branches, list) or not branches:
                problems.append(f"{where}.anyOf must be a non-empty list")
            else:
                for i, branch in enumerate(branches):
                    walk(branch, f"{where}.anyOf[{i}]")
            return
        if "$ref" in node:
            return
        types = _types(node)
        if not types:
            if "enum" in node or "const" in node:
                return
            problems.append(f"{where} has no type")
            return
        for t in types:
            if t not in _STRICT_TYPES:
                problems.append(f"{where} has unsupported type {t!r}")
        if "object" in types:
            props = node.get("properties", {})
            if node.get("additionalProperties") is not False:
                problems.append(f"{where}: 'additionalProperties' is required to be supplied and to be false")
            required = node.get("required", [])
            missing = [k for k in props if k not in required]
            if missing:
                problems.append(f"{where}: 'required' is required to include every property; missing {missing[0]!r}")
            extra = [k for k in required if k not in props]
            if extra:
                problems.append(f"{where}: 'required' names unknown property {extra[0]!r}")
            for key, sub in props.items():
                walk(sub, f"{where}.properties.{key}")
        if "array" in types:
            if "items" not in node:
                problems.append(f"{where}: arrays need 'items'")
            else:
                walk(node["items"], f"{where}.items")
        if "enum" in node:
            enum = node["enum"]
            if not isinstance(enum, list) or not enum:
                problems.append(f"{where}.enum must be a non-empty list")

    walk(schema, path)
    return problems


def _valid(schema: Mapping[str, Any], value: Any) -> bool:
    """Whether ``value`` satisfies the (strict-subset) ``schema``."""
    if "anyOf" in schema:
        return any(_valid(b, value) for b in schema["anyOf"] if isinstance(b, dict))
    if "enum" in schema and value not in schema["enum"]:
        return False
    types = _types(schema)
    if not types:
        return True
    for t in types:
        if t == "null" and value is None:
            return True
        if t == "string" and isinstance(value, str):
            return True
        if t == "boolean" and isinstance(value, bool):
            return True
        if t == "integer" and isinstance(value, int) and not isinstance(value, bool):
            return True
        if t == "number" and isinstance(value, int | float) and not isinstance(value, bool):
            return True
        if t == "array" and isinstance(value, list):
            items = schema.get("items")
            return not isinstance(items, dict) or all(_valid(items, x) for x in value)
        if t == "object" and isinstance(value, dict):
            props = schema.get("properties", {})
            if schema.get("additionalProperties") is False and any(k not in props for k in value):
                return False
            if any(k not in value for k in schema.get("required", [])):
                return False
            return all(_valid(props[k], x) for k, x in value.items() if k in props)
    return False


def conform(schema: Mapping[str, Any], value: Any) -> Any:
    """``value`` made valid for ``schema``: missing properties filled with defaults, unknown ones
    dropped, wrong types replaced (the fake's answers are always schema-valid, like strict mode)."""
    if "anyOf" in schema:
        branches = [b for b in schema["anyOf"] if isinstance(b, dict)]
        for branch in branches:
            if _valid(branch, value):
                return conform(branch, value)
        for branch in branches:  # the closest non-null branch for a non-null value
            if value is not None and "null" not in _types(branch):
                return conform(branch, value)
        return conform(branches[0], value) if branches else None
    types = _types(schema)
    enum = schema.get("enum")
    if enum is not None:
        return value if value in enum else (None if None in enum and value is None else enum[0])
    if value is None and "null" in types:
        return None
    if "object" in types:
        value = value if isinstance(value, dict) else {}
        props = schema.get("properties", {})
        return {k: conform(sub, value.get(k)) for k, sub in props.items()}
    if "array" in types:
        items = schema.get("items", {})
        return [conform(items, x) for x in value] if isinstance(value, list) else []
    if "string" in types:
        return value if isinstance(value, str) else ("" if value is None else str(value))
    if "integer" in types:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        return round(value) if isinstance(value, float) else 0
    if "number" in types:
        return value if isinstance(value, int | float) and not isinstance(value, bool) else 0
    if "boolean" in types:
        return value if isinstance(value, bool) else False
    return None


# ====================================================================== the stand-in model

_TAG_RX = {tag: re.compile(rf"<{tag}>\n?(.*?)\n?</{tag}>", re.DOTALL) for tag in ("user_message", "facts", "memory")}


def _contents(messages: list[JsonDict]) -> list[str]:
    out = []
    for m in messages:
        content = m.get("content")
        if isinstance(content, str):
            out.append(content)
        elif isinstance(content, list):  # content parts
            out.append("".join(str(part.get("text", "")) for part in content if isinstance(part, dict)))
    return out


def _context(messages: list[JsonDict]) -> JsonDict:
    from bot.ai.prompts import CONTEXT_PREFIX

    for content in _contents(messages):
        if content.startswith(CONTEXT_PREFIX):
            try:
                value = json.loads(content[len(CONTEXT_PREFIX) :])
            except json.JSONDecodeError:
                return {}
            return value if isinstance(value, dict) else {}
    return {}


def _tagged(messages: list[JsonDict], tag: str) -> str:
    found = ""
    for m, content in zip(messages, _contents(messages), strict=False):
        if m.get("role") == "user":
            hits = _TAG_RX[tag].findall(content)
            if hits:
                found = hits[-1]
    return found


def _echo(messages: list[JsonDict]) -> str:
    users = [c for m, c in zip(messages, _contents(messages), strict=False) if m.get("role") == "user"]
    return f"(fake model) You said: {users[-1][:500]}" if users else "(fake model) Hello."


def _now_tz(ctx: JsonDict) -> tuple[datetime, str]:
    tz = str(ctx.get("timezone")) if isinstance(ctx.get("timezone"), str) else "UTC"
    try:
        now = datetime.fromisoformat(str(ctx.get("now")))
    except ValueError:
        now = datetime.now(UTC)
    return now, tz


def default_model(messages: list[JsonDict], schema_name: str | None) -> Any:
    """The fake's deterministic answers for Steward's schemas (None: let ``conform`` fill one in)."""
    from bot.ai import prompts as p

    ctx = _context(messages)
    text = _tagged(messages, "user_message")
    if schema_name == p.SCHEMA_TASKS:
        return _tasks(text, ctx)
    if schema_name == p.SCHEMA_REMINDER:
        return _reminder(text, ctx)
    if schema_name == p.SCHEMA_OOO:
        return _ooo(text, ctx)
    if schema_name == p.SCHEMA_OBSERVATIONS:
        return _observations(text, ctx)
    if schema_name == p.SCHEMA_ANSWER:
        return _answer(text, _tagged(messages, "facts"))
    if schema_name == p.SCHEMA_SUMMARY:
        return _summary(_tagged(messages, "facts"), ctx)
    if schema_name == p.SCHEMA_NARRATIVE:
        return _narrative(_tagged(messages, "facts"))
    return None


def _tasks(text: str, ctx: JsonDict) -> JsonDict:
    from bot.parsing import DEFAULT_TASK_TYPES, TaskTypeRule, parse_tasks

    rules: list[TaskTypeRule] = []
    for group in ctx.get("task_types") or []:
        try:
            rules.extend(TaskTypeRule(k, group["type"], group["size"], int(group["weight"])) for k in group["keywords"])
        except (KeyError, TypeError, ValueError):
            continue
    now, tz = _now_tz(ctx)
    eod = dtime.fromisoformat(ctx["end_of_day"]) if isinstance(ctx.get("end_of_day"), str) else dtime(17, 0)
    tasks = parse_tasks(
        text, now=now, tz=tz, date_order=ctx.get("date_order") or "MDY",
        task_types=tuple(rules) or DEFAULT_TASK_TYPES, clients=tuple(ctx.get("clients") or ()),
        projects=tuple(ctx.get("projects") or ()), end_of_day=eod,
    )  # fmt: skip
    return {
        "tasks": [
            {
                "title": t.title,
                "due_date": t.due_date.isoformat() if t.due_date else None,
                "due_time": t.due_at.strftime("%H:%M") if t.due_at and t.has_time else None,
                "task_type": t.task_type,
                "size": t.size,
                "weight": t.weight,
                "client": t.client,
                "project": t.project,
                "priority": t.priority,
                "no_rush": t.no_rush,
            }
            for t in tasks
        ]
    }


def _reminder(text: str, ctx: JsonDict) -> JsonDict:
    from bot.parsing import parse_reminder

    now, tz = _now_tz(ctx)
    r = parse_reminder(text, now=now, tz=tz, date_order=ctx.get("date_order") or "MDY")
    if r is None:
        return {"found": False, "what": "", "date": None, "time": None, "recurrence": None}
    rec = None
    if r.recurrence is not None:
        rec = {
            "kind": r.recurrence["kind"],
            "hour": r.recurrence["hour"],
            "minute": r.recurrence["minute"],
            "weekdays": list(r.recurrence.get("weekdays", [])),
            "day": r.recurrence.get("day"),
            "interval": r.recurrence.get("interval", 1),
        }
    return {
        "found": True,
        "what": r.what,
        "date": r.fire_at.date().isoformat(),
        "time": r.fire_at.strftime("%H:%M") if r.has_time else None,
        "recurrence": rec,
    }


def _ooo(text: str, ctx: JsonDict) -> JsonDict:
    from bot.parsing import parse_ooo

    now, tz = _now_tz(ctx)
    country = ctx.get("holiday_country")
    o = parse_ooo(text, now=now, tz=tz, date_order=ctx.get("date_order") or "MDY",
                  country=country if isinstance(country, str) else None)
    if o is None:
        return {"found": False, "start_date": None, "end_date": None, "reason": None}
    return {"found": True, "start_date": o.start_date.isoformat(), "end_date": o.end_date.isoformat(), "reason": o.reason}


def _observations(text: str, ctx: JsonDict) -> JsonDict:
    from bot.ai.offline import offline_observations

    messages = []
    for line in text.splitlines():
        try:
            item = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(item, dict):
            messages.append(item)
    hint = ctx.get("entity_hint")
    pair = (hint["type"], hint["name"]) if isinstance(hint, dict) and hint.get("name") else None
    found = offline_observations(messages, pair)
    return {
        "observations": [
            {"content": o.content, "entity_type": o.entity_type, "entity_name": o.entity_name, "source_ts": o.source_ts}
            for o in found
        ]
    }


def _answer(question: str, facts_block: str) -> JsonDict:
    from bot.ai.offline import rank_facts

    facts: list[tuple[int, str]] = []
    for line in facts_block.splitlines():
        m = re.match(r"\[(\d+)\]\s*(.*)", line)
        if m:
            facts.append((int(m[1]), m[2]))
    picked = rank_facts(question, [f for _, f in facts], limit=3)
    if not picked:
        return {"answer": "I don't know: nothing in my notes answers that."}
    return {"answer": " ".join(f"{facts[i][1].rstrip('.')} [{facts[i][0]}]." for i in picked)}


def _summary(facts_block: str, ctx: JsonDict) -> JsonDict:
    items = [line[2:].strip() for line in facts_block.splitlines() if line.startswith("- ")]
    entity = ctx.get("entity") or "This"
    if not items:
        return {"summary": f"Nothing is known about {entity} yet."}
    return {"summary": f"{entity}: " + " ".join(i.rstrip(".") + "." for i in items[:5])}


def _narrative(facts_block: str) -> JsonDict:
    """A report's paragraph: the first figure lines after the period, as given (so every number is a figure)."""
    items = [line[2:].strip() for line in facts_block.splitlines() if line.startswith("- ")]
    items = [i for i in items if not i.startswith("Period:")]
    return {"narrative": " ".join(i.rstrip(".") + "." for i in items[:4]) or "No figures for this period."}


__all__ = ["FakeCall", "FakeReply", "OpenAIFake", "conform", "default_model", "strict_schema_problems"]
