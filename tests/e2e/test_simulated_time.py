"""Simulated time is simulation, not scheduling (issue 10, part 1): a job run as if the clock read T
(`steward jobs run NAME --now T`, the sandbox's "Run now") sends at once what it decides to send at T;
what quiet hours hold stays held until a later run (or the real clock) passes its time; and its summary
says "posted"/"sent" only for what Slack accepted, and what is waiting and until when.

The command line runs as a subprocess against a running Steward (real clock, its own dispatcher polling)
on the same database and the Slack emulator; the sandbox's Run now goes through the page's API."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import psycopg
import pytest

from bot.app import Steward
from bot.emulators.slack import SlackEmulator
from bot.sandbox.seed import PEOPLE
from tests.e2e.conftest import DIEGO, PRIYA, STANDUP, sandbox_steward, start_steward
from tests.e2e.test_daily_rhythm import configure, reply, thread_roots
from tests.e2e.test_sandbox_jobs import Page, _next_monday, holds
from tests.helpers import eventually, fetchval

NEW_YORK = ZoneInfo("America/New_York")
KOLKATA = ZoneInfo("Asia/Kolkata")


def future_weekday(days_ahead: int = 2) -> date:
    """A weekday at least ``days_ahead`` days after today in New York, on the real clock."""
    day = datetime.now(NEW_YORK).date() + timedelta(days=days_ahead)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=NEW_YORK)


async def steward_cli(emu: SlackEmulator, dsn: str, data_dir: Path, *args: str) -> tuple[int, str, str]:
    """`steward ARGS…` as a separate process, with the bot's tokens and database (as an operator runs it
    beside the running bot). Returns (exit code, stdout, stderr)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OPENAI_"))}
    env.update(DATABASE_URL=dsn, SLACK_BOT_TOKEN=emu.bot_token, SLACK_APP_TOKEN=emu.app_token,
               SLACK_API_URL=emu.api_url, STEWARD_DATA_DIR=str(data_dir))
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", *args, env=env,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def run_job(emu: SlackEmulator, dsn: str, data_dir: Path, job: str, now: datetime) -> dict[str, Any]:
    code, out, err = await steward_cli(emu, dsn, data_dir, "jobs", "run", job, "--now", now.isoformat())
    assert code == 0, err
    report: dict[str, Any] = json.loads(out)
    return report


async def checkins(emu: SlackEmulator, user: str) -> list[dict[str, Any]]:
    """The end-of-day check-ins in ``user``'s DM with Steward, as the emulator holds them now."""
    return [m for m in emu.messages(await emu.dm_channel(user))
            if any(str(b.get("block_id", "")).startswith("eod:") for b in m.get("blocks") or [])]


async def deliveries(dsn: str, kind: str) -> dict[str, tuple[str, str | None, datetime]]:
    """{target: (status, slack_ts, next_attempt_at)} of every delivery of ``kind``."""
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        rows = await (await conn.execute(
            "SELECT d.target_id, d.status, d.slack_ts, d.next_attempt_at FROM notification_deliveries d "
            "JOIN notifications n ON n.id = d.notification_id WHERE n.kind = %s", (kind,))).fetchall()
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


@pytest.fixture
async def bot(emulator: SlackEmulator, db_dsn: str, tmp_path: Path) -> Any:
    """A running Steward on the real clock; its scheduler stopped so only the command line runs jobs (its
    dispatcher, the one that would send a future-dated post days later, keeps polling)."""
    running = await start_steward(emulator, db_dsn, tmp_path / "bot")
    running.bot.scheduler.shutdown()
    try:
        yield running.bot
    finally:
        await running.stop()


