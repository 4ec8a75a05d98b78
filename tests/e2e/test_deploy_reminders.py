"""Deploy reminders end to end (issue 16, the scenario): a client with two members and a Thursday 15:00 deploy with a
three-item checklist, the job `deploy-reminders` run as of chosen instants (the clock is a parameter), through the real
bot, its dispatcher and the Slack emulator.

Acme Corp's members: Diego and Nina (New York, both managed by Lee) and Sam (London, on leave that Thursday). The
checklist "Pre-deploy" (3 items) for client Acme Corp. Reminders at Wed 15:00 (-24 h) and Thu 14:00 (-1 h) reach Diego
and Nina; Diego ticks everything, Nina one item; at 15:00 the SOP record lists Nina's two missing items, and Lee is
told once (a re-run tells nobody again). Sam gets nothing. The client card shows all of it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest_asyncio

from bot.app import Steward
from bot.clock import FrozenClock
from bot.emulators.slack import SlackEmulator
from bot.services import checklists, kpis
from db.repos.users import user_by_slack_id
from tests.e2e import test_blockers as team
from tests.e2e.conftest import ACME, DIEGO, MAYA, PRIYA, SAM, answer_text
from tests.e2e.test_blockers import delivered
from tests.e2e.test_client_card import rows, value
from tests.e2e.test_daily_rhythm import LEE
from tests.e2e.test_day_recaps import record_leave

clock = team.clock
NEW_YORK = ZoneInfo("America/New_York")
NINA = "U0NINA"
THURSDAY = date(2026, 3, 12)


@pytest_asyncio.fixture
async def bot(emulator: SlackEmulator, db_dsn: str, tmp_path: Path, clock: FrozenClock) -> AsyncIterator[Steward]:
    """The team of test_blockers plus Nina, known to Steward from its first workspace sync."""
    emulator.add_user(NINA, "nina", "Nina Shah", email="nina@acme.test", tz="America/New_York")
    async with team.team_bot(emulator, db_dsn, tmp_path, clock) as started:
        yield started


def ny(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=NEW_YORK).astimezone(UTC)


async def run(bot: Steward, clock: FrozenClock, at: datetime) -> dict[str, Any]:
    clock.at = at
    report = await bot.scheduler.run_as_of("deploy-reminders", at)
    assert report is not None
    await delivered(bot, at)
    return dict(next(iter(report.result.values())))


async def dms(emulator: SlackEmulator, user: str, words: str) -> list[dict[str, Any]]:
    return [m for m in emulator.messages(await emulator.dm_channel(user))
            if words in (m.get("text") or "") + str(m.get("blocks") or "")]


async def tick(bot: Steward, slack_id: str, keys: list[str], at: datetime) -> None:
    """Tick ``keys`` of the person's Pre-deploy checklist for Thursday, as its checkboxes do."""
    async with bot.pool.connection() as conn:
        org = int(await value_of(conn, "SELECT id FROM organizations"))
        person = await user_by_slack_id(conn, org, slack_id)
        assert person is not None
        completion = int(await value_of(conn, "SELECT id FROM checklist_completions WHERE user_id = %s AND for_date = %s",
                                        person.id, THURSDAY))
        await checklists.tick(conn, org, person, f"checklist:{completion}:0", keys, at)


async def value_of(conn: Any, sql: str, *args: Any) -> Any:
    row = await (await conn.execute(sql, args or None)).fetchone()
    assert row is not None
    return row[0]


