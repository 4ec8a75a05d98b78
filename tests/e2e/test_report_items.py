"""Reports' action items end to end (tester 15 findings 1, 2, 4), with the clock as a parameter: one simulated week
(Monday 16 to Friday 20 March 2026, New York's clock), then the weekly report on Monday 23 March.

The team: Lee manages Diego, Priya, Ana, Kim and Noor; Maya (the admin) manages Lee and Sam and is in the standup
herself. Sam gives updates only on Monday and Friday, Maya never: the submission target (90%) is missed by Maya's
team and by the organization, met by Lee's team. Maya gets two reports (her team's, the organization's by DM).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path

import pytest_asyncio

from bot.app import Steward
from bot.clock import FrozenClock
from bot.emulators.slack import SlackEmulator
from tests.e2e.conftest import DIEGO, MAYA, PRIYA, SAM, STANDUP, answer, answer_text
from tests.e2e.test_blockers import setup_team, team_bot, texts
from tests.e2e.test_daily_rhythm import LEE, db, reply, thread_roots, wait_until
from tests.e2e.test_day_recaps import record_leave
from tests.e2e.test_reports import ANA, KIM, NOOR, close, fetchval_dsn, item_ids, ny, report_dm, rows, run

MONDAY = date(2026, 3, 16)
WEEK = [MONDAY + timedelta(days=d) for d in range(5)]
REPORT_DAY = date(2026, 3, 23)
LEES = (DIEGO, PRIYA, ANA, KIM, NOOR)


@pytest_asyncio.fixture
async def clock() -> FrozenClock:
    return FrozenClock(at=ny(MONDAY - timedelta(days=3), 13))


@pytest_asyncio.fixture
async def bot(emulator: SlackEmulator, db_dsn: str, tmp_path: Path, clock: FrozenClock) -> AsyncIterator[Steward]:
    for slack_id, handle in ((ANA, "ana"), (KIM, "kim"), (NOOR, "noor")):
        emulator.add_user(slack_id, handle, handle.capitalize(), email=f"{handle}@acme.test", tz="America/New_York")
        emulator.workspace.channel(STANDUP).members.append(slack_id)
    async with team_bot(emulator, db_dsn, tmp_path, clock) as started:
        yield started


async def a_week(emulator: SlackEmulator, bot: Steward, clock: FrozenClock) -> None:
    for day in WEEK:
        mark = len(emulator.calls)
        await run(bot, clock, "morning-thread", ny(day, 9))
        await emulator.wait_for_call("chat.postMessage", lambda c: c.args.get("channel") == STANDUP
                                     and not c.args.get("thread_ts"), since=mark, timeout=15)
        thread_ts = thread_roots(emulator)[-1]["ts"]
        clock.at = ny(day, 9, 30)
        for who in (*LEES, SAM):
            if (who == SAM and day.isoweekday() in (2, 3, 4)) or (who == KIM and day.isoweekday() == 4):
                continue
            await reply(emulator, who, thread_ts, f"Today: the {day:%A} release notes")
        await run(bot, clock, "end-of-day", ny(day, 17, 31))  # the check-ins (unanswered: tasks carry forward)
        await close(bot, clock, day)


def buttons(message: dict[str, object]) -> set[str]:
    return {str(b.get("block_id")) for b in message.get("blocks") or []}  # type: ignore[union-attr]


async def test_items_are_shared_across_reports_and_listed_on_demand(emulator: SlackEmulator, bot: Steward,
                                                                    clock: FrozenClock, db_dsn: str) -> None:
    await setup_team(emulator, db_dsn)
    await answer_text(emulator, MAYA, "/steward", "manager <@{}> for {}".format(LEE, " ".join(f"<@{p}>" for p in LEES)))
    await answer_text(emulator, MAYA, "/steward", f"manager <@{MAYA}> for <@{LEE}> <@{SAM}>")
    assert "target set" in await answer_text(emulator, MAYA, "/steward", "kpi set submission_rate 90%")
    async with await db(db_dsn) as conn:
        await conn.execute("UPDATE users SET created_at = '2026-02-02'")
    await a_week(emulator, bot, clock)
    await record_leave(db_dsn, NOOR, date(2026, 3, 30), date(2026, 4, 1))  # Mon 30 Mar – Wed 1 Apr
    await record_leave(db_dsn, ANA, date(2026, 3, 27), date(2026, 3, 31))  # Fri 27 – Tue 31 Mar (a weekend in it)
    await run(bot, clock, "day-close", ny(REPORT_DAY, 5, 15))  # as the scheduler does every 15 minutes
    # Finding 11: Sam (London) was asked about Friday on Monday at 08:00 his time (quiet hours, then his weekend):
    # his Friday is still open at 05:30 New York (his answer window), so the week waits for him.
    still_open = await rows(db_dsn, "SELECT DISTINCT p.external_id FROM day_plan_items i JOIN platform_identities p "
                                    "ON p.user_id = i.user_id WHERE i.closed_at IS NULL AND i.plan_date = %s", WEEK[-1])
    assert (SAM,) in still_open, still_open
    assert await run(bot, clock, "kpi-snapshot", ny(REPORT_DAY, 5, 30)) == {"weeks": 0, "rows": 0, "waiting": 1}
    await run(bot, clock, "day-close", ny(REPORT_DAY, 9, 20))  # their answer windows have passed: Friday closes
    taken = await run(bot, clock, "kpi-snapshot", ny(REPORT_DAY, 9, 25))
    assert taken["weeks"] == 1 and taken["waiting"] == 0, taken
    carried_friday = await fetchval_dsn(db_dsn, "SELECT (metrics->>'carry_forward_rate')::float FROM kpi_snapshots "
                                                "WHERE user_id = (SELECT user_id FROM platform_identities WHERE "
                                                "external_id = %s)", SAM)
    assert carried_friday == 1.0  # Sam's Friday close is in his snapshot
    sent = await run(bot, clock, "weekly-report", ny(REPORT_DAY, 9, 31))
    assert sent["sent"] == 3, sent  # Lee's team, Maya's team, the organization (to Maya, the only admin)

    maya_dm = await emulator.dm_channel(MAYA)
    team = report_dm(emulator, maya_dm, "Weekly report: your team, week of 16 Mar 2026")
    org = report_dm(emulator, maya_dm, "Weekly report: the organization, week of 16 Mar 2026")
    maya_id = await fetchval_dsn(db_dsn, "SELECT user_id FROM platform_identities WHERE external_id = %s", MAYA)
    keys = dict(await rows(db_dsn, "SELECT evidence_key, id FROM action_items WHERE assignee_id = %s", maya_id))
    # Finding 4: both reports that show the miss propose it, each for its own scope.
    assert f"kpi:team:{maya_id}:submission_rate" in keys and "kpi:org:submission_rate" in keys, keys
    assert ":warning: *Submission rate*" in texts(team) and ":warning: *Submission rate*" in texts(org)
    # Finding 6: who is out next week, each leave as a whole (not only its days within the next 7).
    assert "*Out next week* (from tomorrow; whole leaves)\nana: Fri 27 – Tue 31 Mar\nnoor: Mon 30 Mar – Wed 1 Apr" \
        in texts(org), texts(org)
    # Finding 8: the paragraph says what the KPI lines do not (not the lines again), and what changed most is named.
    assert "Changed most: nothing to compare with yet (no previous period)." in texts(org)
    assert "Needs a decision: " in texts(org) and "People in the report" not in texts(org), texts(org)
    # Finding 2: one row per evidence, shown in both of Maya's reports.
    shared = keys["kpi:org:submission_rate"]
    assert shared in item_ids(team) and shared in item_ids(org)

    # Done on the organization's copy: confirmed, and the team report's copy loses its buttons too.
    pressed = await emulator.click_button(MAYA, message_ts=org["ts"], channel=maya_dm, action_id="action_item_done",
                                          value=str(shared), block_id=f"action_item_buttons:{shared}")
    said = await pressed.wait_for_response(timeout=10)
    assert said.text is not None and said.text.startswith("Done: Submission rate is off target"), said.body

    async def updated() -> bool:
        return f"action_item_buttons:{shared}" not in buttons(emulator.message(maya_dm, team["ts"]) or {})

    await wait_until(updated)
    assert f"Done by <@{MAYA}>" in texts(emulator.message(maya_dm, team["ts"]) or {})
    assert f"action_item_buttons:{shared}" not in buttons(emulator.message(maya_dm, org["ts"]) or {})
    # Pressed again (the stale copy): who closed it and when.
    again = await emulator.click_button(MAYA, message_ts=team["ts"], channel=maya_dm, action_id="action_item_done",
                                        value=str(shared), block_id=f"action_item_buttons:{shared}", seen=team)
    answered = await again.wait_for_response(timeout=10)
    assert answered.text == f"Already closed. Done by <@{MAYA}> on Mon 23 Mar 09:31: ~Submission rate is off target: " \
                            "agree what to change~", answered.body

    # Finding 1: an on-demand report lists the asker's open items, as /actions does.
    clock.at = ny(REPORT_DAY, 10)
    lee_items = {i for (i,) in await rows(db_dsn, "SELECT a.id FROM action_items a JOIN platform_identities p ON "
                                                  "p.user_id = a.assignee_id WHERE p.external_id = %s AND "
                                                  "a.status = 'open'", LEE)}
    assert lee_items, "Lee's team report proposed items (tasks carried three times)"
    body = (await answer(emulator, LEE, "/report", "team")).body
    assert set(item_ids(body)) == lee_items and "Nothing needs a decision" not in texts(body), texts(body)
    assert set(item_ids((await answer(emulator, LEE, "/actions")).body)) == lee_items

    # Finding 7: `team` is the asker's own team for everyone, admins included; `org` is the organization (admins).
    mine = texts((await answer(emulator, MAYA, "/report", "team")).body)
    assert "Weekly report: your team, week of 16 Mar 2026" in mine and "People: 2" in mine, mine
    whole = texts((await answer(emulator, MAYA, "/report", "organization")).body)
    assert "Weekly report: the organization, week of 16 Mar 2026" in whole and "People: 8" in whole, whole
    assert "organization's report is for admins" in await answer_text(emulator, LEE, "/report", "org")
