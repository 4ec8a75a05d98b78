"""`steward admin password <email|slack id>` as an operator runs it (a real process on the real database): a
one-time password for a manager or an admin, printed once, hashed with argon2, marking must_change_password;
a member, an unknown person and an ambiguous email are refused with a clear message and a non-zero exit."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import psycopg

from bot.services import dashboard_auth
from tests.helpers import fetchval, make_org, make_user


def _run(db_dsn: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OPENAI_", "STEWARD_PUBLIC"))}
    env.update(DATABASE_URL=db_dsn, PORT="8123")
    return subprocess.run([sys.executable, "-m", "bot", "admin", "password", *args], env=env, capture_output=True,
                          text=True, timeout=120)


async def test_admin_password(conn: psycopg.AsyncConnection, db_dsn: str) -> None:
    acme, globex = await make_org(conn, "Acme", "TACME"), await make_org(conn, "Globex", "TGLOBEX")
    mia = await make_user(conn, acme, "Mia", role="manager", slack_id="U0MIA")
    pia = await make_user(conn, acme, "Pia", role="member", slack_id="U0PIA")
    both = [await make_user(conn, org, "Kim", role="admin") for org in (acme, globex)]
    for uid, email in ((mia, "mia@acme.test"), (pia, "pia@acme.test"), (both[0], "kim@both.test"), (both[1], "kim@both.test")):
        await conn.execute("UPDATE users SET email = %s WHERE id = %s", (email, uid))

    done = _run(db_dsn, "Mia@Acme.test")
    assert done.returncode == 0, done.stderr
    password = re.search(r"^    ([a-z0-9-]{19})$", done.stdout, re.MULTILINE)
    assert password and "http://localhost:8123/dashboard/" in done.stdout and "shown this once" in done.stdout
    assert "signs in once, within 24 hours" in done.stdout
    stored = await fetchval(conn, "SELECT password_hash FROM users WHERE id = %s", (mia,))
    assert stored.startswith("$argon2id$") and dashboard_auth.verify_password(stored, password.group(1))
    assert await fetchval(conn, "SELECT must_change_password FROM users WHERE id = %s", (mia,))
    assert await fetchval(conn, "SELECT count(*) FROM audit_logs WHERE action = 'dashboard.password_issued' "
                                "AND entity_id = %s AND details->>'via' = 'cli'", (str(mia),)) == 1
    assert _run(db_dsn, "U0MIA").returncode == 0  # a Slack member ID works too

    member = _run(db_dsn, "pia@acme.test")
    assert member.returncode == 1 and "is a member" in member.stderr and not member.stdout
    assert await fetchval(conn, "SELECT password_hash FROM users WHERE id = %s", (pia,)) is None
    unknown = _run(db_dsn, "nobody@acme.test")
    assert unknown.returncode == 1 and "nobody" in unknown.stderr
    ambiguous = _run(db_dsn, "kim@both.test")
    assert ambiguous.returncode == 1 and "TACME" in ambiguous.stderr and "--workspace" in ambiguous.stderr
    chosen = _run(db_dsn, "kim@both.test", "--workspace", "TGLOBEX")
    assert chosen.returncode == 0, chosen.stderr
    assert await fetchval(conn, "SELECT count(*) FROM users WHERE password_hash IS NOT NULL AND id = ANY(%s)", (both,)) == 1
