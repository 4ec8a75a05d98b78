"""Kudos and invisible labour end to end (issue 14, "Recognition" and "Invisible labour"): `/kudos` with its limits
(5 a day, once per pair a day, the day being the giver's own), its refusals (oneself, a bot, no reason: each
answered and logged), the kudos channel against a DM; `/helped` → the person helped's Confirm → credited to the
helper (pending and declined help never is); and "thanks @sam for …" in a standup reply offering its author the
same with one click. Through the real bot, its dispatcher and the Slack emulator, with the clock set by the test.

The clock starts at Monday 2 March 2026, 10:00 in New York (15:00 UTC; New York is UTC-5 until 8 March).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest_asyncio

from bot.app import Steward
from bot.clock import FrozenClock
from bot.emulators.slack import SlackEmulator
from bot.errors import PermissionDenied
from bot.services import interventions, privacy
from bot.services import workspace as workspace_service
from tests.e2e.conftest import ACME, DIEGO, MAYA, PRIYA, SAM, STANDUP, answer_text, start_steward
from tests.e2e.test_blockers import buttons, delivered, dms, ny
from tests.e2e.test_daily_rhythm import SETTINGS, configure, db, thread_roots, wait_thread, wait_until
from tests.e2e.test_day_recaps import record_leave
from tests.helpers import fetchval

# Five more teammates (New York), so that Sam can reach the daily limit with six different people.
EXTRA = {"U0ANA": "ana", "U0BEN": "ben", "U0KIM": "kim", "U0LEO": "leo", "U0MEI": "mei"}
HELPER_BOT = "U0DEPLOYBOT"
START = ny(3, 2, 10, 0)


@pytest_asyncio.fixture
async def clock() -> FrozenClock:
    return FrozenClock(at=START)


@pytest_asyncio.fixture
async def bot(emulator: SlackEmulator, db_dsn: str, tmp_path: Path, clock: FrozenClock) -> AsyncIterator[Steward]:
    for slack_id, name in EXTRA.items():
        emulator.add_user(slack_id, name, name.title(), email=f"{name}@acme.test", tz="America/New_York")
    emulator.add_user(HELPER_BOT, "deploybot", "Deploy Bot", is_bot=True)
    running = await start_steward(emulator, db_dsn, tmp_path, clock=clock)
    running.bot.scheduler.shutdown()  # the test sends what is due itself (delivered)
    try:
        yield running.bot
    finally:
        await running.stop()


async def kudos(emulator: SlackEmulator, giver: str, text: str) -> str:
    return await answer_text(emulator, giver, "/kudos", text)


async def refusals(dsn: str, why: str) -> int:
    async with await db(dsn) as conn:
        return int(await fetchval(conn, "SELECT count(*) FROM security_audit_logs WHERE event_type = 'kudos.refused' "
                                        "AND details->>'why' = %s", (why,)))


async def kudos_rows(dsn: str) -> list[tuple[str, str, str, str | None]]:
    """(giver, receiver, reason, channel) of every kudos stored, oldest first."""
    async with await db(dsn) as conn:
        rows = await (await conn.execute(
            "SELECT g.external_id, r.external_id, k.reason, k.channel_id FROM reinforcements k "
            "JOIN platform_identities g ON g.user_id = k.from_user_id JOIN platform_identities r ON r.user_id = k.user_id "
            "WHERE k.kind = 'kudos' ORDER BY k.id")).fetchall()
    return [(r[0], r[1], r[2], r[3]) for r in rows]


async def credited(bot: Steward, since: datetime, until: datetime) -> list[tuple[str, str, str, int | None, str]]:
    """(helper, helped, what, minutes, source) of every credited intervention in [since, until)."""
    async with bot.pool.connection() as conn:
        org = await fetchval(conn, "SELECT id FROM organizations")
        found = await interventions.credited_interventions(conn, org, since, until)
        ids = {r[0]: r[1] for r in await (await conn.execute("SELECT user_id, external_id FROM platform_identities")).fetchall()}
    return [(ids[c.user_id], ids[c.helped_user_id], c.description, c.minutes, c.source) for c in found
            if c.helped_user_id is not None]


async def test_kudos_limits_and_refusals_each_answered_and_logged(emulator: SlackEmulator, bot: Steward,
                                                                  clock: FrozenClock, db_dsn: str) -> None:
    # The first kudos of the day goes through, by DM (no kudos channel set).
    said = await kudos(emulator, SAM, f"<@{DIEGO}> for untangling the staging deploy")
    assert "Kudos to <@U0DIEGO> sent by DM" in said
    # A second one to the same person the same day: refused, politely, and logged.
    said = await kudos(emulator, SAM, f"<@{DIEGO}> for the release notes too")
    assert "already given <@U0DIEGO> kudos today" in said
    assert await refusals(db_dsn, "pair_daily") == 1
    # Oneself, Steward, another bot, no reason, nobody: each its own answer, each logged.
    assert "Kudos are for someone else" in await kudos(emulator, SAM, f"<@{SAM}> for being great")
    assert "is a bot" in await kudos(emulator, SAM, f"<@{emulator.bot_user_id}> for the reminders")
    assert "is a bot" in await kudos(emulator, SAM, f"<@{HELPER_BOT}> for deploying")
    assert "Say what it's for" in await kudos(emulator, SAM, f"<@{PRIYA}>")
    assert "Say what it's for" in await kudos(emulator, SAM, f"<@{PRIYA}> !!")
    assert "Who is it for?" in await kudos(emulator, SAM, "for being great")
    assert "/kudos @person <why>" in await kudos(emulator, SAM, "")
    for why, times in (("self", 1), ("bot", 2), ("no_reason", 2), ("no_person", 1)):
        assert await refusals(db_dsn, why) == times, why
    assert [(g, r) for g, r, _, _ in await kudos_rows(db_dsn)] == [(SAM, DIEGO)]
    # Four more people: five given today, the most there is; the sixth is refused.
    for person in ("U0ANA", "U0BEN", "U0KIM", "U0LEO"):
        assert "sent by DM" in await kudos(emulator, SAM, f"<@{person}> for the careful code review")
    said = await kudos(emulator, SAM, "<@U0MEI> for the careful code review")
    assert "You've given 5 kudos today" in said
    assert await refusals(db_dsn, "daily_limit") == 1
    assert len(await kudos_rows(db_dsn)) == 5
    # Another giver is not limited by Sam's kudos.
    assert "sent by DM" in await kudos(emulator, PRIYA, "<@U0MEI> for the careful code review")
    # Sam's next day (London; UTC in March): Mei, and Diego again, are fine.
    clock.at = datetime(2026, 3, 3, 0, 5, tzinfo=UTC)
    assert "sent by DM" in await kudos(emulator, SAM, "<@U0MEI> for the careful code review")
    assert "sent by DM" in await kudos(emulator, SAM, f"<@{DIEGO}> for the hotfix")
    # Each kudos reached its person once, by DM, when it was due (Diego's in his morning: quiet hours hold it).
    await delivered(bot, ny(3, 3, 9, 0))
    got = await dms(emulator, DIEGO, "gave you kudos")
    assert got[0]["text"] == ":tada: <@U0SAM> gave you kudos: for untangling the staging deploy"
    assert len(got) == 2 and "untangling the staging deploy" in got[0]["text"] and "the hotfix" in got[1]["text"]
    assert len(await dms(emulator, "U0MEI", "gave you kudos")) == 2


async def test_the_kudos_day_is_the_givers_own(emulator: SlackEmulator, bot: Steward, clock: FrozenClock,
                                               db_dsn: str) -> None:
    # Maya is in New York: 18:00 on Monday there is 23:00 UTC, and 20:00 is already Tuesday in UTC.
    clock.at = ny(3, 2, 18, 0)
    assert "sent by DM" in await kudos(emulator, MAYA, f"<@{DIEGO}> for the demo")
    clock.at = ny(3, 2, 20, 0)
    assert "already given <@U0DIEGO> kudos today" in await kudos(emulator, MAYA, f"<@{DIEGO}> for the follow-up")
    clock.at = ny(3, 3, 0, 30)  # just after midnight in New York: Maya's Tuesday (Diego's quiet hours)
    assert "my DM reaches them at 08:00 their time" in await kudos(emulator, MAYA, f"<@{DIEGO}> for the follow-up")
    assert [r for _, _, r, _ in await kudos_rows(db_dsn)] == ["for the demo", "for the follow-up"]


async def test_kudos_go_to_the_kudos_channel_once_an_admin_sets_it(emulator: SlackEmulator, bot: Steward,
                                                                   clock: FrozenClock, db_dsn: str) -> None:
    assert "to each person by DM" in await answer_text(emulator, SAM, "/steward", "kudos")
    # Only admins choose the channel (the refusal is logged as a permission denial).
    said = await answer_text(emulator, SAM, "/steward", f"kudos channel <#{ACME}|client-acme>")
    assert "only Steward admins" in said
    async with await db(db_dsn) as conn:
        assert await fetchval(conn, "SELECT count(*) FROM security_audit_logs WHERE event_type = 'permission_denied' "
                                    "AND details->>'action' = 'kudos.channel'") == 1
    assert "Pick the channel" in await answer_text(emulator, MAYA, "/steward", "kudos channel the fun one")
    said = await answer_text(emulator, MAYA, "/steward", f"kudos channel <#{ACME}|client-acme>")
    assert "Kudos now go to <#C0ACME>" in said
    said = await kudos(emulator, SAM, f"<@{PRIYA}> for the <!channel> migration plan")
    assert "sent in <#C0ACME>" in said
    await delivered(bot)
    posted = [m for m in emulator.messages(ACME) if "kudos" in (m.get("text") or "")]
    assert len(posted) == 1
    assert posted[0]["text"].startswith(":tada: <@U0SAM> gave <@U0PRIYA> kudos: for the @")  # no ping for everyone
    assert "<!channel>" not in posted[0]["text"]
    assert not await dms(emulator, PRIYA, "kudos")  # the channel instead of a DM
    assert await kudos_rows(db_dsn) == [(SAM, PRIYA, "for the @\u200bchannel migration plan", ACME)]
    # Off again: by DM.
    assert "Kudos now go to each person by DM" in await answer_text(emulator, MAYA, "/steward", "kudos channel off")
    assert "sent by DM" in await kudos(emulator, SAM, f"<@{DIEGO}> for the review")


async def test_a_kudos_channel_steward_cannot_post_in_is_refused_and_a_failed_post_falls_back_to_a_dm(
        emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str) -> None:
    """Tester 14, finding 8: `/steward kudos channel #leadership` (private, Steward not in it) was accepted, then
    every kudos was lost while its giver was told "sent". Now: refused at set time; a public channel is joined; and
    a post Slack refuses later (Steward removed from the channel) goes to the person by DM, its giver told the truth."""
    emulator.add_channel("C0LEAD", "leadership", is_private=True, members=[MAYA, SAM])
    emulator.add_channel("C0WINS", "wins", members=[MAYA, SAM, DIEGO])  # public, Steward not a member
    said = await answer_text(emulator, MAYA, "/steward", "kudos channel <#C0LEAD|leadership>")
    assert "I can't see <#C0LEAD>" in said and "/invite @Steward" in said
    assert "to each person by DM" in await answer_text(emulator, MAYA, "/steward", "kudos")  # nothing was set
    # `#nosuch` (no such channel: Slack sends the words as typed, not a mention) gets its own answer.
    said = await answer_text(emulator, MAYA, "/steward", "kudos channel #nosuch")
    assert "I don't know a channel called #nosuch" in said, said
    said = await answer_text(emulator, MAYA, "/steward", "kudos channel <#C0WINS|wins>")
    assert "Kudos now go to <#C0WINS>" in said
    assert emulator.bot_user_id in emulator.workspace.channel("C0WINS").members  # joined (channels:join)
    # Someone removes Steward from #wins; the next kudos cannot be posted there.
    emulator.workspace.channel("C0WINS").members.remove(emulator.bot_user_id)
    assert "sent in <#C0WINS>" in await kudos(emulator, SAM, f"<@{DIEGO}> for the migration plan")
    # Sent, refused (a failed delivery stays failed, so wait for what the failure queued rather than for "all sent").
    await bot.dispatcher.deliver_due(clock.now())

    async def fallen_back() -> bool:
        await bot.dispatcher.deliver_due(clock.now())
        return bool(await dms(emulator, DIEGO, "gave you kudos")) and bool(await dms(emulator, SAM, "couldn't post"))

    await wait_until(fallen_back)
    assert not [m for m in emulator.messages("C0WINS") if "kudos" in (m.get("text") or "")]
    [to_diego] = await dms(emulator, DIEGO, "gave you kudos")
    assert "for the migration plan" in to_diego["text"]
    [told] = await dms(emulator, SAM, "couldn't post your kudos")
    assert "<#C0WINS>" in told["text"] and "not a member" in told["text"] and "by DM instead" in told["text"]
    assert await kudos_rows(db_dsn) == [(SAM, DIEGO, "for the migration plan", None)]


async def test_helped_for_someone_on_leave_waits_for_them_and_says_when(emulator: SlackEmulator, bot: Steward,
                                                                         clock: FrozenClock, db_dsn: str) -> None:
    """Tester 14: the ask to a person on leave was held without a word to the helper. It waits until they can be
    pinged (never during leave) and the helper is told when, on the helper's clock."""
    await record_leave(db_dsn, DIEGO, date(2026, 3, 3), date(2026, 3, 4))
    clock.at = ny(3, 3, 10, 0)  # Tuesday; Diego is out Tuesday and Wednesday
    said = await answer_text(emulator, SAM, "/helped", f"<@{DIEGO}> debugged the staging deploy 45m")
    # Diego can be reached Thursday at 08:00 in New York (quiet hours end), 13:00 in London where Sam is.
    assert "They're not around right now, so I'll ask them to confirm on Thu 5 Mar at 13:00 (your time)" in said, said
    await delivered(bot)
    assert not await dms(emulator, DIEGO, "says they helped you")
    async with await db(db_dsn) as conn:
        held = await fetchval(conn, "SELECT d.next_attempt_at FROM notification_deliveries d JOIN notifications n "
                                    "ON n.id = d.notification_id WHERE n.kind = %s", (interventions.KIND_ASK,))
    assert held == ny(3, 5, 8, 0)
    # Quiet hours count too: 20:30 in Kolkata, so Priya is asked at 08:00 her time (02:30 in London).
    said = await answer_text(emulator, SAM, "/helped", f"<@{PRIYA}> paired on the flaky test 30m")
    assert "I'll ask them to confirm on Wed 4 Mar at 02:30 (your time)" in said, said
    # Someone who is around (10:00 in New York) is asked at once, and the helper hears just that.
    said = await answer_text(emulator, SAM, "/helped", f"<@{MAYA}> reviewed the hiring plan 20m")
    assert "I've asked them to confirm" in said and "not around" not in said


