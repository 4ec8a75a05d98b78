"""A first-run welcome for each admin: what Steward does and the three things to set up."""

from __future__ import annotations

from datetime import datetime

import psycopg

from bot.services.notifications import Target, notify
from bot.services.workspace import users_of_org
from db.queries import Q


def welcome_text(name: str, standup_channel: str | None) -> str:
    standup = (f"\u2705 The standup runs in <#{standup_channel}>; change it with `/steward standup`."
               if standup_channel else
               "1. *Standup*: `/steward standup channel #standup time 09:00 timezone America/New_York days mon-fri`")
    return (
        f"Hi {name} \U0001F44B I'm Steward. I run your team's standup thread, turn what people tell me into tasks "
        "(`T-1`, `T-2`\u2026), follow each one to done, and remember what's said about your clients.\n\n"
        f"You're an admin. To get going:\n{standup}\n"
        "2. *Clients*: `/steward client add Acme Corp #client-acme` (and `/steward project add \u2026`)\n"
        "3. *Memory*: invite me to the channels I should remember (`/invite @Steward`)\n"
        "4. *Who manages whom*: `/steward manager @maya for @priya @daniel` (or *Set managers\u2026* in my App Home). "
        "Escalations and who-is-missing lists go to each person's manager; a \u201cManager\u201d field in your Slack "
        "profiles is read at each sync unless you set someone's manager here. `/steward team` shows it.\n\n"
        "Anyone can DM me \u201cI'll send the Acme report by Friday\u201d to make a task. `/steward help` lists everything."
    )


async def welcome_admins(conn: psycopg.AsyncConnection, org_id: int, now: datetime) -> int:
    """DM each active admin once (ever): the dedupe key makes restarts and other processes no-ops."""
    row = await (await conn.execute(Q["standup_channel_of_org"], {"organization_id": org_id})).fetchone()
    standup = row[0] if row else None
    sent = 0
    for user in await users_of_org(conn, org_id):
        if not (user.is_admin and user.active):
            continue
        text = welcome_text(user.display_name, standup)
        sent += await notify(conn, organization_id=org_id, kind="onboarding.welcome", dedupe_key=f"welcome:{org_id}:{user.id}",
                             text=text, targets=[Target.dm(user.slack_id)], now=now, urgent=True, user_id=user.id) is not None
    return sent
