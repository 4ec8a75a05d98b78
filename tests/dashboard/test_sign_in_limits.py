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
    # One lock, one security event (not one per refused request), while every attempt is in dashboard_login_attempts.
    assert await world.count("SELECT count(*) FROM security_audit_logs WHERE event_type = 'dashboard.locked'") == 1
    assert await world.count("SELECT count(*) FROM rate_limit_events WHERE action = 'dashboard.sign_in'") == 1
    assert await world.count("SELECT count(*) FROM dashboard_login_attempts WHERE outcome = 'locked'") == 55


async def test_a_one_time_password_signs_in_once_and_expires(world: World) -> None:
    from datetime import timedelta

    from tests.dashboard.test_pages_by_role import _login

    one_time = await auth.set_one_time_password(world.conn, await world.user("bo"), world.clock.now(), via="cli")
    status, _, response = await _login(world, "bo@acme.test", one_time)
    assert status == 303 and response.headers["Location"] == "/dashboard/password"
    first = response.cookies["steward_session"].value
    # A second sign-in with it, from another browser, before the change: refused, and the first session lives on.
    status, body, response = await _login(world, "bo@acme.test", one_time)
    assert status == 401 and "used already or is more than 24 hours old" in body
    assert "steward_session" not in response.cookies
    assert await world.count("SELECT count(*) FROM dashboard_sessions WHERE user_id = %s", world.ids["bo"]) == 1
    assert await world.count("SELECT count(*) FROM security_audit_logs WHERE user_id = %s AND event_type = "
                             "'dashboard.one_time_spent'", world.ids["bo"]) == 1
    status, _, _ = await world.get("password", first)
    assert status == 200
    # The first session can still choose the password (the one-time one is its "current").
    csrf = await world.csrf(first)
    status, _, _ = await world.post("password", {"current": one_time, "new": "plum orchard ladder seven",
                                                 "confirm": "plum orchard ladder seven", "csrf": csrf}, first)
    assert status == 303
    # An unused one-time password expires 24 hours after it was issued; one just inside still works.
    stale = await auth.set_one_time_password(world.conn, await world.user("mia"), world.clock.now(), via="cli")
    fresh = await auth.set_one_time_password(world.conn, await world.user("ada"), world.clock.now(), via="cli")
    world.clock.advance(auth.ONE_TIME_LIFETIME - timedelta(seconds=1))
    status, _, _ = await _login(world, "ada@acme.test", fresh)
    assert status == 303
    world.clock.advance(timedelta(seconds=2))
    status, body, _ = await _login(world, "mia@acme.test", stale)
    assert status == 401 and "more than 24 hours old" in body
    # Parallel sign-ins with one fresh one-time password: exactly one gets in.
    again = await auth.set_one_time_password(world.conn, await world.user("mia"), world.clock.now(), via="cli")
    statuses = await asyncio.gather(*(_login(world, "mia@acme.test", again) for _ in range(4)))
    assert sorted(s for s, _, _ in statuses) == [303, 401, 401, 401]


def test_the_dm_and_the_cli_say_how_long_a_one_time_password_lasts() -> None:
    from bot.listeners.dashboard import link_message

    assert "signs in once, within 24 hours" in link_message("http://x/dashboard/login", "abcd-efgh-jkmn-pqrs")


async def test_wrong_current_passwords_on_the_change_form_are_limited_and_end_the_session(world: World) -> None:
    from tests.dashboard.test_pages_by_role import _login
    from tests.dashboard.world import PASSWORD

    cookie = await world.session("mia")
    csrf = await world.csrf(cookie)
    form = {"new": "plum orchard ladder seven", "confirm": "plum orchard ladder seven", "csrf": csrf}
    for n in range(auth.LOGIN_FAILURES - 1):
        status, body, _ = await world.post("password", {**form, "current": f"guess {n}"}, cookie)
        left = auth.LOGIN_FAILURES - 1 - n
        assert status == 403 and "current password is not right" in body and f"{left} more wrong" in body, body[:400]
    status, body, response = await world.post("password", {**form, "current": "last guess"}, cookie)
    assert status == 429 and "signed out" in body and "nothing was changed" in body
    assert response.cookies["steward_session"].value == ""
    status, _, response = await world.get("", cookie)
    assert status == 303 and response.headers["Location"].startswith("/dashboard/login")
    assert await world.count("SELECT count(*) FROM dashboard_login_attempts WHERE user_id = %s AND outcome = "
                             "'wrong_current'", world.ids["mia"]) == auth.LOGIN_FAILURES
    assert await world.count("SELECT count(*) FROM security_audit_logs WHERE user_id = %s AND event_type = "
                             "'dashboard.locked'", world.ids["mia"]) == 1
    # The guesses count against the account: from this address even the right password waits now.
    status, body, _ = await _login(world, "mia@acme.test", PASSWORD)
    assert status == 429 and "Too many failed sign-ins for this account" in body
    assert await world.count("SELECT count(*) FROM users WHERE id = %s AND password_set_at IS NULL",
                             world.ids["mia"]) == 1  # nothing was changed


