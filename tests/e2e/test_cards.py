"""Cards end to end (issue 14), over three simulated weeks for a team of five, with the clock as a parameter: the real
bot, its jobs run as of chosen instants (morning-thread at 09:00, cards at 08:30 each workday), replies in the real
threads through the Slack emulator, buttons and modals pressed and filled in.

The team (New York's clock, Monday to Friday, 09:00; Monday 9 March a team holiday, no thread): Maya (the admin) manages Lee, who manages Diego and Priya; Sam
reports to nobody. Maya updates every day.
  * Lee misses Mon 2 and Tue 3 March while cards are in shadow mode (a card only admins see), then Thu 5 and Fri 6
    (a real breach: one live yellow, to Lee and to Maya, with links to the two threads), appeals it and Maya revokes
    it; then misses Tue 10 to Tue 17: three more yellows, and then exactly one red (the revoked one never counted).
  * Diego misses Mon 2, is on leave Tue 3, misses Wed 4: no card (the leave day breaks the run).
  * Sam (public holidays of Northern Ireland) misses Mon 16, has St Patrick's Day off on Tue 17, misses Wed 18: no card.
  * Priya is put in ramp-up on day one and never posts: no card.
  * Forty days later every card has expired.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.app import Steward
from bot.clock import FrozenClock
from bot.emulators.slack import SlackEmulator
from jobs import cards as cards_job
from tests.e2e import test_blockers as blocker_team
from tests.e2e.conftest import DIEGO, MAYA, PRIYA, SAM, STANDUP, answer_text
from tests.e2e.test_blockers import buttons, delivered, dms, setup_team, texts
from tests.e2e.test_daily_rhythm import LEE, db, reply, thread_roots, wait_until
from tests.e2e.test_day_recaps import record_leave
from tests.helpers import fetchval

bot, clock = blocker_team.bot, blocker_team.clock  # the team's fixtures (its clock starts on Friday 6 March)
NEW_YORK = ZoneInfo("America/New_York")
WORKDAYS = [date(2026, 3, d) for d in (2, 3, 4, 5, 6, 10, 11, 12, 13, 16, 17, 18, 19, 20)]  # Mon 9: a team holiday
# Who does NOT post their update on each day (everyone else on the thread does, except Priya, who never does).
MISSES = {
    date(2026, 3, 2): {LEE, DIEGO}, date(2026, 3, 3): {LEE}, date(2026, 3, 4): {DIEGO},
    date(2026, 3, 5): {LEE}, date(2026, 3, 6): {LEE},
    **{date(2026, 3, d): {LEE} for d in (10, 11, 12, 13, 17)},
    date(2026, 3, 16): {LEE, SAM}, date(2026, 3, 18): {SAM},
}
AWAY = {date(2026, 3, 3): {DIEGO}, date(2026, 3, 17): {SAM}}  # on leave; St Patrick's Day in Northern Ireland
POSTERS = (MAYA, LEE, DIEGO, SAM)


def ny(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=NEW_YORK).astimezone(UTC)


async def run(bot: Steward, clock: FrozenClock, job: str, at: datetime) -> dict[str, Any]:
    clock.at = at
    report = await bot.scheduler.run_as_of(job, at)
    assert report is not None
    await delivered(bot, at)
    return dict(next(iter(report.result.values())))


async def rows(dsn: str, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    async with await db(dsn) as conn:
        return [tuple(r) for r in await (await conn.execute(sql, args or None)).fetchall()]


async def value(dsn: str, sql: str, *args: Any) -> Any:
    async with await db(dsn) as conn:
        return await fetchval(conn, sql, args or None)


async def cards_of(dsn: str, slack_id: str) -> list[tuple[Any, ...]]:
    """(id, color, status, shadow, the days of its evidence) of a person's cards, oldest first."""
    return await rows(dsn, "SELECT c.id, c.color, c.status, c.shadow, c.evidence -> 'days' FROM cards c "
                           "JOIN platform_identities p ON p.user_id = c.user_id WHERE p.external_id = %s ORDER BY c.id",
                      slack_id)


