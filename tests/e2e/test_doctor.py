"""`steward doctor` against the emulator and a real database: what Slack says about the token (its scopes
against manifest.yaml, the bot in the standup channel), other workspaces sharing the database, the
migrations the install carries, and the server versions against the minimums. Each line says what to do."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from bot.app import Steward
from bot.doctor import Check, collect, pgvector_check, server_version_check
from bot.emulators.slack import SlackEmulator
from tests.e2e.conftest import ACME, STANDUP, settings_for
from tests.helpers import make_org


def by_name(checks: list[Check]) -> dict[str, Check]:
    return {c.name: c for c in checks}


async def doctor(emu: SlackEmulator, db_dsn: str, tmp_path: Path) -> dict[str, Check]:
    settings = settings_for(emu, tmp_path, DATABASE_URL=db_dsn)
    return by_name(await collect(settings))


async def set_standup_channel(db_dsn: str, channel: str | None) -> None:
    async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
        await conn.execute("UPDATE org_settings SET standup_channel_id = %s", (channel,))


async def test_a_healthy_install(emulator: SlackEmulator, steward: Steward, db_dsn: str, tmp_path: Path) -> None:
    await set_standup_channel(db_dsn, STANDUP)
    checks = await doctor(emulator, db_dsn, tmp_path)
    for name in ("migrations in the install", "database reachable", "PostgreSQL version", "pgvector", "migrations",
                 "Slack", "Slack scopes", "standup channel", "other workspaces"):
        assert checks[name].status == "OK", (name, checks[name])
    assert "Acme Agency" in checks["Slack"].detail and "#standup" in checks["standup channel"].detail


async def test_a_missing_scope_is_named(emulator: SlackEmulator, steward: Steward, db_dsn: str, tmp_path: Path) -> None:
    emulator.api.scopes -= {"reactions:write", "im:history"}
    check = (await doctor(emulator, db_dsn, tmp_path))["Slack scopes"]
    assert check.status == "FAIL"
    assert "im:history, reactions:write" in check.detail and "reinstall" in check.detail


async def test_bot_outside_the_standup_channel(emulator: SlackEmulator, steward: Steward, db_dsn: str,
                                               tmp_path: Path) -> None:
    emulator.add_channel("C0OUTSIDE", "team-standup", members=[])
    await set_standup_channel(db_dsn, "C0OUTSIDE")
    check = (await doctor(emulator, db_dsn, tmp_path))["standup channel"]
    assert check.status == "FAIL" and "/invite @Steward" in check.detail and "#team-standup" in check.detail
    await set_standup_channel(db_dsn, "C0GONE")
    check = (await doctor(emulator, db_dsn, tmp_path))["standup channel"]
    assert check.status == "FAIL" and "channel_not_found" in check.detail
    await set_standup_channel(db_dsn, None)
    assert (await doctor(emulator, db_dsn, tmp_path))["standup channel"].status == "WARN"
    await set_standup_channel(db_dsn, ACME)
    assert (await doctor(emulator, db_dsn, tmp_path))["standup channel"].status == "OK"


async def test_another_workspace_on_the_same_database(emulator: SlackEmulator, steward: Steward, db_dsn: str,
                                                      tmp_path: Path) -> None:
    async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
        await make_org(conn, "Other Co", team_id="T0OTHER")
    check = (await doctor(emulator, db_dsn, tmp_path))["other workspaces"]
    assert check.status == "WARN" and "Other Co (T0OTHER" in check.detail


async def test_a_refused_token(emulator: SlackEmulator, steward: Steward, db_dsn: str, tmp_path: Path) -> None:
    settings = settings_for(emulator, tmp_path, DATABASE_URL=db_dsn)
    emulator.bot_token = "xoxb-revoked-and-replaced"  # the install the settings' token belonged to was revoked
    check = by_name(await collect(settings))["Slack"]
    assert check.status == "FAIL" and "invalid_auth" in check.detail


async def test_an_empty_migrations_folder(monkeypatch: pytest.MonkeyPatch, db_dsn: str, tmp_path: Path) -> None:
    from bot.settings import Settings

    monkeypatch.setattr("bot.doctor.MIGRATIONS_DIR", tmp_path)
    checks = by_name(await collect(Settings.from_env({"DATABASE_URL": db_dsn, "STEWARD_DATA_DIR": str(tmp_path)})))
    install = checks["migrations in the install"]
    assert install.status == "FAIL" and str(tmp_path) in install.detail and "reinstall" in install.detail.lower()


def test_versions_against_the_minimums() -> None:
    assert server_version_check(140011, "14.11").status == "FAIL"
    assert "15 or newer" in server_version_check(140011, "14.11").detail
    assert server_version_check(160004, "16.4").status == "OK"
    assert pgvector_check("0.6.2").status == "FAIL" and "0.7 or newer" in pgvector_check("0.6.2").detail
    assert pgvector_check(None).status == "FAIL"
    assert pgvector_check("0.8.0").status == "OK"
