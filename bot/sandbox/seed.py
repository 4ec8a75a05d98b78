"""The demo workspace the sandbox starts with: a small agency, three channels and a little history."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bot.emulators.slack import SlackEmulator
from bot.log import get_logger

log = get_logger(__name__)

SEED_READ_WAIT_SECONDS = 60.0
"""How long `steward run` waits for the seeded history to be read before it says it is ready; offline
this takes well under a second; with a model a little longer, and past this it carries on in the background."""

DEMO_TEAM_ID = "T0DEMOAGCY"
DEMO_TEAM_NAME = "Demo Agency"


@dataclass(frozen=True)
class DemoPerson:
    key: str
    id: str
    name: str
    real_name: str
    email: str
    tz: str
    title: str
    is_owner: bool = False
    locale: str = "en-US"  # Slack's locale: how the person writes dates (en-GB, de-DE: day-first)


@dataclass(frozen=True)
class DemoChannel:
    id: str
    name: str
    members: tuple[str, ...]
    with_bot: bool
    is_private: bool = False
    topic: str = ""
    purpose: str = ""


PEOPLE: tuple[DemoPerson, ...] = (
    DemoPerson("maya", "U0DEMOMAYA", "maya", "Maya Thompson", "maya.thompson@demo-agency.example",
               "America/New_York", "Managing Director", is_owner=True),
    DemoPerson("daniel", "U0DEMODANI", "daniel", "Daniel Okafor", "daniel.okafor@demo-agency.example",
               "Europe/London", "Design Lead", locale="en-GB"),
    DemoPerson("lena", "U0DEMOLENA", "lena", "Lena Fischer", "lena.fischer@demo-agency.example",
               "Europe/Berlin", "Backend Developer", locale="de-DE"),
    DemoPerson("priya", "U0DEMOPRIY", "priya", "Priya Raman", "priya.raman@demo-agency.example",
               "Asia/Kolkata", "Frontend Developer", locale="en-IN"),
    DemoPerson("sam", "U0DEMOSAMR", "sam", "Sam Rivera", "sam.rivera@demo-agency.example",
               "America/Los_Angeles", "Account Manager"),
)

_IDS = {p.key: p.id for p in PEOPLE}

CHANNELS: tuple[DemoChannel, ...] = (
    DemoChannel("C0DEMOSTND", "standup", tuple(p.id for p in PEOPLE), with_bot=True,
                topic="Daily check-ins: what you did, what's next, what's blocking you",
                purpose="Async standup for the whole team"),
    DemoChannel("C0DEMOACME", "client-acme", (_IDS["maya"], _IDS["daniel"], _IDS["priya"]), with_bot=True,
                topic="Acme landing page redesign + SSO renewal",
                purpose="Everything for our client Acme Corp"),
    DemoChannel("C0DEMOLEAD", "leadership", (_IDS["maya"], _IDS["sam"]), with_bot=False, is_private=True,
                topic="Hiring, budgets, client health", purpose="Private: leadership only"),
)


@dataclass(frozen=True)
class Demo:
    """What seed_demo created: people by key ("maya"…) and channels by name ("client-acme"…)."""

    team_name: str
    people: dict[str, str]
    channels: dict[str, str]
    manager: str

    def person(self, key: str) -> DemoPerson:
        return next(p for p in PEOPLE if p.key == key)


def _day(d: date) -> str:
    return f"{d:%A}, {d:%B} {d.day}"


def _next_weekday(start: date, weekday: int) -> date:
    """The next given weekday strictly after `start` (Monday is 0)."""
    return start + timedelta(days=(weekday - start.weekday() - 1) % 7 + 1)


def _ts(moment: datetime, seq: int) -> str:
    return f"{int(moment.timestamp())}.{seq:06d}"


def demo_emulator(**kwargs: object) -> SlackEmulator:
    """A new (not started) emulator named and seeded as the demo workspace."""
    emulator = SlackEmulator(team_id=DEMO_TEAM_ID, team_name=DEMO_TEAM_NAME, bot_name="steward", **kwargs)  # type: ignore[arg-type]
    seed_demo(emulator)
    return emulator


def seed_demo(emulator: SlackEmulator, now: datetime | None = None) -> Demo:
    """Seed people, channels and a little #client-acme history (no events are sent).

    Name the emulator's team "Demo Agency" when building it (or use `demo_emulator()`).
    """
    now = now or datetime.fromtimestamp(time.time(), UTC)
    for p in PEOPLE:
        emulator.add_user(p.id, p.name, p.real_name, email=p.email, tz=p.tz, is_admin=p.is_owner,
                          is_owner=p.is_owner, display_name=p.real_name.split()[0], locale=p.locale)
    for c in CHANNELS:
        members = [*c.members, emulator.bot_user_id] if c.with_bot else list(c.members)
        emulator.add_channel(c.id, c.name, is_private=c.is_private, members=members,
                             topic=c.topic, purpose=c.purpose)
    _history(emulator, now)
    return demo()


def demo() -> Demo:
    """Who and what the demo workspace has (also when it was restored rather than seeded)."""
    return Demo(
        team_name=DEMO_TEAM_NAME,
        people={p.key: p.id for p in PEOPLE},
        channels={c.name: c.id for c in CHANNELS},
        manager=_IDS["maya"],
    )


def _history(emulator: SlackEmulator, now: datetime) -> None:
    today = now.date()
    cert_expiry = today + timedelta(days=12)
    metadata_due = cert_expiry - timedelta(days=5)
    thursday = _next_weekday(today, 3)
    review = _next_weekday(today + timedelta(days=2), 2)
    start = now - timedelta(hours=27)
    seq = 0

    def post(hours_after_start: float, who: str, text: str, thread: str | None = None, channel: int = 1) -> str:
        nonlocal seq
        seq += 1
        ts = _ts(start + timedelta(hours=hours_after_start), seq)
        emulator.add_message(CHANNELS[channel].id, text, _IDS[who], ts=ts, thread_ts=thread)
        return ts

    post(-0.5, "maya", "Morning all :wave: Drop your standup here before 10am your time: "
         "what you did yesterday, what's next, and anything blocking you.", channel=0)
    post(-0.2, "sam", "Acme renewal call moved to next week. Budget talk is on the agenda.", channel=2)

    post(0.0, "maya",
         f"Kicking off the *Acme landing page redesign* this week :rocket: <@{_IDS['daniel']}> has the wireframes, "
         f"<@{_IDS['priya']}> is on the build. We review it with Acme on {_day(review)}.")
    post(0.4, "daniel",
         "Wireframes v2 are in the shared drive: new hero, the pricing table and a testimonial strip. "
         "Comments welcome before end of day tomorrow.")
    sso = post(1.5, "priya",
               f"Heads up: Acme's *SSO certificate* expires on *{_day(cert_expiry)}*. Their IT team needs our new "
               f"metadata by {_day(metadata_due)} or logins will break.")
    post(1.8, "maya", f"Good catch. <@{_IDS['priya']}> can you own the renewal? I'll tell their IT lead it's coming.",
         thread=sso)
    post(2.0, "priya", f"Yes, I'll take it and send them the metadata by {_day(metadata_due)}.", thread=sso)
    deploy = post(20.0, "daniel",
                  f"Staging deploy of the new landing page is planned for *{_day(thursday)}* at 3pm London time. "
                  "Anything that should go in needs to be merged the day before.")
    post(20.5, "priya", "The contact form fix will make it :white_check_mark:", thread=deploy)
    post(21.0, "maya", "Great. Let's make sure Acme gets a staging link the same afternoon.")


async def seed_steward(conn: Any, org_id: int) -> None:
    """The demo organization's own data in Steward: a client tied to #client-acme, the standup
    settings, and Maya as everyone's manager. Only fills what is missing, so restarts keep edits."""
    has_client = await (await conn.execute("SELECT 1 FROM clients WHERE organization_id = %s LIMIT 1", (org_id,))).fetchone()
    if not has_client:
        await conn.execute(
            "INSERT INTO clients (organization_id, name, slack_channel_id, description) VALUES (%s, 'Acme Corp', %s, %s)",
            (org_id, CHANNELS[1].id, "Long-standing client: landing page redesign, SSO, staging deploys."))
    await conn.execute(
        "UPDATE org_settings SET standup_channel_id = coalesce(standup_channel_id, %s), "
        "timezone = CASE WHEN timezone = 'UTC' THEN 'America/New_York' ELSE timezone END WHERE organization_id = %s",
        (CHANNELS[0].id, org_id))
    await conn.execute(
        "UPDATE users u SET manager_id = m.id "
        "FROM platform_identities mi JOIN users m ON m.id = mi.user_id, platform_identities ui "
        "WHERE mi.organization_id = %s AND mi.external_id = %s AND ui.organization_id = %s AND ui.user_id = u.id "
        "AND ui.external_id <> %s AND u.manager_id IS NULL",
        (org_id, _IDS["maya"], org_id, _IDS["maya"]))


