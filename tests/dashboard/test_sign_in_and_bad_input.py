"""Signing in, the forced password change, sessions, and every bad input issue 17 lists, each with its status, a
plain message, nothing leaked and the attempt logged: a wrong password, an unknown email, a locked account (and a
locked address), an expired session mid-form, a tampered cookie, a CSRF-less POST (signed in, and the sign-in form),
another organization's task id in a URL, and a member's credentials (tests/dashboard/test_pages_by_role.py)."""

from __future__ import annotations

from datetime import timedelta

from bot.services import dashboard_auth as auth
from tests.dashboard.test_pages_by_role import _login
from tests.dashboard.world import PASSWORD, World


async def _attempts(world: World, login: str, outcome: str) -> int:
    return await world.count("SELECT count(*) FROM dashboard_login_attempts WHERE login = %s AND outcome = %s", login, outcome)


async def _events(world: World, event_type: str, name: str | None = None) -> int:
    if name is None:
        return await world.count("SELECT count(*) FROM security_audit_logs WHERE event_type = %s", event_type)
    return await world.count("SELECT count(*) FROM security_audit_logs WHERE event_type = %s AND user_id = %s",
                             event_type, world.ids[name])


async def test_signing_in_sets_a_safe_cookie_and_signing_out_ends_the_session(world: World) -> None:
    status, _, response = await _login(world, "MIA@acme.test", PASSWORD)
    assert status == 303 and response.headers["Location"] == "/dashboard/"
    cookie = response.cookies["steward_session"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and not cookie["secure"] and cookie["path"] == "/dashboard/"
    assert await _attempts(world, "mia@acme.test", "signed_in") == 1
    status, body, _ = await world.get("", cookie.value)
    assert status == 200 and "Mia · manager" in body
    # Signing out needs the session's CSRF token too, and the cookie opens nothing afterwards.
    status, _, response = await world.post("logout", {"csrf": await world.csrf(cookie.value)}, cookie.value)
    assert status == 303 and response.headers["Location"] == "/dashboard/login?notice=signed_out"
    status, _, response = await world.get("", cookie.value)
    assert status == 303 and response.headers["Location"].startswith("/dashboard/login")
    # The Slack member ID signs in as well as the email.
    status, _, _ = await _login(world, "u0mia", PASSWORD)
    assert status == 303


async def test_the_cookie_is_secure_behind_https(world: World) -> None:
    from bot.dashboard.web import Dashboard
    from bot.settings import Settings

    secure = Dashboard(None, world.clock.now, Settings.from_env({"STEWARD_PUBLIC_URL": "https://steward.acme.test"}))
    plain = Dashboard(None, world.clock.now, Settings.from_env({}))

    class Request:
        secure = False

    assert secure._secure(Request()) and not plain._secure(Request())  # type: ignore[arg-type]


async def test_a_wrong_password_and_an_unknown_email_get_one_answer(world: World) -> None:
    wrong_status, wrong, _ = await _login(world, "mia@acme.test", "not the password")
    unknown_status, unknown, _ = await _login(world, "nobody@acme.test", "not the password")
    assert wrong_status == unknown_status == 401
    message = "That email (or Slack member ID) and password don&#39;t match an account that can use the dashboard."
    assert message in wrong and message in unknown  # nothing says which one was wrong
    assert await _attempts(world, "mia@acme.test", "wrong_password") == 1
    assert await _attempts(world, "nobody@acme.test", "unknown_login") == 1
    assert await _events(world, "dashboard.sign_in_failed", "mia") == 1
    assert PASSWORD not in wrong and "not the password" not in wrong  # a password is never echoed
    status, body, _ = await _login(world, "", "")
    assert status == 400 and "fill in both" in body


async def test_repeated_failures_lock_the_account_until_the_window_passes(world: World) -> None:
    for _ in range(auth.LOGIN_FAILURES):
        status, _, _ = await _login(world, "mia@acme.test", "guess")
        assert status == 401
    status, body, response = await _login(world, "mia@acme.test", PASSWORD)  # even the right one, while locked
    assert status == 429 and "Too many failed sign-ins" in body and "15 more minutes" in body
    assert "steward_session" not in response.cookies
    assert await _attempts(world, "mia@acme.test", "locked") == 1
    assert await world.count("SELECT count(*) FROM rate_limit_events WHERE user_id = %s AND action = 'dashboard.sign_in' "
                             "AND NOT allowed", world.ids["mia"]) == 1
    assert await _events(world, "dashboard.locked", "mia") == 1
    # An unknown email locks the same way, so a lockout tells nothing about who has an account.
    for _ in range(auth.LOGIN_FAILURES):
        await _login(world, "ghost@acme.test", "guess")
    status, body, _ = await _login(world, "ghost@acme.test", "guess")
    assert status == 429 and "Too many failed sign-ins" in body
    world.clock.advance(auth.LOGIN_WINDOW + timedelta(seconds=1))
    status, _, _ = await _login(world, "mia@acme.test", PASSWORD)
    assert status == 303


async def test_one_address_trying_many_logins_is_locked(world: World) -> None:
    for n in range(auth.ADDRESS_FAILURES):
        status, _, _ = await _login(world, f"guess{n}@acme.test", "guess")
        assert status == 401
    status, body, _ = await _login(world, "bo@acme.test", PASSWORD)
    assert status == 429 and "Too many failed sign-ins" in body
    assert await _events(world, "dashboard.locked", "bo") == 1


async def test_the_sign_in_form_without_its_csrf_token_is_refused(world: World) -> None:
    status, body, response = await world.post("login", {"login": "mia@acme.test", "password": PASSWORD})
    assert status == 403 and "security token" in body and "steward_session" not in response.cookies
    assert await _attempts(world, "mia@acme.test", "csrf_refused") == 1
    status, _, _ = await world.post("login", {"login": "mia@acme.test", "password": PASSWORD, "csrf": "forged"},
                                    extra_cookies="steward_sign_in=another")
    assert status == 403 and await _attempts(world, "mia@acme.test", "csrf_refused") == 2


async def test_a_one_time_password_forces_a_change_before_anything_else(world: World) -> None:
    other = await world.session("bo")  # a session from before: a new password ends it
    one_time = await auth.set_one_time_password(world.conn, await world.user("bo"), world.clock.now(), via="cli")
    status, _, _ = await world.get("", other)
    assert status == 303
    status, _, response = await _login(world, "bo@acme.test", one_time)
    assert status == 303 and response.headers["Location"] == "/dashboard/password"
    cookie = response.cookies["steward_session"].value
    for page in ("", "board", "kpis", "security", "charts/mood.png"):
        status, body, response = await world.get(page, cookie)
        assert status == 303 and response.headers["Location"] == "/dashboard/password", page
    status, body, _ = await world.get("password", cookie)
    assert status == 200 and "Choose your own password" in body and "Rex" not in body
    csrf = await world.csrf(cookie)
    cases = [
        ({"current": "wrong", "new": "a long new passphrase", "confirm": "a long new passphrase"}, 403, "current password is not right"),
        ({"current": one_time, "new": "short", "confirm": "short"}, 400, "at least 12 characters (it has 5)"),
        ({"current": one_time, "new": "a long new passphrase", "confirm": "a long new passphrasf"}, 400, "not the same"),
        ({"current": one_time, "new": "aaaaaaaaaaaaaaaa", "confirm": "aaaaaaaaaaaaaaaa"}, 400, "too few different characters"),
    ]
    for form, want, words in cases:
        status, body, _ = await world.post("password", {**form, "csrf": csrf}, cookie)
        assert status == want and words in body, (form, body[:300])
    status, _, response = await world.post("password", {"current": one_time, "new": "a long new passphrase",
                                                        "confirm": "a long new passphrase", "csrf": csrf}, cookie)
    assert status == 303 and response.headers["Location"] == "/dashboard/"
    status, body, _ = await world.get("", cookie)
    assert status == 200 and "Rex" in body and "Your password is saved." in body
    status, body, _ = await world.get("?notice=password", cookie)  # shown once; the address can't make it say so
    assert status == 200 and "Your password is saved." not in body
    assert await world.count("SELECT count(*) FROM users WHERE id = %s AND NOT must_change_password", world.ids["bo"]) == 1
    assert await world.count("SELECT count(*) FROM audit_logs WHERE actor_id = %s AND action = 'dashboard.password_changed'",
                             world.ids["bo"]) == 1
    status, _, _ = await _login(world, "bo@acme.test", one_time)  # the one-time password works once
    assert status == 401


async def test_sessions_end_after_twelve_idle_hours_and_a_form_then_saves_nothing(world: World) -> None:
    cookie = await world.session("mia")
    csrf = await world.csrf(cookie)
    for _ in range(3):  # each request starts the idle time again
        world.clock.advance(auth.IDLE_TIMEOUT - timedelta(minutes=1))
        status, _, _ = await world.get("", cookie)
        assert status == 200
    world.clock.advance(auth.IDLE_TIMEOUT + timedelta(seconds=1))
    task = world.tasks["Pia landing page"]
    stage = await world.count("SELECT id FROM pipeline_stages WHERE organization_id = %s AND slug = 'in-progress'",
                              world.orgs["acme"])
    status, body, response = await world.post(f"board/tasks/{task}/move", {"stage": str(stage), "csrf": csrf}, cookie)
    assert status == 401 and "nothing was saved" in body
    assert await world.count("SELECT count(*) FROM task_logs WHERE task_id = %s", task) == 0
    assert await _events(world, "dashboard.session_expired", "mia") == 1
    status, _, response = await world.get("", cookie)
    assert status == 303 and response.headers["Location"] == "/dashboard/login?notice=expired"
    status, body, _ = await world.get("login?notice=expired")
    assert "Your session has ended" in body


async def test_a_tampered_or_forged_cookie_is_refused_and_logged(world: World) -> None:
    cookie = await world.session("mia")
    sid, _, token = cookie.partition(".")
    tampered = f"{sid}.{token[:-2]}{'AA' if token[-2:] != 'AA' else 'BB'}"
    status, body, response = await world.get("", tampered)
    assert status == 303 and response.headers["Location"] == "/dashboard/login?notice=invalid" and "Pia" not in body
    assert await _events(world, "dashboard.session_tampered", "mia") == 1
    status, body, _ = await world.post("board/tasks/1/move", {"stage": "1", "csrf": "x"}, tampered)
    assert status == 401 and await _events(world, "dashboard.session_tampered", "mia") == 2
    for forged in ("garbage", "99999.token", "1.", "'; DROP TABLE users; --"):
        status, _, response = await world.get("", forged)
        assert status == 303 and response.headers["Location"] == "/dashboard/login?notice=invalid"
    status, _, response = await world.get("")  # no cookie at all: just the sign-in page
    assert status == 303 and response.headers["Location"] == "/dashboard/login"


async def test_a_form_without_the_sessions_csrf_token_changes_nothing(world: World) -> None:
    cookie = await world.session("mia")
    task = world.tasks["Pia landing page"]
    for form in ({"stage": "1"}, {"stage": "1", "csrf": "not-the-token"}):
        status, body, _ = await world.post(f"board/tasks/{task}/move", form, cookie)
        assert status == 403 and "nothing was changed" in body
    status, _, _ = await world.post("logout", {}, cookie)
    assert status == 403
    assert await world.count("SELECT count(*) FROM task_logs WHERE task_id = %s", task) == 0
    assert await _events(world, "dashboard.csrf_refused", "mia") == 3
    status, _, _ = await world.get("", cookie)
    assert status == 200  # still signed in: the forged sign-out did nothing


async def test_moving_a_task_writes_task_logs_and_foreign_ids_are_not_found(world: World) -> None:
    cookie = await world.session("mia")
    csrf = await world.csrf(cookie)
    acme, globex = world.orgs["acme"], world.orgs["globex"]
    stage = await world.count("SELECT id FROM pipeline_stages WHERE organization_id = %s AND slug = 'in-progress'", acme)
    task = world.tasks["Pia landing page"]
    status, _, response = await world.post(f"board/tasks/{task}/move", {"stage": str(stage), "csrf": csrf}, cookie)
    assert status == 303 and response.headers["Location"] == "/dashboard/board"
    row = await (await world.conn.execute("SELECT actor_id, action, to_value FROM task_logs WHERE task_id = %s",
                                          (task,))).fetchone()
    assert row == (world.ids["mia"], "moved", "In progress")
    status, body, _ = await world.get("board", cookie)
    assert "Moved T-1 to In progress." in body
    status, body, _ = await world.get("board?moved=HACKED-BY-EVE", cookie)  # a reload: gone; a link: says nothing
    assert "Moved" not in body and "HACKED" not in body
    # Another organization's task, another team's, one that does not exist, and nonsense: 404, nothing moved.
    globex_stage = await world.count("SELECT id FROM pipeline_stages WHERE organization_id = %s AND slug = 'in-progress'", globex)
    for raw, stage_id in ((world.tasks["Globex secret plan"], globex_stage), (world.tasks["Rex invoice"], stage),
                          (987654, stage), ("T-1", stage)):
        status, body, _ = await world.post(f"board/tasks/{raw}/move", {"stage": str(stage_id), "csrf": csrf}, cookie)
        assert status == 404 and "Globex" not in body and "Rex" not in body, raw
    assert await world.count("SELECT count(*) FROM task_logs WHERE task_id IN (%s, %s)",
                             world.tasks["Globex secret plan"], world.tasks["Rex invoice"]) == 0
    assert await world.count("SELECT count(*) FROM security_audit_logs WHERE user_id = %s AND event_type = "
                             "'permission_denied' AND details->>'action' = 'dashboard.task.move'", world.ids["mia"]) == 4
    # A stage of another organization, or the stage it is already in: 400, said plainly.
    status, body, _ = await world.post(f"board/tasks/{task}/move", {"stage": str(globex_stage), "csrf": csrf}, cookie)
    assert status == 400 and "nothing was moved" in body
    status, body, _ = await world.post(f"board/tasks/{task}/move", {"stage": str(stage), "csrf": csrf}, cookie)
    assert status == 400 and "already in In progress" in body and "Nothing was moved" in body


async def test_security_filters(world: World) -> None:
    ada = await world.session("ada")
    status, body, _ = await world.get("security?type=prompt_injection&level=high", ada)
    assert status == 200 and "acme-injection-attempt" in body
    status, body, _ = await world.get("security?type=permission_denied", ada)
    assert status == 200 and "acme-injection-attempt" not in body
    status, body, _ = await world.get("security?level=severe", ada)
    assert status == 400 and "must be one of" in body
    status, body, _ = await world.get("security?type=%3Cscript%3E", ada)
    assert status == 400 and "<script>" not in body
    status, body, _ = await world.get("security?type=foo_bar", ada)  # well-formed but not a kind recorded here
    assert status == 400 and "pick one from the list" in body
    status, _, _ = await world.get("security?type=permission_denied", ada)  # offered even before one happened
    assert status == 200


async def test_unknown_pages_and_methods(world: World) -> None:
    cookie = await world.session("ada")
    status, body, response = await world.get("nope", cookie)
    assert status == 404 and "no such page" in body and response.headers["X-Frame-Options"] == "DENY"
    status, _, response = await world.get("static/dashboard.css")
    assert status == 200 and "text/css" in response.headers["Content-Type"]


async def test_a_persons_sessions_and_sign_ins_are_counted_and_erased_with_them(world: World) -> None:
    from bot.services import privacy

    await world.session("mia")
    await _login(world, "mia@acme.test", "a wrong guess")
    mia, ada = await world.user("mia"), await world.user("ada")
    counts = await privacy.summary(world.conn, world.orgs["acme"], mia)
    assert counts["dashboard sessions and sign-in attempts (managers and admins; erased with you)"] == 2
    await privacy.erase(world.conn, world.orgs["acme"], ada, mia, world.clock.now())
    assert await world.count("SELECT count(*) FROM dashboard_sessions WHERE user_id = %s", world.ids["mia"]) == 0
    assert await world.count("SELECT count(*) FROM dashboard_login_attempts WHERE user_id = %s", world.ids["mia"]) == 0
