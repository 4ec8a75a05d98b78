"""Flags and private inquiries end to end (issue 13): `/flag` and `/flags` with their permissions and bad input, a
flag's card with Open inquiry / Resolve / Dismiss, an inquiry relayed both ways between Lee and Diego and invisible
to a third person (Sam) and to every read path of an admin (Maya), closing it, and the low-mood flag's card.

The team of tests/e2e/test_blockers.py: Diego and Priya report to Lee, who reports to Maya (the admin); Sam reports
to nobody. The clock stands at Friday 6 March 2026, 13:00 in New York.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.app import Steward
from bot.clock import FrozenClock
from bot.emulators.slack import SlackEmulator
from bot.errors import PermissionDenied
from bot.services import flags
from bot.services import workspace as workspace_service
from tests.e2e import test_blockers as blocker_team
from tests.e2e.conftest import DIEGO, MAYA, PRIYA, SAM, STANDUP, answer, answer_text
from tests.e2e.test_blockers import buttons, dms, ny, setup_team, texts
from tests.e2e.test_daily_rhythm import LEE, db, wait_until
from tests.helpers import fetchval

bot, clock = blocker_team.bot, blocker_team.clock  # the team's fixtures
ASK = "How are you doing? I noticed the standups went quiet this week."
REPLY = "Family stuff at home, I'm sorting it out; back to normal on Monday."
SECRETS = ("standups went quiet", "Family stuff", "back to normal on Monday")


async def value(dsn: str, sql: str, *args: Any) -> Any:
    async with await db(dsn) as conn:
        return await fetchval(conn, sql, args or None)


async def card_of(emulator: SlackEmulator, user: str, ref: str) -> dict[str, Any]:
    """The card of flag ``ref`` in ``user``'s DM, once the dispatcher (this process's, running) has sent it."""
    async def cards() -> list[dict[str, Any]]:
        return [m for m in await dms(emulator, user, f"Flag {ref} ") if "flag_inquiry" in buttons(m)]

    await wait_until(lambda: _some(cards()))
    [card] = await cards()
    return card


async def _some(found: Any) -> bool:
    return bool(await found)


async def dms_soon(emulator: SlackEmulator, user: str, words: str) -> list[dict[str, Any]]:
    """``user``'s DMs from Steward containing ``words``, waiting (up to 15 s) for at least one: the running process's
    dispatcher sends what was queued."""
    async def found() -> bool:
        return bool(await dms(emulator, user, words))

    await wait_until(found)
    return await dms(emulator, user, words)


async def press(emulator: SlackEmulator, user: str, message: dict[str, Any], action_id: str, *,
                stale: bool = False) -> Any:
    """Click ``action_id`` in ``message``; ``stale``: on the copy as first shown (the buttons were since replaced)."""
    channel = await emulator.dm_channel(user)
    block = next(b for b in message["blocks"] if b.get("type") == "actions"
                 for e in b["elements"] if e["action_id"] == action_id)
    element = next(e for e in block["elements"] if e["action_id"] == action_id)
    result = await emulator.click_button(user, message_ts=message["ts"], channel=channel, action_id=action_id,
                                         value=element["value"], block_id=block["block_id"],
                                         seen=message if stale else None)
    assert not result.timed_out
    return result


async def write_in_thread(emulator: SlackEmulator, user: str, root_ts: str, text: str) -> str:
    return await emulator.user_message(user, await emulator.dm_channel(user), text, thread_ts=root_ts)


async def test_who_may_raise_a_flag_and_bad_input(emulator: SlackEmulator, bot: Steward, clock: FrozenClock,
                                                  db_dsn: str) -> None:
    await setup_team(emulator, db_dsn)
    # A member (about a colleague), a manager about someone outside their line: refused, and logged.
    assert f"only <@{DIEGO}>'s managers and the admins can raise a flag" in await answer_text(
        emulator, SAM, "/flag", f"<@{DIEGO}> late again")
    assert f"only <@{PRIYA}>'s managers" in await answer_text(emulator, DIEGO, "/flag", f"<@{PRIYA}> never answers")
    assert f"only <@{SAM}>'s managers" in await answer_text(emulator, LEE, "/flag", f"<@{SAM}> slow reviews")
    # Oneself, a stranger, no reason, no words, nobody named.
    assert "You can't raise a flag about yourself" in await answer_text(emulator, LEE, "/flag", f"<@{LEE}> I'm swamped")
    assert "I don't know <@U0NOBODY>" in await answer_text(emulator, LEE, "/flag", "<@U0NOBODY> vanished")
    assert "Say why you're raising it: `/flag @diego missed" in await answer_text(emulator, LEE, "/flag", f"<@{DIEGO}>")
    assert "`/flag @person <reason>`" in await answer_text(emulator, LEE, "/flag", "")
    assert "Who is the flag about?" in await answer_text(emulator, LEE, "/flag", "missed three deadlines")
    assert await value(db_dsn, "SELECT count(*) FROM flags") == 0
    assert await value(db_dsn, "SELECT count(*) FROM security_audit_logs WHERE details->>'action' = 'flag.raise'") == 3

    # A manager for their report (the card comes to them), an admin for someone further down (the card goes to that
    # person's manager) and for someone with no manager (to the admins).
    said = await answer_text(emulator, LEE, "/flag", f"<@{DIEGO}> missed the last three standups")
    assert f"Flag `F-1` raised about <@{DIEGO}>: \u201cmissed the last three standups\u201d" in said
    assert "I've sent you its card in our DM" in said
    assert f"Its card went to <@{LEE}>" in await answer_text(emulator, MAYA, "/flag", f"<@{PRIYA}> two deadlines slipped")
    assert "I've sent you its card" in await answer_text(emulator, MAYA, "/flag", f"<@{SAM}> the release checklist was skipped")
    card = await card_of(emulator, LEE, "F-1")
    assert buttons(card) == ["flag_inquiry", "flag_resolve", "flag_dismiss"]
    assert f"about <@{DIEGO}>" in texts(card) and f"Raised by <@{LEE}>" in texts(card)
    await card_of(emulator, LEE, "F-2")
    assert await value(db_dsn, "SELECT count(*) FROM audit_logs WHERE action = 'flag.raised'") == 3

    # What each may see.
    def refs(text: str) -> list[str]:
        return [f"F-{n}" for n in (1, 2, 3) if f"`F-{n}`" in text]

    assert refs(await answer_text(emulator, LEE, "/flags")) == ["F-1", "F-2"]
    assert refs(await answer_text(emulator, MAYA, "/flags")) == ["F-1", "F-2", "F-3"]
    assert refs(await answer_text(emulator, DIEGO, "/flags")) == ["F-1"]  # about him, and not private
    assert refs(await answer_text(emulator, PRIYA, "/flags")) == ["F-2"]
    assert "takes no words" in await answer_text(emulator, LEE, "/flags", "everything")

    # Only those above the person and the admins act on a flag; the person never does (refused, logged).
    async with await db(db_dsn) as conn:
        org = await fetchval(conn, "SELECT id FROM organizations")
        diego = await workspace_service.user_by_slack_id(conn, org, DIEGO)
        priya = await workspace_service.user_by_slack_id(conn, org, PRIYA)
        assert diego is not None and priya is not None
        with pytest.raises(PermissionDenied, match="That flag is about you"):
            await flags.close(conn, org, diego, 1, clock.now(), "dismissed")
        with pytest.raises(PermissionDenied, match="for the person's managers and the admins"):
            await flags.close(conn, org, priya, 1, clock.now(), "resolved")

    # Resolve, then resolve again: the second press says who did it and when.
    clock.at = ny(3, 6, 14, 0)
    mark = len(emulator.calls)
    await press(emulator, LEE, card, "flag_resolve")
    await emulator.wait_for_call("chat.update", since=mark, timeout=10)
    assert await value(db_dsn, "SELECT status FROM flags WHERE id = 1") == "resolved"
    assert await value(db_dsn, "SELECT resolved_at FROM flags WHERE id = 1") == clock.at
    assert await value(db_dsn, "SELECT (SELECT pi.external_id FROM platform_identities pi WHERE pi.user_id = resolved_by) "
                               "FROM flags WHERE id = 1") == LEE
    again = await press(emulator, LEE, card, "flag_resolve", stale=True)
    response = await again.wait_for_response(timeout=10)
    assert "Flag `F-1` was already resolved by you on Fri 6 Mar. Nothing to do." in response.text
    assert await value(db_dsn, "SELECT count(*) FROM audit_logs WHERE action = 'flag.resolved'") == 1


async def test_an_inquiry_is_relayed_both_ways_and_seen_by_its_two_people_only(
        emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str) -> None:
    await setup_team(emulator, db_dsn)
    await answer_text(emulator, LEE, "/flag", f"<@{DIEGO}> missed the last three standups")
    card = await card_of(emulator, LEE, "F-1")
    lee_dm, diego_dm = await emulator.dm_channel(LEE), await emulator.dm_channel(DIEGO)

    # Open inquiry: Lee's thread and Diego's thread start in their DMs with Steward.
    mark = len(emulator.calls)
    await press(emulator, LEE, card, "flag_inquiry")
    await emulator.wait_for_call("chat.update", since=mark, timeout=10)
    [lee_root] = [m for m in emulator.messages(lee_dm) if "about flag `F-1`" in texts(m)]
    assert f"Private inquiry with <@{DIEGO}>* about flag `F-1`" in texts(lee_root)
    assert buttons(lee_root) == ["flag_resolve", "flag_dismiss"]
    [diego_root] = [m for m in emulator.messages(diego_dm) if "would like a private word with you" in (m.get("text") or "")]
    assert "Only the two of you can read this conversation" in diego_root["text"]
    assert "missed" not in diego_root["text"]  # the flag's reason is the manager's, not told to the person
    assert await value(db_dsn, "SELECT status FROM flags") == "acknowledged"

    # Lee asks in his thread; Diego reads it in his, and answers there; Lee reads the answer in his thread.
    mark = len(emulator.calls)
    asked_ts = await write_in_thread(emulator, LEE, lee_root["ts"], ASK)
    relayed = await emulator.wait_for_call("chat.postMessage", lambda c: c.args.get("channel") == diego_dm, since=mark, timeout=10)
    assert relayed.args["thread_ts"] == diego_root["ts"] and relayed.args["text"] == f"*lee asks:* {ASK}"
    mark = len(emulator.calls)
    await write_in_thread(emulator, DIEGO, diego_root["ts"], REPLY)
    back = await emulator.wait_for_call("chat.postMessage", lambda c: c.args.get("channel") == lee_dm, since=mark, timeout=10)
    assert back.args["thread_ts"] == lee_root["ts"] and back.args["text"] == f"*diego replies:* {REPLY}"
    # The relay records where its copy landed right after Slack answers.
    await wait_until(lambda: value(db_dsn, "SELECT count(*) = 2 FROM inquiry_messages WHERE relayed_ts IS NOT NULL"))
    async with await db(db_dsn) as conn:
        stored = await (await conn.execute("SELECT sender_role, body, slack_ts IS NOT NULL, relayed_ts IS NOT NULL "
                                           "FROM inquiry_messages ORDER BY id")).fetchall()
    assert [tuple(r) for r in stored] == [("manager", ASK, True, True), ("subject", REPLY, True, True)]
    # Slack delivering Lee's message again (under another event id) relays nothing twice.
    mark = len(emulator.calls)
    await emulator.send_raw_envelope(_replay(emulator, LEE, lee_dm, asked_ts, lee_root["ts"], ASK))
    await wait_until(lambda: _inbox_done(db_dsn))
    assert not [c for c in emulator.calls[mark:] if c.method == "chat.postMessage"]
    assert await value(db_dsn, "SELECT count(*) FROM inquiry_messages") == 2

    # Pressing Open inquiry again opens nothing new.
    mark = len(emulator.calls)
    await press(emulator, LEE, card, "flag_inquiry", stale=True)
    # The handler ends by reading the card back to mark it (its buttons are already gone: nothing to change).
    await emulator.wait_for_call("conversations.history", since=mark, timeout=10)
    assert not [c for c in emulator.calls[mark:] if c.method == "chat.postMessage"]
    assert await value(db_dsn, "SELECT count(*) FROM inquiry_threads") == 1

    # Nobody else sees a word of it: not in any other conversation, not Sam, not the admin's read paths.
    for channel_id in emulator.workspace.channels:
        if channel_id in (lee_dm, diego_dm):
            continue
        for message in emulator.messages(channel_id):
            assert not any(s in json.dumps(message) for s in SECRETS), channel_id
    assert "No flags you can see" in await answer_text(emulator, SAM, "/flags")
    admin_list = await answer(emulator, MAYA, "/flags")
    shown = admin_list.text + json.dumps(admin_list.body.get("blocks"))
    assert "`F-1`" in shown and "private inquiry open, 2 messages; its words are for its two people only" in shown
    for user in (MAYA, SAM):
        mark = len(emulator.calls)
        await emulator.open_app_home(user)
        published = await emulator.wait_for_call("views.publish", lambda c, u=user: c.args.get("user_id") == u, since=mark,
                                                 timeout=10)
        assert not any(s in json.dumps(published.args["view"]) for s in SECRETS)
    said = await answer(emulator, MAYA, "/steward", f"export <@{DIEGO}|diego>")
    assert "sent you the export" in said.text
    exported = next(json.loads(f.content) for f in emulator.workspace.files.files.values()
                    if f.name == f"steward-export-{DIEGO}.json" and f.completed)
    assert not any(s in json.dumps(exported) for s in SECRETS)
    assert [(i["opened_by"], i["status"], i["messages"]) for i in exported["inquiry_threads"]] == [(LEE, "open", 2)]
    mine = await answer_text(emulator, DIEGO, "/steward", "my-data")
    assert "private inquiries you were part of" in mine and "messages you wrote in private inquiries: *1*" in mine
    admin_data = await answer_text(emulator, MAYA, "/steward", "my-data")
    assert "What I hold about you" in admin_data and not any(s in admin_data for s in SECRETS)
    async with await db(db_dsn) as conn:
        logged = await (await conn.execute("SELECT details::text FROM audit_logs UNION ALL SELECT details::text FROM "
                                           "security_audit_logs UNION ALL SELECT payload::text FROM notifications")).fetchall()
    assert not any(s in r[0] for r in logged for s in SECRETS)

    # Lee dismisses the flag from his thread's root: the relay stops, Diego is told; what he writes next stays his.
    clock.at = ny(3, 6, 15, 0)
    mark = len(emulator.calls)
    await press(emulator, LEE, lee_root, "flag_dismiss")
    await emulator.wait_for_call("chat.update", since=mark, timeout=10)
    assert await value(db_dsn, "SELECT status FROM flags") == "dismissed"
    assert await value(db_dsn, "SELECT closed_at FROM inquiry_threads WHERE status = 'closed' AND closed_by = "
                               "(SELECT user_id FROM platform_identities WHERE external_id = %s)", LEE) == clock.at
    [closed] = await dms_soon(emulator, DIEGO, "private conversation with")
    assert f"Your private conversation with <@{LEE}> through me is closed" in closed["text"]
    mark = len(emulator.calls)
    await write_in_thread(emulator, DIEGO, diego_root["ts"], "One more thing about Monday")
    said_back = await emulator.wait_for_call("chat.postMessage", lambda c: c.args.get("channel") == diego_dm, since=mark, timeout=10)
    assert said_back.args["thread_ts"] == diego_root["ts"]
    assert f"This private conversation was closed by <@{LEE}> on Fri 6 Mar, so I didn't pass that on." in said_back.args["text"]
    assert not [m for m in emulator.messages(lee_dm) if "One more thing" in (m.get("text") or "")]
    # Lee, who closed it, writing in his own thread is told it was closed by him (tester 13, finding 15).
    mark = len(emulator.calls)
    await write_in_thread(emulator, LEE, lee_root["ts"], "Glad it's sorted")
    said_back = await emulator.wait_for_call("chat.postMessage", lambda c: c.args.get("channel") == lee_dm, since=mark,
                                             timeout=10)
    assert "This private conversation was closed by you on Fri 6 Mar, so I didn't pass that on." in said_back.args["text"]
    assert await value(db_dsn, "SELECT count(*) FROM inquiry_messages") == 2


def _replay(emulator: SlackEmulator, user: str, channel: str, ts: str, thread_ts: str, text: str) -> dict[str, Any]:
    """An envelope delivering ``user``'s message ``ts`` again, as another event (its own event id)."""
    event_id = f"EvReplay{ts.replace('.', '')}"
    return {"envelope_id": f"replay-{ts}", "type": "events_api", "accepts_response_payload": False, "retry_attempt": 1,
            "retry_reason": "timeout",
            "payload": {"type": "event_callback", "team_id": emulator.team_id, "api_app_id": emulator.app_id,
                        "event_id": event_id, "event_time": 1,
                        "event": {"type": "message", "channel": channel, "user": user, "text": text, "ts": ts,
                                  "thread_ts": thread_ts, "channel_type": "im"}}}