async def press(emulator: SlackEmulator, user: str, message: dict[str, Any], action_id: str, *,
                stale: bool = False) -> Any:
    """Click ``action_id`` in ``message``; ``stale``: on the copy as first shown (the buttons were since replaced)."""
    value = next(e["value"] for b in message["blocks"] if b.get("type") == "actions" for e in b["elements"]
                 if e["action_id"] == action_id)
    result = await emulator.click_button(user, message_ts=message["ts"], channel=await emulator.dm_channel(user),
                                         action_id=action_id, value=value,
                                         seen=message if stale else None)
    assert not result.timed_out
    return result


async def fill(emulator: SlackEmulator, user: str, callback_id: str, reason: str, mark: int) -> Any:
    await emulator.wait_for_call("views.open", since=mark, timeout=10)
    view_id = next(v for v, view in emulator.open_views.items() if view.get("callback_id") == callback_id)
    return await emulator.submit_view(user, view_id, {"reason": {"reason": {"type": "plain_text_input", "value": reason}}})


async def queued(bot: Steward, dsn: str, kind: str) -> None:
    """Wait until a notification of ``kind`` is queued (a form is handled from the inbox, after its ack), then send it."""
    async def found() -> bool:
        return bool(await value(dsn, "SELECT count(*) FROM notifications WHERE kind = %s", kind))

    await wait_until(found)
    await delivered(bot)


async def a_day(emulator: SlackEmulator, bot: Steward, clock: FrozenClock, day: date) -> dict[str, Any]:
    """One workday: the cards job at 08:30 (for the days closed before), the morning thread at 09:00, the updates."""
    summary = await run(bot, clock, "cards", ny(day, 8, 30))
    mark = len(emulator.calls)
    await run(bot, clock, "morning-thread", ny(day, 9, 0))
    await emulator.wait_for_call("chat.postMessage", lambda c: c.args.get("channel") == STANDUP
                                 and not c.args.get("thread_ts"), since=mark, timeout=15)
    thread_ts = thread_roots(emulator)[-1]["ts"]
    clock.at = ny(day, 9, 30)
    for who in POSTERS:
        if who not in MISSES.get(day, set()) and who not in AWAY.get(day, set()):
            await reply(emulator, who, thread_ts, "Today: reviewing the Acme mockups")
    return summary


