"""`/steward kpi` end to end (issue 15): the organization's targets shown to anyone, set by an admin in words ("90%",
"0.85", "24h"), and bad input answered specifically: an unknown KPI (the known ones listed), a target out of range
("150%"), a member trying (refused and logged). Through the real bot and the Slack emulator."""

from __future__ import annotations

from bot.app import Steward
from bot.emulators.slack import SlackEmulator
from tests.e2e.conftest import MAYA, SAM, answer_text
from tests.e2e.test_daily_rhythm import db
from tests.helpers import fetchval


async def targets_stored(dsn: str) -> dict[str, tuple[float, str]]:
    async with await db(dsn) as conn:
        rows = await (await conn.execute("SELECT metric, target, direction FROM kpi_targets")).fetchall()
    return {r[0]: (float(r[1]), r[2]) for r in rows}


async def test_admins_set_targets_everyone_sees_them_bad_input_is_answered(emulator: SlackEmulator, steward: Steward,
                                                                          db_dsn: str) -> None:
    shown = await answer_text(emulator, SAM, "/steward", "kpi")
    assert "*KPI targets*" in shown and "Submission rate (`submission_rate`): _no target_" in shown
    assert "Only admins can change these." in shown

    # A member may look, not change: refused, nothing stored, the refusal logged.
    refused = await answer_text(emulator, SAM, "/steward", "kpi set submission_rate 90%")
    assert "only Steward admins can do that" in refused
    async with await db(db_dsn) as conn:
        assert await fetchval(conn, "SELECT count(*) FROM security_audit_logs WHERE event_type = 'permission_denied' "
                                    "AND details->>'action' = 'kpi.set'") == 1

    said = await answer_text(emulator, MAYA, "/steward", "kpi set submission_rate 90%")
    assert "Submission rate target set: at least 90%." in said
    assert "at least 85%" in await answer_text(emulator, MAYA, "/steward", "kpi set on_time_rate 0.85")
    assert "at most 24 h" in await answer_text(emulator, MAYA, "/steward", "kpi set blocker_resolution_hours 24h")
    assert "at most 15%" in await answer_text(emulator, MAYA, "/steward", "kpi set carry_forward_rate 15")
    assert "20 points per person per week" in await answer_text(emulator, MAYA, "/steward",
                                                                "kpi set weighted_throughput 20")

    unknown = await answer_text(emulator, MAYA, "/steward", "kpi set velocity 3")
    assert "I don't know the KPI `velocity`" in unknown and "`on_time_rate`" in unknown and "`team_mood`" in unknown
    assert "`150%` is out of range for `on_time_rate`" in await answer_text(emulator, MAYA, "/steward",
                                                                         "kpi set on_time_rate 150%")
    assert "What target for `team_mood`?" in await answer_text(emulator, MAYA, "/steward", "kpi set team_mood")
    assert "counted and credited in reports" in await answer_text(emulator, MAYA, "/steward", "kpi set recognition 4")
    assert "`/steward kpi set <kpi> <value>`" in await answer_text(emulator, MAYA, "/steward", "kpi show me")

    assert await targets_stored(db_dsn) == {
        "submission_rate": (0.9, "at_least"), "on_time_rate": (0.85, "at_least"),
        "blocker_resolution_hours": (24.0, "at_most"), "carry_forward_rate": (0.15, "at_most"),
        "weighted_throughput": (20.0, "at_least")}
    shown = await answer_text(emulator, MAYA, "/steward", "kpi")
    assert "Submission rate (`submission_rate`): at least 90%" in shown
    assert "Blocker resolution time (`blocker_resolution_hours`): at most 24 h" in shown
    assert "Team mood (`team_mood`): _no target_" in shown
    assert "`/steward kpi set <kpi> <value>`" in shown


async def test_reports_channel_and_wording(emulator: SlackEmulator, steward: Steward, db_dsn: str) -> None:
    """Tester 15 finding 10: a negative target is out of range (not "not a number"); `#nosuch` (no such channel, so
    Slack sends plain text) gets its own answer; a private channel Steward is not in is refused, a public one is
    joined (the kudos channel's check); a report of a period with no updates names the period."""
    said = await answer_text(emulator, MAYA, "/steward", "kpi set weighted_throughput -3")
    assert "`-3` is out of range for `weighted_throughput`" in said, said
    assert "I don't know a channel called #nosuch" in await answer_text(emulator, MAYA, "/steward",
                                                                       "reports channel #nosuch")
    emulator.add_channel("C0SECRET", "secret", is_private=True, members=[MAYA])
    refused = await answer_text(emulator, MAYA, "/steward", "reports channel <#C0SECRET|secret>")
    assert "Invite me there first" in refused, refused
    # Reports name people and their figures: never a client's channel, never one shared with another organization.
    await answer_text(emulator, MAYA, "/steward", "client add Globex <#C0ACME|client-acme>")
    client = await answer_text(emulator, MAYA, "/steward", "reports channel <#C0ACME|client-acme>")
    assert "is the channel of the client Globex" in client, client
    emulator.add_channel("C0CONNECT", "acme-connect", members=[MAYA, emulator.bot_user_id], is_ext_shared=True)
    shared = await answer_text(emulator, MAYA, "/steward", "reports channel <#C0CONNECT|acme-connect>")
    assert "shared with another organization" in shared, shared
    async with await db(db_dsn) as conn:
        assert await fetchval(conn, "SELECT reports_channel_id FROM org_settings") is None
    emulator.add_channel("C0LEADS", "leads", members=[MAYA])
    joined = await answer_text(emulator, MAYA, "/steward", "reports channel <#C0LEADS|leads>")
    assert "Organization-wide reports go to <#C0LEADS>." in joined, joined
    assert emulator.bot_user_id in emulator.workspace.channel("C0LEADS").members
    async with await db(db_dsn) as conn:
        assert await fetchval(conn, "SELECT reports_channel_id FROM org_settings") == "C0LEADS"
    none = await answer_text(emulator, MAYA, "/report", "monthly 2026-01-15")
    assert "No updates were asked in January 2026 (Thu 1 – Sat 31 Jan), so there is nothing to report." in none, none
    week = await answer_text(emulator, MAYA, "/report", "weekly 2026-01-15")
    assert "No updates were asked in the week of 12 Jan 2026 (Mon 12 – Sun 18 Jan)" in week, week