async def read_seeded_history(deps: Any, scheduler: Any, backfills: Iterable[asyncio.Task[Any]], *,
                              wait_seconds: float = SEED_READ_WAIT_SECONDS) -> Any:
    """On a fresh (or reset) sandbox: once the seeded channels' backfills end, run the `context` job at once,
    so the very first "@steward what's going on with Acme?" finds the seeded facts rather than waiting for
    the job's two-minute tick (jobs/schedule.py).

    `backfills` are the tasks `jobs.backfill.start_in_background` started for the channels Steward had not
    seen; `scheduler` is the bot's `jobs.schedule.Scheduler`: the run goes through `run_claimed(name,
    scheduled_for=now)`, so it is claimed once and logged in `job_runs` like any other. Waits at most
    `wait_seconds` (then the reading goes on in the background, in `deps.extras["background_tasks"]`, which
    Steward cancels on stop). Returns the job's summary, or None when it did not finish in time or did not
    run (this process is not the scheduler's leader). A failed backfill is already recorded on the backfill
    and resumed by the `context-backfill` job; the pipeline reads what was stored.
    """
    pending = list(backfills)

    async def read() -> Any:
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
        return await scheduler.run_claimed("context", scheduled_for=deps.now())

    task = asyncio.create_task(read(), name="sandbox-read-seeded-history")
    tasks: set[asyncio.Task[Any]] = deps.extras.setdefault("background_tasks", set())
    tasks.add(task)
    task.add_done_callback(tasks.discard)
    done, _ = await asyncio.wait({task}, timeout=wait_seconds)
    if not done:
        log.info("sandbox_seed_still_reading", waited_seconds=wait_seconds)
        return None
    summary = task.result()
    log.info("sandbox_seed_read", summary=summary)
    return summary