async def test_three_weeks_of_cards(emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str) -> None:
    clock.at = ny(date(2026, 3, 2), 8, 0)
    await setup_team(emulator, db_dsn)
    await record_leave(db_dsn, DIEGO, date(2026, 3, 3), date(2026, 3, 3))
    assert "GB-NIR" in await answer_text(emulator, SAM, "/ooo", "country GB-NIR")
    said = await answer_text(emulator, MAYA, "/steward", f"rampup <@{PRIYA}> 4 weeks targets 50%")
    assert "in ramp-up until Sun 29 Mar 2026" in said and "targets at 50%" in said
    assert "Mode: shadow" in await answer_text(emulator, MAYA, "/steward", "cards mode shadow")
    # Everyone's daily "reviewing the Acme mockups" becomes a task that is never ticked off: the carry rule would
    # (fairly) card it; this test is about missed updates, so that rule is switched off (tests/unit covers it).
    assert "`carry` (*off*)" in await answer_text(emulator, MAYA, "/steward", "cards carry off")
    # Bad input and a member changing the rules: each a specific answer, nothing changed, the refusal logged.
    assert "only Steward admins can change the card rules" in await answer_text(emulator, LEE, "/steward", "cards carry 4")
    assert "from 2 to 10" in await answer_text(emulator, MAYA, "/steward", "cards red 99")
    assert "has passed" in await answer_text(emulator, MAYA, "/steward", f"rampup <@{DIEGO}> until 2026-01-01")
    assert "only <@U0DIEGO>'s managers and the admins" in await answer_text(emulator, SAM, "/steward", f"rampup <@{DIEGO}> 2 weeks")
    assert await value(db_dsn, "SELECT count(*) FROM security_audit_logs WHERE details ->> 'action' = 'cards.rules'") == 1

    # Week one. Wednesday 08:30: Lee's two misses make a card, in shadow mode: only the admin sees it.
    for day in WORKDAYS[:2]:
        await a_day(emulator, bot, clock, day)
    summary = await a_day(emulator, bot, clock, WORKDAYS[2])
    assert (summary["shadow_yellow"], summary["shadow_red"]) == (1, 0)
    [shadow] = await cards_of(db_dsn, LEE)
    assert shadow[1:4] == ("yellow", "active", True)
    [seen] = await dms(emulator, MAYA, "Shadow mode (not sent)")
    assert "Lee" in texts(seen) and buttons(seen) == []
    assert not [m for m in await dms(emulator, LEE, "card") if "ramp-up" not in m["text"]]  # (Priya's ramp-up: told)
    assert "No cards you can see" in await answer_text(emulator, LEE, "/cards")
    assert "shadow (shown to admins only)" in await answer_text(emulator, MAYA, "/cards")
    assert "Mode: live" in await answer_text(emulator, MAYA, "/steward", "cards mode live")

    # Diego: missed Monday, on leave Tuesday, missed Wednesday: not in a row, no card (checked below, with everyone).
    for day in WORKDAYS[3:5]:
        await a_day(emulator, bot, clock, day)
    # Tuesday 10 March 08:30 (Monday was the team's holiday): Lee missed Thursday and Friday: one live yellow, to Lee and to Maya (his manager).
    summary = await a_day(emulator, bot, clock, WORKDAYS[5])
    assert (summary["yellow"], summary["red"]) == (1, 0) and "shadow_yellow" not in summary
    live = (await cards_of(db_dsn, LEE))[1]
    assert live[1:5] == ("yellow", "active", False, ["2026-03-05", "2026-03-06"])
    ref = f"C-{live[0]}"
    [to_lee] = await dms(emulator, LEE, f"Yellow card {ref} for you")
    [to_maya] = await dms(emulator, MAYA, f"Yellow card {ref} for Lee")
    assert buttons(to_lee) == ["card_ack", "card_appeal"] and buttons(to_maya) == ["card_revoke"]
    words = texts(to_lee)
    assert "2 missed morning updates in a row (Thu 5 Mar, Fri 6 Mar)" in words and "expires on" in words
    # The evidence links resolve: each is the permalink of that day's real thread message in #standup.
    threads = {await value(db_dsn, "SELECT thread_date FROM morning_threads WHERE thread_ts = %s", m["ts"]): m["ts"]
               for m in thread_roots(emulator)}
    for day in (date(2026, 3, 5), date(2026, 3, 6)):
        link = emulator.workspace.permalink(STANDUP, threads[day])
        assert f"<{link}|{day:%a} {day.day} {day:%b}: the morning thread>" in words
        assert emulator.message(STANDUP, threads[day]) is not None

    # Lee appeals; Maya revokes with a reason; Lee hears it; every step is in the audit log.
    mark = len(emulator.calls)
    await press(emulator, LEE, to_lee, "card_appeal")
    assert await fill(emulator, LEE, "card_appeal", "I was at the Acme workshop both days", mark) == {}
    await queued(bot, db_dsn, "card.appealed")
    [appeal] = await dms(emulator, MAYA, "appealed yellow card")
    assert "Acme workshop" in texts(appeal) and buttons(appeal) == ["card_uphold", "card_revoke"]
    again = await press(emulator, LEE, to_lee, "card_appeal", stale=True)  # a second appeal
    assert "You already appealed card" in (await again.wait_for_response(timeout=10)).text
    mark = len(emulator.calls)
    await press(emulator, MAYA, appeal, "card_revoke")
    assert await fill(emulator, MAYA, "card_decide", "Agreed, the workshop was on the calendar", mark) == {}
    await queued(bot, db_dsn, "card.decided")
    [decision] = await dms(emulator, LEE, f"revoked your yellow card `{ref}`")
    assert "workshop was on the calendar" in texts(decision)
    assert (await cards_of(db_dsn, LEE))[1][2] == "revoked"
    audit = await rows(db_dsn, "SELECT action FROM audit_logs WHERE entity_type = 'card' AND entity_id = %s ORDER BY id",
                       str(live[0]))
    assert [a for (a,) in audit] == ["card.issued", "card.appealed", "card.revoked"]
    after = await press(emulator, LEE, to_lee, "card_appeal", stale=True)  # appealing a revoked card
    assert "was revoked" in (await after.wait_for_response(timeout=10)).text

    # Weeks two and three: Lee misses Tue 10 to Tue 17: three yellows, then one red made of them (not of the revoked one).
    reds: list[int] = []
    for day in WORKDAYS[6:]:
        summary = await a_day(emulator, bot, clock, day)
        reds.append(summary["red"])
    assert sum(reds) == 1 and reds[WORKDAYS[6:].index(date(2026, 3, 18))] == 1  # the red came with the third yellow
    lee = await cards_of(db_dsn, LEE)
    assert [(c[1], c[2]) for c in lee] == [("yellow", "active"), ("yellow", "revoked")] + [("yellow", "active")] * 3 + [
        ("red", "active")]
    assert await value(db_dsn, "SELECT evidence -> 'cards' FROM cards WHERE color = 'red'") == [c[0] for c in lee[2:5]]
    [red] = await dms(emulator, LEE, "Red card")
    assert "3 yellow cards within 30 days" in texts(red)
    assert await dms(emulator, MAYA, "Red card")

    # Nobody else has a card: the leave day, the holiday and ramp-up broke or emptied every run.
    for person in (DIEGO, SAM, PRIYA, MAYA):
        assert await cards_of(db_dsn, person) == [], person
    # A re-run of the same minute issues and sends nothing twice.
    rerun = next(iter((await cards_job.run(bot.deps, ny(date(2026, 3, 20), 8, 30))).values()))
    assert (rerun["yellow"], rerun["red"]) == (0, 0)
    listed = await answer_text(emulator, LEE, "/cards")
    assert "revoked" in listed and "Red" not in listed.split("\n")[0]

    # Forty days on, every card has expired, and expired ones make no new red.
    summary = await run(bot, clock, "cards", ny(date(2026, 4, 27), 8, 30))
    assert summary["expired"] == 5 and summary["red"] == 0 and summary["yellow"] == 0
    assert {c[2] for c in await cards_of(db_dsn, LEE)} == {"expired", "revoked"}
    assert await value(db_dsn, "SELECT count(*) FROM audit_logs WHERE action = 'card.expired'") == 5
    gone = await press(emulator, LEE, red, "card_ack")
    assert "has expired" in (await gone.wait_for_response(timeout=10)).text


