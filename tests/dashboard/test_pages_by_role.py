"""Every page of the dashboard for every kind of viewer, asserting exactly whose data it shows (issue 17: "server
tests for every route × role"): manager A (Mia: Pia, Quin, Tom), manager B (Bo: Rex, Sol), Acme's admin (Ada: all of
Acme), Globex's admin (Gus: Globex only), and a member (Pia), who cannot sign in and whose old session opens
nothing. Each page view is recorded in audit_logs."""

from __future__ import annotations

import pytest

from tests.dashboard.world import World

ACME_PEOPLE = {"Pia", "Quin", "Tom", "Rex", "Sol"}
A_TEAM, B_TEAM = {"Pia", "Quin", "Tom"}, {"Rex", "Sol"}
# (viewer, page) -> (status, must appear, must not appear)
Case = tuple[int, set[str], set[str]]
NEVER = {"pia-private-note", "quin-private-note", "rex-private-inquiry-words", "Globex secret plan", "Gil globex flag",
         "globex-secret-event"}
EXPECTED: dict[tuple[str, str], Case] = {
    ("mia", ""): (200, A_TEAM | {"waiting for Pia API keys", "Quin overdue report"}, B_TEAM | {"Gil", "Rex missed updates"}),
    ("bo", ""): (200, B_TEAM | {"Rex missed updates"}, A_TEAM | {"Gil", "waiting for Pia API keys", "Quin overdue report"}),
    ("ada", ""): (200, ACME_PEOPLE | {"waiting for Pia API keys", "Rex missed updates", "Quin overdue report"}, {"Gil"}),
    ("gus", ""): (200, {"Gil", "Gil globex flag"}, ACME_PEOPLE | {"waiting for Pia API keys", "Rex missed updates"}),
    ("mia", "board"): (200, {"Pia landing page", "Quin overdue report", "Mia hiring plan"}, {"Rex invoice"}),
    ("bo", "board"): (200, {"Rex invoice"}, {"Pia landing page", "Mia hiring plan"}),
    ("ada", "board"): (200, {"Pia landing page", "Rex invoice", "Mia hiring plan"}, set()),
    ("gus", "board"): (200, {"Globex secret plan"}, {"Pia landing page", "Rex invoice"}),
    ("mia", "flags"): (200, {"No flags."}, {"Rex missed updates"}),
    ("bo", "flags"): (200, {"Rex missed updates", "Rex"}, {"Pia"}),
    ("ada", "flags"): (200, {"Rex missed updates"}, set()),
    ("gus", "flags"): (200, {"Gil globex flag"}, {"Rex missed updates"}),
    ("mia", "mood"): (200, {"3.0"}, {"Not enough answers"}),  # Pia 2, Quin 4, Tom 3: three people
    ("bo", "mood"): (200, {"Not enough answers"}, {"5.0", "3.0"}),  # two people: never an average
    ("ada", "mood"): (200, {"3.0"}, set()),  # five people: (2+4+3+5+1)/5
    ("gus", "mood"): (200, {"Not enough answers"}, {"3.0"}),
    ("mia", "kpis"): (200, {">Pia<", ">Quin<", "71%"}, {">Rex<"}),
    ("bo", "kpis"): (200, {">Rex<", "61%"}, {">Pia<"}),
    ("ada", "kpis"): (200, {">Pia<", ">Rex<", "81%"}, set()),
    ("gus", "kpis"): (200, {">Gil<", "No weekly KPI snapshots"}, {">Pia<", "81%"}),
    ("mia", "security"): (403, {"for Steward&#39;s admins"}, {"acme-injection-attempt"}),
    ("bo", "security"): (403, set(), {"acme-injection-attempt"}),
    ("ada", "security"): (200, {"acme-injection-attempt", "prompt_injection", "Rex"}, set()),
    ("gus", "security"): (200, {"globex-secret-event"}, {"acme-injection-attempt"}),
    ("mia", "actions"): (200, {"Mia follow up"}, {"Bo follow up"}),
    ("bo", "actions"): (200, {"Bo follow up"}, {"Mia follow up"}),
    ("ada", "actions"): (200, {"Mia follow up", "Bo follow up"}, set()),
    ("gus", "actions"): (200, {"No open action items"}, {"Mia follow up"}),
}