async def test_helped_is_credited_once_the_person_helped_confirms(emulator: SlackEmulator, bot: Steward,
                                                                  clock: FrozenClock, db_dsn: str) -> None:
    week = (ny(3, 2, 0, 0), ny(3, 9, 0, 0))
    # Bad input: each a specific answer, nothing written.
    assert "/helped @person <what you did> [time]" in await answer_text(emulator, SAM, "/helped", "")
    assert "Who did you help?" in await answer_text(emulator, SAM, "/helped", "debugged the staging deploy 45m")
    assert "I couldn't read `45x` as time spent" in await answer_text(emulator, SAM, "/helped",
                                                                      f"<@{DIEGO}> debugged the staging deploy 45x")
    assert "That's you!" in await answer_text(emulator, SAM, "/helped", f"<@{SAM}> debugged the staging deploy 45m")
    assert "is a bot" in await answer_text(emulator, SAM, "/helped", f"<@{HELPER_BOT}> fixed its config 10m")
    assert "Say what you did" in await answer_text(emulator, SAM, "/helped", f"<@{DIEGO}> 45m")
    async with await db(db_dsn) as conn:
        assert await fetchval(conn, "SELECT count(*) FROM interventions") == 0

    said = await answer_text(emulator, SAM, "/helped", f"<@{DIEGO}> debugged the staging deploy 45m")
    assert "Logged your help for <@U0DIEGO>: *debugged the staging deploy* (45m)" in said
    said = await answer_text(emulator, MAYA, "/helped", f"<@{DIEGO}> with the quarterly plan 1h30")
    assert "(1h30)" in said
    said = await answer_text(emulator, PRIYA, "/helped", f"<@{DIEGO}> reviewed the API docs for 90 min")
    assert "*reviewed the API docs* (1h30)" in said
    await delivered(bot)
    asks = [m for m in await dms(emulator, DIEGO, "says they helped you") if "helped_confirm" in buttons(m)]
    assert len(asks) == 3
    # Nothing is credited until Diego confirms.
    assert await credited(bot, *week) == []

    dm = await emulator.dm_channel(DIEGO)
    by = {next(u for u in (SAM, MAYA, PRIYA) if f"<@{u}>" in m["text"]): m for m in asks}
    mark = len(emulator.calls)
    await emulator.click_button(DIEGO, message_ts=by[SAM]["ts"], channel=dm, action_id="helped_confirm")
    await emulator.wait_for_call("chat.update", since=mark, timeout=15)
    mark = len(emulator.calls)
    await emulator.click_button(DIEGO, message_ts=by[MAYA]["ts"], channel=dm, action_id="helped_decline")
    await emulator.wait_for_call("chat.update", since=mark, timeout=15)
    assert await credited(bot, *week) == [(SAM, DIEGO, "debugged the staging deploy", 45, "manual")]
    assert "Confirmed: it's credited to <@U0SAM>" in (emulator.message(dm, by[SAM]["ts"]) or {}).get("blocks", [{}])[-1][
        "elements"][0]["text"]
    assert "helped_confirm" not in buttons(emulator.message(dm, by[SAM]["ts"]) or {})
    # Sam hears it once; Maya (declined) and Priya (still pending) are not credited nor told.
    await delivered(bot)
    assert len(await dms(emulator, SAM, "confirmed your help")) == 1
    assert not await dms(emulator, MAYA, "confirmed your help")
    # Maya logged help Diego says wasn't for him: she is told, politely, once.
    told = await dms(emulator, MAYA, "wasn't for them")
    assert len(told) == 1 and "<@U0DIEGO> said the help you logged, *the quarterly plan* (1h30)" in told[0]["text"]
    # A second press is answered, and changes nothing; someone else can't confirm Diego's help.
    mark = len(emulator.calls)
    await emulator.click_button(DIEGO, message_ts=by[PRIYA]["ts"], channel=dm, action_id="helped_confirm")
    await emulator.wait_for_call("chat.update", since=mark, timeout=15)
    async with bot.pool.connection() as conn:
        org = await fetchval(conn, "SELECT id FROM organizations")
        sam = await workspace_service.user_by_slack_id(conn, org, SAM)
        priya_help = await fetchval(conn, "SELECT id FROM interventions WHERE user_id = "
                                          "(SELECT user_id FROM platform_identities WHERE external_id = %s)", (PRIYA,))
        assert sam is not None
        try:
            await interventions.decide(conn, org, sam, priya_help, "declined", clock.now())
            raise AssertionError("Sam decided help given to Diego")
        except PermissionDenied as refused:
            assert "Only the person who was helped" in str(refused)
        # What Steward holds about Diego counts the help (`/steward my-data`), and an export lists it.
        diego = await workspace_service.user_by_slack_id(conn, org, DIEGO)
        assert diego is not None
        assert (await privacy.summary(conn, org, diego))["help you gave or were given (/helped, thanks)"] == 3
    assert [c[0] for c in await credited(bot, *week)] == [SAM, PRIYA]
    assert await credited(bot, week[1], week[1] + timedelta(days=7)) == []  # another week: nothing


