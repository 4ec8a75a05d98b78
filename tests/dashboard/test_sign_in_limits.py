"""The sign-in limits under pressure (tester17): parallel guesses, one account named two ways, the lock a fresh
one-time password lifts, a stranger who knows a manager's email, the one-time password's single use and expiry, and
wrong current passwords on the change form. Real aiohttp server, real PostgreSQL, real concurrent requests."""

from __future__ import annotations

import asyncio
from collections import Counter

from bot.services import dashboard_auth as auth
from tests.dashboard.world import World


async def _form_token(world: World) -> str:
    assert world.http is not None
    async with world.http.get(world.url + "login", allow_redirects=False) as page:
        return page.cookies["steward_sign_in"].value


async def _post_login(world: World, token: str, login: str, password: str) -> int:
    status, _, _ = await world.post("login", {"login": login, "password": password, "csrf": token},
                                    extra_cookies=f"steward_sign_in={token}")
    return status


async def _checked(world: World, name: str) -> int:
    """Passwords actually verified for ``name``'s account (every failure recorded against it)."""
    return await world.count("SELECT count(*) FROM dashboard_login_attempts WHERE user_id = %s AND outcome IN "
                             "('wrong_password', 'signed_in', 'member')", world.ids[name])


async def test_sixty_parallel_wrong_passwords_check_at_most_the_limit(world: World) -> None:
    tokens = [await _form_token(world) for _ in range(60)]
    statuses = await asyncio.gather(*(_post_login(world, t, "mia@acme.test", f"guess {n}") for n, t in enumerate(tokens)))
    counts = Counter(statuses)
    assert counts[401] == auth.LOGIN_FAILURES and counts[429] == 60 - auth.LOGIN_FAILURES, counts
    assert await _checked(world, "mia") == auth.LOGIN_FAILURES
    assert await world.count("SELECT count(*) FROM dashboard_login_attempts WHERE outcome = 'checking'") == 0