async def workday(emulator: SlackEmulator, bot: Steward, clock: FrozenClock, day: date,
                  updates: dict[str, str]) -> dict[str, Any]:
    """One workday with the day's close first: day-close at 08:00 (the days that ended), cards at 08:30, the morning
    thread at 09:00, each of ``updates`` (who: their reply) in the thread, the end-of-day check-in at 17:30 (a day
    closes only after it asked). Returns the cards summary."""
    await run(bot, clock, "day-close", ny(day, 8, 0))
    summary = await run(bot, clock, "cards", ny(day, 8, 30))
    mark = len(emulator.calls)
    await run(bot, clock, "morning-thread", ny(day, 9, 0))
    await emulator.wait_for_call("chat.postMessage", lambda c: c.args.get("channel") == STANDUP
                                 and not c.args.get("thread_ts"), since=mark, timeout=15)
    thread_ts = thread_roots(emulator)[-1]["ts"]
    clock.at = ny(day, 9, 30)
    for who, words in updates.items():
        await reply(emulator, who, thread_ts, words)
    await run(bot, clock, "end-of-day", ny(day, 17, 30))
    return summary


async def task_of(dsn: str, slack_id: str) -> str:
    return str(await value(dsn, "SELECT t.display_id FROM tasks t JOIN platform_identities p ON p.user_id = t.user_id "
                                "WHERE p.external_id = %s ORDER BY t.id LIMIT 1", slack_id))


