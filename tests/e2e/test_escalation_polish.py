"""Issue 13 after a fresh tester's report (group A): tasks into projects, forms that keep their errors under the
field, the person's view of flags, inquiry replies written in the DM, sync and hand-set roles, and the smaller
answers. Through the real bot, its jobs run as if at chosen instants, and the Slack emulator.

The team of tests/e2e/test_blockers.py: New York's clock (09:00 to 17:30), Monday to Friday, Monday 9 March 2026 an
organization holiday; Diego and Priya (Kolkata) report to Lee, who reports to Maya (the admin).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.app import Steward
from bot.clock import FrozenClock
from bot.emulators.slack import SlackEmulator
from tests.e2e import test_blockers as blocker_team
from tests.e2e import test_flags, test_overdue
from tests.e2e.conftest import DIEGO, MAYA, PRIYA, SAM, STANDUP, answer, answer_text, dm
from tests.e2e.test_blockers import dms, ny, setup_team, sweep
from tests.e2e.test_daily_rhythm import LEE, add_task, db, reply
from tests.e2e.test_distributed_team import post_thread
from tests.e2e.test_overdue import fetchval_of, overdue_keys, overdue_task, rows

bot, clock = blocker_team.bot, blocker_team.clock  # the team's fixtures
OWN_LADDER = "0h owner, 1h manager, 1d channel, 2d flag"
DUE = {"due_date": {"type": "datepicker", "selected_date": "2026-03-06"}}  # the form's date, as Slack sends it back


def text_field(value: str) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


async def open_task_form(emulator: SlackEmulator, user: str, display_id: str) -> str:
    mark = len(emulator.calls)
    await emulator.slash_command(user, "/task", f"edit {display_id}", channel=STANDUP)
    await emulator.wait_for_call("views.open", since=mark, timeout=10)
    return next(v for v, view in emulator.open_views.items() if view.get("callback_id") == "task_edit")


# ---------------------------------------------------------------- 16: a task into a project


async def test_a_task_joins_a_project_by_command_or_form_and_climbs_its_ladder(
        emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str) -> None:
    await setup_team(emulator, db_dsn)
    assert "own overdue ladder" in await answer_text(emulator, MAYA, "/steward",
                                                     f"project Website relaunch overdue {OWN_LADDER}")
    t1, t1_id = await overdue_task(db_dsn, DIEGO, "Ship the checkout fix", date(2026, 3, 6), project=False)

    # Unknown project: named, with the known ones; nothing changes.
    said = await answer_text(emulator, DIEGO, "/task", f"edit {t1} project Nonexistent", channel=STANDUP)
    assert "I don't know a project called `Nonexistent`" in said and "Website relaunch" in said
    assert await fetchval_of(db_dsn, "SELECT project_id FROM tasks WHERE id = %s", t1_id) is None

    # The organization's ladder first (0h owner, 1d manager): Diego is asked on Tuesday morning.
    assert overdue_keys(await sweep(bot, clock, ny(3, 7, 0, 0))) == {"overdue_waiting": 1}
    assert overdue_keys(await sweep(bot, clock, ny(3, 10, 8, 0))) == {"overdue_to_owner": 1}

    # Into the project by command (any case): logged, and from then on its ladder (1h manager) is the one climbed.
    clock.at = ny(3, 10, 8, 15)
    said = await answer_text(emulator, DIEGO, "/task", f"edit {t1} project website RELAUNCH", channel=STANDUP)
    assert said == f":pencil2: {t1}: project Website relaunch (was no project)"
    [(before, after)] = await rows(db_dsn, "SELECT from_value, to_value FROM task_logs WHERE task_id = %s AND action = "
                                           "'edited'", (t1_id,))
    assert before == {"project_id": None, "project": None} and after["project"] == "Website relaunch"
    assert overdue_keys(await sweep(bot, clock, ny(3, 10, 9, 59))) == {}
    assert overdue_keys(await sweep(bot, clock, ny(3, 10, 10, 0))) == {"overdue_to_manager": 1}
    assert await dms(emulator, LEE, "overdue")

    # Out of it again; `no project` says the same.
    said = await answer_text(emulator, DIEGO, "/task", f"edit {t1} project none", channel=STANDUP)
    assert said == f":pencil2: {t1}: no project (was Website relaunch)"
    assert await fetchval_of(db_dsn, "SELECT project_id FROM tasks WHERE id = %s", t1_id) is None

    # The form: an unknown project keeps the form open with the error under the field, and changes nothing.
    view_id = await open_task_form(emulator, DIEGO, t1)
    mark = len(emulator.calls)
    ack = await emulator.submit_view(DIEGO, view_id, {"title": {"title": text_field("Ship the checkout fix")},
                                                      "project": {"project": text_field("Nonexistent project")},
                                                      "size": {"size": {"type": "static_select",
                                                                        "selected_option": {"value": "m"}}}})
    assert ack == {"response_action": "errors", "errors": {
        "project": "I don't know a project called \u201cNonexistent project\u201d. Projects: Website relaunch."}}
    assert view_id in emulator.open_views
    assert await fetchval_of(db_dsn, "SELECT size IS NULL AND project_id IS NULL FROM tasks WHERE id = %s", t1_id)
    # Corrected and saved: the task joins the project.
    ack = await emulator.submit_view(DIEGO, view_id, {"title": {"title": text_field("Ship the checkout fix")},
                                                      "due_date": DUE, "project": {"project": text_field("website relaunch")}})
    assert ack == {} and view_id not in emulator.open_views
    call = await emulator.wait_for_call("chat.postMessage", lambda c: "project" in (c.args.get("text") or ""),
                                        since=mark, timeout=10)
    assert call.args["text"] == f":pencil2: {t1}: project Website relaunch (was no project)"
    assert not [c for c in emulator.calls[mark:] if "Nonexistent" in str(c.args.get("text"))]  # no DM about the error
    assert await fetchval_of(db_dsn, "SELECT p.name FROM tasks t JOIN projects p ON p.id = t.project_id "
                                     "WHERE t.id = %s", t1_id) == "Website relaunch"
    # The form shows it, and saving it unchanged changes nothing.
    view_id = await open_task_form(emulator, DIEGO, t1)
    blocks = emulator.open_views[view_id]["blocks"]
    assert next(b for b in blocks if b.get("block_id") == "project")["element"]["initial_value"] == "Website relaunch"


async def test_help_names_how_to_put_a_task_in_a_project(emulator: SlackEmulator, bot: Steward) -> None:
    assert "`project Website`" in await answer_text(emulator, MAYA, "/steward", "help")


# ---------------------------------------------------------------- 10, 21: forms keep their errors under the field


async def test_the_team_modal_shows_a_loop_or_a_bot_under_its_field(emulator: SlackEmulator, bot: Steward,
                                                                      db_dsn: str) -> None:
    await setup_team(emulator, db_dsn)
    mark = len(emulator.calls)
    await emulator.open_app_home(MAYA)
    await emulator.wait_for_call("views.publish", since=mark, timeout=10)
    mark = len(emulator.calls)
    await emulator.click_button(MAYA, view_id=emulator.home_views[MAYA]["id"], action_id="team_modal_open", value="open")
    await emulator.wait_for_call("views.open", since=mark, timeout=10)
    view_id = next(v for v, view in emulator.open_views.items() if view.get("callback_id") == "team_managers")

    def picked(reports: list[str], manager: str) -> dict[str, Any]:
        return {"reports": {"reports": {"type": "multi_users_select", "selected_users": reports}},
                "manager": {"manager": {"type": "users_select", "selected_user": manager}}}

    mark = len(emulator.calls)
    # Maya manages Lee, who manages Diego: Diego can't be Maya's manager.
    ack = await emulator.submit_view(MAYA, view_id, picked([MAYA], DIEGO))
    assert ack == {"response_action": "errors", "errors": {"manager": (
        "@maya already manages @diego (directly or through someone), so @diego can't be @maya's manager: that would "
        "make a loop.")}}
    # A bot among the people, or as the manager.
    ack = await emulator.submit_view(MAYA, view_id, picked([DIEGO, emulator.bot_user_id], LEE))
    assert ack is not None and "I don't know one of the people picked" in ack["errors"]["reports"]
    ack = await emulator.submit_view(MAYA, view_id, picked([DIEGO], emulator.bot_user_id))
    assert ack is not None and "I don't know that person" in ack["errors"]["manager"]
    assert view_id in emulator.open_views
    assert not [c for c in emulator.calls[mark:] if c.method == "chat.postMessage"]  # no DM: the form says it
    assert await fetchval_of(db_dsn, "SELECT count(*) FROM audit_logs WHERE action = 'user.manager_changed'") == 3


async def test_reassign_to_a_bot_and_a_past_new_date_stay_in_the_form(emulator: SlackEmulator, bot: Steward,
                                                                       clock: FrozenClock, db_dsn: str) -> None:
    await setup_team(emulator, db_dsn)
    task, task_id = await overdue_task(db_dsn, DIEGO, "Ship the checkout fix", date(2026, 3, 6), project=False)
    clock.at = ny(3, 6, 13, 0)
    await answer_text(emulator, DIEGO, "/blocker", f"{task} waiting for the API keys", channel=STANDUP)
    await sweep(bot, clock, ny(3, 6, 17, 0))
    assert (await sweep(bot, clock, ny(3, 10, 13, 0)))["to_manager"] == 1
    [escalated] = await dms(emulator, LEE, "blocked on T-1")

    mark = len(emulator.calls)
    await emulator.click_button(LEE, message_ts=escalated["ts"], channel=await emulator.dm_channel(LEE),
                                action_id="blocker_reassign", value=next(
                                    e["value"] for b in escalated["blocks"] if b.get("type") == "actions"
                                    for e in b["elements"] if e["action_id"] == "blocker_reassign"))
    await emulator.wait_for_call("views.open", since=mark, timeout=10)
    view_id = next(v for v, view in emulator.open_views.items() if view.get("callback_id") == "blocker_reassign")
    mark = len(emulator.calls)
    ack = await emulator.submit_view(LEE, view_id, {"owner": {"owner": {"type": "users_select",
                                                                        "selected_user": emulator.bot_user_id}}})
    assert ack == {"response_action": "errors", "errors": {"owner": (
        "I don't know that person (a bot, a guest, or someone who just joined): pick someone else.")}}
    assert view_id in emulator.open_views
    assert not [c for c in emulator.calls[mark:] if c.method == "chat.postMessage"]

    # Diego's overdue DM (Tuesday 13:00): New date, yesterday picked: the form says so, and nothing else does.
    [asked] = await dms(emulator, DIEGO, "A task of yours is overdue")
    clock.at = ny(3, 10, 13, 5)
    mark = len(emulator.calls)
    await test_overdue.press(emulator, DIEGO, asked, "overdue_new_date", str(task_id))
    await emulator.wait_for_call("views.open", since=mark, timeout=10)
    view_id = next(v for v, view in emulator.open_views.items() if view.get("callback_id") == "overdue_new_date")
    mark = len(emulator.calls)
    ack = await emulator.submit_view(DIEGO, view_id, {"due_date": {"due_date": {"type": "datepicker",
                                                                                "selected_date": "2026-03-09"}}})
    assert ack == {"response_action": "errors", "errors": {"due_date": "That date has passed: pick today or later."}}
    assert not [c for c in emulator.calls[mark:] if c.method == "chat.postMessage"]
    assert await fetchval_of(db_dsn, "SELECT due_date FROM tasks WHERE id = %s", task_id) == date(2026, 3, 6)


# ---------------------------------------------------------------- 28: a role set by hand sticks at sync


async def test_a_demoted_workspace_owner_stays_demoted_and_sync_logs_what_it_changes(
        emulator: SlackEmulator, bot: Steward, db_dsn: str) -> None:
    # Maya owns the workspace and STEWARD_ADMINS is unset, so she is an admin; she makes Lee an admin and steps down.
    assert "is an admin now" in await answer_text(emulator, MAYA, "/steward", f"role <@{LEE}> admin")
    said = await answer_text(emulator, MAYA, "/steward", f"role <@{MAYA}> manager")
    assert said == f"<@{MAYA}> is a manager now (was an admin)."
    await bot.sync_workspace()
    assert await fetchval_of(db_dsn, "SELECT role FROM users WHERE display_name = 'maya'") == "manager"
    assert await fetchval_of(db_dsn, "SELECT count(*) FROM audit_logs WHERE action = 'user.role_changed' "
                                     "AND details->>'source' = 'workspace_sync'") == 0
    # A role nobody chose by hand follows the workspace, and the change is in the audit trail.
    async with await db(db_dsn) as conn:
        await conn.execute("UPDATE users SET role = 'member', role_source = NULL WHERE display_name = 'maya'")
    await bot.sync_workspace()
    assert await fetchval_of(db_dsn, "SELECT role FROM users WHERE display_name = 'maya'") == "admin"
    assert await rows(db_dsn, "SELECT actor_id, details->>'from', details->>'to', details->>'why' FROM audit_logs "
                              "WHERE action = 'user.role_changed' AND details->>'source' = 'workspace_sync'") == [
        (None, "member", "admin", "workspace owner")]


# ---------------------------------------------------------------- 14, 11, 24: blockers


async def test_resolving_someone_elses_blocker_is_refused_before_anything_is_said_about_it(
        emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str) -> None:
    await setup_team(emulator, db_dsn)
    task = await add_task(db_dsn, DIEGO, "Fix the checkout bug")
    await answer_text(emulator, DIEGO, "/blocker", f"{task} waiting for the API keys", channel=STANDUP)
    refusal = ("Sorry, the blocker on T-1 isn't yours to change: the blocked person, their manager, whoever took it on "
               "and the admins can.")
    assert await answer_text(emulator, SAM, "/blocker", f"resolve {task}", channel=STANDUP) == refusal
    assert "Resolved the blocker on `T-1`" in await answer_text(emulator, LEE, "/blocker", f"resolve {task}",
                                                                channel=STANDUP)
    # Resolved now: Sam still hears only the refusal (not who resolved it, or when); Diego hears the whole story.
    assert await answer_text(emulator, SAM, "/blocker", f"resolve {task}", channel=STANDUP) == refusal
    assert await fetchval_of(db_dsn, "SELECT count(*) FROM security_audit_logs WHERE details->>'action' = "
                                     "'blocker.resolve'") == 2
    said = await answer_text(emulator, DIEGO, "/blocker", f"resolve {task}", channel=STANDUP)
    assert said.startswith(f"The blocker on T-1 was already resolved by <@{LEE}>")


async def test_undo_of_an_update_reopens_the_blocker_it_resolved_and_blocked_on_words_are_not_kept(
        emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str) -> None:
    await setup_team(emulator, db_dsn)
    task = await add_task(db_dsn, DIEGO, "Fix the checkout bug")
    thread = await post_thread(emulator, bot, clock, ny(3, 10, 9, 0), db_dsn)
    clock.at = ny(3, 10, 9, 30)
    _ts, answer = await reply(emulator, DIEGO, thread, "Today: send the Acme proposal. Blocked on the client logo files "
                                                       "from Acme")
    assert await fetchval_of(db_dsn, "SELECT description FROM blockers") == "the client logo files from Acme"
    assert "Blocked on the" not in str(answer)

    thread2 = await post_thread(emulator, bot, clock, ny(3, 11, 9, 0), db_dsn)
    clock.at = ny(3, 11, 10, 0)
    _ts, answer = await reply(emulator, DIEGO, thread2, f"Today: {task}. No longer blocked on the logo files, they arrived.")
    assert "Blocker resolved" in str(answer)
    assert await fetchval_of(db_dsn, "SELECT status FROM blockers") == "resolved"
    undo = next(e["value"] for b in answer["blocks"] if b.get("type") == "actions" for e in b["elements"]
                if e["action_id"] == "standup_undo")
    mark = len(emulator.calls)
    await emulator.click_button(DIEGO, message_ts=answer["ts"], channel=STANDUP, action_id="standup_undo", value=undo)
    updated = await emulator.wait_for_call("chat.update", since=mark, timeout=15)
    assert ("The blocker it resolved is open again: \u201cthe client logo files from Acme\u201d."
            in updated.args["text"])
    assert await rows(db_dsn, "SELECT status, resolved_by, resolution_note, next_escalation_at IS NOT NULL "
                              "FROM blockers") == [("open", None, None, True)]
    assert await fetchval_of(db_dsn, "SELECT count(*) FROM audit_logs WHERE action = 'blocker.reopened'") == 1


# ---------------------------------------------------------------- 19: a manager's Done / Drop is told to the report


async def test_a_managers_done_and_drop_on_overdue_work_are_told_to_its_owner(
        emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str) -> None:
    await setup_team(emulator, db_dsn)
    t1, t1_id = await overdue_task(db_dsn, DIEGO, "Ship the checkout fix", date(2026, 3, 6), project=False)
    t2, t2_id = await overdue_task(db_dsn, DIEGO, "Write the release notes", date(2026, 3, 6), project=False)
    await sweep(bot, clock, ny(3, 7, 0, 0))
    await sweep(bot, clock, ny(3, 10, 8, 0))
    assert overdue_keys(await sweep(bot, clock, ny(3, 10, 17, 30))) == {"overdue_to_manager": 2}
    [lee] = await dms(emulator, LEE, "2 tasks are overdue")

    clock.at = ny(3, 10, 17, 40)
    mark = len(emulator.calls)
    await test_overdue.press(emulator, LEE, lee, "overdue_done", str(t1_id))
    await emulator.wait_for_call("chat.update", since=mark, timeout=10)
    await test_overdue.press(emulator, LEE, lee, "overdue_drop", str(t2_id))
    await emulator.wait_for_call("views.open", since=mark, timeout=10)
    view_id = next(v for v, view in emulator.open_views.items() if view.get("callback_id") == "overdue_drop")
    mark = len(emulator.calls)
    assert await emulator.submit_view(LEE, view_id, {"reason": {"reason": text_field("Acme moved it to their agency")}}) == {}
    await emulator.wait_for_call("chat.update", since=mark, timeout=10)
    await blocker_team.delivered(bot, ny(3, 11, 8, 0))  # Diego's quiet hours end at 08:00
    [done] = await dms(emulator, DIEGO, "marked your")
    assert done["text"] == f":white_check_mark: <@{LEE}> marked your `{t1}` Ship the checkout fix done."
    [dropped] = await dms(emulator, DIEGO, "dropped your")
    assert dropped["text"] == (f":wastebasket: <@{LEE}> dropped your `{t2}` Write the release notes: "
                               "\u201cAcme moved it to their agency\u201d")
    # Diego's own Done tells nobody.
    assert not await dms(emulator, LEE, "marked your")


# ---------------------------------------------------------------- 6: a person's own flags


async def test_a_person_sees_that_a_flag_about_them_exists_but_not_its_reason(
        emulator: SlackEmulator, bot: Steward, db_dsn: str) -> None:
    await setup_team(emulator, db_dsn)
    assert "Flag `F-1` raised" in await answer_text(emulator, LEE, "/flag", f"<@{DIEGO}> missed the last three standups")
    mine = await answer(emulator, DIEGO, "/flags", channel=STANDUP)
    body = str(mine.blocks)
    assert f"`F-1` about you \u00b7 raised by <@{LEE}> \u2014 open since" in body
    assert "missed the last three standups" not in body and "missed" not in (mine.text or "") and "medium" not in body
    assert "Open inquiry" not in body and "its reason is for them" in body
    lees = str((await answer(emulator, LEE, "/flags", channel=STANDUP)).blocks)
    assert "missed the last three standups" in lees and "Open inquiry / Resolve / Dismiss" in lees


# ---------------------------------------------------------------- 23: a reply to an inquiry written in the DM itself


async def test_a_reply_written_in_the_dm_itself_is_asked_about_not_drafted(
        emulator: SlackEmulator, bot: Steward, clock: FrozenClock, db_dsn: str) -> None:
    await setup_team(emulator, db_dsn)
    await answer_text(emulator, LEE, "/flag", f"<@{DIEGO}> missed the last three standups")
    card = await test_flags.card_of(emulator, LEE, "F-1")
    lee_dm, diego_dm = await emulator.dm_channel(LEE), await emulator.dm_channel(DIEGO)
    mark = len(emulator.calls)
    await test_flags.press(emulator, LEE, card, "flag_inquiry")
    await emulator.wait_for_call("chat.update", since=mark, timeout=10)
    [lee_root] = [m for m in emulator.messages(lee_dm) if "about flag `F-1`" in blocker_team.texts(m)]
    await test_flags.write_in_thread(emulator, LEE, lee_root["ts"], "Are the API keys sorted now?")
    await test_flags.wait_until(lambda: fetchval_of(db_dsn, "SELECT count(*) = 1 FROM inquiry_messages "
                                                            "WHERE relayed_ts IS NOT NULL"))

    # Diego answers in the DM itself: Steward asks, and nothing is drafted or passed on yet.
    asked = await dm(emulator, DIEGO, "Yes, the keys arrived on Monday, all good now.")
    assert asked["text"].startswith(":lock: Is that for lee, in your private conversation? I haven't passed it on.")
    assert blocker_team.buttons(asked) == ["inquiry_reply_send:1", "inquiry_reply_other"]
    assert await fetchval_of(db_dsn, "SELECT count(*) FROM task_drafts") == 0
    assert await fetchval_of(db_dsn, "SELECT count(*) FROM inquiry_messages") == 1
    [prompt] = [m for m in emulator.messages(diego_dm) if "Is that for lee" in (m.get("text") or "")]
    mark = len(emulator.calls)
    await emulator.click_button(DIEGO, message_ts=prompt["ts"], channel=diego_dm, action_id="inquiry_reply_send:1",
                                value=prompt["blocks"][1]["elements"][0]["value"])
    back = await emulator.wait_for_call("chat.postMessage", lambda c: c.args.get("channel") == lee_dm, since=mark,
                                        timeout=10)
    assert back.args["thread_ts"] == lee_root["ts"]
    assert back.args["text"] == "*diego replies:* Yes, the keys arrived on Monday, all good now."
    await emulator.wait_for_call("chat.update", lambda c: c.args.get("ts") == prompt["ts"], since=mark, timeout=10)
    assert await rows(db_dsn, "SELECT sender_role, body FROM inquiry_messages ORDER BY id") == [
        ("manager", "Are the API keys sorted now?"), ("subject", "Yes, the keys arrived on Monday, all good now.")]

    # Something else: read as any DM would be (a task draft here), and nothing reaches Lee.
    assert "Is that for lee" in (await dm(emulator, DIEGO, "I'll send the Acme report by Friday"))["text"]
    prompt = [m for m in emulator.messages(diego_dm) if "Is that for lee" in (m.get("text") or "")][-1]
    mark = len(emulator.calls)
    await emulator.click_button(DIEGO, message_ts=prompt["ts"], channel=diego_dm, action_id="inquiry_reply_other",
                                value=prompt["blocks"][1]["elements"][1]["value"])
    draft = await emulator.wait_for_call("chat.postMessage", lambda c: "Draft" in (c.args.get("text") or ""),
                                         since=mark, timeout=10)
    assert draft.args["channel"] in (diego_dm, DIEGO)
    assert not [c for c in emulator.calls[mark:] if c.method == "chat.postMessage" and c.args.get("channel") == lee_dm]
    # A day after Lee's last message, a DM is a DM again.
    clock.at = ny(3, 7, 13, 30)
    assert (await dm(emulator, DIEGO, "I'll fix the login bug by Tuesday"))["text"].startswith("Draft")


# ---------------------------------------------------------------- 8, 9: suggestions and team commands


async def test_suggestions_name_people_as_typed_and_unknown_names_are_named(
        emulator: SlackEmulator, bot: Steward, db_dsn: str) -> None:
    await setup_team(emulator, db_dsn)

    async def said(user: str, command: str, words: str) -> str:
        return await answer_text(emulator, user, command, words, channel=STANDUP)

    assert await said(LEE, "/flag", f"<@{DIEGO}>") == (
        "Say why you're raising it: `/flag @diego missed the last three standups`.")
    assert (await said(LEE, "/flag", "@nobody missed things")).startswith("I don't know `@nobody` here.")
    assert (await said(LEE, "/flag", f"<@{DIEGO}> <@{PRIYA}> missed the last three standups")).startswith(
        "One person at a time")
    assert await fetchval_of(db_dsn, "SELECT count(*) FROM flags") == 0
    assert (await said(MAYA, "/steward", f"manager @nobody for <@{PRIYA}>")).startswith("I don't know `@nobody` here.")
    assert (await said(MAYA, "/steward", f"manager <@{LEE}> for")).startswith(f"Who does <@{LEE}> manage?")
    refused = await said(MAYA, "/steward", f"role <@{LEE}> member")
    assert "(`/steward manager @someone for @diego @priya`), or `/steward manager @diego @priya none`." in refused
    mark = len(emulator.calls)
    await emulator.open_app_home(MAYA)
    await emulator.wait_for_call("views.publish", since=mark, timeout=10)
    assert "2 managers, 3 people with a manager, " in str(emulator.home_views[MAYA]["blocks"])
