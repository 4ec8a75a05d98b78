"""AI: the one interface to the language model, with the offline parser behind it.

Every method returns what the model said -- validated and clamped -- or, when there is no key,
the service fails, or the answer is unusable, what the rule-based fallback produced, and says
which in ``ParseResult.source`` / ``fallback_reason``.

The parse methods take text as Slack delivers it (or Steward's stored form): both the model and
the offline parser read plain words (:mod:`bot.slack_markup`: "@Priya", "PR #42", "@here"), and
the titles and reminder texts they return are in the stored form again, with the people, channels
and links of the message as Slack markup. Nothing here raises because the AI service
is down, except :meth:`AI.embed` (vectors from different models must not be mixed in one index).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
import time as _time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import datetime, time
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import openai

from bot import lanes, parsing
from bot import slack_markup as markup
from bot.ai import offline as off
from bot.ai import prompts as p
from bot.ai import validate as v
from bot.ai.models import AIUnavailable, Observation, ParseResult, Threat
from bot.ai.retry import GiveUp, RetryPolicy, call_with_retries
from bot.embedding import OFFLINE_EMBEDDING_MODEL, embed_offline
from bot.log import get_logger
from bot.parsing import DEFAULT_TASK_TYPES, ParsedOoo, ParsedReminder, ParsedTask, TaskTypeRule, holiday_names

T = TypeVar("T")
log = get_logger("bot.ai")

EMBEDDING_DIM = 1536
EMBED_BATCH = 512  # inputs per embeddings request
EMBED_BATCH_CHARS = 600_000  # ~150k tokens: well under the 300k-token request limit
EMBED_MAX_CHARS = 8_000  # per input (the model limit is 8,192 tokens)
MAX_INPUT_CHARS = 4_000  # a message to parse (tasks, reminder, OOO); longer ones are cut
MAX_QUESTION_CHARS = 2_000
INJECTION_SCAN_CHARS = 50_000
MAX_FACTS, FACT_CHARS = 40, 600
MAX_MEMORY, MEMORY_CHARS = 12, 500
MAX_SUMMARY_INPUTS, SUMMARY_INPUT_CHARS = 80, 400
CHUNK_MESSAGES, CHUNK_CHARS, MESSAGE_CHARS = 40, 12_000, 3_000
OFFLINE_REASON = "no OpenAI API key is set (offline mode)"
_LEVELS = {"low": 0, "medium": 1, "high": 2, "critical": 3}


class _Fallback(Exception):
    def __init__(self, reason: str, attempts: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.attempts = attempts


def worst_threat(threats: Iterable[Threat | None]) -> Threat | None:
    best: Threat | None = None
    for threat in threats:
        if threat is not None and (best is None or _LEVELS.get(threat[0], 0) > _LEVELS.get(best[0], 0)):
            best = threat
    return best


def _prepare(text: object, limit: int) -> tuple[str, bool]:
    text = "" if text is None else str(text)
    if len(text) > limit:
        return text[:limit], True
    return text, False


def _task_type_table(rules: Sequence[TaskTypeRule]) -> list[dict[str, Any]]:
    groups: dict[tuple[str, str, int], list[str]] = {}
    for rule in rules:
        groups.setdefault((rule.task_type, rule.size, rule.weight), []).append(rule.keyword)
    return [{"type": t, "size": s, "weight": w, "keywords": kws} for (t, s, w), kws in groups.items()]


def _local_context(now: datetime, zone: ZoneInfo, tz: str) -> dict[str, str]:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    local = now.astimezone(zone)
    return {"now": local.isoformat(timespec="minutes"), "today": f"{local:%Y-%m-%d} ({local:%A})", "timezone": tz}


_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.DOTALL)


def _json_content(response: Any) -> Any:
    choices = getattr(response, "choices", None)
    if not choices:
        raise v.InvalidOutput("the answer had no choices")
    choice = choices[0]
    message = choice.message
    if getattr(message, "refusal", None):
        raise v.InvalidOutput("the model declined to answer")
    if choice.finish_reason == "length":
        raise v.InvalidOutput("the answer was cut off")
    content = message.content
    if not content or not content.strip():
        raise v.InvalidOutput("the answer was empty")
    fenced = _FENCE.match(content)  # servers without structured output sometimes fence their JSON
    try:
        return json.loads(fenced.group(1) if fenced else content)
    except json.JSONDecodeError as exc:
        raise v.InvalidOutput("the answer was not valid JSON") from exc


class AI:
    """The AI interface. Build it with :meth:`from_settings`; close it with :meth:`aclose`."""

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        model: str = "gpt-4o-mini",
        embedding_model: str = "text-embedding-3-small",
        retry: RetryPolicy | None = None,
        max_concurrency: int = 8,
        breaker_threshold: int = 3,
        breaker_cooldown: float = 30.0,
        clock: Callable[[], float] = _time.monotonic,
    ) -> None:
        self._api_key = api_key or None
        self.base_url = base_url
        self.model = model
        self.embedding_model = embedding_model
        self.retry = retry or RetryPolicy()
        self._semaphore = asyncio.Semaphore(max_concurrency)
        self._breaker_threshold = breaker_threshold
        self._breaker_cooldown = breaker_cooldown
        self._clock = clock
        self._failures = 0
        self._open_until = 0.0
        self._client: openai.AsyncOpenAI | None = None

    @classmethod
    def from_settings(cls, settings: Any, **overrides: Any) -> AI:
        key = settings.openai_api_key.reveal() if settings.openai_api_key else None
        ai = cls(
            api_key=key,
            base_url=settings.openai_base_url,
            model=settings.openai_model,
            embedding_model=settings.embedding_model,
            **overrides,
        )
        if ai.offline:
            log.info("ai.offline_mode", detail="OPENAI_API_KEY is not set: rule-based parsing and local embeddings")
        else:
            log.info("ai.online", model=ai.model, embedding_model=ai.embedding_model, base_url=ai.base_url or "default")
        return ai

    @property
    def offline(self) -> bool:
        return self._api_key is None

    @property
    def embedding_space(self) -> str:
        """Names the vector space :meth:`embed` produces; store it next to vectors if models may change."""
        return OFFLINE_EMBEDDING_MODEL if self.offline else f"openai:{self.embedding_model}"

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None

    async def __aenter__(self) -> AI:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # ------------------------------------------------------------------ plumbing

    def _openai(self) -> openai.AsyncOpenAI:
        if self._client is None:
            self._client = openai.AsyncOpenAI(
                api_key=self._api_key,
                base_url=self.base_url,
                max_retries=0,
                timeout=self.retry.request_timeout,
            )
        return self._client

    def _breaker_reason(self) -> str | None:
        left = self._open_until - self._clock()
        if left > 0:
            return f"the AI service is unavailable ({self._failures} failed calls in a row; trying it again in {left:.0f} s)"
        return None

    def _note(self, *, ok: bool, transient: bool = False) -> None:
        if ok:
            self._failures, self._open_until = 0, 0.0
        elif transient:
            self._failures += 1
            if self._failures >= self._breaker_threshold:
                self._open_until = self._clock() + self._breaker_cooldown

    async def _request(self, send: Callable[[openai.AsyncOpenAI, float], Awaitable[T]]) -> tuple[T, int]:
        """One logical request with retries; raises GiveUp."""
        reason = self._breaker_reason()
        if reason:
            raise GiveUp(reason, attempts=0, transient=True)
        client = self._openai()

        async def once(budget: float) -> T:
            async with self._semaphore:
                return await send(client, budget)

        try:
            async with lanes.model_call():  # an inbox row waiting on the model gives its worker slot back
                result, attempts = await call_with_retries(once, self.retry)
        except GiveUp as exc:
            self._note(ok=False, transient=exc.transient)
            raise
        self._note(ok=True)
        return result, attempts

    async def _structured(
        self,
        schema_name: str,
        schema: dict[str, Any],
        system: str,
        context: Mapping[str, Any],
        user_content: str,
        convert: Callable[[Any], T],
        *,
        max_tokens: int = 4096,
    ) -> tuple[T, int]:
        messages = [
            {"role": "system", "content": system},
            p.context_message(context),
            {"role": "user", "content": user_content},
        ]
        response_format = {"type": "json_schema", "json_schema": {"name": schema_name, "strict": True, "schema": schema}}

        async def send(client: openai.AsyncOpenAI, budget: float) -> Any:
            return await client.chat.completions.create(  # type: ignore[call-overload]
                model=self.model,
                messages=messages,  # type: ignore[arg-type]
                response_format=response_format,  # type: ignore[arg-type]
                max_completion_tokens=max_tokens,
                timeout=budget,
            )

        try:
            response, attempts = await self._request(send)
        except GiveUp as exc:
            raise _Fallback(exc.reason, exc.attempts) from exc
        try:
            return convert(_json_content(response)), attempts
        except v.InvalidOutput as exc:
            raise _Fallback(f"the AI answer was unusable ({exc})", attempts) from exc

    async def _run(
        self,
        op: str,
        llm: Callable[[], Awaitable[tuple[T, int]]],
        offline: Callable[[], T],
        *,
        threat: Threat | None,
        truncated: bool = False,
    ) -> ParseResult[T]:
        if threat is not None:
            log.warning("ai.suspicious_input", op=op, threat_level=threat[0], threat=threat[1])
        if self.offline:
            return ParseResult(offline(), "offline", OFFLINE_REASON, threat, truncated, 0)
        try:
            value, attempts = await llm()
        except _Fallback as exc:
            log.warning("ai.fallback", op=op, reason=exc.reason, attempts=exc.attempts)
            return ParseResult(offline(), "offline", exc.reason, threat, truncated, exc.attempts)
        except Exception as exc:  # a client or library surprise must not lose the person's message
            log.exception("ai.unexpected_error", op=op)
            reason = f"the AI call failed unexpectedly ({type(exc).__name__})"
            return ParseResult(offline(), "offline", reason, threat, truncated, 0)
        return ParseResult(value, "llm", None, threat, truncated, attempts)

    # ------------------------------------------------------------------ parsing

    async def parse_tasks(
        self,
        text: str,
        *,
        now: datetime,
        tz: str,
        task_types: Sequence[TaskTypeRule] = DEFAULT_TASK_TYPES,
        clients: Sequence[str] = (),
        projects: Sequence[str] = (),
        date_order: str = "MDY",
        end_of_day: time = time(17, 0),
    ) -> ParseResult[list[ParsedTask]]:
        """Tasks from a message (Slack text). Titles come back in the stored form (see the module doc)."""
        written = markup.read(text)
        threat = _screen(written.plain)
        text, truncated = _prepare(written.plain, MAX_INPUT_CHARS)
        zone = ZoneInfo(tz)
        context = {
            **_local_context(now, zone, tz),
            "date_order": date_order,
            "end_of_day": end_of_day.strftime("%H:%M"),
            "task_types": _task_type_table(task_types),
            "clients": list(clients)[:300],
            "projects": list(projects)[:300],
        }
        ctx = v.TaskContext(now, zone, text, tuple(task_types), tuple(clients), tuple(projects), end_of_day)

        def offline() -> list[ParsedTask]:
            return parsing.parse_tasks(
                text, now=now, tz=tz, date_order=date_order,  # type: ignore[arg-type]
                task_types=task_types, clients=clients, projects=projects, end_of_day=end_of_day,
            )  # fmt: skip

        if not text.strip():
            return ParseResult([], "offline", "the message is empty", threat, truncated)
        schema = p.tasks_schema([r.task_type for r in task_types])
        user = p.wrap("user_message", p.neutralise_tags(text))
        result = await self._run(
            "parse_tasks",
            lambda: self._structured(p.SCHEMA_TASKS, schema, p.SYSTEM_TASKS, context, user, lambda d: v.tasks_from_output(d, ctx)),
            offline,
            threat=threat,
            truncated=truncated,
        )
        titled = [dataclasses.replace(t, title=written.stored(t.title, limit=v.TITLE_MAX)) for t in result.value]
        return dataclasses.replace(result, value=titled)

    async def parse_reminder(
        self, text: str, *, now: datetime, tz: str, date_order: str = "MDY"
    ) -> ParseResult[ParsedReminder | None]:
        return await self._parse_one(
            "parse_reminder", text, now=now, tz=tz, date_order=date_order, schema_name=p.SCHEMA_REMINDER,
            schema=p.reminder_schema(), system=p.SYSTEM_REMINDER, from_output=v.reminder_from_output,
            offline_parse=parsing.parse_reminder, max_tokens=1024,
        )

    async def parse_ooo(self, text: str, *, now: datetime, tz: str, date_order: str = "MDY",
                        country: str | None = None) -> ParseResult[ParsedOoo | None]:
        """An absence from words. ``country`` ("US", "DE-BY"; None: none known) is the person's holiday
        calendar, for holidays named ("from Christmas to New Year"): the model is given its holidays of the
        coming year, the offline parser reads them from the ``holidays`` package."""
        named = holiday_names.upcoming(country, now.astimezone(ZoneInfo(tz)).date()) if country else []
        return await self._parse_one(
            "parse_ooo", text, now=now, tz=tz, date_order=date_order, schema_name=p.SCHEMA_OOO,
            schema=p.ooo_schema(), system=p.SYSTEM_OOO, from_output=v.ooo_from_output,
            offline_parse=parsing.parse_ooo, max_tokens=512,
            extra={"holiday_country": country, "holidays": [{"date": d.isoformat(), "name": n} for d, n in named]},
            offline_extra={"country": country},
        )

    async def _parse_one(self, name: str, text: str, *, now: datetime, tz: str, date_order: str, schema_name: str,
                         schema: dict[str, Any], system: str, from_output: Callable[..., Any],
                         offline_parse: Callable[..., Any], max_tokens: int, extra: Mapping[str, Any] | None = None,
                         offline_extra: Mapping[str, Any] | None = None) -> ParseResult[Any]:
        """One dated thing (a reminder, an absence) from words (Slack text): the model, or the offline
        parser, on plain words. A reminder's ``what`` comes back in the stored form. ``extra`` goes into the
        model's context, ``offline_extra`` to the offline parser as keyword arguments."""
        written = markup.read(text)
        threat = _screen(written.plain)
        text, truncated = _prepare(written.plain, MAX_INPUT_CHARS)
        zone = ZoneInfo(tz)
        context = {**_local_context(now, zone, tz), "date_order": date_order, **(extra or {})}
        if not text.strip():
            return ParseResult(None, "offline", "the message is empty", threat, truncated)
        user = p.wrap("user_message", p.neutralise_tags(text))
        result = await self._run(
            name,
            lambda: self._structured(
                schema_name, schema, system, context, user,
                lambda d: from_output(d, now=now, zone=zone), max_tokens=max_tokens,
            ),  # fmt: skip
            lambda: offline_parse(text, now=now, tz=tz, date_order=date_order, **(offline_extra or {})),
            threat=threat,
            truncated=truncated,
        )
        if isinstance(result.value, ParsedReminder):
            what = written.stored(result.value.what, limit=v.WHAT_MAX)
            return dataclasses.replace(result, value=dataclasses.replace(result.value, what=what))
        return result

    # ------------------------------------------------------------------ memory

    async def extract_observations(
        self,
        messages: Sequence[Mapping[str, Any]],
        *,
        entity_hint: str | None = None,
        entities: Sequence[str] = (),
    ) -> ParseResult[list[Observation]]:
        """Facts worth remembering from channel messages (dicts with text, ts, channel, user).

        ``entity_hint`` says what the channel is about: "client:Acme", "project:Website" (or a bare
        name, then entity_type "other"); it is used when a fact names no entity. ``entities`` are
        known names the model should use. Observations whose source_ts are not among the given
        messages' ts are dropped.
        """
        usable = [
            {"ts": str(m["ts"]), "user": str(m.get("user") or ""), "channel": str(m.get("channel") or ""),
             "text": m["text"][:MESSAGE_CHARS]}
            for m in messages
            if isinstance(m.get("text"), str) and m["text"].strip() and m.get("ts")
        ]  # fmt: skip
        threat = worst_threat(parsing.looks_like_injection(m["text"]) for m in usable)
        hint = off.parse_hint(entity_hint)
        truncated = any(len(m["text"]) > MESSAGE_CHARS for m in messages if isinstance(m.get("text"), str))

        def offline() -> list[Observation]:
            return off.offline_observations(usable, hint)

        if not usable:
            return ParseResult([], "offline", "there are no messages to read", threat, truncated)

        context = {
            "entity_hint": {"type": hint[0], "name": hint[1]} if hint else None,
            "entities": list(entities)[:300],
        }
        known = {m["ts"] for m in usable}

        async def llm() -> tuple[list[Observation], int]:
            out: list[Observation] = []
            seen: set[str] = set()
            attempts = 0
            for chunk in _chunks(usable):
                lines = "\n".join(
                    json.dumps({"ts": m["ts"], "user": m["user"], "text": p.neutralise_tags(m["text"])}, ensure_ascii=False)
                    for m in chunk
                )
                try:
                    found, n = await self._structured(
                        p.SCHEMA_OBSERVATIONS, p.observations_schema(), p.SYSTEM_OBSERVATIONS, context,
                        p.wrap("user_message", lines),
                        lambda d: v.observations_from_output(d, known_ts=known, hint=hint, entities=entities),
                    )  # fmt: skip
                except _Fallback as exc:  # one failed chunk: the whole batch is done offline, consistently
                    raise _Fallback(exc.reason, attempts + exc.attempts) from exc
                attempts += n
                for obs in found:
                    if obs.content.casefold() not in seen:
                        seen.add(obs.content.casefold())
                        out.append(obs)
            return out, attempts

        return await self._run("extract_observations", llm, offline, threat=threat, truncated=truncated)

    async def answer(self, question: str, facts: Sequence[str], *, memory: Sequence[str] = ()) -> ParseResult[str]:
        """Answer from ``facts`` only, citing them as [n] (1-based positions in ``facts``).

        ``memory`` is earlier conversation, for continuity. Offline: the facts sharing the most words
        with the question, listed with their [n].
        """
        asked = _screen(question)
        question, truncated = _prepare(question, MAX_QUESTION_CHARS)
        facts = [str(f)[:FACT_CHARS] for f in list(facts)[:MAX_FACTS]]
        memory = [str(m)[:MEMORY_CHARS] for m in list(memory)[-MAX_MEMORY:]]
        threat = worst_threat([asked] + [_stored(parsing.looks_like_injection(t)) for t in (*facts, *memory)])

        def offline() -> str:
            return off.offline_answer(question, facts)

        if not question.strip():
            return ParseResult("What would you like to know?", "offline", "the question is empty", threat, truncated)
        if not facts:  # nothing to answer from: no need to ask the model
            return ParseResult(offline(), "offline", "there are no facts to answer from", threat, truncated)
        parts = [p.wrap("facts", "\n".join(f"[{i}] {p.neutralise_tags(f)}" for i, f in enumerate(facts, 1)))]
        if memory:
            parts.append(p.wrap("memory", "\n".join(p.neutralise_tags(m) for m in memory)))
        parts.append(p.wrap("user_message", p.neutralise_tags(question)))
        user = "\n".join(parts)
        return await self._run(
            "answer",
            lambda: self._structured(
                p.SCHEMA_ANSWER, p.answer_schema(), p.SYSTEM_ANSWER, {"fact_count": len(facts)}, user,
                lambda d: v.answer_from_output(d, fact_count=len(facts)), max_tokens=1500,
            ),  # fmt: skip
            offline,
            threat=threat,
            truncated=truncated,
        )

    async def summarize(self, entity_name: str, observations: Sequence[str]) -> ParseResult[str]:
        """A short summary of an entity from its observations (newest first)."""
        observations = [str(o)[:SUMMARY_INPUT_CHARS] for o in list(observations)[:MAX_SUMMARY_INPUTS]]
        threat = worst_threat(_stored(parsing.looks_like_injection(o)) for o in observations)

        def offline() -> str:
            return off.offline_summary(entity_name, observations)

        if not observations:
            return ParseResult(offline(), "offline", "there are no observations to summarise", threat)
        user = p.wrap("facts", "\n".join(f"- {p.neutralise_tags(o)}" for o in observations))
        return await self._run(
            "summarize",
            lambda: self._structured(
                p.SCHEMA_SUMMARY, p.summary_schema(), p.SYSTEM_SUMMARY, {"entity": entity_name}, user,
                v.summary_from_output, max_tokens=1200,
            ),  # fmt: skip
            offline,
            threat=threat,
        )

    async def narrate(self, facts: Sequence[str]) -> ParseResult[str]:
        """A report's narrative paragraph from ``facts`` (the computed figures, one per line; issue 15). Offline: an
        empty string (the caller uses its template). The caller checks every number against the facts
        (bot/services/report_narrative.py)."""
        facts = [str(f)[:FACT_CHARS] for f in list(facts)[:MAX_FACTS]]
        if not facts:
            return ParseResult("", "offline", "there are no figures to write from", None)
        user = p.wrap("facts", "\n".join(f"- {p.neutralise_tags(f)}" for f in facts))
        return await self._run(
            "narrate",
            lambda: self._structured(
                p.SCHEMA_NARRATIVE, p.narrative_schema(), p.SYSTEM_NARRATIVE, {}, user,
                v.narrative_from_output, max_tokens=800,
            ),  # fmt: skip
            lambda: "",
            threat=None,
        )

    # ------------------------------------------------------------------ embeddings

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One 1536-dimensional vector per text, in order. Online: one embeddings request per 512
        texts (fewer when they are very long). Offline: :func:`bot.embedding.embed_offline`.

        Raises :class:`AIUnavailable` when the service fails (no silent switch to offline vectors,
        which live in a different space): the caller retries later.
        """
        if isinstance(texts, str):
            raise TypeError("embed takes a list of texts, not a single string")
        texts = list(texts)
        if not texts:
            return []
        if self.offline:
            return embed_offline(texts, EMBEDDING_DIM)
        vectors: list[list[float]] = []
        for batch in _embed_batches(texts):
            vectors.extend(await self._embed_batch(batch))
        return vectors

    async def _embed_batch(self, batch: list[str]) -> list[list[float]]:
        inputs = [t[:EMBED_MAX_CHARS] if t and t.strip() else "(empty)" for t in batch]
        extra: dict[str, Any] = {}
        if self.embedding_model.startswith("text-embedding-3"):
            extra["dimensions"] = EMBEDDING_DIM

        async def send(client: openai.AsyncOpenAI, budget: float) -> Any:
            return await client.embeddings.create(model=self.embedding_model, input=inputs, timeout=budget, **extra)

        try:
            response, _ = await self._request(send)
        except GiveUp as exc:
            log.warning("ai.embed_failed", reason=exc.reason, attempts=exc.attempts, count=len(batch))
            raise AIUnavailable(exc.reason) from exc
        data = sorted(response.data, key=lambda d: d.index)
        if len(data) != len(inputs):
            raise AIUnavailable(f"the embeddings service returned {len(data)} vectors for {len(inputs)} texts")
        out = []
        for item in data:
            vec = list(item.embedding)
            if len(vec) != EMBEDDING_DIM:
                raise AIUnavailable(
                    f"the embedding model {self.embedding_model} returned {len(vec)} dimensions; Steward needs {EMBEDDING_DIM}"
                )
            out.append(vec)
        return out


def _screen(text: object) -> Threat | None:
    """looks_like_injection over the whole input (also the part cut off before parsing)."""
    return parsing.looks_like_injection(str(text or "")[:INJECTION_SCAN_CHARS])


def _stored(threat: Threat | None) -> Threat | None:
    return None if threat is None else (threat[0], f"in stored context: {threat[1]}")


def _chunks(messages: list[dict[str, str]]) -> list[list[dict[str, str]]]:
    chunks: list[list[dict[str, str]]] = []
    current: list[dict[str, str]] = []
    size = 0
    for m in messages:
        if current and (len(current) >= CHUNK_MESSAGES or size + len(m["text"]) > CHUNK_CHARS):
            chunks.append(current)
            current, size = [], 0
        current.append(m)
        size += len(m["text"])
    if current:
        chunks.append(current)
    return chunks


def _embed_batches(texts: list[str]) -> list[list[str]]:
    batches: list[list[str]] = []
    current: list[str] = []
    size = 0
    for t in texts:
        n = min(len(t), EMBED_MAX_CHARS)
        if current and (len(current) >= EMBED_BATCH or size + n > EMBED_BATCH_CHARS):
            batches.append(current)
            current, size = [], 0
        current.append(t)
        size += n
    if current:
        batches.append(current)
    return batches