async def test_one_day_one_card_and_the_carry_rule(emulator: SlackEmulator, bot: Steward, clock: FrozenClock,
                                                   db_dsn: str) -> None:
    """Tester 14, finding 10, and the carry rule end to end. Live from day one, every rule at its default.
    Lee plans a task Monday and gives his update Tuesday, Wednesday and Thursday without finishing it: carried three
    times while he gave his updates, no blocker: one carry card, to him and to Maya. Diego does the same, but his
    task has an open blocker: no card. Sam plans a task Monday, then says nothing Tuesday and Wednesday: one
    missed-updates card, never also a carry card made of the same two silent days (nor a red from the pair)."""
    clock.at = ny(date(2026, 3, 2), 8, 0)
    await setup_team(emulator, db_dsn)
    assert "Mode: live" in await answer_text(emulator, MAYA, "/steward", "cards mode live")
    monday, tuesday, wednesday, thursday, friday = (date(2026, 3, d) for d in (2, 3, 4, 5, 6))
    await workday(emulator, bot, clock, monday, {LEE: "Today: Acme SSO renewal", DIEGO: "Today: Acme invoice export",
                                                 SAM: "Today: Acme pitch deck", MAYA: "Today: hiring plan"})
    lee_task, diego_task = await task_of(db_dsn, LEE), await task_of(db_dsn, DIEGO)
    await answer_text(emulator, DIEGO, "/blocker", f"{diego_task} waiting for the client's VPN", channel=STANDUP)
    assert await value(db_dsn, "SELECT count(*) FROM blockers WHERE status = 'open'") == 1
    for day in (tuesday, wednesday):
        await workday(emulator, bot, clock, day, {LEE: f"Today: {lee_task} still going", MAYA: f"Today: hiring plan {day}",
                                                  DIEGO: f"Today: {diego_task} still going"})
    summary = await workday(emulator, bot, clock, thursday, {LEE: f"Today: {lee_task} still going",
                                                             DIEGO: f"Today: {diego_task} still going"})
    # Thursday 08:30: Sam's two silent days (Tue, Wed) make one missed-updates card, and nothing else.
    assert [(c[1], c[4]) for c in await cards_of(db_dsn, SAM)] == [("yellow", ["2026-03-03", "2026-03-04"])]
    sam_rules = await rows(db_dsn, "SELECT rule FROM cards c JOIN platform_identities p ON p.user_id = c.user_id "
                                   "WHERE p.external_id = %s", SAM)
    assert sam_rules == [("missed_updates",)]
    assert len(await dms(emulator, SAM, "card")) == 1
    # Lee's task, carried Mon, Tue, Wed while he gave his updates: one carry card, with those days.
    summary = await workday(emulator, bot, clock, friday, {LEE: f"Today: {lee_task} still going"})
    lee = await rows(db_dsn, "SELECT c.rule, c.evidence -> 'days', c.evidence ->> 'task' FROM cards c JOIN platform_identities p "
                             "ON p.user_id = c.user_id WHERE p.external_id = %s", LEE)
    assert [r for r in lee if r[0] == "carried_forward"] == [
        ("carried_forward", ["2026-03-02", "2026-03-03", "2026-03-04"], lee_task)], lee
    [to_lee] = await dms(emulator, LEE, "carried forward 3 times")
    assert buttons(to_lee) == ["card_ack", "card_appeal"] and await dms(emulator, MAYA, "carried forward 3 times")
    # Diego's task has an open blocker: waiting, not neglected.
    assert [c for c in await cards_of(db_dsn, DIEGO)] == []
    assert summary["red"] == 0 and await value(db_dsn, "SELECT count(*) FROM cards WHERE color = 'red'") == 0