async def _inbox_done(dsn: str) -> bool:
    return bool(await value(dsn, "SELECT count(*) = 0 FROM event_inbox WHERE status NOT IN ('done', 'dead')"))


async def test_a_low_mood_run_sends_its_private_card_to_the_manager(emulator: SlackEmulator, bot: Steward,
                                                                    clock: FrozenClock, db_dsn: str) -> None:
    await setup_team(emulator, db_dsn)
    for day in (4, 5, 6):
        clock.at = ny(3, day, 16, 0)
        assert "Logged" in await answer_text(emulator, DIEGO, "/mood", "1 rough week", channel=STANDUP)
    [card] = [m for m in await dms_soon(emulator, LEE, "mood check-ins have been low") if "flag_inquiry" in buttons(m)]
    assert buttons(card) == ["flag_inquiry", "flag_resolve", "flag_dismiss"]
    assert "Private: only you got this" in texts(card) and "the low-mood rule" in texts(card)
    assert "rough week" not in json.dumps(card)
    assert await value(db_dsn, "SELECT notified_at IS NOT NULL FROM flags WHERE type = 'low_mood'") is True
    # The sweep does not send it again.
    await bot.scheduler.run_as_of("escalations", ny(3, 6, 16, 5))
    assert len([m for m in await dms(emulator, LEE, "mood check-ins have been low")]) == 1
    assert "No flags you can see" in await answer_text(emulator, DIEGO, "/flags")  # private: for the manager