async def test_thanks_in_a_standup_reply_offers_its_author_one_click(emulator: SlackEmulator, bot: Steward,
                                                                     clock: FrozenClock, db_dsn: str) -> None:
    assert "Saved" in await configure(emulator, SETTINGS)
    clock.at = ny(3, 2, 9, 0) + timedelta(seconds=30)
    mark = len(emulator.calls)
    await bot.scheduler.run_as_of("morning-thread", clock.now())
    await delivered(bot)
    await wait_thread(emulator, mark)
    thread_ts = str(thread_roots(emulator)[-1]["ts"])
    clock.at = ny(3, 2, 10, 0)

    # Thanks without saying what for: an update, and no offer.
    mark = len(emulator.calls)
    await emulator.user_message(DIEGO, STANDUP, "Today: the Acme invoices. Thanks <@U0SAM>!", thread_ts=thread_ts)
    await emulator.wait_for_call("chat.postMessage", lambda c: c.args.get("thread_ts") == thread_ts, since=mark, timeout=15)
    # Thanks for something: the update is answered, then its author alone is offered to record the help.
    mark = len(emulator.calls)
    await emulator.user_message(PRIYA, STANDUP, "Today: ship the pricing page. Thanks <@U0SAM> for reviewing the "
                                                "migration 45m and thanks <@U0DIEGO> for the late pairing session",
                                thread_ts=thread_ts)
    await wait_until(lambda: _count(emulator, PRIYA, 2))
    calls = emulator.calls[mark:]
    answer_at = next(i for i, c in enumerate(calls) if c.method == "chat.postMessage" and c.args.get("thread_ts") == thread_ts)
    offer_at = next(i for i, c in enumerate(calls) if c.method == "chat.postEphemeral")
    assert answer_at < offer_at  # the update's answer is not held up by the offer
    offers = emulator.ephemerals_for(PRIYA)
    assert all(e.thread_ts == thread_ts for e in offers)
    assert "You thanked <@U0SAM> for *reviewing the migration* (45m)" in offers[0].text
    assert "You thanked <@U0DIEGO> for *the late pairing session*" in offers[1].text
    assert not emulator.ephemerals_for(DIEGO) and not emulator.ephemerals_for(SAM)
    week = (ny(3, 2, 0, 0), ny(3, 9, 0, 0))
    assert await credited(bot, *week) == []  # an offer is not credit

    result = await emulator.click_ephemeral_button(PRIYA, STANDUP, offers[0].ts, "thanks_record")
    await result.wait_for_response(timeout=10)
    result = await emulator.click_ephemeral_button(PRIYA, STANDUP, offers[1].ts, "thanks_dismiss")
    await result.wait_for_response(timeout=10)
    assert await credited(bot, *week) == [(SAM, PRIYA, "reviewing the migration", 45, "detected")]
    await delivered(bot)
    assert len(await dms(emulator, SAM, "<@U0PRIYA> confirmed your help")) == 1
    assert not await dms(emulator, DIEGO, "confirmed your help")
    # Only thanks for something became (pending, then decided) help: not the bare "thanks <@U0SAM>!".
    async with await db(db_dsn) as conn:
        assert await fetchval(conn, "SELECT count(*) FROM interventions") == 2