@pytest.mark.timeout(300)
async def test_cli_run_as_if_at_a_future_day_sends_now_and_holds_quiet_hours(
        emulator: SlackEmulator, bot: Steward, db_dsn: str, tmp_path: Path) -> None:
    answer = await configure(emulator, f"channel <#{STANDUP}|standup> time 09:00 timezone America/New_York "
                                       "days mon-fri nudge 60 summary 120 eod 17:30")
    assert "Saved" in answer
    day = future_weekday()
    spelled = f"{day:%a} {day.day} {day:%b}"

    # morning-thread as if at 09:00 on a weekday days from now: the thread is in the channel when the
    # command returns (not queued for that day), and the summary says so, with its ts.
    report = await run_job(emulator, db_dsn, tmp_path, "morning-thread", at(day, 9))
    roots = thread_roots(emulator)
    assert len(roots) == 1, report
    assert report["job"] == "morning-thread" and datetime.fromisoformat(report["as_of"]) == at(day, 9)
    assert f"posted the standup thread for {spelled} in #standup with 4 people" in report["summary"], report
    thread = next(s for s in report["sent"] if s["kind"] == "standup.thread")
    assert thread["ts"] == roots[0]["ts"] and thread["to"] == f"<#{STANDUP}>"
    assert (await deliveries(db_dsn, "standup.thread"))[STANDUP][:2] == ("sent", roots[0]["ts"])

    # Diego (New York) and Priya (Kolkata) post their plans in the thread (the running bot reads them).
    await reply(emulator, DIEGO, roots[0]["ts"], "Fix the checkout bug and deploy the staging build")
    await reply(emulator, PRIYA, roots[0]["ts"], "Write the onboarding docs")

    # end-of-day at 17:30 that day: Diego's check-in is in his DMs when the command returns. For Priya it
    # is 04:00 (03:00 in summer): held for her quiet hours, and the summary says until when.
    assert await checkins(emulator, DIEGO) == []
    report = await run_job(emulator, db_dsn, tmp_path, "end-of-day", at(day, 17, 30))
    assert len(await checkins(emulator, DIEGO)) == 1
    assert await checkins(emulator, PRIYA) == []
    states = await deliveries(db_dsn, "standup.eod_checkin")
    assert set(states) == {DIEGO, PRIYA}
    assert states[DIEGO][0] == "sent" and states[DIEGO][1]
    assert states[PRIYA][0] == "held"
    held_until = states[PRIYA][2].astimezone(KOLKATA)
    assert (held_until.date(), held_until.hour, held_until.minute) == (day + timedelta(days=1), 8, 0)
    assert [(s["kind"], s["to"], s["ts"]) for s in report["sent"]] == [("standup.eod_checkin", f"<@{DIEGO}>", states[DIEGO][1])]
    assert [(w["to"], w["why"], datetime.fromisoformat(w["until"])) for w in report["waiting"]] == [
        (f"<@{PRIYA}>", "quiet hours", held_until)]
    until = f"{held_until:%a} {held_until.day} {held_until:%b} at 08:00 IST"
    assert report["summary"] == (f"end-of-day: sent 1 end-of-day check-in (@diego) and 1 end-of-day check-in "
                                 f"is held for quiet hours until {until} (@priya).")
    assert report["result"] == {str(await org_of(db_dsn)): {"checkins": 1, "held": 1}}

    # The real clock has not reached that day: the running bot's dispatcher leaves her check-in held.
    assert (await deliveries(db_dsn, "standup.eod_checkin"))[PRIYA][0] == "held"

    # A later run, as if at 23:00 in New York (after 08:00 in Kolkata): her check-in goes now, once.
    report = await run_job(emulator, db_dsn, tmp_path, "end-of-day", at(day, 23))
    assert len(await checkins(emulator, PRIYA)) == 1
    assert len(await checkins(emulator, DIEGO)) == 1
    states = await deliveries(db_dsn, "standup.eod_checkin")
    assert states[PRIYA][0] == "sent"
    assert [(s["to"], s["ts"], s.get("queued_earlier")) for s in report["sent"]] == [(f"<@{PRIYA}>", states[PRIYA][1], True)]
    assert "sent 1 end-of-day check-in held from earlier (@priya)" in report["summary"]
    assert report["waiting"] == [] and report["failed"] == []
    assert len(thread_roots(emulator)) == 1


async def org_of(dsn: str) -> int:
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        return int(await fetchval(conn, "SELECT id FROM organizations"))



def moment(when: datetime) -> str:
    """How a summary spells an instant on its recipient's clock: "Tue 8 Dec at 08:00 IST"."""
    return f"{when:%a} {when.day} {when:%b} at {when:%H:%M} {when.tzname()}"


PLANS = {"maya": "Finish the Q1 report and review the Acme contract",
         "daniel": "Export the final Acme assets and update the style guide",
         "lena": "Fix the login bug and write the migration for invoices",
         "priya": "Build the pricing table and test the checkout page",
         "sam": "Call the Acme client and send the invoice"}


