"""The context pipeline job (F15): channel messages -> observations -> summaries.

Every few minutes (and `steward jobs run context`): claim unprocessed messages in batches, extract
observations, embed them (one embeddings call per batch), write them, mark the messages processed;
re-embed observations left in an old vector space; regenerate the summaries of entities with enough
new observations. Bounded by a time budget so one run never overlaps the next.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from bot.ai import AIUnavailable
from bot.deps import Deps
from bot.log import get_logger, is_idle
from bot.services import context as memory

log = get_logger(__name__)

TIME_BUDGET_SECONDS = 90.0
MAX_BATCHES = 50


@asynccontextmanager
async def _ai(deps: Deps) -> AsyncIterator[Any]:
    """The running bot's AI interface, or (for `steward jobs run`) one built from the settings."""
    if deps.ai is not None:
        yield deps.ai
        return
    from bot.ai import AI

    async with AI.from_settings(deps.settings) as ai:
        yield ai


async def run_pipeline(deps: Deps, now: datetime, *, batch: int = memory.PIPELINE_BATCH,
                       max_batches: int = MAX_BATCHES, budget: float = TIME_BUDGET_SECONDS) -> dict[str, Any]:
    total = memory.PipelineRun()
    started = time.monotonic()
    async with _ai(deps) as ai:
        for _ in range(max_batches):
            run = await memory.process_batch(deps.pool, ai, now, limit=batch)
            total.messages += run.messages
            total.observations += run.observations
            total.batches += run.batches
            total.embed_calls += run.embed_calls
            total.deferred += run.deferred
            total.extraction = run.extraction or total.extraction
            if run.messages < batch or run.deferred or time.monotonic() - started > budget:
                break
        if not total.deferred:
            total.reembedded = await memory.reembed(deps.pool, ai)
    (log.debug if is_idle(total.as_dict()) else log.info)("context_pipeline_done", **total.as_dict())
    return total.as_dict()


async def run_summaries(deps: Deps, now: datetime) -> dict[str, Any]:
    async with _ai(deps) as ai:
        try:
            regenerated = await memory.regenerate_summaries(deps.pool, ai, now)
        except AIUnavailable as exc:  # embeddings down: the same summaries are due next time
            log.warning("context_summaries_deferred", reason=exc.reason)
            return {"summaries": 0, "summaries_deferred": exc.reason}
    return {"summaries": regenerated}


async def run(deps: Deps, now: datetime) -> dict[str, Any]:
    result = await run_pipeline(deps, now)
    if not result.get("deferred"):
        result.update(await run_summaries(deps, now))
    return result
