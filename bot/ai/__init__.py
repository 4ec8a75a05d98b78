"""Steward's AI interface: structured parsing, memory extraction, answers and embeddings through
an OpenAI-compatible API, with the offline rule-based parser and local embeddings behind it.

    ai = AI.from_settings(settings)
    result = await ai.parse_tasks(text, now=now, tz="Europe/Berlin", task_types=..., clients=..., projects=...)
    result.value, result.source ("llm" | "offline"), result.fallback_reason, result.threat
"""

from bot.ai.models import ENTITY_TYPES, AIUnavailable, Observation, ParseResult, Threat
from bot.ai.retry import RetryPolicy
from bot.ai.service import AI, EMBED_BATCH, EMBEDDING_DIM, MAX_INPUT_CHARS, OFFLINE_REASON

__all__ = [
    "AI",
    "EMBEDDING_DIM",
    "EMBED_BATCH",
    "ENTITY_TYPES",
    "MAX_INPUT_CHARS",
    "OFFLINE_REASON",
    "AIUnavailable",
    "Observation",
    "ParseResult",
    "RetryPolicy",
    "Threat",
]
