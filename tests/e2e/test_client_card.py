"""Clients end to end (issue 16, clients half): assigned members, aliases, the notes modal, the client card, client
matching (tasks and facts by name, alias, channel and assigned members) and deploy schedules' bad input, through the
real bot over the Slack emulator, with the clock as a parameter.

The team (New York's clock, Monday to Friday): Maya (admin) manages Lee (a manager), who manages Diego and Priya; Sam
reports to nobody and is a plain member."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.app import Steward
from bot.clock import FrozenClock
from bot.emulators.slack import SlackEmulator
from bot.services import tasks as task_service
from db.repos.users import user_by_slack_id
from tests.e2e import test_blockers as team
from tests.e2e.conftest import ACME, DIEGO, MAYA, PRIYA, SAM, answer_text
from tests.e2e.test_daily_rhythm import LEE, db, wait_until
from tests.e2e.test_tasks import _make_task
from tests.helpers import fetchval

bot, clock = team.bot, team.clock  # Steward with a frozen clock (Friday 6 March 2026), scheduler stopped
NEW_YORK = ZoneInfo("America/New_York")


def ny(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=NEW_YORK).astimezone(UTC)


async def rows(dsn: str, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    async with await db(dsn) as conn:
        return [tuple(r) for r in await (await conn.execute(sql, args or None)).fetchall()]


async def value(dsn: str, sql: str, *args: Any) -> Any:
    async with await db(dsn) as conn:
        return await fetchval(conn, sql, args or None)


async def setup(emulator: SlackEmulator, dsn: str) -> None:
    await team.setup_team(emulator, dsn)
    await answer_text(emulator, MAYA, "/steward", f"role <@{LEE}> manager")
    assert "Added client *Acme Corp*" in await answer_text(emulator, MAYA, "/steward",
                                                          f"client add Acme Corp <#{ACME}|client-acme> \u2014 retail")
    await answer_text(emulator, MAYA, "/steward", "client add Globex")


async def refusals(dsn: str, event: str) -> int:
    return int(await value(dsn, "SELECT count(*) FROM security_audit_logs WHERE event_type = %s", event))


async def test_members_aliases_notes_and_who_may_change_them(emulator: SlackEmulator, bot: Steward, clock: FrozenClock,
                                                            db_dsn: str) -> None:
    await setup(emulator, db_dsn)
    # A plain member can't assign people; a manager not assigned to the client can't either (both logged).
    assert "only admins, and managers assigned to Acme Corp" in await answer_text(
        emulator, SAM, "/steward", f"client Acme Corp members <@{SAM}>")
    assert "only admins, and managers assigned to Acme Corp" in await answer_text(
        emulator, LEE, "/steward", f"client Acme Corp members <@{DIEGO}>")
    assert await value(db_dsn, "SELECT count(*) FROM security_audit_logs WHERE event_type = 'permission_denied' "
                               "AND details ->> 'action' = 'client.members'") == 2
    # Someone not in the workspace is refused by name and nothing is half-written.
    said = await answer_text(emulator, MAYA, "/steward", f"client Acme Corp members <@{DIEGO}> <@U0GHOST>")
    assert "<@U0GHOST> is not a member of this workspace" in said and "Nothing changed" in said
    assert "I don't know anyone called `@nobody`" in await answer_text(emulator, MAYA, "/steward", "client acme members @nobody")
    assert await value(db_dsn, "SELECT count(*) FROM client_members") == 0
    assert await refusals(db_dsn, "client.members.refused") == 2
    # The admin assigns Lee, Diego and Priya; then Lee, assigned, may change them.
    said = await answer_text(emulator, MAYA, "/steward", f"client Acme Corp members <@{LEE}> <@{DIEGO}> <@{PRIYA}>")
    assert f"<@{LEE}>, <@{DIEGO}>, <@{PRIYA}>" in said
    assert "members are now" in await answer_text(emulator, LEE, "/steward", f"client acme members <@{LEE}> <@{DIEGO}> <@{PRIYA}>")
    assert sorted(r[0] for r in await rows(db_dsn, "SELECT p.external_id FROM client_members m JOIN platform_identities p "
                                                   "ON p.user_id = m.user_id")) == sorted([LEE, DIEGO, PRIYA])

    # Aliases: quoted phrases and words; unique per organization, not another client's name or alias.
    said = await answer_text(emulator, LEE, "/steward", 'client Acme Corp alias "Acme Corporation" ACME')
    assert "also known as `Acme Corporation`, `ACME`" in said
    assert "already names Globex (its name)" in await answer_text(emulator, MAYA, "/steward", "client Acme Corp alias globex")
    assert "already names Acme Corp (its alias `ACME`)" in await answer_text(emulator, MAYA, "/steward", "client Globex alias acme")
    assert await rows(db_dsn, "SELECT alias FROM client_aliases ORDER BY id") == [("Acme Corporation",), ("ACME",)]
    assert await refusals(db_dsn, "client.alias.refused") == 2
    assert "I don't know a client called `Initech`" in await answer_text(emulator, MAYA, "/steward", "client Initech alias IT")

    # Notes: a modal opened with the command's trigger_id; saving stores them (and a member can't open it).
    assert "only admins, and managers assigned" in await answer_text(emulator, SAM, "/steward", "client ACME notes")
    mark = len(emulator.calls)
    result = await emulator.slash_command(LEE, "/steward", "client ACME notes", channel=ACME)
    assert not result.timed_out
    await emulator.wait_for_call("views.open", since=mark, timeout=10)
    view_id = next(v for v, view in emulator.open_views.items() if view.get("callback_id") == "client_notes")
    await emulator.submit_view(LEE, view_id, {"notes": {"notes": {"type": "plain_text_input",
                                                                  "value": "Deploys need a heads-up in #client-acme."}}})
    await wait_until(lambda: _notes(db_dsn))
    assert await value(db_dsn, "SELECT context_notes FROM clients WHERE name = 'Acme Corp'") == \
        "Deploys need a heads-up in #client-acme."


async def _notes(dsn: str) -> bool:
    return bool(await value(dsn, "SELECT count(*) FROM clients WHERE context_notes IS NOT NULL"))


async def test_tasks_link_to_clients_by_name_alias_channel_and_assigned_members(
        emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str) -> None:
    await setup(emulator, db_dsn)
    await answer_text(emulator, MAYA, "/steward", 'client Acme Corp alias "Roadrunner Inc"')
    await answer_text(emulator, MAYA, "/steward", f"client Globex members <@{DIEGO}>")
    await _make_task(emulator, SAM, "send the Roadrunner invoice by Friday")  # an alias, in a DM
    await _make_task(emulator, SAM, "update the Globex pricing page by Friday")  # a name
    await _make_task(emulator, DIEGO, "fix the staging login by Friday")  # Diego's only client
    await _make_task(emulator, SAM, "tidy the backlog by Friday")  # nothing names a client
    got = dict(await rows(db_dsn, "SELECT t.title, c.name FROM tasks t LEFT JOIN clients c ON c.id = t.client_id"))
    assert got == {"send the Roadrunner invoice": "Acme Corp", "update the Globex pricing page": "Globex",
                   "fix the staging login": "Globex", "tidy the backlog": None}
    # A task whose words were said in a client's channel (a draft made there) is that client's.
    async with bot.pool.connection() as conn:
        org = await fetchval(conn, "SELECT id FROM organizations")
        sam = await user_by_slack_id(conn, org, SAM)
        assert sam is not None
        made = await task_service.create(conn, org, sam, sam.id, task_service.NewTask("check the banner copy"),
                                         source="dm", said_in=ACME)
    assert await value(db_dsn, "SELECT c.name FROM tasks t JOIN clients c ON c.id = t.client_id WHERE t.id = %s",
                       made.id) == "Acme Corp"


async def _task_named(dsn: str, title: str) -> bool:
    return bool(await value(dsn, "SELECT count(*) FROM tasks WHERE title = %s", title))


async def test_deploy_bad_input_is_refused_politely_and_writes_nothing(
        emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str) -> None:
    await setup(emulator, db_dsn)
    clock.at = ny(3, 9, 12)
    cases = {
        "Initech every thursday 15:00": "I don't know a client called `Initech`",
        "Acme Corp every thursdy 15:00": "`thursdy` isn't a weekday",
        "Acme Corp every thursday 25:00": "`25:00` isn't a time",
        "Acme Corp every thursday": "What time?",
        "Acme Corp 2026-02-30 15:00": "`2026-02-30` isn't a date",
        "Acme Corp 2026-03-02 15:00": "The deploy you asked for, on Mon 02 Mar 2026 at 15:00 (America/New_York), is in the past",
        "Acme Corp every friday 15:00 Mars/Base": "`Mars/Base` isn't a time zone",
        "Acme Corp every friday 15:00 checklist Nope": "I don't know a checklist called `Nope`",
        "Acme Corp tomorrow at 3": "I couldn't read that",
    }
    for words, expected in cases.items():
        said = await answer_text(emulator, MAYA, "/steward", f"deploy {words}")
        assert expected in said, (words, said)
    assert "only admins, and managers assigned to Acme Corp" in await answer_text(
        emulator, SAM, "/steward", "deploy Acme Corp every thursday 15:00")
    assert await value(db_dsn, "SELECT count(*) FROM client_deploy_schedules") == 0
    assert await refusals(db_dsn, "deploy.refused") == 9  # the unknown client too (tester16 #13)
    # A good one, listed; removed.
    said = await answer_text(emulator, MAYA, "/steward", "deploy acme every thursday 15:00")
    assert "Scheduled *Acme Corp* deploys every Thursday at 15:00 (America/New_York)" in said and "Thu 12 Mar 2026 15:00" in said
    assert "Acme Corp* \u2014 Thu 12 Mar 2026 15:00 America/New_York (every Thursday)" in await answer_text(
        emulator, SAM, "/steward", "deploys")
    assert await rows(db_dsn, "SELECT recurrence, timezone, next_deploy_at FROM client_deploy_schedules") == [
        ({"freq": "weekly", "byweekday": [3], "time": "15:00"}, "America/New_York", ny(3, 12, 15))]
    # The same schedule again, in other words (tester16 F5): refused, not a second set of reminders and records.
    for again in ("acme corp every thursdays 15:00", "Acme Corp every thu 15:00 America/New_York"):
        said = await answer_text(emulator, MAYA, "/steward", f"deploy {again}")
        assert "*Acme Corp* already deploys every Thursday at 15:00 (America/New_York). Nothing was added" in said, said
    assert await value(db_dsn, "SELECT count(*) FROM client_deploy_schedules") == 1
    assert await refusals(db_dsn, "deploy.refused") == 11
    assert "Removed 1 deploy schedule" in await answer_text(emulator, MAYA, "/steward", "deploy Acme Corp remove")
    assert "No deploys scheduled" in await answer_text(emulator, SAM, "/steward", "deploys")


async def test_card_shows_channel_members_projects_tasks_deploy_notes_and_memory(
        emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str) -> None:
    await setup(emulator, db_dsn)
    clock.at = ny(3, 9, 10)
    await answer_text(emulator, MAYA, "/steward", f"client Acme Corp members <@{DIEGO}> <@{PRIYA}>")
    await answer_text(emulator, MAYA, "/steward", "project add Spring launch for Acme Corp")
    await _make_task(emulator, DIEGO, "update the Acme pricing page by Friday")
    async with await db(db_dsn) as conn:
        await conn.execute("UPDATE tasks SET due_date = %s", (date(2026, 3, 6),))  # due last Friday: overdue
        await conn.execute("UPDATE clients SET context_notes = 'Prefers Thursday deploys' WHERE name = 'Acme Corp'")
    await answer_text(emulator, MAYA, "/steward", "deploy Acme Corp every thursday 15:00")
    ts = await emulator.user_message(SAM, ACME, "The Acme Corp launch moved to April because legal needs more time.")
    await wait_until(lambda: _stored(db_dsn))
    await bot.scheduler.run_as_of("context", clock.at)
    card = await answer_text(emulator, SAM, "/steward", "client acme corp")
    assert f"*Channel:* <#{ACME}>" in card and f"<@{DIEGO}>, <@{PRIYA}>" in card
    assert "*Projects:* Spring launch" in card and "*Open tasks:* 1 \u00b7 *overdue:* 1" in card
    assert ":warning: overdue `T-1` update the Acme pricing page" in card
    assert "*Next deploy:* Thu 12 Mar 2026 15:00 America/New_York" in card
    assert "launch moved to April" in card and emulator.workspace.permalink(ACME, ts) in card
    # Context notes: Sam is not assigned to Acme (nor a manager or admin), so he sees that there are notes, not them.
    assert "Prefers Thursday deploys" not in card and "*Notes:* kept for its members, managers and admins" in card
    assert "Prefers Thursday deploys" in await answer_text(emulator, DIEGO, "/steward", "client acme corp")


async def _stored(dsn: str) -> bool:
    return bool(await value(dsn, "SELECT count(*) FROM channel_messages"))


async def test_client_names_read_alike_everywhere_and_unknown_ones_are_logged(
        emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str) -> None:
    """tester16 #5, #11, #13: a name with "&" (Slack sends `&amp;`) is found by the card and deploy commands; the
    checklist audience `client <name>` reads aliases and a unique prefix as every client command does, and a quoted
    name; an unknown client is logged."""
    await setup(emulator, db_dsn)
    clock.at = ny(3, 9, 12)
    assert "Added client *Smith &amp; Jones*" in await answer_text(emulator, MAYA, "/steward", "client add Smith &amp; Jones")
    card = await answer_text(emulator, MAYA, "/steward", "client Smith &amp; Jones")
    assert "I don't know" not in card and "Smith &amp; Jones" in card, card
    said = await answer_text(emulator, MAYA, "/steward", "deploy Smith &amp; Jones every friday 10:00")
    assert "Scheduled *Smith &amp; Jones* deploys every Friday at 10:00" in said, said
    said = await answer_text(emulator, MAYA, "/steward", 'deploy "Acme Corp" every monday 10:00')
    assert "Scheduled *Acme Corp* deploys every Monday" in said, said

    assert "also known as" in await answer_text(emulator, MAYA, "/steward", "client Acme Corp alias ACME")
    for words in ("for client ACME", "for client Acme", 'for client "Acme Corp"'):
        name = f"Pre-deploy {words[-4:]}"
        said = await answer_text(emulator, MAYA, "/steward", f'checklist add "{name}" {words} on demand items: tests; tag')
        assert "I don't know" not in said, (words, said)
    assert await value(db_dsn, "SELECT count(DISTINCT client_id) FROM checklists") == 1
    assert await value(db_dsn, "SELECT min(c.name) FROM checklists k JOIN clients c ON c.id = k.client_id") == "Acme Corp"

    before = await refusals(db_dsn, "client.refused")
    assert "I don't know a client called `Initech`" in await answer_text(emulator, MAYA, "/steward", "client Initech")
    assert await refusals(db_dsn, "client.refused") == before + 1
    before = await refusals(db_dsn, "deploy.refused")
    assert "I don't know a client called `Initech`" in await answer_text(emulator, MAYA, "/steward",
                                                                         "deploy Initech every friday 10:00")
    assert await refusals(db_dsn, "deploy.refused") == before + 1
