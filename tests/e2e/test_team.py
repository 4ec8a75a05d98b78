"""Who manages whom (issue 13, "needed first") through the emulator: `/steward manager`, `/steward team`,
`/steward role`, the "Manager" profile field imported at workspace sync, App Home's Team modal, the welcome."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.app import Steward
from bot.emulators.slack import SlackEmulator
from tests.e2e.conftest import DIEGO, MAYA, PRIYA, SAM, answer_text
from tests.e2e.test_daily_rhythm import db
from tests.helpers import fetchval


async def managers(dsn: str) -> dict[str, str | None]:
    """Slack id -> their manager's Slack id (None: no manager), for every person."""
    async with await db(dsn) as conn:
        rows = await (await conn.execute(
            "SELECT pi.external_id, mpi.external_id FROM users u JOIN platform_identities pi ON pi.user_id = u.id "
            "LEFT JOIN platform_identities mpi ON mpi.user_id = u.manager_id")).fetchall()
    return {r[0]: r[1] for r in rows}


async def value(dsn: str, sql: str, args: tuple[Any, ...] = ()) -> Any:
    async with await db(dsn) as conn:
        return await fetchval(conn, sql, args)


async def role_of(dsn: str, slack_id: str) -> str:
    return str(await value(dsn, "SELECT u.role FROM users u JOIN platform_identities pi ON pi.user_id = u.id "
                                "WHERE pi.external_id = %s", (slack_id,)))


async def test_admins_set_and_clear_managers_and_the_team_shows_it(emulator: SlackEmulator, steward: Steward,
                                                                   db_dsn: str) -> None:
    said = await answer_text(emulator, MAYA, "/steward", f"manager <@{SAM}> for <@{PRIYA}> <@{DIEGO}>")
    assert f"<@{PRIYA}> now reports to <@{SAM}>" in said and f"<@{DIEGO}> now reports to <@{SAM}>" in said
    assert f"<@{SAM}> is a manager now" in said
    mapping = await managers(db_dsn)
    assert mapping[PRIYA] == SAM and mapping[DIEGO] == SAM and mapping[MAYA] is None
    assert await role_of(db_dsn, SAM) == "manager"
    assert await value(db_dsn, "SELECT count(*) FROM audit_logs WHERE action = 'user.manager_changed'") == 2
    assert await value(db_dsn, "SELECT count(DISTINCT manager_source) FROM users WHERE manager_id IS NOT NULL") == 1
    await answer_text(emulator, MAYA, "/steward", f"manager <@{MAYA}> for <@{SAM}>")

    shown = await answer_text(emulator, PRIYA, "/steward", "team")
    assert f"<@{SAM}> (manager): <@{DIEGO}>, <@{PRIYA}>" in shown and f"<@{MAYA}> (admin): <@{SAM}>" in shown
    assert f"No manager: <@{MAYA}>" in shown
    shown = await answer_text(emulator, PRIYA, "/steward", f"team <@{SAM}>")
    assert f"<@{SAM}>'s team* (a manager, reports to <@{MAYA}>)" in shown and f"<@{PRIYA}>" in shown
    assert f"<@{PRIYA}>'s manager is <@{SAM}>" in await answer_text(emulator, PRIYA, "/steward", f"manager <@{PRIYA}>")

    said = await answer_text(emulator, MAYA, "/steward", f"manager <@{PRIYA}> none")
    assert f"<@{PRIYA}> has no manager now (was <@{SAM}>)" in said
    assert (await managers(db_dsn))[PRIYA] is None


async def test_bad_manager_and_role_commands_get_specific_answers_and_change_nothing(
        emulator: SlackEmulator, steward: Steward, db_dsn: str) -> None:
    await answer_text(emulator, MAYA, "/steward", f"manager <@{SAM}> for <@{PRIYA}>")
    before = await managers(db_dsn)
    # A loop, oneself, nobody named, a member asking.
    said = await answer_text(emulator, MAYA, "/steward", f"manager <@{PRIYA}> for <@{SAM}>")
    assert f"<@{SAM}> already manages <@{PRIYA}>" in said and "loop" in said
    assert "can't be their own manager" in await answer_text(emulator, MAYA, "/steward", f"manager <@{SAM}> for <@{SAM}>")
    assert f"Who does <@{SAM}> manage? Name them after `for`" in await answer_text(emulator, MAYA, "/steward", f"manager <@{SAM}> for everyone")
    assert "Say `/steward manager @maya for" in await answer_text(emulator, MAYA, "/steward", "manager sam for priya")
    assert "only Steward admins" in await answer_text(emulator, DIEGO, "/steward", f"manager <@{DIEGO}> for <@{SAM}>")
    assert await managers(db_dsn) == before
    assert await value(db_dsn, "SELECT count(*) FROM security_audit_logs WHERE details->>'action' = 'team.set_manager'") == 1

    # Roles: the last admin cannot demote themselves; someone with reports stays a manager; a bad word is named.
    said = await answer_text(emulator, MAYA, "/steward", f"role <@{MAYA}> member")
    assert f"<@{MAYA}> is the last admin" in said
    said = await answer_text(emulator, MAYA, "/steward", f"role <@{SAM}> member")
    assert f"<@{SAM}> manages <@{PRIYA}>" in said
    assert "`boss` isn't a role" in await answer_text(emulator, MAYA, "/steward", f"role <@{SAM}> boss")
    assert "only Steward admins" in await answer_text(emulator, SAM, "/steward", f"role <@{SAM}> admin")
    assert (await role_of(db_dsn, MAYA), await role_of(db_dsn, SAM)) == ("admin", "manager")

    said = await answer_text(emulator, MAYA, "/steward", f"role <@{DIEGO}> admin")
    assert f"<@{DIEGO}> is an admin now (was a member)" in said
    said = await answer_text(emulator, MAYA, "/steward", f"role <@{MAYA}> manager")
    assert f"<@{MAYA}> is a manager now (was an admin)" in said
    assert await value(db_dsn, "SELECT count(*) FROM audit_logs WHERE action = 'user.role_changed'") == 3  # Sam's too


