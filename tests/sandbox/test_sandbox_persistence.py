"""The sandbox's workspace is kept in the data directory and stays in step with the database."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest

from bot.emulators.slack import snapshot
from bot.sandbox import DEMO_TEAM_ID, Sandbox
from bot.sandbox.persistence import OrgMarker, SavedSandbox, StateFile, demo_organization, reconcile
from tests.helpers import fetchval, make_org, make_user
from tests.sandbox.conftest import ACME, PRIYA


async def test_a_sandbox_round_trip_keeps_channels_dms_threads_and_the_clock(tmp_path: Path) -> None:
    state_file = StateFile(tmp_path)
    first = Sandbox(state_file=state_file)
    await first.start()
    emulator = first.emulator
    dm = await emulator.dm_channel(PRIYA)
    emulator.add_message(dm, "a DM before the restart", PRIYA)
    parent = emulator.messages(ACME)[0]
    emulator.add_message(ACME, "a reply before the restart", PRIYA, thread_ts=parent["ts"])
    emulator.workspace.views.publish_home(PRIYA, {"type": "home", "blocks": []}, None,
                                          _owner(first))
    first.clock.advance(timedelta(hours=5))
    first.bind_organization(OrgMarker(7, "2026-03-02T09:00:00+00:00"))
    await first.stop()

    saved = state_file.read()
    assert saved is not None and saved.organization == OrgMarker(7, "2026-03-02T09:00:00+00:00")
    second = Sandbox(state_file=state_file, saved=saved)
    await second.start()
    try:
        again = second.emulator
        assert await again.dm_channel(PRIYA) == dm
        assert [m["text"] for m in again.messages(dm)] == ["a DM before the restart"]
        assert again.message(ACME, parent["ts"])["reply_count"] == parent.get("reply_count", 0) + 1  # type: ignore[index]
        assert again.thread(ACME, parent["ts"])[-1]["text"] == "a reply before the restart"
        assert PRIYA in again.home_views
        assert abs(second.clock.offset - timedelta(hours=5)) < timedelta(seconds=1)
        # New ids and timestamps never collide with the restored ones.
        new_ts = again.workspace.clock.next_ts()
        assert all(float(new_ts) > float(m["ts"]) for m in again.messages(ACME))
        assert again.workspace.ids.new("D") != dm
    finally:
        await second.stop()


async def test_the_workspace_is_saved_shortly_after_a_change(tmp_path: Path) -> None:
    state_file = StateFile(tmp_path)
    sandbox = Sandbox(state_file=state_file)
    await sandbox.start()
    try:
        sandbox.emulator.add_message(ACME, "saved without a clean stop", PRIYA)
        for _ in range(60):
            saved = state_file.read()
            if saved and any(m["text"] == "saved without a clean stop"
                             for m in saved.workspace["messages"][ACME]):
                break
            await _tick()
        else:
            raise AssertionError("not saved within 3 s")
    finally:
        await sandbox.stop()


async def _tick() -> None:
    import asyncio

    await asyncio.sleep(0.05)


def _owner(sb: Sandbox):  # type: ignore[no-untyped-def]
    from bot.emulators.slack.api_views import owner

    return owner(sb.emulator.workspace)


def test_restore_refuses_another_workspace_or_a_damaged_snapshot(tmp_path: Path) -> None:
    from bot.sandbox import demo_emulator

    good = snapshot.dump(demo_emulator().workspace)
    with pytest.raises(ValueError, match="not T0DEMOAGCY"):
        snapshot.restore(demo_emulator().workspace, {**good, "team_id": "T0OTHER"})
    with pytest.raises(ValueError, match="damaged"):
        snapshot.restore(_blank().workspace, {**good, "channels": [{"name": "no id"}]})
    with pytest.raises(ValueError, match="format"):
        snapshot.restore(_blank().workspace, {"format": 99})


def _blank():  # type: ignore[no-untyped-def]
    from bot.emulators.slack import SlackEmulator

    return SlackEmulator(team_id=DEMO_TEAM_ID, team_name="Demo Agency", bot_name="steward")


# ---------------------------------------------------------------------- in step with the database


async def _demo_org(conn: psycopg.AsyncConnection) -> OrgMarker:
    org_id = await make_org(conn, "Demo Agency", DEMO_TEAM_ID)
    await make_user(conn, org_id, "priya", slack_id=PRIYA)
    marker = await demo_organization(conn, DEMO_TEAM_ID)
    assert marker is not None and marker.id == org_id
    return marker


def _write(state_file: StateFile, marker: OrgMarker | None) -> None:
    from bot.sandbox import demo_emulator

    state_file.write(SavedSandbox(snapshot.dump(demo_emulator().workspace), 0.0, marker))


async def test_first_start_and_a_matching_restart(conn: psycopg.AsyncConnection, tmp_path: Path) -> None:
    state_file = StateFile(tmp_path)
    assert await reconcile(conn, state_file, DEMO_TEAM_ID) == (None, None)  # nothing anywhere: seed, no notice
    marker = await _demo_org(conn)
    _write(state_file, marker)
    saved, notice = await reconcile(conn, state_file, DEMO_TEAM_ID)
    assert notice is None and saved is not None and saved.organization == marker
    assert await fetchval(conn, "SELECT count(*) FROM users") == 1  # nothing was touched


async def test_reset_asked_for_resets_both(conn: psycopg.AsyncConnection, tmp_path: Path) -> None:
    state_file = StateFile(tmp_path)
    marker = await _demo_org(conn)
    other = await make_org(conn, "Another team")  # never touched
    _write(state_file, marker)
    await conn.execute("INSERT INTO event_inbox (event_key, kind, team_id, payload) VALUES ('Ev1', 'events_api', %s, '{}')",
                       (DEMO_TEAM_ID,))

    saved, notice = await reconcile(conn, state_file, DEMO_TEAM_ID, reset=True)

    assert saved is None and notice is not None and "as asked (--reset)" in notice
    assert not state_file.path.exists()
    assert await demo_organization(conn, DEMO_TEAM_ID) is None
    assert await fetchval(conn, "SELECT count(*) FROM users") == 0
    assert await fetchval(conn, "SELECT count(*) FROM event_inbox") == 0
    assert await fetchval(conn, "SELECT array_agg(id) FROM organizations") == [other]


@pytest.mark.parametrize("damage", ["{not json", json.dumps({"format": 0, "workspace": {}}), "\udcff"])
async def test_an_unreadable_saved_sandbox_resets_both_with_a_notice(
    conn: psycopg.AsyncConnection, tmp_path: Path, damage: str
) -> None:
    state_file = StateFile(tmp_path)
    await _demo_org(conn)
    state_file.path.parent.mkdir(parents=True)
    state_file.path.write_bytes(damage.encode("utf-8", "surrogateescape"))

    saved, notice = await reconcile(conn, state_file, DEMO_TEAM_ID)

    assert saved is None and notice is not None and "could not be used" in notice and "start fresh" in notice
    assert await demo_organization(conn, DEMO_TEAM_ID) is None
    kept = list(state_file.path.parent.glob("workspace.unusable-*.json"))
    assert len(kept) == 1 and str(kept[0]) in notice and not state_file.path.exists()


async def test_a_saved_sandbox_of_another_database_resets_both(conn: psycopg.AsyncConnection, tmp_path: Path) -> None:
    state_file = StateFile(tmp_path)
    _write(state_file, OrgMarker(999, "2020-01-01T00:00:00+00:00"))  # the database it belonged to is gone
    saved, notice = await reconcile(conn, state_file, DEMO_TEAM_ID)
    assert saved is None and notice is not None and "does not belong to this database" in notice

    marker = await _demo_org(conn)  # and the other way round: data in the database, no saved workspace
    state_file.path.unlink(missing_ok=True)
    saved, notice = await reconcile(conn, state_file, DEMO_TEAM_ID)
    assert saved is None and notice is not None and "no saved sandbox was found" in notice
    assert await demo_organization(conn, DEMO_TEAM_ID) is None
    assert marker.id > 0


async def test_reset_is_refused_when_steward_would_connect_to_slack(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    from bot.app import run_bot
    from bot.cli import build_parser
    from bot.settings import Settings

    assert build_parser().parse_args(["sandbox", "--reset", "--port", "0"]).reset
    assert build_parser().parse_args(["run", "--reset"]).reset
    settings = Settings.from_env({"SLACK_BOT_TOKEN": "xoxb-real", "SLACK_APP_TOKEN": "xapp-real",
                                  "STEWARD_DATA_DIR": str(tmp_path)})
    assert await run_bot(settings, reset=True) == 2
    assert "nothing was reset" in capsys.readouterr().err
    assert not (tmp_path / "postgres").exists()  # refused before touching anything
