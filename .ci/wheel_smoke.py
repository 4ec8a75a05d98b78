"""CI's smoke of a regular install: run by the Python of a fresh virtual environment that has only the
built wheel installed, from a directory outside the checkout (so every import comes from site-packages).

1. An embedded PostgreSQL started on its own stands in for an external server; an empty database on it is
   migrated through ``DATABASE_URL`` with the installed ``steward db migrate`` (``db status`` before and after).
2. ``steward run`` from the install connects to a Slack emulator, answers ``/steward help``, and exits 0
   within the shutdown bound when sent SIGTERM.

Exits non-zero with a reason on the first failure. Usage: ``python wheel_smoke.py WORKDIR``.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import psycopg

import bot
from bot.emulators.slack import SlackEmulator
from db.embedded import start_embedded

TEAM, OWNER, CHANNEL = "T0SMOKE", "U0OWNER", "C0STANDUP"


def fail(message: str) -> None:
    print(f"wheel smoke: FAILED: {message}", file=sys.stderr, flush=True)
    raise SystemExit(1)


def steward(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("steward")
    result = subprocess.run([str(exe), *args], env=env, capture_output=True, text=True, timeout=300)
    print(f"$ steward {' '.join(args)}  -> exit {result.returncode}\n{result.stdout}{result.stderr}", flush=True)
    return result


async def run_and_stop(env: dict[str, str], emu: SlackEmulator, workdir: Path) -> None:
    log_path = workdir / "steward-run.log"
    with log_path.open("wb") as log:
        proc = await asyncio.create_subprocess_exec(
            str(Path(sys.executable).with_name("steward")), "run", env=env, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL)
    try:
        try:
            await emu.wait_for_connections(1, timeout=90)
        except TimeoutError:
            fail(f"`steward run` did not connect within 90 s:\n{log_path.read_text(errors='replace')[-3000:]}")
        result = await emu.slash_command(OWNER, "/steward", "help", channel=CHANNEL)
        response = await result.wait_for_response(timeout=30)
        text = (response.text or "") + str(response.blocks or "")
        if "/steward" not in text and "help" not in text.lower():
            fail(f"/steward help answered something unexpected: {text[:500]!r}")
        print("steward run answered /steward help", flush=True)
        proc.send_signal(signal.SIGTERM)
        try:
            code = await asyncio.wait_for(proc.wait(), 60)
        except TimeoutError:
            proc.kill()
            fail(f"`steward run` did not exit within 60 s of SIGTERM:\n{log_path.read_text(errors='replace')[-3000:]}")
        if code != 0:
            fail(f"`steward run` exited {code} on SIGTERM:\n{log_path.read_text(errors='replace')[-3000:]}")
        print("steward run exited 0 on SIGTERM", flush=True)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def main(workdir: Path, installed: Path) -> None:
    if "site-packages" not in installed.parts:
        fail(f"`bot` was imported from {installed}, not from the installed wheel")
    print(f"steward imported from {installed.parent}", flush=True)

    pg_dir = workdir / "pg"
    server = start_embedded(pg_dir, database="postgres")
    try:
        with psycopg.connect(server.admin_dsn, autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS steward_smoke")
            conn.execute("CREATE DATABASE steward_smoke")
        base = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OPENAI_", "STEWARD_"))}
        base.update({"DATABASE_URL": server.dsn("steward_smoke"), "STEWARD_DATA_DIR": str(workdir / "data")})

        before = steward(base, "db", "status")
        if before.returncode != 0 or "0001_schema" not in before.stdout or ", 0 pending" in before.stdout:
            fail("`steward db status` on an empty database should list pending migrations")
        migrated = steward(base, "db", "migrate")
        if migrated.returncode != 0 or "0001_schema" not in migrated.stdout:
            fail("`steward db migrate` did not apply the migrations from the install")
        after = steward(base, "db", "status")
        if after.returncode != 0 or ", 0 pending" not in after.stdout:
            fail("`steward db status` after migrating still lists pending migrations")

        emu = SlackEmulator(team_id=TEAM, team_name="Smoke Test", ack_timeout=3.0)
        emu.add_user(OWNER, "owner", "Olive Owner", email="owner@smoke.test", tz="Europe/London", is_owner=True)
        emu.add_channel(CHANNEL, "standup", members=[OWNER, emu.bot_user_id])
        await emu.start()
        try:
            env = dict(base, SLACK_BOT_TOKEN=emu.bot_token, SLACK_APP_TOKEN=emu.app_token, SLACK_API_URL=emu.api_url,
                       PORT="0", STEWARD_AUTO_MIGRATE="false")
            await run_and_stop(env, emu, workdir)
        finally:
            await emu.stop()
    finally:
        server.stop()
        shutil.rmtree(pg_dir, ignore_errors=True)
    print("wheel smoke: OK", flush=True)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: python wheel_smoke.py WORKDIR")
    asyncio.run(main(Path(sys.argv[1]).resolve(), Path(bot.__file__).resolve()))
