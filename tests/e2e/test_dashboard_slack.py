"""`/steward dashboard` through the real Steward and the Slack emulator (issue 17): a manager or an admin is sent a
sign-in link by DM, with a one-time password on first use (and while it is unused), never once they chose their own;
a member is refused politely, and the refusal is logged. The link's page signs them in with that password."""

from __future__ import annotations

import re
from pathlib import Path

import aiohttp
import psycopg

from bot.app import Steward
from bot.emulators.slack import SlackEmulator
from bot.services import dashboard_auth
from tests.e2e.conftest import MAYA, SAM, answer_text
from tests.helpers import fetchval

PASSWORD_IN_DM = re.compile(r"one-time password: `([a-z0-9-]+)`")
LINK_IN_DM = re.compile(r"<(http://localhost:\d+/dashboard/login\?[^|>]+)\|open the dashboard>")


async def _dm_after(emulator: SlackEmulator, user: str, mark: int) -> str:
    channel = await emulator.dm_channel(user)
    call = await emulator.wait_for_call("chat.postMessage", lambda c: c.args.get("channel") in (channel, user),
                                        timeout=10, since=mark)
    return str(call.args.get("text") or "")


async def test_a_manager_gets_a_link_and_a_one_time_password_a_member_does_not(
        emulator: SlackEmulator, steward: Steward, db_dsn: str) -> None:
    mark = len(emulator.calls)
    said = await answer_text(emulator, MAYA, "/steward", "dashboard")
    assert "sent you a sign-in link" in said and "one-time password" in said
    dm = await _dm_after(emulator, MAYA, mark)
    password = PASSWORD_IN_DM.search(dm)
    link = LINK_IN_DM.search(dm)
    assert password and link, dm
    url = link.group(1).replace("&amp;", "&")
    assert url.startswith(f"http://localhost:{steward.health_port}/dashboard/login?login=maya%40acme.test&team=T0ACME")

    async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
        stored = await fetchval(conn, "SELECT password_hash FROM users WHERE email = 'maya@acme.test'")
        assert dashboard_auth.verify_password(stored, password.group(1)) and password.group(1) not in stored
        assert await fetchval(conn, "SELECT must_change_password FROM users WHERE email = 'maya@acme.test'")
        # The password is in no table Steward keeps (notifications included).
        assert not await fetchval(conn, "SELECT count(*) FROM notifications WHERE payload::text LIKE %s",
                                  (f"%{password.group(1)}%",))

    # The link's page, from the real server `steward run` serves: the form is filled in, the password signs in.
    async with aiohttp.ClientSession(trust_env=False, cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        page_url = url.replace("localhost", "127.0.0.1")
        async with http.get(page_url) as page:
            html = await page.text()
        assert 'value="maya@acme.test"' in html and 'name="team" value="T0ACME"' in html
        token = re.search(r'name="csrf" value="([^"]+)"', html)
        assert token
        async with http.post(page_url.split("?")[0], data={"login": "maya@acme.test", "password": password.group(1),
                                                           "csrf": token.group(1), "team": "T0ACME"},
                             allow_redirects=False) as signed:
            assert signed.status == 303 and signed.headers["Location"] == "/dashboard/password"

    # Asked again before choosing a password: a fresh one-time password (the first no longer works).
    mark = len(emulator.calls)
    await answer_text(emulator, MAYA, "/steward", "dashboard")
    again = PASSWORD_IN_DM.search(await _dm_after(emulator, MAYA, mark))
    assert again and again.group(1) != password.group(1)
    # Once a password is chosen, the DM has the link only.
    async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
        await conn.execute("UPDATE users SET must_change_password = false WHERE email = 'maya@acme.test'")
    mark = len(emulator.calls)
    said = await answer_text(emulator, MAYA, "/steward", "dashboard")
    dm = await _dm_after(emulator, MAYA, mark)
    assert "one-time password" not in said and not PASSWORD_IN_DM.search(dm) and LINK_IN_DM.search(dm)
    assert "password you chose" in dm

    # A member: a polite refusal, nothing sent, nothing set, the refusal logged.
    mark = len(emulator.calls)
    said = await answer_text(emulator, SAM, "/steward", "dashboard")
    assert "for managers and admins" in said and "/steward my-data" in said
    assert not [c for c in emulator.calls[mark:] if c.method == "chat.postMessage"]
    async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
        assert await fetchval(conn, "SELECT password_hash FROM users WHERE email = 'sam@acme.test'") is None
        assert await fetchval(conn, "SELECT count(*) FROM security_audit_logs WHERE event_type = 'permission_denied' "
                                    "AND details->>'action' = 'dashboard.link'") == 1


async def test_help_lists_the_dashboard(emulator: SlackEmulator, steward: Steward) -> None:
    assert "`/steward dashboard`" in await answer_text(emulator, SAM, "/steward", "help")


async def test_the_sandbox_serves_the_dashboard(db_dsn: str, tmp_path: Path) -> None:
    """`steward run` with no tokens: the dashboard is on the same server as /healthz, and the demo's admin gets a
    working sign-in link from `/steward dashboard` in the sandbox."""
    from tests.e2e.conftest import sandbox_steward

    async with sandbox_steward(db_dsn, tmp_path, scheduler=False) as (sandbox, bot):
        emulator = sandbox.emulator
        maya = "U0DEMOMAYA"
        mark = len(emulator.calls)
        result = await emulator.slash_command(maya, "/steward", "dashboard", channel=await emulator.dm_channel(maya))
        said = (await result.wait_for_response(timeout=10)).text or ""
        assert "sent you a sign-in link" in said
        dm = await _dm_after(emulator, maya, mark)
        link, password = LINK_IN_DM.search(dm), PASSWORD_IN_DM.search(dm)
        assert link and password and f"localhost:{bot.health_port}/dashboard/" in link.group(1)
        async with aiohttp.ClientSession(trust_env=False) as http:
            base = f"http://127.0.0.1:{bot.health_port}"
            async with http.get(base + "/healthz") as health:
                assert health.status in (200, 503)
            async with http.get(base + "/dashboard", allow_redirects=False) as bare:
                assert bare.status == 308 and bare.headers["Location"] == "/dashboard/"
            async with http.get(base + "/dashboard/", allow_redirects=False) as page:
                assert page.status == 303 and page.headers["Location"] == "/dashboard/login"
            async with http.get(base + "/dashboard/login") as page:
                assert page.status == 200 and "Sign in to the dashboard" in await page.text()