async def test_one_person_at_a_time_hints_as_typed_and_when_a_held_kudos_arrives(
        emulator: SlackEmulator, bot: Steward, db_dsn: str) -> None:
    """Tester 14, findings 9 and 13: two people mentioned is a question, not half a kudos (or help) with the second
    mention kept raw in the reason; hints in code spans show @name as typed (Slack shows mentions raw there); a
    kudos DM held for the person's quiet hours says when it arrives."""
    said = await kudos(emulator, MAYA, "<@U0SAM|sam> <@U0DIEGO|diego> for the Acme pitch")
    assert "One person at a time" in said and "`/kudos @sam for …`, then `/kudos @diego for …`" in said
    assert "<@U0DIEGO>" not in said and await refusals(db_dsn, "several") == 1
    said = await answer_text(emulator, MAYA, "/helped", "<@U0PRIYA|priya> <@U0SAM|sam> onboarding session 1h")
    assert "One person at a time" in said and "`/helped @priya <what> [time]`, then `/helped @sam" in said
    async with await db(db_dsn) as conn:
        assert await fetchval(conn, "SELECT count(*) FROM interventions") == 0
    assert await kudos_rows(db_dsn) == []
    # Hints name the person as they typed them, never <@U…> inside a code span.
    said = await kudos(emulator, MAYA, "<@U0SAM|sam>")
    assert "`/kudos @sam for untangling the staging deploy`" in said and "`/kudos <@" not in said
    said = await answer_text(emulator, MAYA, "/helped", "<@U0DIEGO|diego> 45m")
    assert "`/helped @diego debugged the staging deploy 45m`" in said and "`/helped <@" not in said
    # 10:00 in New York is 20:30 in Kolkata: Priya's kudos waits for her morning, and Maya is told when.
    said = await kudos(emulator, MAYA, "<@U0PRIYA|priya> for the pricing page.")
    assert said == (":tada: Kudos to <@U0PRIYA>: for the pricing page. It's quiet hours for them, so my DM reaches "
                    "them at 08:00 their time (Tue 3 Mar).")
    assert "sent by DM: for the release" in await kudos(emulator, MAYA, f"<@{DIEGO}> for the release")
    await delivered(bot, ny(3, 2, 21, 0))
    assert len(await dms(emulator, PRIYA, "gave you kudos")) == 0
    await delivered(bot, ny(3, 2, 21, 31))
    assert len(await dms(emulator, PRIYA, "gave you kudos")) == 1


async def _count(emulator: SlackEmulator, user: str, n: int) -> bool:
    return len(emulator.ephemerals_for(user)) >= n