async def test_a_session_cannot_guess_past_a_lock(world: World) -> None:
    """Failed sign-ins elsewhere locked the account for this address: the change form is refused and signs out."""
    from tests.dashboard.test_pages_by_role import _login

    cookie = await world.session("mia")
    for n in range(auth.LOGIN_FAILURES):
        await _login(world, "mia@acme.test", f"guess {n}")
    status, body, _ = await world.post("password", {"current": "x", "new": "plum orchard ladder seven",
                                                    "confirm": "plum orchard ladder seven",
                                                    "csrf": await world.csrf(cookie)}, cookie)
    assert status == 429 and "signed out" in body
    assert await world.count("SELECT count(*) FROM dashboard_login_attempts WHERE outcome = 'wrong_current'") == 0


async def _from(world: World, address: str, login: str, password: str) -> tuple[int, str]:
    """A sign-in from another loopback address (Linux routes all of 127.0.0.0/8 to lo): its own browser."""
    import aiohttp

    connector = aiohttp.TCPConnector(local_addr=(address, 0))
    async with aiohttp.ClientSession(connector=connector, trust_env=False) as http:
        async with http.get(world.url + "login", allow_redirects=False) as page:
            token = page.cookies["steward_sign_in"].value
        async with http.post(world.url + "login", data={"login": login, "password": password, "csrf": token},
                             headers={"Cookie": f"steward_sign_in={token}"}, allow_redirects=False) as response:
            return response.status, await response.text()


async def test_an_email_and_a_slack_member_id_are_one_account(world: World) -> None:
    from tests.dashboard.test_pages_by_role import _login
    from tests.dashboard.world import PASSWORD

    for n in range(3):
        assert (await _login(world, "mia@acme.test", f"guess {n}"))[0] == 401
    for n in range(2):
        assert (await _login(world, "U0MIA" if n else "u0mia", f"guess {n}"))[0] == 401
    for login in ("u0mia", "MIA@acme.test"):
        status, body, _ = await _login(world, login, PASSWORD)
        assert status == 429 and "for this account" in body
    assert await _checked(world, "mia") == auth.LOGIN_FAILURES


async def test_a_stranger_who_knows_an_email_locks_out_only_their_own_address(world: World) -> None:
    from tests.dashboard.test_pages_by_role import _login
    from tests.dashboard.world import PASSWORD

    for n in range(auth.LOGIN_FAILURES):
        assert (await _from(world, "127.0.0.2", "mia@acme.test", f"guess {n}"))[0] == 401
    status, body = await _from(world, "127.0.0.2", "mia@acme.test", PASSWORD)
    assert status == 429 and "for this account" in body
    status, _, _ = await _login(world, "mia@acme.test", PASSWORD)  # Mia, from her own address
    assert status == 303


async def test_a_new_one_time_password_lifts_an_account_lock_and_the_message_says_so(world: World) -> None:
    from tests.dashboard.test_pages_by_role import _login
    from tests.dashboard.world import PASSWORD

    # Many addresses, each stopped at its own limit, together lock the account everywhere.
    per_address = auth.LOGIN_FAILURES
    addresses = [f"127.0.0.{n}" for n in range(2, 2 + auth.ACCOUNT_FAILURES // per_address)]
    for address in addresses:
        for n in range(per_address):
            assert (await _from(world, address, "mia@acme.test", f"guess {n}"))[0] == 401
    status, body, _ = await _login(world, "mia@acme.test", PASSWORD)
    assert status == 429 and "locked for 15 more minutes" in body
    assert "A new one-time password lifts the lock at once" in body and "steward admin password" in body
    one_time = await auth.set_one_time_password(world.conn, await world.user("mia"), world.clock.now(), via="cli")
    status, _, response = await _login(world, "mia@acme.test", one_time)
    assert status == 303 and response.headers["Location"] == "/dashboard/password"


async def test_an_address_lock_says_it_is_the_address(world: World) -> None:
    from tests.dashboard.test_pages_by_role import _login
    from tests.dashboard.world import PASSWORD

    for n in range(auth.ADDRESS_FAILURES):
        assert (await _login(world, f"guess{n}@acme.test", "guess"))[0] == 401
    status, body, _ = await _login(world, "bo@acme.test", PASSWORD)
    assert status == 429 and "from your network address" in body and "one-time password" not in body
    status, _ = await _from(world, "127.0.0.2", "bo@acme.test", PASSWORD)  # Bo elsewhere: fine
    assert status == 303


async def test_weak_new_passwords_are_refused_with_the_reason(world: World) -> None:
    cookie = await world.session("mia")
    csrf = await world.csrf(cookie)
    from tests.dashboard.world import PASSWORD

    cases = [
        ("password1234", "too easy to guess (this is a very common password)"),
        ("qwertyuiop12", "too easy to guess"),
        ("mia@acme.test2026", "too easy to guess"),  # her own email
        ("stewarddashboard", "too easy to guess"),  # the product's name
        ("   abcd     ", "starts or ends with a space"),
        ("abababababab", "uses too few different characters (at least 6)"),
    ]
    for weak, words in cases:
        status, body, _ = await world.post("password", {"current": PASSWORD, "new": weak, "confirm": weak,
                                                        "csrf": csrf}, cookie)
        assert status == 400 and words in body, (weak, body[:500])
    assert await world.count("SELECT count(*) FROM users WHERE id = %s AND password_set_at IS NOT NULL",
                             world.ids["mia"]) == 0
    status, _, _ = await world.post("password", {"current": PASSWORD, "new": "plum orchard ladder seven",
                                                 "confirm": "plum orchard ladder seven", "csrf": csrf}, cookie)
    assert status == 303
