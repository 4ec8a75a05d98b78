"""The sandbox types like a Slack client: mentions, escaping, slash commands in threads and built-ins,
emoji, permalinks and the job menu, over the page's JSON API with a real Bolt app behind it."""

from __future__ import annotations

from typing import Any

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient

from bot.sandbox import Sandbox
from bot.sandbox.jobs import DAILY_RHYTHM
from jobs.runs import RunReport
from tests.sandbox.conftest import ACME, DANIEL, LEADERSHIP, MAYA, PRIYA, STANDUP, EchoBot, eventually
from tests.sandbox.test_sandbox_api import post, state

SAM = "U0DEMOSAMR"


async def _received(bot: EchoBot, count: int) -> dict[str, Any]:
    await eventually(lambda: _now(len(bot.messages) >= count))
    return bot.messages[count - 1]


async def _now(value: Any) -> Any:
    return value


async def test_typed_mentions_links_and_escaping_go_out_as_slack_sends_them(
    sandbox: Sandbox, echo_bot: EchoBot, http: aiohttp.ClientSession
) -> None:
    text = "@Daniel can you check #client-acme and #leadership? Q&A <b> https://acme.example/brief?x=1&y=2"
    sent = await post(http, sandbox, "api/message", {"as": MAYA, "channel": ACME, "text": text})
    received = await _received(echo_bot, 1)
    expected = (f"<@{DANIEL}> can you check <#{ACME}|client-acme> and <#{LEADERSHIP}|leadership>? "
                "Q&amp;A &lt;b&gt; <https://acme.example/brief?x=1&amp;y=2>")
    assert received["text"] == sent["text"] == expected
    # Daniel is not in the private #leadership: for him it stays as typed.
    await post(http, sandbox, "api/message", {"as": DANIEL, "channel": ACME, "text": "see #leadership, @here"})
    assert (await _received(echo_bot, 2))["text"] == "see #leadership, <!here>"


async def test_a_picked_person_is_sent_even_when_the_typed_name_is_ambiguous(
    sandbox: Sandbox, echo_bot: EchoBot, http: aiohttp.ClientSession
) -> None:
    sandbox.emulator.add_user("U0DEMODAN2", "dan.b", "Daniel Berg", display_name="Daniel")
    await post(http, sandbox, "api/message", {"as": MAYA, "channel": ACME, "text": "@Daniel ping"})
    assert (await _received(echo_bot, 1))["text"] == "@Daniel ping"  # two Daniels: Slack can't tell either
    await post(http, sandbox, "api/message", {
        "as": MAYA, "channel": ACME, "text": "@Daniel and @Daniel, #standup",
        "picked": [{"label": "@Daniel", "id": "U0DEMODAN2"}, {"label": "@Daniel", "id": DANIEL},
                   {"label": "#standup", "id": STANDUP}, {"label": "@ghost", "id": "U0NOBODY"}],
    })
    assert (await _received(echo_bot, 2))["text"] == f"<@U0DEMODAN2> and <@{DANIEL}>, <#{STANDUP}|standup>"


async def test_commands_get_should_escape_and_are_refused_in_threads(
    sandbox: Sandbox, echo_bot: EchoBot, http: aiohttp.ClientSession
) -> None:
    dm = (await state(http, sandbox, **{"as": MAYA}))["dm"]
    done = await post(http, sandbox, "api/command", {"as": MAYA, "channel": dm, "text": "/echo @Daniel #standup"})
    assert done["ok"] and echo_bot.commands[-1]["text"] == f"<@{DANIEL}|daniel> <#{STANDUP}|standup>"

    acme = await state(http, sandbox, **{"as": MAYA, "channel": ACME})
    parent = next(m for m in acme["messages"] if m.get("reply_count"))
    refused = await post(http, sandbox, "api/message",
                         {"as": MAYA, "channel": ACME, "text": "/echo hello", "thread_ts": parent["ts"]})
    assert refused == {"ok": False, "error": "not_supported_in_threads",
                       "message": "/echo is not supported in threads. Sorry!"}
    assert len(echo_bot.commands) == 1
    thread = (await state(http, sandbox, **{"as": MAYA, "channel": ACME, "thread": parent["ts"]}))["thread"]
    note = thread["replies"][-1]
    assert note["ephemeral"] and note["source"] == "slackbot" and note["text"] == refused["message"]
    assert echo_bot.messages == []  # nor was it posted as a message