async def test_thursday_deploy_reminders_sop_record_and_manager_told_once(
        emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str) -> None:
    clock.at = ny(3, 9, 10)
    await team.setup_team(emulator, db_dsn)
    await answer_text(emulator, MAYA, "/steward", f"manager <@{LEE}> for <@{NINA}> <@{SAM}>")
    await answer_text(emulator, MAYA, "/steward", f"client add Acme Corp <#{ACME}|client-acme>")
    said = await answer_text(emulator, MAYA, "/steward", f"client Acme Corp members <@{DIEGO}> <@{NINA}> <@{SAM}>")
    assert "members are now" in said, said
    said = await answer_text(emulator, MAYA, "/steward", 'checklist add "Pre-deploy" for client Acme Corp every monday 10:00 '
                                                          "items: Run the tests; Back up the database; Tag the release")
    assert "Pre-deploy" in said, said
    said = await answer_text(emulator, MAYA, "/steward", "deploy Acme Corp every thursday 15:00 checklist Pre-deploy")
    assert "with checklist *Pre-deploy*" in said and "Thu 12 Mar 2026 15:00" in said, said
    # The SOP named after the schedule exists takes its records (tester16 #12).
    said = await answer_text(emulator, MAYA, "/steward", 'sop add "Deploy to production" checklist "Pre-deploy"')
    assert "Deploy schedules using the checklist now record each deploy against it" in said, said
    await record_leave(db_dsn, SAM, THURSDAY, THURSDAY)

    assert (await run(bot, clock, ny(3, 11, 14, 59)))["reminders"] == 0
    assert (await run(bot, clock, ny(3, 11, 15, 0)))["reminders"] == 2  # -24 h
    assert (await run(bot, clock, ny(3, 11, 15, 1)))["reminders"] == 0  # once
    for who in (DIEGO, NINA):
        assert len(await dms(emulator, who, "Deploy reminder: the Acme Corp deploy is tomorrow, Thu 12 Mar at 15:00")) == 1
        assert len(await dms(emulator, who, "Run the tests")) >= 1  # the checklist, as checkboxes
    assert not await dms(emulator, SAM, "deploy") and not await dms(emulator, SAM, "Run the tests")

    await tick(bot, DIEGO, await keys(bot), ny(3, 11, 16))
    await tick(bot, NINA, (await keys(bot))[:1], ny(3, 11, 16))

    assert (await run(bot, clock, ny(3, 12, 14, 0)))["reminders"] == 2  # -1 h
    for who in (DIEGO, NINA):
        [hour] = await dms(emulator, who, "Deploy reminder: the Acme Corp deploy is today, Thu 12 Mar at 15:00")
        assert "checkboxes" in str(hour["blocks"])
    assert (await run(bot, clock, ny(3, 12, 14, 30)))["reminders"] == 0

    first = await run(bot, clock, ny(3, 12, 15, 0))
    assert first["records"] == 1 and first["non_compliant_told"] == 1
    [(compliant, steps, notes)] = await rows(db_dsn, "SELECT compliant, steps_done, notes FROM sop_records")
    assert compliant is False
    assert await value(db_dsn, "SELECT s.name || ' ' || s.trigger FROM sop_records r JOIN sops s ON s.id = r.sop_id") == \
        "Deploy to production deploy"
    assert notes == "Missing: Nina Shah: Back up the database; Tag the release"
    nina = next(s for s in steps if s["slack_id"] == NINA)
    assert nina["missing"] == ["Back up the database", "Tag the release"]
    assert [s["slack_id"] for s in steps] == [DIEGO, NINA] or sorted(s["slack_id"] for s in steps) == sorted([DIEGO, NINA])
    [told] = await dms(emulator, LEE, "not done")
    assert f"<@{NINA}>: Back up the database, Tag the release" in told["text"]
    again = await run(bot, clock, ny(3, 12, 15, 1))
    assert again == {"reminders": 0, "records": 0, "non_compliant_told": 0, "warnings": 0}
    assert len(await dms(emulator, LEE, "not done")) == 1
    assert await value(db_dsn, "SELECT next_deploy_at FROM client_deploy_schedules") == ny(3, 19, 15, 0)

    card = await answer_text(emulator, MAYA, "/steward", "client Acme Corp")
    assert f"<@{DIEGO}>" in card and f"<@{NINA}>" in card and "Next deploy:* Thu 19 Mar 2026 15:00" in card

    # tester16 F8: the deploy's record (no person of its own) reaches the KPIs of its members and their team, as a
    # report computes them (for a list of people): team 0 / 1 compliant; Diego did his part, Nina did not.
    async with bot.pool.connection() as conn:
        org = int(await value_of(conn, "SELECT id FROM organizations"))
        ids = {s: (await user_by_slack_id(conn, org, s)).id for s in (DIEGO, NINA)}  # type: ignore[union-attr]
        figures = await kpis.compute(conn, org, since=date(2026, 3, 9), until=date(2026, 3, 15), now=ny(3, 16, 9),
                                     user_ids=list(ids.values()))
    assert figures.team[kpis.SOP_COMPLIANCE].value == 0.0
    assert figures.people[ids[DIEGO]][kpis.SOP_COMPLIANCE].value == 1.0
    assert figures.people[ids[NINA]][kpis.SOP_COMPLIANCE].value == 0.0