@pytest.mark.parametrize(("viewer", "page"), list(EXPECTED), ids=[f"{v}:{p or 'overview'}" for v, p in EXPECTED])
async def test_each_page_shows_exactly_the_viewers_scope(world: World, viewer: str, page: str) -> None:
    status, must, must_not = EXPECTED[(viewer, page)]
    cookie = await world.session(viewer)
    got, body, response = await world.get(page, cookie)
    assert got == status, body[:500]
    for text in must:
        assert text in body, f"{viewer} on /{page} should see {text!r}"
    for text in must_not | NEVER - ({"Globex secret plan", "Gil globex flag", "globex-secret-event"} if viewer == "gus" else set()):
        assert text not in body, f"{viewer} on /{page} must not see {text!r}"
    assert response.headers["Cache-Control"] == "no-store"
    assert "script-src" not in response.headers["Content-Security-Policy"]  # default-src 'none': no script at all
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    org = world.org_of(viewer)
    if status == 200:
        assert await world.count("SELECT count(*) FROM audit_logs WHERE organization_id = %s AND actor_id = %s "
                                 "AND action = 'dashboard.viewed' AND entity_id = %s",
                                 org, world.ids[viewer], page or "overview") == 1
    else:
        assert await world.count("SELECT count(*) FROM security_audit_logs WHERE organization_id = %s AND user_id = %s "
                                 "AND event_type = 'permission_denied'", org, world.ids[viewer]) == 1


async def test_the_audit_log_names_whose_data_was_shown(world: World) -> None:
    await world.get("", await world.session("mia"))
    row = await (await world.conn.execute(
        "SELECT details FROM audit_logs WHERE actor_id = %s AND action = 'dashboard.viewed'", (world.ids["mia"],))).fetchone()
    assert row is not None and sorted(row[0]["people"]) == sorted(world.ids[n] for n in ("pia", "quin", "tom"))


async def test_a_person_page_is_the_viewers_people_only(world: World) -> None:
    mia = await world.session("mia")
    status, body, _ = await world.get(f"kpis?person={world.ids['pia']}", mia)
    assert status == 200 and "KPIs: Pia" in body and "71%" in body
    status, body, _ = await world.get(f"charts/kpis.png?person={world.ids['pia']}", mia)
    assert status == 200
    for outsider in ("rex", "gil"):  # another team's person; another organization's
        status, body, _ = await world.get(f"kpis?person={world.ids[outsider]}", mia)
        assert status == 404 and "61%" not in body and "Rex" not in body
        status, _, _ = await world.get(f"charts/kpis.png?person={world.ids[outsider]}", mia)
        assert status == 404
    assert await world.count("SELECT count(*) FROM security_audit_logs WHERE user_id = %s AND event_type = 'permission_denied' "
                             "AND details->>'action' = 'dashboard.kpis.person'", world.ids["mia"]) == 4
    status, body, _ = await world.get("kpis?person=pia", mia)
    assert status == 400 and "not a number" in body


async def test_charts_are_pngs_drawn_on_the_server(world: World) -> None:
    ada = await world.session("ada")
    for path in ("charts/kpis.png", "charts/mood.png"):
        status, _, response = await world.get(path, ada)
        assert status == 200 and response.headers["Content-Type"] == "image/png"
    status, _, _ = await world.get("charts/mood.png", await world.session("bo"))
    assert status == 404  # two people: no week to draw, never their average


async def test_a_member_cannot_sign_in_and_an_old_session_opens_nothing(world: World) -> None:
    from tests.dashboard.world import PASSWORD

    status, body, _ = await world.get("login")
    status, body, response = await _login(world, "pia@acme.test", PASSWORD)
    assert status == 403 and "for managers and admins" in body and "steward_session" not in response.headers.get("Set-Cookie", "")
    assert await world.count("SELECT count(*) FROM security_audit_logs WHERE user_id = %s AND event_type = 'permission_denied'",
                             world.ids["pia"]) == 1
    # Mia signed in, then was made a member: her session stops at once, on every page.
    mia = await world.session("mia")
    await world.conn.execute("UPDATE users SET role = 'member' WHERE id = %s", (world.ids["mia"],))
    for page in ("", "kpis", "mood", "flags", "security", "board", "actions", "charts/mood.png"):
        status, body, _ = await world.get(page, mia)
        assert status == 403 and "Pia" not in body and "Quin" not in body, page


async def _login(world: World, login: str, password: str, **extra: str):  # type: ignore[no-untyped-def]
    """The sign-in form as a browser sends it: the page first (its CSRF cookie), then the form."""
    assert world.http is not None
    async with world.http.get(world.url + "login", allow_redirects=False) as page:
        token = page.cookies["steward_sign_in"].value
    return await world.post("login", {"login": login, "password": password, "csrf": token, **extra},
                            extra_cookies=f"steward_sign_in={token}")