async def test_built_in_commands_are_slacks_and_invite_brings_steward_in(
    sandbox: Sandbox, echo_bot: EchoBot, http: aiohttp.ClientSession
) -> None:
    told = await post(http, sandbox, "api/message", {"as": PRIYA, "channel": ACME, "text": "/remind me to stretch in 5 minutes"})
    assert told["ok"] and told["reason"] == "built_in" and "Slack handles it" in told["slack"]
    notes = [m for m in (await state(http, sandbox, **{"as": PRIYA, "channel": ACME}))["messages"] if m.get("ephemeral")]
    assert notes[-1]["source"] == "slackbot" and "/remind" in notes[-1]["text"]
    assert echo_bot.commands == []

    before = await state(http, sandbox, **{"as": MAYA, "channel": LEADERSHIP})
    assert not before["channel"]["bot_is_member"]
    invited = await post(http, sandbox, "api/message", {"as": MAYA, "channel": LEADERSHIP, "text": "/invite @Steward"})
    assert invited["slack"] == "Added @steward to #leadership."
    after = await state(http, sandbox, **{"as": MAYA, "channel": LEADERSHIP})
    assert after["channel"]["bot_is_member"]
    assert after["messages"][-1]["subtype"] == "channel_join"


async def test_emoji_table_is_complete(sandbox: Sandbox, http: aiohttp.ClientSession) -> None:
    async with http.get(sandbox.web_url + "api/emoji") as response:
        table = (await response.json())["emoji"]
    assert response.headers["Cache-Control"].startswith("max-age")
    for name, char in {"palm_tree": "\U0001F334", "cloud": "\u2601\uFE0F", "pencil2": "\u270F\uFE0F",
                       "+1": "\U0001F44D", "white_check_mark": "\u2705", "skin-tone-2": "\U0001F3FB"}.items():
        assert table[name] == char, name
    assert len(table) > 3000


async def test_permalinks_point_at_the_message_for_people_who_can_see_it(
    sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    acme = await state(http, sandbox, **{"as": MAYA, "channel": ACME})
    parent = next(m for m in acme["messages"] if m.get("reply_count"))
    reply = (await state(http, sandbox, **{"as": MAYA, "channel": ACME, "thread": parent["ts"]}))["thread"]["replies"][0]
    client = AsyncWebClient(token=sandbox.bot_token, base_url=sandbox.api_url)
    try:
        reply_link = (await client.chat_getPermalink(channel=ACME, message_ts=reply["ts"]))["permalink"]
        parent_link = (await client.chat_getPermalink(channel=ACME, message_ts=parent["ts"]))["permalink"]
    finally:
        await client.session.close() if client.session else None

    async def resolve(who: str, url: str, status: int = 200) -> dict[str, Any]:
        async with http.get(sandbox.web_url + "api/permalink", params={"as": who, "url": url}) as response:
            assert response.status == status, await response.text()
            return await response.json()

    assert await resolve(MAYA, reply_link) == {"ok": True, "channel": ACME, "ts": reply["ts"], "thread_ts": parent["ts"]}
    assert await resolve(MAYA, parent_link) == {"ok": True, "channel": ACME, "ts": parent["ts"], "thread_ts": None}
    # The link Steward's own nudges build (no thread_ts in it) still finds the thread.
    bare = reply_link.split("?")[0]
    assert (await resolve(MAYA, bare))["thread_ts"] == parent["ts"]
    await resolve(MAYA, "https://elsewhere.slack.com/archives/C1/p1700000000000100", status=400)
    lead_link = parent_link.replace(ACME, LEADERSHIP)
    await resolve(DANIEL, lead_link, status=404)  # not his channel: as if it did not exist
    await resolve(MAYA, parent_link.replace(parent["ts"].replace(".", ""), "1000000000000001"), status=404)


async def test_job_menu_puts_the_day_first_and_run_now_reads_well(sandbox: Sandbox, http: aiohttp.ClientSession) -> None:
    async with http.get(sandbox.web_url + "api/jobs") as response:
        names = [j["name"] for j in (await response.json())["jobs"]]
    assert names[:5] == list(DAILY_RHYTHM) == ["morning-thread", "nudges", "end-of-day", "day-close", "mood-checkin"]
    assert "workspace-sync" in names[5:]

    class Scheduler:
        async def run_as_of(self, name: str, now: Any) -> RunReport:
            return RunReport(name, now, {"7": {"skipped": f"can't read the standup channel's members; "
                                                          f"invite me to <#{STANDUP}>"}})

    class Bot:
        scheduler = Scheduler()

    sandbox.attach(Bot())
    ran = await post(http, sandbox, "api/jobs/morning-thread", {})
    assert ran["summary"] == ("morning-thread: skipped: can't read the standup channel's members; "
                              "invite me to #standup.")
    assert ran["result"]["7"]["skipped"].endswith(f"<#{STANDUP}>")