async def test_appeals_confirm_reach_someone_and_work_from_cards(emulator: SlackEmulator, bot: Steward,
                                                                 clock: FrozenClock, db_dsn: str) -> None:
    """Tester 14, findings 4, 5, 6 and 11. Lee, Diego and Maya (the only admin, no manager) miss Monday and Tuesday.
      * Maya's card has no Appeal button and says plainly why (nobody else could decide); `/cards appeal` says so too.
      * Lee appeals through the modal: his card's buttons become "You appealed … sent to Maya"; Maya revokes through
        hers: the appeal DM's buttons become "You revoked …".
      * Diego acknowledges (the card points to `/cards appeal`), then appeals with `/cards appeal C-n <why>`.
      * While Diego's appeal is undecided it does not count towards a red."""
    clock.at = ny(date(2026, 3, 2), 8, 0)
    await setup_team(emulator, db_dsn)
    for words in ("cards mode live", "cards carry off", "cards overdue off"):
        await answer_text(emulator, MAYA, "/steward", words)
    for day in (date(2026, 3, 2), date(2026, 3, 3)):
        await workday(emulator, bot, clock, day, {SAM: "Today: Acme pitch deck"})
    summary = await workday(emulator, bot, clock, date(2026, 3, 4), {})
    assert summary["yellow"] == 4  # Lee, Diego, Priya and Maya; Sam gave his updates
    lee, diego, maya = [(await cards_of(db_dsn, who))[0][0] for who in (LEE, DIEGO, MAYA)]
    # Maya: nobody else could decide her appeal.
    [to_maya] = await dms(emulator, MAYA, f"Yellow card C-{maya} for you")
    assert buttons(to_maya) == ["card_ack"] and "nobody else could decide" in texts(to_maya)
    said = await answer_text(emulator, MAYA, "/cards", f"appeal C-{maya} I was interviewing all day")
    assert "you're the only Steward admin" in said and (await cards_of(db_dsn, MAYA))[0][2] == "active"
    said = await answer_text(emulator, MAYA, "/cards", f"revoke C-{maya} fine")
    assert "you're the only Steward admin" in said and "for your manager to decide" not in said
    # Lee appeals in the modal: his card shows it, with no buttons left.
    [to_lee] = await dms(emulator, LEE, f"Yellow card C-{lee} for you")
    assert "your manager decides" in texts(to_lee)
    mark = len(emulator.calls)
    await press(emulator, LEE, to_lee, "card_appeal")
    assert await fill(emulator, LEE, "card_appeal", "I was at the Acme workshop both days", mark) == {}
    await queued(bot, db_dsn, "card.appealed")

    async def marked(user: str, ts: str, words: str) -> bool:
        found = emulator.message(await emulator.dm_channel(user), ts)
        return found is not None and words in texts(found) and buttons(found) == []

    async def lee_marked() -> bool:
        return await marked(LEE, to_lee["ts"], f"You appealed `C-{lee}`: sent to <@{MAYA}>")

    await wait_until(lee_marked)
    [appeal] = await dms(emulator, MAYA, f"appealed yellow card `C-{lee}`")
    assert "U0LEE" not in appeal["text"].replace(f"<@{LEE}>", "")  # a mention, never a raw id
    mark = len(emulator.calls)
    await press(emulator, MAYA, appeal, "card_revoke")
    assert await fill(emulator, MAYA, "card_decide", "The workshop was on the calendar", mark) == {}

    async def maya_marked() -> bool:
        return await marked(MAYA, appeal["ts"], f"You revoked `C-{lee}`: it no longer counts; <@{LEE}> has been told")

    await wait_until(maya_marked)
    # Maya's own copy of Lee's card (she is his manager) loses its Revoke button to the decision (finding 12).
    [copy] = [m for m in await dms(emulator, MAYA, f"Yellow card C-{lee} for") if "for you" not in m["text"]]

    async def copy_marked() -> bool:
        await delivered(bot)
        return await marked(MAYA, copy["ts"], f"`C-{lee}` was revoked by <@{MAYA}> on Wed 4 Mar")

    await wait_until(copy_marked)
    # Diego acknowledges, then appeals from /cards.
    [to_diego] = await dms(emulator, DIEGO, f"Yellow card C-{diego} for you")
    await press(emulator, DIEGO, to_diego, "card_ack")

    async def acked() -> bool:
        return await marked(DIEGO, to_diego["ts"], f"`/cards appeal C-{diego} <why>` appeals it")

    await wait_until(acked)
    said = await answer_text(emulator, DIEGO, "/cards", f"appeal C-{diego} I was on leave, the calendar missed it")
    assert f"You appealed `C-{diego}`: sent to <@{LEE}>" in said
    assert (await cards_of(db_dsn, DIEGO))[0][2] == "appealed"
    assert "/cards appeal C-12" in await answer_text(emulator, DIEGO, "/cards", "what")
    assert "/cards revoke" not in await answer_text(emulator, DIEGO, "/cards", "what")  # nobody reports to Diego
    listed = await answer_text(emulator, MAYA, "/cards")
    assert "in force" in listed.split("\n")[0] and "live" not in listed.split("\n")[0]


