"""Fixtures for the AI tests: the OpenAI fake on a real loopback socket and an AI pointed at it."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio

from bot.ai import AI, RetryPolicy
from bot.emulators.openai_fake import OpenAIFake

# Loopback traffic must never go through a proxy.
for _var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
    os.environ.pop(_var, None)

TZ = "America/New_York"
# Tuesday 4 March 2025, 10:00 in New York
NOW = datetime(2025, 3, 4, 10, 0, tzinfo=ZoneInfo(TZ))
# Short waits between retries keep the suite fast; deadlines and attempt counts stay the defaults.
FAST = RetryPolicy(backoff_initial=0.05, backoff_max=0.2)


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest_asyncio.fixture
async def ai(fake: OpenAIFake) -> AsyncIterator[AI]:
    client = AI(api_key="sk-test", base_url=fake.base_url, retry=FAST)
    yield client
    await client.aclose()
