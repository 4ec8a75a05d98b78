"""Scheduled reports on the real database (issue 15): stored once per period and scope, sent through the one
notification path (a re-run sends nothing twice), action items deduped across reports and closed once, the CSV's
rows matching the people, the narrative guard against the OpenAI fake, /report's permissions."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta

import psycopg
import pytest
import structlog

from bot.ai.retry import RetryPolicy
from bot.ai.service import AI
from bot.emulators.openai_fake import OpenAIFake
from bot.errors import InvalidInput, NotFound, PermissionDenied
from bot.services import action_items, reports
from bot.services.report_periods import Period
from db.repos.users import user_by_id
from tests.helpers import fetchval, make_org, make_user

MONDAY = date(2026, 3, 2)
REPORT_AT = datetime(2026, 3, 9, 9, 31, tzinfo=UTC)  # the Monday after, just past the morning time (UTC team)


async def _team(conn: psycopg.AsyncConnection) -> tuple[int, int, list[int]]:
    org = await make_org(conn)
    await conn.execute("UPDATE org_settings SET standup_channel_id = 'CSTANDUP' WHERE organization_id = %s", (org,))
    boss = await make_user(conn, org, "maya", slack_id="UMAYA", role="admin")
    people = [await make_user(conn, org, name, slack_id=f"U{name.upper()}", manager_id=boss)
              for name in ("ana", "ben", "cleo")]
    for offset in range(5):  # Monday to Friday of the week, each thread posted; Ana and Ben answer every day
        day = MONDAY + timedelta(days=offset)
        thread = await fetchval(conn, "INSERT INTO morning_threads (organization_id, channel_id, thread_date, thread_ts,"
                                " status, posted_at) VALUES (%s, 'CSTANDUP', %s, %s, 'posted', %s) RETURNING id",
                                (org, day, f"{offset}.1", datetime.combine(day, datetime.min.time(), UTC)))
        for user_id in people[:2]:
            await conn.execute("INSERT INTO thread_submissions (organization_id, morning_thread_id, user_id, raw_text)"
                               " VALUES (%s, %s, %s, 'on it')", (org, thread, user_id))
    await conn.execute("INSERT INTO tasks (organization_id, title, user_id, carry_forward_count) "
                       "VALUES (%s, 'migrate the billing tables', %s, 3)", (org, people[2]))
    return org, boss, people


async def test_a_weekly_report_goes_once_with_its_items(conn: psycopg.AsyncConnection) -> None:
    org, boss, people = await _team(conn)
    first = await reports.send_scheduled(conn, org, "weekly", REPORT_AT)
    assert first == {"sent": 2, "already": 0, "no_data": 0, "chart_failed": 2, "period": "2026-03-02"}
    # The team's report to Maya by DM, the organization's to her (the one admin) by DM: no reports channel.
    rows = await (await conn.execute("SELECT n.dedupe_key, d.target_id, n.payload FROM notifications n JOIN "
                                     "notification_deliveries d ON d.notification_id = n.id WHERE n.kind = 'report' "
                                     "ORDER BY n.id")).fetchall()
    assert [(k, t) for k, t, _ in rows] == [(f"report:{org}:weekly:2026-03-02:team:{boss}", "UMAYA"),
                                           (f"report:{org}:weekly:2026-03-02:org:to:{boss}", "UMAYA")]
    blocks = json.dumps(rows[0][2]["blocks"])
    assert "Weekly report: your team, week of 2 Mar 2026" in blocks and "Decide on T-" in blocks
    again = await reports.send_scheduled(conn, org, "weekly", REPORT_AT + timedelta(hours=1))
    assert again["sent"] == 0 and again["already"] == 2
    assert await fetchval(conn, "SELECT count(*) FROM notifications WHERE kind = 'report'") == 2
    # The carried task has one item, ever: the organization's report found it open and did not add a second.
    assert await fetchval(conn, "SELECT count(*) FROM action_items WHERE evidence_key = 'carried:' || %s::text",
                          (await fetchval(conn, "SELECT id FROM tasks"),)) == 1
    # No snapshots were written (the kpi-snapshot job did not run): no chart, and the failure is recorded.
    assert await fetchval(conn, "SELECT bool_and(chart_error = 'no snapshots to draw') FROM reports") is True

    # Done closes it once; the next week's report no longer lists it, nor proposes it again.
    maya = await user_by_id(conn, org, boss)
    assert maya is not None
    item_id = await fetchval(conn, "SELECT id FROM action_items WHERE kind = 'carried'")
    item, newly = await action_items.close(conn, org, maya, item_id, done=True, reason=None, now=REPORT_AT)
    assert newly and item.status == "done"
    assert (await action_items.close(conn, org, maya, item_id, done=True, reason=None, now=REPORT_AT))[1] is False
    await conn.execute("UPDATE morning_threads SET thread_date = thread_date + 7")
    nxt = await reports.send_scheduled(conn, org, "weekly", REPORT_AT + timedelta(days=7))
    assert nxt["sent"] == 2
    assert await fetchval(conn, "SELECT count(*) FROM action_items WHERE kind = 'carried'") == 1
    assert item_id not in [i.id for i in await action_items.open_items(conn, org, [boss])]


async def test_dismissing_needs_a_reason_and_only_the_owner_side_may(conn: psycopg.AsyncConnection) -> None:
    org, boss, people = await _team(conn)
    await reports.send_scheduled(conn, org, "weekly", REPORT_AT)
    item_id = await fetchval(conn, "SELECT id FROM action_items ORDER BY id LIMIT 1")
    ana = await user_by_id(conn, org, people[0])
    maya = await user_by_id(conn, org, boss)
    assert ana is not None and maya is not None
    with pytest.raises(PermissionDenied):
        await action_items.close(conn, org, ana, item_id, done=False, reason="not mine", now=REPORT_AT)
    assert await fetchval(conn, "SELECT count(*) FROM security_audit_logs WHERE event_type = 'permission_denied'") == 1
    with pytest.raises(InvalidInput):
        await action_items.close(conn, org, maya, item_id, done=False, reason="  ", now=REPORT_AT)
    item, _ = await action_items.close(conn, org, maya, item_id, done=False, reason="agreed in the 1:1", now=REPORT_AT)
    assert (item.status, item.dismiss_reason) == ("dropped", "agreed in the 1:1")


async def test_on_demand_permissions_and_bad_input(conn: psycopg.AsyncConnection) -> None:
    org, boss, people = await _team(conn)
    ana, ben, maya = [await user_by_id(conn, org, u) for u in (people[0], people[1], boss)]
    assert ana is not None and ben is not None and maya is not None
    now = REPORT_AT
    mine = await reports.on_demand(conn, org, ana, reports.parse_request("weekly", []), now=now)
    assert mine.audience == "self" and [u.id for u in mine.people] == [ana.id]
    with pytest.raises(PermissionDenied):
        await reports.on_demand(conn, org, ana, reports.parse_request(f"<@{ben.slack_id}>", [ben.slack_id]), now=now)
    with pytest.raises(PermissionDenied):
        await reports.on_demand(conn, org, ana, reports.parse_request("team", []), now=now)
    assert await fetchval(conn, "SELECT count(*) FROM security_audit_logs WHERE event_type = 'permission_denied'") == 2
    theirs = await reports.on_demand(conn, org, maya, reports.parse_request(f"<@{ben.slack_id}>", [ben.slack_id]), now=now)
    assert theirs.subject is not None and theirs.subject.id == ben.id
    with pytest.raises(NotFound):
        await reports.on_demand(conn, org, maya, reports.parse_request("<@UNOBODY>", ["UNOBODY"]), now=now)
    with pytest.raises(InvalidInput, match="in the future"):
        await reports.on_demand(conn, org, maya, reports.parse_request("weekly 2026-04-01", []), now=now)
    with pytest.raises(InvalidInput, match="No updates were asked"):
        await reports.on_demand(conn, org, maya, reports.parse_request("weekly 2026-02-10", []), now=now)
    with pytest.raises(InvalidInput, match="didn't understand"):
        reports.parse_request("weekly lastweek", [])
    # The organization's CSV: one row per person, their figures as computed.
    whole = await reports.on_demand(conn, org, maya, reports.parse_request("weekly org csv", []), now=now)
    rows = list(csv.DictReader(io.StringIO(reports.to_csv(whole))))
    assert [r["person"] for r in rows] == ["ana", "ben", "cleo", "maya"]
    for row in rows:
        uid = next(u.id for u in whole.people if u.display_name == row["person"])
        value = whole.figures.people[uid]["submission_rate"].value
        assert row["submission_rate"] == ("" if value is None else str(value))


async def test_a_model_answer_with_a_wrong_number_falls_back_to_the_template(
        conn: psycopg.AsyncConnection, fake: OpenAIFake) -> None:
    org, boss, people = await _team(conn)
    maya = await user_by_id(conn, org, boss)
    assert maya is not None
    week = Period("weekly", MONDAY, MONDAY + timedelta(days=6))
    fake.script(lambda messages, schema: {"narrative": "Submission rate hit 97% this week."})
    ai = AI(api_key="sk-test", base_url=fake.base_url, retry=RetryPolicy(backoff_initial=0.05, backoff_max=0.2))
    try:
        with structlog.testing.capture_logs() as logs:
            report = await reports.compose(conn, org, week, audience="team", subject=maya,
                                           people=await reports.direct_reports(conn, org, boss), now=REPORT_AT, ai=ai)
        assert report.narrative.source == "template" and "97" in (report.narrative.refused or "")
        assert [e["numbers"] for e in logs if e["event"] == "report_narrative_ungrounded"] == [[97.0]]
        # The fake's own answer states the figures as given: it is used.
        fake.script(None)
        grounded = await reports.compose(conn, org, week, audience="team", subject=maya,
                                         people=await reports.direct_reports(conn, org, boss), now=REPORT_AT, ai=ai)
        assert grounded.narrative.source == "llm", grounded.narrative
    finally:
        await ai.aclose()
