"""Smaller things on the dashboard's pages (tester17 finding 10): a move past a WIP limit answers with a redirect
(a reload re-posts nothing), the board says its WIP counts every team, a manager's own KPIs, Slack's backticks
shown as code, the sign-in page while signed in, and a person id in full-width digits."""

from __future__ import annotations

from tests.dashboard.test_pages_by_role import _login
from tests.dashboard.world import PASSWORD, World


async def _stage(world: World, slug: str) -> int:
    return await world.count("SELECT id FROM pipeline_stages WHERE organization_id = %s AND slug = %s",
                             world.orgs["acme"], slug)


async def test_a_move_past_the_wip_limit_redirects_and_the_warning_shows_once(world: World) -> None:
    await world.conn.execute("UPDATE pipeline_stages SET wip_limit = 1 WHERE organization_id = %s AND slug = "
                             "'in-progress'", (world.orgs["acme"],))
    cookie = await world.session("mia")
    csrf = await world.csrf(cookie)
    stage = await _stage(world, "in-progress")
    for title in ("Pia landing page", "Quin overdue report"):
        status, _, response = await world.post(f"board/tasks/{world.tasks[title]}/move",
                                               {"stage": str(stage), "csrf": csrf}, cookie)
        assert status == 303 and response.headers["Location"] == "/dashboard/board"
    status, body, _ = await world.get("board", cookie)
    assert status == 200 and "Moved T-2 to In progress." in body and "WIP" in body
    status, body, _ = await world.get("board", cookie)  # a reload: the message is gone, nothing re-posted
    assert "Moved T-2" not in body
    assert await world.count("SELECT count(*) FROM task_logs WHERE action = 'moved'") == 2
    # A manager is told the limit counts every team's tasks; an admin sees the organization anyway.
    assert "WIP (all teams) 2/1" in body
    status, body, _ = await world.get("board", await world.session("ada"))
    assert "WIP 2/1" in body and "all teams" not in body


async def test_a_manager_sees_their_own_kpis(world: World) -> None:
    cookie = await world.session("mia")
    status, body, _ = await world.get(f"kpis?person={world.ids['mia']}", cookie)
    assert status == 200 and "KPIs: Mia" in body
    status, body, _ = await world.get("kpis", cookie)
    assert f'<option value="{world.ids["mia"]}"' in body
    status, _, _ = await world.get(f"kpis?person={world.ids['bo']}", cookie)  # not another manager's
    assert status == 404


async def test_slack_backticks_show_as_code(world: World) -> None:
    status, body, _ = await _login(world, "pia@acme.test", PASSWORD)  # a member's right credentials
    assert status == 403 and "<code>/tasks</code>" in body and "<code>/steward my-data</code>" in body
    assert "`" not in body


async def test_the_sign_in_page_while_signed_in_goes_to_the_overview(world: World) -> None:
    cookie = await world.session("mia")
    status, _, response = await world.get("login", cookie)
    assert status == 303 and response.headers["Location"] == "/dashboard/"
    status, body, _ = await world.get("login", "1.not-a-session")  # a dead cookie: the form
    assert status == 200 and "Sign in" in body


async def test_a_person_in_full_width_digits_is_not_a_number(world: World) -> None:
    cookie = await world.session("ada")
    full_width = "".join(chr(ord("０") + int(d)) for d in str(world.ids["pia"]))
    status, body, _ = await world.get(f"kpis?person={full_width}", cookie)
    assert status == 400 and "not a number" in body


async def test_the_security_log_pages_through_every_event_and_says_how_many(world: World) -> None:
    acme = world.orgs["acme"]
    await world.conn.execute("UPDATE security_audit_logs SET created_at = %s - interval '1 day' WHERE organization_id = %s",
                             (world.clock.now(), acme))
    await world.conn.execute(
        "INSERT INTO security_audit_logs (organization_id, event_type, threat_level, description, details, created_at) "
        "SELECT %s, 'dashboard.locked', 'medium', 'flood ' || n, jsonb_build_object('address', '203.0.113.' || (n %% 250)), "
        "%s::timestamptz + n * interval '1 second' FROM generate_series(1, 450) n", (acme, world.clock.now()))
    cookie = await world.session("ada")
    status, body, _ = await world.get("security", cookie)
    assert status == 200 and "Events 1–200 of 451, newest first." in body and "page 1 of 3" in body
    assert "flood 450" in body and "203.0.113.200" in body and "acme-injection-attempt" not in body
    status, body, _ = await world.get("security?page=3", cookie)
    assert status == 200 and "Events 401–451 of 451" in body and "acme-injection-attempt" in body
    status, body, _ = await world.get("security?type=dashboard.locked&page=2", cookie)
    assert status == 200 and "Events 201–400 of 450" in body and "type=dashboard.locked&amp;page=3" in body
    for bad in ("0", "abc", "99999999"):
        status, _, _ = await world.get(f"security?page={bad}", cookie)
        assert status == 400, bad


async def test_a_move_is_logged_at_the_rules_clock_and_moving_out_of_done_logs_the_status(world: World) -> None:
    cookie = await world.session("mia")
    csrf = await world.csrf(cookie)
    task = world.tasks["Pia landing page"]
    await world.conn.execute("UPDATE tasks SET status = 'done', completed_at = %s, stage_id = %s WHERE id = %s",
                             (world.clock.now(), await _stage(world, "done"), task))
    status, _, _ = await world.post(f"board/tasks/{task}/move", {"stage": str(await _stage(world, "to-do")),
                                                                  "csrf": csrf}, cookie)
    assert status == 303
    rows = await (await world.conn.execute("SELECT action, from_value, to_value, created_at FROM task_logs "
                                           "WHERE task_id = %s ORDER BY id", (task,))).fetchall()
    assert [(r[0], r[1], r[2]) for r in rows] == [("moved", "Done", "To do"), ("status_changed", "done", "pending")]
    assert all(r[3] == world.clock.now() for r in rows)


def test_averages_round_halves_up() -> None:
    from bot.dashboard.web import one_decimal

    assert [one_decimal(v) for v in (3.25, 3.15, 2.0, 4.04, 1.95)] == ["3.3", "3.2", "2.0", "4.0", "2.0"]
