"""Slash commands as Slack delivers them: built-ins kept by Slack, none in threads, should_escape."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.emulators.slack import CommandNotDelivered, SlackEmulator
from bot.emulators.slack.commands import BUILT_IN_COMMANDS, manifest_escaping

for _name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
    os.environ.pop(_name, None)

ROOT = Path(__file__).resolve().parents[2]
ALICE, BOB, BOBBY = "U100", "U200", "U300"
STANDUP, SECRET, RANDOM = "C100", "C200", "C300"


class Harness:
    def __init__(self) -> None:
        self.commands: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        self.got = asyncio.Event()


@pytest.fixture
async def emu() -> AsyncIterator[SlackEmulator]:
    emulator = SlackEmulator(team_id="T1", team_name="Demo", bot_token="xoxb-test", app_token="xapp-test")
    emulator.add_user(ALICE, name="alice", real_name="Alice Adams", display_name="Alice")
    emulator.add_user(BOB, name="bob", real_name="Bob Brown", display_name="Bob")
    emulator.add_user(BOBBY, name="bobby", real_name="Bob Stone", display_name="Bob")
    emulator.add_channel(STANDUP, name="standup", members=[ALICE, BOB, emulator.bot_user_id])
    emulator.add_channel(SECRET, name="secret", is_private=True, members=[BOB])
    emulator.add_channel(RANDOM, name="random", members=[ALICE])
    await emulator.start()
    yield emulator
    await emulator.stop()


@pytest.fixture
async def harness(emu: SlackEmulator) -> AsyncIterator[Harness]:
    app = AsyncApp(client=AsyncWebClient(token=emu.bot_token, base_url=emu.api_url))
    seen = Harness()

    async def any_command(ack: Any, command: dict[str, Any]) -> None:
        seen.commands.append(command)
        seen.got.set()
        await ack()

    for name in ("/task", "/tasks", "/plain", "/remind", "/topic", "/status", "/giphy"):
        app.command(name)(any_command)

    @app.event("member_joined_channel")
    async def joined(event: dict[str, Any]) -> None:
        seen.events.append(event)

    handler = AsyncSocketModeHandler(app, emu.app_token)
    await handler.connect_async()
    await emu.wait_for_connections(1)
    yield seen
    await handler.close_async()


async def _text_received(emu: SlackEmulator, harness: Harness, command: str, text: str, **kw: Any) -> str:
    harness.got.clear()
    result = await emu.slash_command(ALICE, command, text, channel=STANDUP, **kw)
    await result.wait_for_ack()
    return str(harness.commands[-1]["text"])


# ---------------------------------------------------------------- commands Slack keeps for itself


@pytest.mark.parametrize("command", ["/remind", "/topic", "/status", "/away", "/invite_people", "/shrug", "/dnd"])
async def test_built_in_commands_never_reach_the_app(emu: SlackEmulator, harness: Harness, command: str) -> None:
    with pytest.raises(CommandNotDelivered) as refused:
        await emu.slash_command(ALICE, command, "me to pay the invoice tomorrow", channel=STANDUP)

    assert refused.value.reason == "built_in" and refused.value.command == command
    assert emu.envelopes == [] and harness.commands == []
    # Slack answers the person itself: a Slackbot note only they see, where they typed.
    note = emu.ephemerals_for(ALICE)[-1]
    assert note.source == "slackbot" and note.channel == STANDUP and command in note.text


async def test_every_documented_built_in_is_refused_and_giphy_goes_to_its_own_app(emu: SlackEmulator) -> None:
    assert {"/remind", "/topic", "/status", "/away", "/invite", "/leave", "/msg", "/dm", "/mute", "/shrug", "/me",
            "/who", "/collapse", "/expand", "/feed", "/search", "/apps", "/shortcuts", "/prefs", "/rename",
            "/archive", "/join", "/open", "/remove", "/kick", "/active", "/dnd", "/call"} <= BUILT_IN_COMMANDS
    with pytest.raises(CommandNotDelivered) as refused:
        await emu.slash_command(ALICE, "/giphy", "cat", channel=STANDUP)
    assert refused.value.reason == "other_app" and emu.envelopes == []


async def test_an_app_command_typed_in_a_thread_is_refused_as_slack_does(emu: SlackEmulator, harness: Harness) -> None:
    parent = emu.add_message(STANDUP, "Morning thread", user=BOB)

    with pytest.raises(CommandNotDelivered) as refused:
        await emu.slash_command(ALICE, "/task", "add Fix the login bug", channel=STANDUP, thread_ts=parent["ts"])

    assert refused.value.reason == "not_in_thread"
    assert refused.value.message == "/task is not supported in threads. Sorry!"
    assert emu.envelopes == [] and harness.commands == []
    note = emu.ephemerals_for(ALICE)[-1]
    assert (note.text, note.thread_ts, note.source) == (refused.value.message, parent["ts"], "slackbot")
    # Built-ins do work in threads; Slack runs them, so they are still not the app's.
    with pytest.raises(CommandNotDelivered) as built_in:
        await emu.slash_command(ALICE, "/shrug", "", channel=STANDUP, thread_ts=parent["ts"])
    assert built_in.value.reason == "built_in"
    # Outside the thread the same command is delivered.
    assert await _text_received(emu, harness, "/task", "add Fix the login bug") == "add Fix the login bug"


# ---------------------------------------------------------------- should_escape


async def test_should_escape_turns_typed_people_channels_and_links_into_markup(
    emu: SlackEmulator, harness: Harness
) -> None:
    text = await _text_received(emu, harness, "/tasks", "@alice #standup see https://example.com/a?b=1 now")
    assert text == f"<@{ALICE}|alice> <#{STANDUP}|standup> see <https://example.com/a?b=1> now"
    # A mention picked from the autocomplete (already <@U…>) gets the name label too.
    assert await _text_received(emu, harness, "/task", f"assign T-8 <@{BOB}>") == f"assign T-8 <@{BOB}|bob>"
    # Full names, @handle, and punctuation after the name.
    assert await _text_received(emu, harness, "/task", "assign T-8 @Alice Adams, thanks") == \
        f"assign T-8 <@{ALICE}|alice>, thanks"
    # Two people answer to "@Bob": Slack cannot tell, so it stays as typed; unknown names and e-mail too.
    typed = "@Bob @nobody bob@example.com #nowhere"
    assert await _text_received(emu, harness, "/tasks", typed) == typed
    # A private channel Alice is not in is not resolved for her.
    assert await _text_received(emu, harness, "/tasks", "#secret") == "#secret"
    # Code spans are left alone.
    assert await _text_received(emu, harness, "/task", "add rename `@alice` in #standup") == \
        f"add rename `@alice` in <#{STANDUP}|standup>"


async def test_should_escape_false_sends_the_plain_text(emu: SlackEmulator, harness: Harness) -> None:
    emu.configure_commands({"/plain": False})
    assert not emu.should_escape("/plain") and emu.should_escape("/task") and emu.should_escape("/unknown")
    text = await _text_received(emu, harness, "/plain", f"<@{BOB}> and @alice in <#{STANDUP}|standup>")
    assert text == "@bob and @alice in #standup"


async def test_escaping_is_read_from_the_manifest(emu: SlackEmulator, tmp_path: Path) -> None:
    steward = emu.load_manifest(ROOT / "manifest.yaml")
    assert steward and all(steward.values())  # every Steward command declares should_escape: true
    assert "/task" in steward and "/steward" in steward
    other = tmp_path / "manifest.yaml"
    other.write_text("features:\n  slash_commands:\n    - command: /plain\n      should_escape: false\n"
                     "    - command: /bare\n", encoding="utf-8")
    assert emu.load_manifest(other) == {"/plain": False, "/bare": False}  # absent means false in a manifest
    assert not emu.should_escape("/plain")
    assert emu.load_manifest(tmp_path / "missing.yaml") == {}
    broken = tmp_path / "broken.yaml"
    broken.write_text("- just\n- a list\n", encoding="utf-8")
    with pytest.raises(ValueError, match="not a Slack app manifest"):
        emu.load_manifest(broken)
    assert manifest_escaping({"features": {"slash_commands": "nonsense"}}) == {}


# ---------------------------------------------------------------- /invite, acted out


async def test_invite_adds_the_bot_and_the_bot_hears_it(emu: SlackEmulator, harness: Harness) -> None:
    random = emu.workspace.channel(RANDOM)
    assert not emu.workspace.bot_is_member(random)

    with pytest.raises(CommandNotDelivered) as done:
        await emu.slash_command(ALICE, "/invite", "@steward", channel=RANDOM)

    assert done.value.reason == "built_in" and done.value.message == "Added @steward to #random."
    assert emu.workspace.bot_is_member(random)
    for _ in range(300):
        if harness.events:
            break
        await asyncio.sleep(0.01)
    assert harness.events[0]["channel"] == RANDOM and harness.events[0]["user"] == emu.bot_user_id
    assert harness.events[0]["inviter"] == ALICE
    assert emu.messages(RANDOM)[-1]["subtype"] == "channel_join"
    with pytest.raises(CommandNotDelivered) as again:
        await emu.slash_command(ALICE, "/invite", "@steward", channel=RANDOM)
    assert again.value.message == "They are already in #random."
    assert harness.commands == []


def test_the_manifest_declares_no_command_slack_keeps_for_itself() -> None:
    """A manifest command named like a built-in (Steward's old `/remind`) would never be reached."""
    from pathlib import Path

    from bot.emulators.slack.commands import BUILT_IN_COMMANDS, OTHER_APP_COMMANDS, load_manifest_escaping

    declared = set(load_manifest_escaping(Path(__file__).parents[2] / "manifest.yaml"))
    assert "/reminder" in declared and "/task" in declared
    assert declared & (BUILT_IN_COMMANDS | OTHER_APP_COMMANDS) == set()
