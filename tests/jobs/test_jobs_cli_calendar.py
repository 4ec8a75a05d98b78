"""`steward jobs run <job> --now T` decides as if the clock read T, through the people calendar: with local
time on, New York's Friday thread is a Kolkata teammate's Monday, so a run at Saturday 10:00 in Kolkata
nudges nobody and a run at Monday 10:00 there nudges her (the process is the real CLI, on a real database, sending through the Slack emulator)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import psycopg

from bot.emulators.slack import SlackEmulator
from bot.services import standup_threads, workspace
from tests.e2e.test_simulated_time import run_job
from tests.helpers import fetchval, make_user


async def test_jobs_run_now_follows_each_persons_day(db_dsn: str, tmp_path: Path) -> None:
    async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
        org = await workspace.ensure_org(conn, team_id="T0CLI", name="Acme", now=datetime(2026, 3, 1, tzinfo=UTC))
        await conn.execute("UPDATE org_settings SET standup_channel_id = 'C0STANDUP', timezone = 'America/New_York', "
                           "morning_time = '09:00', end_of_day_time = '17:30', use_member_local_time = true "
                           "WHERE organization_id = %s", (org,))
        priya = await make_user(conn, org, "priya", slack_id="U0PRIYA", timezone="Asia/Kolkata")
        posted = datetime(2026, 3, 6, 14, 0, tzinfo=UTC)  # Friday 09:00 in New York, 19:30 in Kolkata
        thread = await standup_threads.create_thread(conn, org, "C0STANDUP", date(2026, 3, 6), [priya], posted)
        await conn.execute("UPDATE morning_threads SET status = 'posted', thread_ts = '1772805600.000100', posted_at = %s "
                           "WHERE id = %s", (posted, thread))

    # The CLI sends what it decides at --now, so it runs with the workspace's Slack tokens (the emulator).
    async with SlackEmulator(team_id="T0CLI", team_name="Acme") as emulator:
        emulator.add_user("U0PRIYA", "priya", "Priya Nair", tz="Asia/Kolkata")
        saturday = await run_job(emulator, db_dsn, tmp_path, "nudges", datetime.fromisoformat("2026-03-07T10:00:00+05:30"))
        monday = await run_job(emulator, db_dsn, tmp_path, "nudges", datetime.fromisoformat("2026-03-09T10:00:00+05:30"))
        nudged = emulator.messages(await emulator.dm_channel("U0PRIYA"))
    assert saturday["result"] == {str(org): {"nudges": 0, "summaries": 0}}
    assert monday["result"] == {str(org): {"nudges": 1, "summaries": 0}}
    assert len(nudged) == 1 and "standup thread" in nudged[0]["text"]
    async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
        assert await fetchval(conn, "SELECT next_attempt_at FROM notification_deliveries") == datetime(2026, 3, 9, 4, 30, tzinfo=UTC)