async def keys(bot: Steward) -> list[str]:
    async with bot.pool.connection() as conn:
        items = await value_of(conn, "SELECT items FROM checklists WHERE name = 'Pre-deploy'")
    return [str(i["key"]) for i in items]


async def test_a_member_far_from_the_teams_clock_gets_each_reminder_before_the_deploy(
        emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str) -> None:
    """tester16 F1/F2: the team's clock is New York's; Priya lives in Kolkata (quiet 20:00-08:00 on her clock). A
    Thursday 15:00 New York deploy is 00:30 Friday for her: -1 h (23:30) and -24 h (Thu 00:30) are in her quiet hours,
    so each goes at her 19:59, the last minute of the working window that reaches her (10:29 New York), and arrives
    at once, naming the deploy's time and hers; nothing is held until after the deploy."""
    clock.at = ny(3, 9, 10)
    await team.setup_team(emulator, db_dsn)
    await answer_text(emulator, MAYA, "/steward", f"client add Acme Corp <#{ACME}|client-acme>")
    assert "members are now" in await answer_text(emulator, MAYA, "/steward", f"client Acme Corp members <@{PRIYA}>")
    said = await answer_text(emulator, MAYA, "/steward", "deploy Acme Corp every thursday 15:00")
    assert "Thu 12 Mar 2026 15:00" in said, said

    assert (await run(bot, clock, ny(3, 11, 10, 28)))["reminders"] == 0
    assert (await run(bot, clock, ny(3, 11, 10, 29)))["reminders"] == 1  # -24 h, at her Wed 19:59
    [day] = await dms(emulator, PRIYA, "Deploy reminder")
    # Sent on her Wednesday evening: the deploy is her Friday, so neither "today" nor "tomorrow" (tester16b N5).
    assert day["text"].startswith("Deploy reminder: the Acme Corp deploy is Thu 12 Mar at 15:00 (America/New_York), "
                                  "Fri 00:30 your time (Asia/Kolkata)."), day["text"]
    assert (await run(bot, clock, ny(3, 11, 15, 0)))["reminders"] == 0
    assert (await run(bot, clock, ny(3, 12, 10, 28)))["reminders"] == 0
    assert (await run(bot, clock, ny(3, 12, 10, 29)))["reminders"] == 1  # -1 h, at her Thu 19:59
    [hour] = await dms(emulator, PRIYA, "deploy is tomorrow, Thu 12 Mar at 15:00")  # her Thursday 19:59
    assert "Fri 00:30 your time (Asia/Kolkata)" in hour["text"], hour["text"]
    assert (await run(bot, clock, ny(3, 12, 14, 0)))["reminders"] == 0
    async with bot.pool.connection() as conn:
        held = await (await conn.execute(
            "SELECT count(*) FROM notification_deliveries d JOIN notifications n ON n.id = d.notification_id "
            "WHERE n.kind = 'deploy_reminder' AND d.status <> 'sent'")).fetchone()
    assert held == (0,)  # both reached her when sent, none waits for her morning


