"""A delivery's files are part of its effects (issue 15: a report's chart): a sender that dies between the post and
the upload leaves the chart to the next claim, which posts nothing again and uploads it exactly once, looking first
in the thread when the dead sender's upload may have completed. "A dispatcher that died" is one whose Slack call the
emulator holds and that never renews its lease; the clock, not a sleep, makes the lease run out (as in
tests/e2e/test_delivery_recovery.py). Real PostgreSQL, the real Slack client and the emulator."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import psycopg

from bot.app import Steward
from bot.clock import Clock
from bot.emulators.slack import SlackEmulator
from bot.services import report_chart
from bot.services.notifications import LEASE, Target, notify
from tests.e2e.conftest import SAM
from tests.e2e.test_delivery_recovery import NEVER, conn, copies, dispatcher, posts, row
from tests.helpers import fetchval

__all__ = ["conn"]  # the fixture
FILENAME = "weekly-2026-03-02.png"


async def _report_with_chart(conn: psycopg.AsyncConnection, key: str) -> tuple[int, bytes]:
    """A stored report with a real chart, and one urgent DM to Sam that carries it: (the delivery's id, the PNG)."""
    org = await fetchval(conn, "SELECT id FROM organizations")
    png = report_chart.render([(date(2026, 2, 23), {"submission_rate": 0.8}), (date(2026, 3, 2), {"submission_rate": 0.9})],
                              {"submission_rate": 0.85}, title="Weekly KPIs")
    report_id = await fetchval(conn, "INSERT INTO reports (organization_id, kind, period_start, period_end, metrics, "
                                     "chart_png, generated_at) VALUES (%s, 'weekly', '2026-03-02', '2026-03-08', '{}', "
                                     "%s, now()) RETURNING id", (org, png))
    nid = await notify(conn, organization_id=org, kind="report", dedupe_key=key, text="Weekly report", urgent=True,
                       targets=[Target.dm(SAM)], now=datetime.now(UTC),
                       files=[{"source": "report_chart", "report_id": report_id, "filename": FILENAME,
                               "title": "Weekly report (chart)"}])
    assert nid is not None
    return int(await fetchval(conn, "SELECT id FROM notification_deliveries WHERE notification_id = %s", (nid,))), png


def charts(emu: SlackEmulator, channel: str) -> list[dict[str, object]]:
    """The messages in ``channel`` (thread replies included) that share the chart."""
    return [m for m in emu.messages(channel) if any(f.get("name") == FILENAME for f in m.get("files") or [])]


async def test_a_sender_dead_before_the_upload_leaves_the_chart_to_the_next_claim(
        emulator: SlackEmulator, steward: Steward, conn: psycopg.AsyncConnection) -> None:
    await steward.dispatcher.stop()
    clock = Clock()
    delivery_id, png = await _report_with_chart(conn, "chart-before-upload")
    # The first dispatcher posts the report, then dies as its upload begins (Slack never sees the upload).
    never_handled = emulator.pause("files.getUploadURLExternal", times=1)
    dead = dispatcher(steward, clock, renew_every=NEVER)
    dying = asyncio.create_task(dead.deliver_due(clock.now()))
    await never_handled.wait_for_calls(1)
    sam = await emulator.dm_channel(SAM)
    [posted] = copies(emulator, sam, delivery_id)
    state = await row(conn, delivery_id)
    assert (state["status"], state["slack_ts"]) == ("sending", posted["ts"])  # posted, its chart not yet
    assert charts(emulator, sam) == []

    clock.advance(LEASE + timedelta(seconds=1))
    alive = dispatcher(steward, clock)
    assert await alive.deliver_due(clock.now()) == [delivery_id]
    [shared] = charts(emulator, sam)
    assert shared["thread_ts"] == posted["ts"]
    stored = next(f for f in emulator.workspace.files.files.values() if f.completed)
    assert stored.content == png and stored.mimetype == "image/png" and stored.shares == {sam: [shared["ts"]]}
    assert (await row(conn, delivery_id))["status"] == "sent"
    assert len(posts(emulator, delivery_id)) == 1  # the report itself was not posted again
    assert await fetchval(conn, "SELECT files_sent FROM notification_deliveries WHERE id = %s", (delivery_id,)) == 1

    # The dead one's upload never reaches Slack; nothing more is shared.
    never_handled.abandon()
    await asyncio.wait_for(dying, 10)
    assert len(charts(emulator, sam)) == 1 and len(copies(emulator, sam, delivery_id)) == 1


async def test_an_upload_that_completed_unrecorded_is_found_in_the_thread_not_uploaded_again(
        emulator: SlackEmulator, steward: Steward, conn: psycopg.AsyncConnection) -> None:
    await steward.dispatcher.stop()
    clock = Clock()
    delivery_id, _ = await _report_with_chart(conn, "chart-completed")
    # Slack shares the chart, and the first dispatcher dies before the answer comes back.
    answer_held = emulator.pause("files.completeUploadExternal", after_handling=True, times=1)
    dead = dispatcher(steward, clock, renew_every=NEVER)
    dying = asyncio.create_task(dead.deliver_due(clock.now()))
    await answer_held.wait_for_calls(1)
    sam = await emulator.dm_channel(SAM)
    assert len(charts(emulator, sam)) == 1
    assert await fetchval(conn, "SELECT file_unconfirmed FROM notification_deliveries WHERE id = %s", (delivery_id,))

    clock.advance(LEASE + timedelta(seconds=1))
    alive = dispatcher(steward, clock)
    uploads = len(emulator.calls_to("files.getUploadURLExternal"))
    assert await alive.deliver_due(clock.now()) == [delivery_id]
    assert len(emulator.calls_to("files.getUploadURLExternal")) == uploads  # looked for, found, not uploaded again
    assert len(charts(emulator, sam)) == 1 and len(posts(emulator, delivery_id)) == 1
    assert (await row(conn, delivery_id))["status"] == "sent"
    answer_held.resume()
    await asyncio.wait_for(dying, 10)
    assert len(charts(emulator, sam)) == 1


async def test_a_chart_slack_refuses_leaves_the_report_sent_and_the_failure_recorded(
        emulator: SlackEmulator, steward: Steward, conn: psycopg.AsyncConnection) -> None:
    await steward.dispatcher.stop()
    clock = Clock()
    delivery_id, _ = await _report_with_chart(conn, "chart-refused")
    emulator.refuse_next("files.completeUploadExternal", "not_in_channel")
    assert await dispatcher(steward, clock).deliver_due(clock.now()) == [delivery_id]
    sam = await emulator.dm_channel(SAM)
    assert len(copies(emulator, sam, delivery_id)) == 1 and charts(emulator, sam) == []
    assert (await row(conn, delivery_id))["status"] == "sent"
    assert "not_in_channel" in await fetchval(conn, "SELECT chart_error FROM reports")