@pytest.fixture
async def ui(db_dsn: str, tmp_path: Path) -> Any:
    """The sandbox page with the real Steward behind it (its scheduler stopped: only Run now runs jobs)."""
    async with sandbox_steward(db_dsn, tmp_path, scheduler=False) as (sandbox, _), \
            aiohttp.ClientSession(trust_env=False) as http:
        yield Page(sandbox, http)


@pytest.mark.timeout(300)
async def test_sandbox_run_now_counts_match_the_database(ui: Page, db_dsn: str) -> None:
    sandbox = ui.sandbox
    assert sandbox.demo is not None
    people = sandbox.demo.people
    names = {slack_id: key for key, slack_id in people.items()}
    standup = sandbox.demo.channels["standup"]
    zones = {p.id: ZoneInfo(p.tz) for p in PEOPLE}
    monday = _next_monday(sandbox.clock.now())

    # Run now at 09:31 on a Monday to come: the thread is in #standup when the page answers.
    await ui.set_clock(monday.replace(hour=9, minute=31))
    ran = await ui.post("api/jobs/morning-thread", {})
    roots = [m for m in sandbox.emulator.messages(standup) if m.get("bot_id")]
    assert len(roots) == 1, ran["summary"]
    thread = roots[0]
    assert ran["summary"].startswith(f"morning-thread: posted the standup thread for {monday:%a} {monday.day} "
                                     f"{monday:%b} in #standup with 5 people"), ran["summary"]
    for key, plan in PLANS.items():
        await ui.post("api/message", {"as": people[key], "channel": standup, "thread_ts": thread["ts"], "text": plan})
    await eventually(lambda: holds(db_dsn, "SELECT count(DISTINCT user_id) FROM day_plan_items", len(PLANS)), within=20)

    # end-of-day at 17:31 in New York: evening in London and Berlin, night in Kolkata, afternoon in LA.
    await ui.set_clock(monday.replace(hour=17, minute=31))
    ran = await ui.post("api/jobs/end-of-day", {})
    summary = str(ran["summary"])
    states = await deliveries(db_dsn, "standup.eod_checkin")
    sent = sorted(target for target, (status, _, _) in states.items() if status == "sent")
    held = {target: until for target, (status, _, until) in states.items() if status == "held"}
    assert set(states) == set(sent) | set(held), states  # nothing failed or left pending
    # What the summary says was sent was sent (and is in each DM now); what it says is held is held, until when.
    said_sent = re.search(r"sent (\d+) end-of-day check-ins? \(([^)]*)\)", summary)
    assert said_sent is not None and int(said_sent.group(1)) == len(sent) >= 1, (summary, states)
    assert sorted(f"@{names[t]}" for t in sent) == sorted(re.split(r", | and ", said_sent.group(2))), summary
    for target in sent:
        assert await checkins(sandbox.emulator, target), names[target]
    said_held = re.search(r"(\d+) end-of-day check-ins? (?:is|are) held for quiet hours", summary)
    assert said_held is not None and int(said_held.group(1)) == len(held) >= 1, (summary, states)
    for target, until in held.items():
        assert await checkins(sandbox.emulator, target) == [], names[target]
        assert f"@{names[target]}" in summary and f"until {moment(until.astimezone(zones[target]))}" in summary, summary
    # Whoever planned and got no check-in queued is counted as not queued, and why.
    not_queued = len(PLANS) - len(states)
    said_not_queued = re.search(r"(\d+) not queued \(quiet hours would hold", summary)
    assert (int(said_not_queued.group(1)) if said_not_queued else 0) == not_queued, summary
    assert sorted((d["kind"], d["to"], d["ts"]) for d in ran["report"]["sent"]) == [
        ("standup.eod_checkin", f"<@{t}>", states[t][1]) for t in sent]

    # Moving the clock past a hold sends the held check-in before the page answers (the sandbox's clock is
    # its real clock): Priya's, at 08:00 in Kolkata.
    priya = people["priya"]
    assert priya in held
    await ui.set_clock(held[priya].astimezone(NEW_YORK) + timedelta(minutes=1))
    assert len(await checkins(sandbox.emulator, priya)) == 1
    assert (await deliveries(db_dsn, "standup.eod_checkin"))[priya][0] == "sent"