async def test_removing_a_deploy_withdraws_what_was_queued_for_it(
        emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str) -> None:
    """tester16 F3: a one-off deploy on Thursday 09:00 New York (13:00 London) added at Sam's 03:00: his reminder (and
    its checklist DM) wait for his quiet hours to end at 08:00. The client's deploys are removed meanwhile: what was
    queued is cancelled, the checklist that never reached him is withdrawn, and nothing arrives later."""
    clock.at = ny(3, 9, 10)
    await team.setup_team(emulator, db_dsn)
    await answer_text(emulator, MAYA, "/steward", f"client add Acme Corp <#{ACME}|client-acme>")
    assert "members are now" in await answer_text(emulator, MAYA, "/steward", f"client Acme Corp members <@{SAM}>")
    await answer_text(emulator, MAYA, "/steward", 'checklist add "Pre-deploy" for client Acme Corp on demand '
                                                  "items: Run the tests; Back up the database; Tag the release")
    clock.at = datetime(2026, 3, 12, 3, 0, tzinfo=UTC)  # Thu 03:00 London, Wed 23:00 New York
    said = await answer_text(emulator, MAYA, "/steward", "deploy Acme Corp 2026-03-12 09:00 checklist Pre-deploy")
    assert "Thu 12 Mar 2026 09:00" in said, said
    assert (await run(bot, clock, clock.at))["reminders"] == 1
    assert await value(db_dsn, "SELECT count(*) FROM notification_deliveries WHERE status = 'held'") == 2
    assert await value(db_dsn, "SELECT count(*) FROM checklist_completions") == 1
    assert "Removed 1 deploy schedule" in await answer_text(emulator, MAYA, "/steward", "deploy Acme Corp remove")
    await bot.dispatcher.deliver_due(datetime(2026, 3, 12, 12, 0, tzinfo=UTC))  # past his 08:00
    assert not await dms(emulator, SAM, "ahead") and not await dms(emulator, SAM, "Run the tests")
    assert await value(db_dsn, "SELECT count(*) FROM checklist_completions") == 0
    assert await value(db_dsn, "SELECT count(*) FROM notification_deliveries d JOIN notifications n "
                               "ON n.id = d.notification_id WHERE n.kind IN ('deploy_reminder', 'checklist.sent') "
                               "AND d.status = 'cancelled'") == 2
    assert await value(db_dsn, "SELECT count(*) FROM notification_deliveries WHERE status IN ('pending', 'held')") == 0
    clock.at = datetime(2026, 3, 12, 12, 0, tzinfo=UTC)
    report = await bot.scheduler.run_as_of("deploy-reminders", clock.at)
    assert report is not None and dict(next(iter(report.result.values())))["reminders"] == 0


async def test_a_deploy_nobody_could_check_is_not_compliant(
        emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str) -> None:
    """tester16 F6/F7: Acme's only member Sam is on leave on the Thursday: the admin (Sam has no manager) is warned a
    day ahead, and the 15:00 record is NOT compliant ("nobody did the checklist"). The next Thursday the job only runs
    again at 18:00 (down in between): Sam was never sent the checklist, and the late record says so rather than
    blaming him for its items."""
    clock.at = ny(3, 9, 10)
    await team.setup_team(emulator, db_dsn)
    await answer_text(emulator, MAYA, "/steward", f"client add Acme Corp <#{ACME}|client-acme>")
    assert "members are now" in await answer_text(emulator, MAYA, "/steward", f"client Acme Corp members <@{SAM}>")
    await answer_text(emulator, MAYA, "/steward", 'checklist add "Pre-deploy" for client Acme Corp on demand '
                                                  "items: Run the tests; Back up the database; Tag the release")
    await answer_text(emulator, MAYA, "/steward", "deploy Acme Corp every thursday 15:00 checklist Pre-deploy")
    await record_leave(db_dsn, SAM, THURSDAY, THURSDAY)

    assert (await run(bot, clock, ny(3, 11, 15, 0)))["warnings"] == 1
    assert len(await dms(emulator, MAYA, "has every assigned member out")) == 1
    first = await run(bot, clock, ny(3, 12, 15, 0))
    assert first["records"] == 1 and first["non_compliant_told"] == 1
    assert await rows(db_dsn, "SELECT compliant, steps_done, notes FROM sop_records") == [
        (False, [], "Not done: nobody did the checklist (every assigned member was out).")]
    assert not await dms(emulator, SAM, "ahead")

    late = await run(bot, clock, ny(3, 19, 18, 0))  # the job's first run after Thursday 19 March 15:00
    assert late["records"] == 1 and late["reminders"] == 0
    [(compliant, steps, notes)] = await rows(db_dsn, "SELECT compliant, steps_done, notes FROM sop_records "
                                                     "ORDER BY recorded_at DESC LIMIT 1")
    assert compliant is False and [s["sent"] for s in steps] == [False]
    assert notes == ("Never sent the checklist: Sam Carter. Recorded late, at 2026-03-19 22:00 UTC: the job did not run "
                     "at the deploy's time.")
    [told] = await dms(emulator, MAYA, "Thu 19 Mar")
    assert f"<@{SAM}>: never got the checklist" in told["text"]
    # tester16b N8: the admin's DM says the record is late too, not only sop_records.notes.
    assert "Recorded late, at 2026-03-19 22:00 UTC (the job did not run at the deploy's time)" in told["text"], told
    [first_told] = [m for m in await dms(emulator, MAYA, "Thu 12 Mar") if "went ahead" in m["text"]]
    assert "Recorded late" not in first_told["text"]  # recorded on time
