"""Dates on the dashboard are the organization's (tester17 finding 9): a flag raised at 20:50 in New York on Monday
30 November (01:50 UTC on 1 December) reads "30 Nov", as the overview's "today" does; the security log's times too."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.dashboard.world import World


async def test_flag_inquiry_and_security_times_are_shown_in_the_organizations_zone(world: World) -> None:
    acme = world.orgs["acme"]
    evening = datetime(2026, 12, 1, 1, 50, tzinfo=UTC)
    await world.conn.execute("UPDATE org_settings SET timezone = 'America/New_York' WHERE organization_id = %s", (acme,))
    await world.conn.execute("UPDATE flags SET created_at = %s WHERE organization_id = %s", (evening, acme))
    await world.conn.execute("UPDATE inquiry_threads SET created_at = %s WHERE organization_id = %s", (evening, acme))
    await world.conn.execute("UPDATE security_audit_logs SET created_at = %s WHERE organization_id = %s", (evening, acme))
    world.clock.advance(datetime(2026, 12, 1, 2, 0, tzinfo=UTC) - world.clock.now())
    cookie = await world.session("ada")
    status, overview, _ = await world.get("", cookie)
    assert status == 200 and "Mon 30 Nov 2026" in overview
    status, body, _ = await world.get("flags", cookie)
    assert status == 200 and body.count("30 Nov 2026") == 2 and "1 Dec 2026" not in body  # the flag and its inquiry
    status, body, _ = await world.get("security?type=prompt_injection", cookie)
    assert status == 200 and "When (America/New_York)" in body and "2026-11-30 20:50" in body