async def test_a_card_held_for_quiet_hours_says_when_it_arrives_and_the_raisers_own_card_comes_now(
        emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str) -> None:
    """Tester 13, finding 7: at 16:00 in New York it is 21:00 in London, Sam's quiet hours. Maya's flag about Diego
    (Sam's report) says its card reaches Sam at his 08:00, on Maya's clock too; Sam's own `/flag`, typed this second,
    brings its card to him now."""
    await setup_team(emulator, db_dsn)
    await answer_text(emulator, MAYA, "/steward", f"manager <@{SAM}> for <@{DIEGO}>")
    clock.at = ny(3, 6, 16, 0)
    said = await answer_text(emulator, MAYA, "/flag", f"<@{DIEGO}> late on the payments API twice this month")
    assert (f"Its card went to <@{SAM}>: it waits for their quiet hours and reaches them Sat 7 Mar 08:00 their "
            "time (03:00 yours).") in said, said
    london_8am = datetime(2026, 3, 7, 8, 0, tzinfo=ZoneInfo("Europe/London")).astimezone(UTC)
    assert await value(db_dsn, "SELECT status || ' ' || (next_attempt_at = %s)::text FROM notification_deliveries d "
                               "JOIN notifications n ON n.id = d.notification_id WHERE n.dedupe_key LIKE 'flag.raised:%%:1:%%'",
                       london_8am) == "held true"

    said = await answer_text(emulator, SAM, "/flag", f"<@{DIEGO}> missed the last three standups")
    assert "I've sent you its card in our DM" in said and "quiet hours" not in said
    card = await card_of(emulator, SAM, "F-2")  # now, in his quiet hours: he just asked for it
    assert buttons(card) == ["flag_inquiry", "flag_resolve", "flag_dismiss"]
    assert not await dms(emulator, SAM, "Flag F-1 ")  # Maya's flag still waits for his morning
