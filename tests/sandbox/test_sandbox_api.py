"""The sandbox over real sockets: the seeded workspace, the page's JSON API, and a real Bolt app behind it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.emulators.slack import SlackEmulator
from bot.sandbox import Sandbox, demo_emulator, seed_demo
from bot.sandbox.seed import PEOPLE
from jobs.runs import RunReport
from tests.sandbox.conftest import ACME, DANIEL, LEADERSHIP, MAYA, PRIYA, STANDUP, EchoBot, eventually


async def state(http: aiohttp.ClientSession, sb: Sandbox, **query: str) -> dict[str, Any]:
    async with http.get(sb.web_url + "api/state", params=query) as response:
        assert response.status == 200, await response.text()
        return await response.json()


async def post(http: aiohttp.ClientSession, sb: Sandbox, path: str, body: dict[str, Any],
               status: int = 200) -> dict[str, Any]:
    async with http.post(sb.web_url + path, json=body) as response:
        data = await response.json()
        assert response.status == status, data
        return data


# ---------------------------------------------------------------------- the seed


async def test_seed_is_visible_through_the_real_web_client(sandbox: Sandbox) -> None:
    client = AsyncWebClient(token=sandbox.bot_token, base_url=sandbox.api_url)
    try:
        auth = await client.auth_test()
        assert auth["team"] == "Demo Agency"
        users = (await client.users_list())["members"]
        humans = [u for u in users if not u["is_bot"] and u["id"] != "USLACKBOT"]
        assert len(humans) == 5
        assert len({u["tz"] for u in humans}) == 5
        assert {"America/New_York", "Europe/London", "Europe/Berlin", "Asia/Kolkata"} <= {u["tz"] for u in humans}
        owners = [u for u in humans if u["is_owner"]]
        assert [u["id"] for u in owners] == [MAYA]
        assert all(u["profile"]["email"].endswith("@demo-agency.example") for u in humans)

        listed = (await client.conversations_list(types="public_channel,private_channel"))["channels"]
        names = {c["name"]: c for c in listed}
        assert {"standup", "client-acme"} <= set(names)
        assert "leadership" not in names  # private, and the bot is not in it
        assert names["standup"]["is_member"] and names["client-acme"]["is_member"]

        members = (await client.conversations_members(channel=ACME))["members"]
        assert len([m for m in members if m != sandbox.emulator.bot_user_id]) == 3
        assert sandbox.emulator.bot_user_id in (await client.conversations_members(channel=STANDUP))["members"]

        history = (await client.conversations_history(channel=ACME))["messages"]
        texts = " ".join(m["text"] for m in history)
        assert "landing page" in texts and "SSO certificate" in texts and "deploy" in texts.lower()
        threaded = [m for m in history if m.get("reply_count")]
        assert threaded, "the demo history has threads"
    finally:
        await client.session.close() if client.session else None


def test_seed_demo_on_a_plain_emulator() -> None:
    emulator = SlackEmulator(team_name="Demo Agency")
    demo = seed_demo(emulator, now=datetime(2026, 3, 2, 15, 0, tzinfo=UTC))
    assert demo.team_name == "Demo Agency"
    assert set(demo.channels) == {"standup", "client-acme", "leadership"}
    assert demo.manager == MAYA
    lead = emulator.workspace.channel(demo.channels["leadership"])
    assert lead.is_private and not emulator.workspace.bot_is_member(lead)
    history = emulator.messages("client-acme")
    assert any("SSO certificate" in m["text"] and "March 14" in m["text"] for m in history)
    assert all(float(m["ts"]) < datetime(2026, 3, 2, 15, 0, tzinfo=UTC).timestamp() for m in history)
    assert demo_emulator().identity.team_name == "Demo Agency"
    assert len(PEOPLE) == 5


# ---------------------------------------------------------------------- the page's API


async def test_state_shows_what_a_person_can_see(sandbox: Sandbox, http: aiohttp.ClientSession) -> None:
    maya = await state(http, sandbox, **{"as": MAYA, "channel": ACME})
    assert maya["team"]["name"] == "Demo Agency"
    assert {c["name"] for c in maya["channels"]} == {"Steward", "standup", "client-acme", "leadership"}
    assert maya["channels"][0]["kind"] == "im" and maya["dm"].startswith("D")
    assert maya["channel"]["id"] == ACME
    parent = next(m for m in maya["messages"] if m.get("reply_count"))
    threaded = await state(http, sandbox, **{"as": MAYA, "channel": ACME, "thread": parent["ts"]})
    assert len(threaded["thread"]["replies"]) == parent["reply_count"]
    assert maya["home"] is None and maya["modal"] is None
    datetime.fromisoformat(maya["now"])

    daniel = await state(http, sandbox, **{"as": DANIEL, "channel": LEADERSHIP})
    assert "leadership" not in {c["name"] for c in daniel["channels"]}
    assert daniel["channel"]["kind"] == "im"  # not allowed there: falls back to the DM

    await post(http, sandbox, "api/message", {"as": DANIEL, "channel": LEADERSHIP, "text": "hi"}, status=404)
    await post(http, sandbox, "api/message", {"as": "UNOBODY", "channel": ACME, "text": "hi"}, status=404)
    async with http.post(sandbox.web_url + "api/message", data="as=x") as response:
        assert response.status == 415


async def test_dm_reaches_a_real_bolt_app_and_the_reply_shows(
    sandbox: Sandbox, echo_bot: EchoBot, http: aiohttp.ClientSession
) -> None:
    dm = (await state(http, sandbox, **{"as": PRIYA}))["dm"]
    sent = await post(http, sandbox, "api/message", {"as": PRIYA, "channel": dm, "text": "help"})
    assert sent["ok"] and sent["channel"] == dm

    async def replied() -> dict[str, Any] | None:
        data = await state(http, sandbox, **{"as": PRIYA, "channel": dm})
        return next((m for m in data["messages"] if m.get("bot_id") and "You said: help" in m["text"]), None)

    reply = await eventually(replied)
    assert echo_bot.messages[0]["user"] == PRIYA and echo_bot.messages[0]["channel_type"] == "im"
    assert reply["blocks"][1]["elements"][0]["action_id"] == "echo_ok"
    assert any(m["user"] == PRIYA and m["text"] == "help" for m in (await state(http, sandbox, **{"as": PRIYA}))["messages"])

    # Press the reply's button: the action reaches the app, whose respond() lands as an ephemeral.
    pressed = await post(http, sandbox, "api/action", {
        "as": PRIYA, "channel": dm, "message_ts": reply["ts"],
        "block_id": "echo_actions", "action_id": "echo_ok", "value": "42",
    })
    assert pressed["ok"]
    await eventually(lambda: _async(echo_bot.actions))
    action = echo_bot.actions[0]["actions"][0]
    assert (action["action_id"], action["value"], action["block_id"]) == ("echo_ok", "42", "echo_actions")
    # A button the message does not show (a page that had not caught up with a chat.update): 409, said plainly.
    gone = await post(http, sandbox, "api/action", {
        "as": PRIYA, "channel": dm, "message_ts": reply["ts"],
        "block_id": "echo_actions", "action_id": "echo_ok", "value": "43",
    }, status=409)
    assert gone["error"] == "element_gone" and "button is gone" in gone["message"]

    async def ephemeral() -> dict[str, Any] | None:
        data = await state(http, sandbox, **{"as": PRIYA, "channel": dm})
        return next((m for m in data["messages"] if m.get("ephemeral")), None)

    note = await eventually(ephemeral)
    assert "noted" in note["text"]
    # Nobody else sees Priya's ephemeral.
    other = await state(http, sandbox, **{"as": DANIEL, "channel": dm})
    assert other["channel"]["id"] != dm


async def test_thread_replies_and_channel_posts(
    sandbox: Sandbox, echo_bot: EchoBot, http: aiohttp.ClientSession
) -> None:
    acme = await state(http, sandbox, **{"as": DANIEL, "channel": ACME})
    parent = acme["messages"][-1]
    await post(http, sandbox, "api/message", {"as": DANIEL, "channel": ACME, "text": "on it", "thread_ts": parent["ts"]})
    await eventually(lambda: _async(echo_bot.messages))
    assert echo_bot.messages[0]["thread_ts"] == parent["ts"]

    async def bot_replied_in_thread() -> bool:
        data = await state(http, sandbox, **{"as": DANIEL, "channel": ACME, "thread": parent["ts"]})
        return any(m.get("bot_id") for m in data["thread"]["replies"])

    await eventually(bot_replied_in_thread)
    top = await state(http, sandbox, **{"as": DANIEL, "channel": ACME})
    assert len(top["messages"]) == len(acme["messages"])  # replies stay in the thread


async def test_slash_commands_modals_and_app_home(
    sandbox: Sandbox, echo_bot: EchoBot, http: aiohttp.ClientSession
) -> None:
    dm = (await state(http, sandbox, **{"as": MAYA}))["dm"]
    # An ack with text shows as an ephemeral; a composer line starting with "/" is a command too.
    result = await post(http, sandbox, "api/command", {"as": MAYA, "channel": dm, "text": "/echo hello there"})
    assert result["ok"] and result["ack"]["text"] == "echo: hello there"
    await post(http, sandbox, "api/message", {"as": MAYA, "channel": ACME, "text": "/echo again"})
    assert [c["text"] for c in echo_bot.commands] == ["hello there", "again"]
    assert echo_bot.commands[1]["channel_id"] == ACME
    in_dm = await state(http, sandbox, **{"as": MAYA, "channel": dm})
    eph = [m for m in in_dm["messages"] if m.get("ephemeral")]
    assert eph[0]["text"] == "echo: hello there"
    assert [e["text"] for e in in_dm["ephemerals"]] == ["echo: hello there"]
    await post(http, sandbox, "api/command", {"as": MAYA, "channel": dm, "text": "not a command"}, status=400)

    # Buttons on an ephemeral message work too.
    await post(http, sandbox, "api/command", {"as": MAYA, "channel": dm, "text": "/echo buttons"})

    async def ephemeral_with_blocks() -> dict[str, Any] | None:
        data = await state(http, sandbox, **{"as": MAYA, "channel": dm})
        return next((m for m in data["messages"] if m.get("ephemeral") and m.get("blocks")), None)

    buttons = await eventually(ephemeral_with_blocks)
    await post(http, sandbox, "api/action", {"as": MAYA, "channel": dm, "ephemeral_ts": buttons["ts"],
                                             "action_id": "echo_ok", "block_id": "echo_actions"})
    assert echo_bot.actions[-1]["container"]["is_ephemeral"] is True

    # A modal: open it, get an error back, then submit it properly.
    await post(http, sandbox, "api/command", {"as": MAYA, "channel": dm, "text": "/echo modal"})
    modal = (await eventually(lambda: _state_key(http, sandbox, MAYA, "modal")))
    assert modal["callback_id"] == "echo_modal" and modal["title"]["text"] == "New task"
    values = {
        "title": {"value": {"type": "plain_text_input", "value": "reject"}},
        "priority": {"value": {"type": "static_select", "selected_option": {
            "text": {"type": "plain_text", "text": "High"}, "value": "high"}}},
        "due": {"value": {"type": "datepicker", "selected_date": "2026-03-13"}},
        "flags": {"value": {"type": "checkboxes", "selected_options": []}},
    }
    rejected = await post(http, sandbox, "api/view_submit", {"as": MAYA, "view_id": modal["id"], "values": values})
    assert rejected["errors"] == {"title": "Not that one"}
    assert (await state(http, sandbox, **{"as": MAYA}))["modal"]["id"] == modal["id"]
    values["title"]["value"]["value"] = "Renew the SSO certificate"
    done = await post(http, sandbox, "api/view_submit", {"as": MAYA, "view_id": modal["id"], "values": values})
    assert done["ok"] and "errors" not in done
    assert echo_bot.submissions[0]["due"]["value"]["selected_date"] == "2026-03-13"
    assert (await state(http, sandbox, **{"as": MAYA}))["modal"] is None

    # Closing a modal without submitting.
    await post(http, sandbox, "api/command", {"as": MAYA, "channel": dm, "text": "/echo modal"})
    reopened = await eventually(lambda: _state_key(http, sandbox, MAYA, "modal"))
    await post(http, sandbox, "api/view_close", {"as": MAYA, "view_id": reopened["id"]})
    assert (await state(http, sandbox, **{"as": MAYA}))["modal"] is None

    # App Home: opening it sends app_home_opened; the published view shows; its button works.
    opened = await post(http, sandbox, "api/home", {"as": MAYA})
    assert opened["delivered"]
    home = await eventually(lambda: _state_key(http, sandbox, MAYA, "home"))
    assert echo_bot.homes == [MAYA]
    assert home["blocks"][0]["text"]["text"] == "Your home"
    await post(http, sandbox, "api/action", {"as": MAYA, "view_id": home["id"], "action_id": "home_ping",
                                             "block_id": "home_s", "value": "home"})
    assert echo_bot.actions[-1]["actions"][0]["action_id"] == "home_ping"
    assert echo_bot.actions[-1]["view"]["id"] == home["id"]


async def test_clock_and_jobs(sandbox: Sandbox, http: aiohttp.ClientSession) -> None:
    before = sandbox.clock.now()
    moved = await post(http, sandbox, "api/clock", {"advance_minutes": 90})
    assert moved["clock_offset_minutes"] == 90
    assert sandbox.clock.now() - before >= timedelta(minutes=90)
    set_to = await post(http, sandbox, "api/clock", {"set": "2030-01-07T09:00", "tz": "Asia/Kolkata"})
    assert datetime.fromisoformat(set_to["now"]) - datetime(2030, 1, 7, 3, 30, tzinfo=UTC) < timedelta(seconds=5)
    # Messages posted now carry the sandbox's time.
    assert float(sandbox.emulator.workspace.clock.next_ts()) > datetime(2030, 1, 1, tzinfo=UTC).timestamp()
    await post(http, sandbox, "api/clock", {"reset": True})
    assert abs(sandbox.clock.offset) == timedelta()
    await post(http, sandbox, "api/clock", {"set": "nonsense"}, status=400)

    async with http.get(sandbox.web_url + "api/jobs") as response:
        jobs = await response.json()
    names = [j["name"] for j in jobs["jobs"]]
    assert "workspace-sync" in names
    await post(http, sandbox, "api/jobs/workspace-sync", {}, status=409)  # no bot attached yet

    class FakeScheduler:
        def __init__(self) -> None:
            self.runs: list[tuple[str, datetime | None]] = []

        async def run_as_of(self, name: str, now: datetime) -> RunReport:
            if name == "boom":
                raise KeyError(name)
            self.runs.append((name, now))
            return RunReport(name, now, {"synced": 5})

    class FakeBot:
        scheduler = FakeScheduler()
        deps = None

    bot = FakeBot()
    sandbox.attach(bot)
    ran = await post(http, sandbox, "api/jobs/workspace-sync", {})
    assert ran["result"] == {"synced": 5}
    assert bot.scheduler.runs[0][0] == "workspace-sync"
    await post(http, sandbox, "api/jobs/no-such-job", {}, status=404)


async def test_page_and_static_files_are_served_locally(sandbox: Sandbox, http: aiohttp.ClientSession) -> None:
    async with http.get(sandbox.web_url) as response:
        html = await response.text()
    assert response.status == 200
    assert 'data-testid="who"' in html and 'data-testid="composer"' in html
    assert "http://" not in html and "https://" not in html  # nothing from the network
    for path in ("static/sandbox.js", "static/sandbox.css"):
        async with http.get(sandbox.web_url + path) as response:
            body = await response.text()
        assert response.status == 200 and body
        assert "https://" not in body.replace("https?:", "")
    async with http.get(sandbox.web_url + "api/state", headers={"Host": "evil.example:80"}) as response:
        assert response.status == 421


async def test_start_stop_and_a_busy_port() -> None:
    for _ in range(2):
        async with Sandbox() as sb:
            assert sb.web_url.startswith("http://127.0.0.1:") and sb.api_url.endswith("/api/")
            assert sb.bot_token.startswith("xoxb-") and sb.app_token.startswith("xapp-")
            busy = sb.web_port
            with pytest.raises(OSError, match="cannot listen"):
                await Sandbox(web_port=busy).start()


async def _async(value: Any) -> Any:
    return value


async def _state_key(http: aiohttp.ClientSession, sb: Sandbox, user: str, key: str) -> Any:
    return (await state(http, sb, **{"as": user}))[key]