async def test_rampup_is_told_to_the_person_and_their_manager(emulator: SlackEmulator, bot: Steward,
                                                                clock: FrozenClock, db_dsn: str) -> None:
    """Tester 14, finding 3: the person put in ramp-up (and taken off it) hears it by DM, with the end date and what it
    means; their manager too when someone else set it (not when they did); Steward itself is plainly a bot."""
    clock.at = ny(date(2026, 3, 2), 10, 0)
    await setup_team(emulator, db_dsn)
    said = await answer_text(emulator, LEE, "/steward", f"rampup <@{PRIYA}> 4 weeks targets 50%")  # Lee: her manager
    assert "in ramp-up until Sun 29 Mar 2026" in said
    said = await answer_text(emulator, MAYA, "/steward", f"rampup <@{DIEGO}> until 2026-03-20 targets 70%")
    await delivered(bot, ny(date(2026, 3, 3), 12, 0))  # Priya (Kolkata) reads hers in her morning
    [to_priya] = await dms(emulator, PRIYA, "put you in ramp-up")
    assert to_priya["text"].startswith(f":seedling: <@{LEE}> put you in ramp-up until Sun 29 Mar 2026")
    assert "no cards" in to_priya["text"] and "50% of the usual ones" in to_priya["text"]
    [to_diego] = await dms(emulator, DIEGO, "put you in ramp-up")
    assert "until Fri 20 Mar 2026" in to_diego["text"] and "70%" in to_diego["text"]
    # Lee set Priya's himself: he hears of Diego's only (Maya set it).
    told_lee = await dms(emulator, LEE, "in ramp-up")
    assert [m["text"].split(": no cards")[0] for m in told_lee] == [
        f":seedling: <@{MAYA}> put <@{DIEGO}> in ramp-up until Fri 20 Mar 2026"]
    # Ended: both hear it.
    assert "ramp-up has ended" in await answer_text(emulator, MAYA, "/steward", f"rampup <@{DIEGO}> off")
    await delivered(bot, ny(date(2026, 3, 3), 12, 0))
    assert len(await dms(emulator, DIEGO, "ended your ramp-up")) == 1
    assert len(await dms(emulator, LEE, f"ended <@{DIEGO}>'s ramp-up")) == 1
    said = await answer_text(emulator, MAYA, "/steward", f"rampup <@{emulator.bot_user_id}> 2 weeks")
    assert "is a bot: ramp-up is for new people" in said