async def test_a_manager_profile_field_is_imported_at_sync_unless_an_admin_chose(
        emulator: SlackEmulator, steward: Steward, db_dsn: str) -> None:
    field = emulator.add_profile_field("Reports to", "user", hint="Your manager")
    emulator.add_profile_field("Manager's notes", "text")  # a text field is not a person
    emulator.set_profile_field(PRIYA, field, SAM)
    emulator.set_profile_field(DIEGO, field, MAYA)
    emulator.set_profile_field(SAM, field, f"{MAYA},{PRIYA}")  # several people: the first
    await steward.sync_workspace()
    mapping = await managers(db_dsn)
    assert (mapping[PRIYA], mapping[DIEGO], mapping[SAM], mapping[MAYA]) == (SAM, MAYA, MAYA, None)
    assert await value(db_dsn, "SELECT count(*) FROM users WHERE manager_source = 'slack_profile'") == 3
    assert await role_of(db_dsn, SAM) == "manager"
    assert emulator.calls_to("team.profile.get") and len(emulator.calls_to("users.profile.get")) >= 4

    # An admin's choice by hand wins over the field; a field emptied in Slack clears what it had set.
    await answer_text(emulator, MAYA, "/steward", f"manager <@{MAYA}> for <@{PRIYA}>")
    emulator.set_profile_field(DIEGO, field, "")
    emulator.set_profile_field(PRIYA, field, DIEGO)
    await steward.sync_workspace()
    mapping = await managers(db_dsn)
    assert (mapping[PRIYA], mapping[DIEGO], mapping[SAM]) == (MAYA, None, MAYA)
    assert await value(db_dsn, "SELECT count(*) FROM audit_logs WHERE action = 'team.profile_imported'") == 2


async def test_without_the_profile_scope_sync_still_works_and_imports_nothing(
        emulator: SlackEmulator, steward: Steward, db_dsn: str) -> None:
    field = emulator.add_profile_field("Manager", "user")
    emulator.set_profile_field(PRIYA, field, SAM)
    emulator.api.scopes -= {"users.profile:read"}
    await steward.sync_workspace()
    refused = emulator.calls_to("team.profile.get")[-1]
    assert refused.error == "missing_scope"
    assert (await managers(db_dsn))[PRIYA] is None
    assert await value(db_dsn, "SELECT count(*) FROM users") >= 4


async def test_the_team_modal_sets_many_managers_at_once(emulator: SlackEmulator, steward: Steward, db_dsn: str) -> None:
    mark = len(emulator.calls)
    await emulator.open_app_home(MAYA)
    await emulator.wait_for_call("views.publish", since=mark, timeout=10)
    home = emulator.home_views[MAYA]
    assert "0 managers, 0 people with a manager" in str(home["blocks"])
    mark = len(emulator.calls)
    await emulator.click_button(MAYA, view_id=home["id"], action_id="team_modal_open", value="open")
    await emulator.wait_for_call("views.open", since=mark, timeout=10)
    view_id = next(v for v, view in emulator.open_views.items() if view.get("callback_id") == "team_managers")

    # Someone picked as their own manager is refused next to the field.
    ack = await emulator.submit_view(MAYA, view_id, {
        "reports": {"reports": {"type": "multi_users_select", "selected_users": [PRIYA, SAM]}},
        "manager": {"manager": {"type": "users_select", "selected_user": SAM}}})
    assert ack is not None and ack.get("response_action") == "errors" and "own manager" in ack["errors"]["reports"]
    mark = len(emulator.calls)
    ack = await emulator.submit_view(MAYA, view_id, {
        "reports": {"reports": {"type": "multi_users_select", "selected_users": [PRIYA, DIEGO]}},
        "manager": {"manager": {"type": "users_select", "selected_user": SAM}}})
    assert ack == {}
    told = await emulator.wait_for_call("chat.postMessage", lambda c: "now reports to" in (c.args.get("text") or ""),
                                        since=mark, timeout=10)
    assert f"<@{PRIYA}> now reports to <@{SAM}>" in told.args["text"]
    mapping = await managers(db_dsn)
    assert (mapping[PRIYA], mapping[DIEGO]) == (SAM, SAM)

    # Members have no Team section, and cannot open the modal.
    mark = len(emulator.calls)
    await emulator.open_app_home(DIEGO)
    await emulator.wait_for_call("views.publish", lambda c: c.args.get("user_id") == DIEGO, since=mark, timeout=10)
    assert "team_modal_open" not in str(emulator.home_views[DIEGO]["blocks"])


async def test_the_welcome_tells_admins_to_set_who_manages_whom(emulator: SlackEmulator, steward: Steward, tmp_path: Path) -> None:
    maya_dm = await emulator.dm_channel(MAYA)
    welcome = await emulator.wait_for_call("chat.postMessage", lambda c: c.args.get("channel") in (MAYA, maya_dm), timeout=10)
    assert "*Who manages whom*: `/steward manager @maya for @priya @daniel`" in welcome.args["text"]