async def test_card_rules_in_words_and_in_the_form(emulator: SlackEmulator, bot: Steward, clock: FrozenClock,
                                                   db_dsn: str) -> None:
    """Tester 14, finding 2: `/steward cards` says "already" when nothing changes, reads `expiry 14 days`, answers a bare
    `mode` with the choices and names the shadow period's last day; a member is not told to run an admin command;
    `/steward cards edit` opens a form in plain words whose bad value is a field error (the form stays open) and whose
    save stores the rules and confirms."""
    clock.at = ny(date(2026, 3, 2), 10, 0)
    await setup_team(emulator, db_dsn)
    said = await answer_text(emulator, MAYA, "/steward", "cards")
    # The last shadow day named is the 10th workday since cards started (the row's creation time), never a weekend.
    assert re.search(r"\*Mode: shadow\* through (Mon|Tue|Wed|Thu|Fri) \d+ \w+:", said), said
    assert "`/steward cards mode live` starts" in said
    said = await answer_text(emulator, LEE, "/steward", "cards")
    assert "An admin can switch them to live" in said and "/steward cards mode live" not in said
    assert "Card rules changed: mode live" in await answer_text(emulator, MAYA, "/steward", "cards mode live")
    assert "Cards are already live: nothing changed." in await answer_text(emulator, MAYA, "/steward", "cards mode live")
    assert "cards expire after 14 days" in await answer_text(emulator, MAYA, "/steward", "cards expiry 14 days")
    # Bare `cards mode` names the mode cards are in now, and the choices; a member may ask too.
    bare = await answer_text(emulator, MAYA, "/steward", "cards mode")
    assert bare.startswith("*Mode: live*: cards go to the person") and "`/steward cards mode live`" in bare, bare
    bare = await answer_text(emulator, LEE, "/steward", "cards mode")
    assert bare.startswith("*Mode: live*") and "an admin sets it" in bare, bare
    audited = "SELECT count(*) FROM audit_logs WHERE action = 'cards.rules_changed'"
    assert await value(db_dsn, audited) == 2  # the no-op changed (and logged) nothing

    mark = len(emulator.calls)
    await emulator.slash_command(MAYA, "/steward", "cards edit", channel=STANDUP)
    await emulator.wait_for_call("views.open", since=mark, timeout=10)
    view_id, view = next((v, view) for v, view in emulator.open_views.items() if view.get("callback_id") == "card_rules")
    labels = [o["text"]["text"] for b in view["blocks"] if b["block_id"] == "on" for o in b["element"]["options"]]
    assert labels[0] == "Yellow for missed updates in a row" and not any(" is on" in label for label in labels)

    def form(carry: str, on: list[str]) -> dict[str, Any]:
        numbers = {"missed": "2", "carry": carry, "overdue": "2", "red": "3", "expiry": "20"}
        return {"on": {"on": {"type": "checkboxes", "selected_options": [{"value": w} for w in on]}},
                **{k: {k: {"type": "number_input", "value": v}} for k, v in numbers.items()},
                "mode": {"mode": {"type": "static_select", "selected_option": {"value": "live"}}}}

    ack = await emulator.submit_view(MAYA, view_id, form("99", ["missed", "carry", "red"]))
    assert ack == {"response_action": "errors", "errors": {"carry": "A whole number from 2 to 30."}}
    assert view_id in emulator.open_views  # the form stays open with the error under the field
    assert await value(db_dsn, audited) == 2
    # A rule switched off needs no valid threshold; the save stores the rules and confirms by DM.
    assert await emulator.submit_view(MAYA, view_id, form("99", ["missed", "red"])) == {}
    [saved] = await wait_for_dm(emulator, MAYA, "Card rules saved")
    assert "`carry` (*off*)" in saved["text"] and "a card expires after 20 days" in saved["text"]
    settings = await value(db_dsn, "SELECT card_rules FROM org_settings")
    assert settings["carry"]["on"] is False and settings["overdue"]["on"] is False and settings["expiry"]["days"] == 20


async def wait_for_dm(emulator: SlackEmulator, user: str, words: str) -> list[dict[str, Any]]:
    async def found() -> bool:
        return bool(await dms(emulator, user, words))

    await wait_until(found)
    return await dms(emulator, user, words)
