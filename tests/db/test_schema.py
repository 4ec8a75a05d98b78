"""The schema of sql/migrations/0001_schema.sql, checked on a real PostgreSQL with pgvector.

Catalog tests read pg_catalog (tables, columns, indexes, foreign keys) so a renamed column or a
reordered index fails; behaviour tests insert rows and delete parents to show each rule at work.
"""

from __future__ import annotations

import asyncio
import json
import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg
import pytest
from pgvector import Vector
from psycopg import errors, sql
from psycopg.types.json import Jsonb

Conn = psycopg.AsyncConnection[Any]

TODAY = date(2025, 3, 3)
NOW = datetime(2025, 3, 3, 9, 30, tzinfo=UTC)

# Not organization-scoped: Steward's own plumbing, plus organizations itself.
# dashboard_login_attempts: a sign-in attempt may name no account, so its organization may be unknown (0021).
UNSCOPED_TABLES = {"organizations", "event_inbox", "inbox_effects", "job_runs", "steward_processes",
                   "dashboard_login_attempts"}
# Keyed by organization_id instead of an identity id.
ORG_KEYED_TABLES = {"org_settings", "task_counters", "blocker_counters"}

EXPECTED_TABLES = {
    "organizations", "org_settings", "platform_connections", "users", "platform_identities", "user_ramp_up",
    "projects", "clients", "client_aliases", "client_deploy_schedules", "client_members", "tasks", "task_counters", "blocker_counters",
    "task_drafts", "task_logs", "pipeline_stages", "mood_entries", "journals", "flags", "inquiry_threads",
    "inquiry_messages", "audit_logs", "security_audit_logs", "rate_limit_events", "notifications",
    "notification_deliveries", "conversation_sessions", "user_memory", "reminders", "cards",
    "morning_threads", "thread_submissions", "task_statuses", "ooo_records", "task_type_map", "blockers",
    "reports", "interventions", "action_items", "reinforcements", "kpi_targets", "kpi_snapshots",
    "checklists", "checklist_completions", "sops", "sop_records", "channel_messages",
    "context_observations", "context_summaries", "backfill_state", "event_inbox", "inbox_effects", "job_runs",
    "steward_processes", "dashboard_sessions", "dashboard_login_attempts",
}  # fmt: skip


# ---------------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------------


async def fetchval(conn: Conn, query: str | sql.Composable, params: Any = None) -> Any:
    row = await (await conn.execute(query, params)).fetchone()
    return None if row is None else row[0]


async def fetchall(conn: Conn, query: str | sql.Composable, params: Any = None) -> list[tuple[Any, ...]]:
    return await (await conn.execute(query, params)).fetchall()


async def insert(conn: Conn, table: str, /, **cols: Any) -> int:
    query = sql.SQL("INSERT INTO {} ({}) VALUES ({}) RETURNING id").format(
        sql.Identifier(table),
        sql.SQL(", ").join(map(sql.Identifier, cols)),
        sql.SQL(", ").join([sql.Placeholder()] * len(cols)),
    )
    return int(await fetchval(conn, query, list(cols.values())))


async def make_org(conn: Conn, name: str = "Acme") -> int:
    return await insert(conn, "organizations", name=name)


async def make_user(conn: Conn, org: int, name: str = "Ann", **cols: Any) -> int:
    return await insert(conn, "users", organization_id=org, display_name=name, **cols)


async def make_task(conn: Conn, org: int, title: str = "Redo the landing page", **cols: Any) -> int:
    return await insert(conn, "tasks", organization_id=org, title=title, **cols)


async def populate(conn: Conn, org: int, tag: str = "a") -> dict[str, int]:
    """One row in every organization-scoped table (org_settings, task_counters and blocker_counters come from
    triggers)."""
    ids: dict[str, int] = {}

    async def add(name: str, table: str, /, **cols: Any) -> None:
        ids[name] = await insert(conn, table, organization_id=org, **cols)

    team = f"T{tag.upper()}{org}"
    await add("manager", "users", display_name="Mara", role="manager", email=f"mara-{tag}-{org}@example.com")
    await add("member", "users", display_name="Sam", manager_id=ids["manager"], timezone="Europe/Paris")
    await add("admin", "users", display_name="Ada", role="admin")
    await add("connection", "platform_connections", external_team_id=team, team_name="Acme")
    await add(
        "identity", "platform_identities", user_id=ids["member"], external_team_id=team, external_id=f"U{org}"
    )
    await add("ramp_up", "user_ramp_up", user_id=ids["member"], starts_on=TODAY, ends_on=TODAY + timedelta(days=30),
              created_by=ids["manager"])  # fmt: skip
    await add("client", "clients", name="Acme Corp", slack_channel_id="C-acme", description="Retail")
    await add("project", "projects", name="Launch", client_id=ids["client"], owner_id=ids["manager"],
              overdue_escalation=Jsonb([{"after_hours": 24, "action": "dm_manager"}]))  # fmt: skip
    await add("client_member", "client_members", client_id=ids["client"], user_id=ids["member"])
    await add("client_alias", "client_aliases", client_id=ids["client"], alias="ACME", created_by=ids["manager"])
    await add("checklist", "checklists", name="Pre-deploy", items=Jsonb([{"key": "tests", "text": "Tests pass"}]),
              created_by=ids["manager"])  # fmt: skip
    await add("sop", "sops", slug="deploy", name="Deploy", created_by=ids["manager"])
    await add("deploy_schedule", "client_deploy_schedules", client_id=ids["client"],
              recurrence=Jsonb({"freq": "weekly", "byweekday": [2], "time": "15:00"}),
              checklist_id=ids["checklist"], sop_id=ids["sop"])  # fmt: skip
    await add("checklist_completion", "checklist_completions", checklist_id=ids["checklist"],
              user_id=ids["member"], for_date=TODAY)  # fmt: skip
    await add("stage", "pipeline_stages", name="To do", slug="todo", position=1, color="#2196F3")
    await add("draft", "task_drafts", user_id=ids["member"], raw_text="I'll redo the landing page by Friday",
              parsed=Jsonb({"tasks": [{"title": "Redo the landing page"}]}), status="confirmed",
              confirmed_at=NOW)  # fmt: skip
    await add("task", "tasks", title="Redo the landing page", user_id=ids["member"], created_by=ids["manager"],
              stage_id=ids["stage"], project_id=ids["project"], client_id=ids["client"],
              draft_id=ids["draft"], due_date=TODAY)  # fmt: skip
    await add("task_log", "task_logs", task_id=ids["task"], actor_id=ids["manager"], action="created",
              to_value=Jsonb({"status": "pending"}))  # fmt: skip
    await add("task_type", "task_type_map", keyword="landing page", task_type="web", size="m", weight=3)
    await add("task_status", "task_statuses", task_id=ids["task"], user_id=ids["member"], status_date=TODAY,
              status="carry_forward")  # fmt: skip
    await add(
        "blocker", "blockers", task_id=ids["task"], user_id=ids["member"], description="Waiting on copy"
    )
    # A blocker on no task takes a B-number: blocker_counters gets its row (0018).
    await insert(conn, "blockers", organization_id=org, user_id=ids["member"], description="Waiting on legal")
    await add("mood", "mood_entries", user_id=ids["member"], score=4, local_date=TODAY)
    await add("journal", "journals", user_id=ids["member"], body="Good day", local_date=TODAY)
    await add("flag", "flags", user_id=ids["member"], type="low_mood", title="Low mood", task_id=ids["task"],
              raised_by=ids["manager"], status="resolved", resolved_by=ids["manager"], resolved_at=NOW)  # fmt: skip
    await add(
        "inquiry", "inquiry_threads", flag_id=ids["flag"], user_id=ids["member"], opened_by=ids["manager"]
    )
    await add("inquiry_message", "inquiry_messages", thread_id=ids["inquiry"], sender_id=ids["manager"],
              sender_role="manager", body="How are you doing?")  # fmt: skip
    await add("audit", "audit_logs", actor_id=ids["manager"], action="card.revoked", entity_type="card")
    await add("security", "security_audit_logs", user_id=ids["member"], event_type="permission_denied",
              threat_level="low")  # fmt: skip
    await add("rate_limit", "rate_limit_events", user_id=ids["member"], action="llm.parse")
    await add("notification", "notifications", recipient_id=ids["member"], kind="standup.nudge",
              dedupe_key=f"nudge:{org}:{tag}", payload=Jsonb({"text": "Morning!"}))  # fmt: skip
    await add("delivery", "notification_deliveries", notification_id=ids["notification"], target_type="dm",
              target_id=f"U{org}")  # fmt: skip
    await add("session", "conversation_sessions", user_id=ids["member"], channel_id="D1")
    await add("memory", "user_memory", user_id=ids["member"], key="prefers", value="mornings")
    await add("reminder", "reminders", user_id=ids["member"], created_by=ids["manager"], text="Send the invoice",
              fire_at=NOW + timedelta(days=1))  # fmt: skip
    await add("card", "cards", user_id=ids["member"], color="yellow", rule="missed_morning_replies",
              reason="Two missed replies", issued_by=ids["manager"], expires_at=NOW + timedelta(days=30))  # fmt: skip
    await add("reinforcement", "reinforcements", user_id=ids["member"], from_user_id=ids["manager"], kind="kudos",
              reason="Shipped it")  # fmt: skip
    await add("morning_thread", "morning_threads", channel_id="C-standup", thread_date=TODAY,
              thread_ts="1741000000.000100", status="posted", posted_at=NOW)  # fmt: skip
    await add("submission", "thread_submissions", morning_thread_id=ids["morning_thread"], user_id=ids["member"],
              raw_text="Today: landing page")  # fmt: skip
    await add("ooo", "ooo_records", user_id=ids["member"], start_date=TODAY, end_date=TODAY + timedelta(days=2),
              created_by=ids["manager"])  # fmt: skip
    await add("report", "reports", kind="weekly", period_start=TODAY, period_end=TODAY + timedelta(days=6))
    await add("action_item", "action_items", report_id=ids["report"], title="Cut carry-overs",
              assignee_id=ids["member"], task_id=ids["task"])  # fmt: skip
    await add("intervention", "interventions", user_id=ids["manager"], helped_user_id=ids["member"],
              task_id=ids["task"], kind="unblocked", description="Got the copy", logged_by=ids["admin"])  # fmt: skip
    await add("kpi_target", "kpi_targets", metric="on_time_rate", target=0.9)
    await add("kpi_snapshot", "kpi_snapshots", user_id=ids["member"], period_start=TODAY,
              period_end=TODAY + timedelta(days=6), metrics=Jsonb({"on_time_rate": 0.8}))  # fmt: skip
    await add("sop_record", "sop_records", sop_id=ids["sop"], user_id=ids["member"], client_id=ids["client"],
              deploy_schedule_id=ids["deploy_schedule"], task_id=ids["task"], compliant=True)  # fmt: skip
    await add("channel_message", "channel_messages", channel_id="C-acme", ts="1741000000.000200",
              user_id=f"U{org}", text="Acme wants the launch moved to April")  # fmt: skip
    await add("observation", "context_observations", entity_type="client", entity_key="acme",
              channel_id="C-acme", source_message_ts=["1741000000.000200"],
              content="Acme wants the launch moved to April")  # fmt: skip
    await add("summary", "context_summaries", entity_type="client", entity_key="acme",
              summary="Acme: launch moving to April", observation_count=1)  # fmt: skip
    await add("backfill", "backfill_state", channel_id="C-acme")
    await add("dashboard_session", "dashboard_sessions", user_id=ids["manager"], token_sha256=bytes(32),
              csrf_token="c" * 43, last_seen_at=datetime(2026, 3, 2, tzinfo=UTC))  # fmt: skip
    return ids


async def random_vector_sql(conn: Conn, org: int, count: int) -> None:
    """Insert `count` random 1536-d observations, generated server side (fast, no numpy needed)."""
    await conn.execute(
        """
        INSERT INTO context_observations (organization_id, entity_type, entity_key, content, embedding)
        SELECT %(org)s, 'topic', 'topic-' || g, 'observation ' || g,
               (SELECT array_agg(random()::real - 0.5) FROM generate_series(1, 1536) AS d
                WHERE g > 0)::vector(1536)  -- the WHERE makes the subquery run once per row
        FROM generate_series(1, %(count)s) AS g
        """,
        {"org": org, "count": count},
    )


def random_vector(seed: int) -> Vector:
    rng = random.Random(seed)
    return Vector([rng.random() - 0.5 for _ in range(1536)])


# ---------------------------------------------------------------------------------------------------
# tables and columns
# ---------------------------------------------------------------------------------------------------


async def test_every_table_exists(conn: Conn) -> None:
    rows = await fetchall(
        conn,
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
    )
    missing = EXPECTED_TABLES - {r[0] for r in rows}
    assert not missing, f"tables missing: {sorted(missing)}"
    assert len(EXPECTED_TABLES) >= 45


async def _columns(conn: Conn, table: str) -> dict[str, tuple[str, bool, str | None, str, str | None]]:
    rows = await fetchall(
        conn,
        "SELECT column_name, data_type, is_nullable = 'YES', column_default, is_identity, identity_generation "
        "FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = %s",
        (table,),
    )
    return {r[0]: (r[1], r[2], r[3], r[4], r[5]) for r in rows}


async def test_table_conventions(conn: Conn) -> None:
    """created_at everywhere; identity ids; organization_id NOT NULL -> organizations ON DELETE CASCADE.
    (One test over all tables, so the catalog is read from one database; failures are listed together.)"""
    org_fks = dict(
        await fetchall(
            conn,
            """
            SELECT c.conrelid::regclass::text, c.confdeltype::text FROM pg_constraint c
            WHERE c.contype = 'f' AND c.confrelid = 'organizations'::regclass
              AND c.conkey = ARRAY[(SELECT attnum FROM pg_attribute
                                    WHERE attrelid = c.conrelid AND attname = 'organization_id')]
            """,
        )
    )
    problems = []
    for table in sorted(EXPECTED_TABLES):
        cols = await _columns(conn, table)
        if cols.get("created_at", (None,) * 3)[:3] != ("timestamp with time zone", False, "now()"):
            problems.append(f"{table}.created_at must be timestamptz NOT NULL DEFAULT now()")
        if table not in ORG_KEYED_TABLES and cols.get("id") != ("bigint", False, None, "YES", "ALWAYS"):
            problems.append(f"{table}.id must be bigint GENERATED ALWAYS AS IDENTITY: {cols.get('id')}")
        if table in UNSCOPED_TABLES:
            continue
        if cols.get("organization_id", (None, None))[:2] != ("bigint", False):
            problems.append(f"{table}.organization_id must be bigint NOT NULL")
        if org_fks.get(table) != "c":
            problems.append(f"{table}.organization_id must reference organizations ON DELETE CASCADE")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("table", "column", "type_name"),
    [
        ("context_observations", "embedding", "vector(1536)"),
        ("context_summaries", "embedding", "vector(1536)"),
        ("context_observations", "tsv", "tsvector"),
        ("tasks", "display_id", "text"),
        ("reports", "chart_png", "bytea"),
        ("org_settings", "workdays", "smallint[]"),
        ("org_settings", "holidays", "date[]"),
    ],
)
async def test_special_column_types(conn: Conn, table: str, column: str, type_name: str) -> None:
    got = await fetchval(
        conn,
        "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = %s::regclass AND attname = %s",
        (table, column),
    )
    assert got == type_name


async def test_new_organization_gets_default_settings(conn: Conn) -> None:
    org = await make_org(conn)
    row = await (
        await conn.execute(
            "SELECT timezone, workdays, morning_time::text, wip_mode, mood_checkin_enabled, holidays "
            "FROM org_settings WHERE organization_id = %s",
            (org,),
        )
    ).fetchone()
    assert row == ("UTC", [1, 2, 3, 4, 5], "09:30:00", "warn", False, [])


async def test_updated_at_is_maintained(conn: Conn) -> None:
    org = await make_org(conn)
    task = await make_task(conn, org)
    await conn.execute("UPDATE tasks SET updated_at = '2000-01-01' WHERE id = %s", (task,))
    # The trigger overrides any value written: updated_at is the time of the last UPDATE.
    assert await fetchval(conn, "SELECT updated_at > '2020-01-01' FROM tasks WHERE id = %s", (task,))


async def test_observation_tsv_is_generated_and_searchable(conn: Conn) -> None:
    org = await make_org(conn)
    ids = await populate(conn, org)
    found = await fetchall(
        conn,
        "SELECT id FROM context_observations WHERE organization_id = %s AND tsv @@ plainto_tsquery('simple', %s)",
        (org, "launch april"),
    )
    assert found == [(ids["observation"],)]


# ---------------------------------------------------------------------------------------------------
# indexes
# ---------------------------------------------------------------------------------------------------

# (index, table, key columns in order, unique, partial)
NAMED_INDEXES = [
    # the reference's indexes
    ("tasks_user_id_idx", "tasks", ["user_id"], False, False),
    ("tasks_organization_id_idx", "tasks", ["organization_id"], False, False),
    ("tasks_status_idx", "tasks", ["status"], False, False),
    ("tasks_user_id_status_idx", "tasks", ["user_id", "status"], False, False),
    ("tasks_due_date_idx", "tasks", ["due_date"], False, False),
    ("tasks_created_at_idx", "tasks", ["created_at"], False, False),
    ("tasks_client_id_idx", "tasks", ["client_id"], False, False),
    ("tasks_stage_id_idx", "tasks", ["stage_id"], False, False),
    ("tasks_organization_id_display_id_key", "tasks", ["organization_id", "display_id"], True, False),
    ("pipeline_stages_organization_id_idx", "pipeline_stages", ["organization_id"], False, False),
    ("pipeline_stages_organization_id_position_idx", "pipeline_stages", ["organization_id", "position"], False, False),
    ("pipeline_stages_organization_id_slug_key", "pipeline_stages", ["organization_id", "slug"], True, False),
    ("task_drafts_user_id_idx", "task_drafts", ["user_id"], False, False),
    ("task_drafts_organization_id_idx", "task_drafts", ["organization_id"], False, False),
    ("task_drafts_expires_at_idx", "task_drafts", ["expires_at"], False, False),
    ("mood_entries_user_id_idx", "mood_entries", ["user_id"], False, False),
    ("mood_entries_recorded_at_idx", "mood_entries", ["recorded_at"], False, False),
    ("mood_entries_user_id_recorded_at_idx", "mood_entries", ["user_id", "recorded_at"], False, False),
    ("flags_user_id_idx", "flags", ["user_id"], False, False),
    ("flags_organization_id_idx", "flags", ["organization_id"], False, False),
    ("flags_severity_idx", "flags", ["severity"], False, False),
    ("flags_status_idx", "flags", ["status"], False, False),
    ("flags_user_id_status_idx", "flags", ["user_id", "status"], False, False),
    ("security_audit_logs_organization_id_idx", "security_audit_logs", ["organization_id"], False, False),
    ("security_audit_logs_threat_level_idx", "security_audit_logs", ["threat_level"], False, False),
    ("security_audit_logs_created_at_idx", "security_audit_logs", ["created_at"], False, False),
    ("security_audit_logs_org_threat_created_idx", "security_audit_logs",
     ["organization_id", "threat_level", "created_at"], False, False),
    # the ones our own queries (retention, dispatch, the inbox, the pipeline) need
    ("task_drafts_created_at_idx", "task_drafts", ["created_at"], False, False),
    ("tasks_draft_id_idx", "tasks", ["draft_id"], False, False),
    ("channel_messages_created_at_idx", "channel_messages", ["created_at"], False, False),
    ("channel_messages_unprocessed_idx", "channel_messages", ["created_at"], False, True),
    ("channel_messages_organization_id_channel_id_ts_key", "channel_messages",
     ["organization_id", "channel_id", "ts"], True, False),
    ("rate_limit_events_created_at_idx", "rate_limit_events", ["created_at"], False, False),
    ("notification_deliveries_status_next_attempt_at_idx", "notification_deliveries",
     ["status", "next_attempt_at"], False, False),
    ("notification_deliveries_target_key", "notification_deliveries",
     ["notification_id", "target_type", "target_id", "thread_ts"], True, False),
    ("notifications_dedupe_key_key", "notifications", ["dedupe_key"], True, False),
    ("reminders_status_fire_at_idx", "reminders", ["status", "fire_at"], False, False),
    ("event_inbox_status_next_attempt_at_idx", "event_inbox", ["status", "next_attempt_at"], False, False),
    ("event_inbox_event_key_key", "event_inbox", ["event_key"], True, False),
    ("job_runs_job_name_scheduled_for_organization_id_key", "job_runs", ["job_name", "scheduled_for", "organization_id"],
     True, False),
    ("steward_processes_instance_key", "steward_processes", ["instance"], True, False),
    ("context_observations_organization_id_idx", "context_observations", ["organization_id"], False, False),
    ("context_summaries_organization_id_idx", "context_summaries", ["organization_id"], False, False),
    ("context_summaries_organization_id_entity_type_entity_key_key", "context_summaries",
     ["organization_id", "entity_type", "entity_key"], True, False),
    ("morning_threads_organization_id_channel_id_thread_date_key", "morning_threads",
     ["organization_id", "channel_id", "thread_date"], True, False),
    ("thread_submissions_morning_thread_id_user_id_key", "thread_submissions",
     ["morning_thread_id", "user_id"], True, False),
    ("task_statuses_task_id_status_date_key", "task_statuses", ["task_id", "status_date"], True, False),
    ("backfill_state_organization_id_channel_id_key", "backfill_state", ["organization_id", "channel_id"], True, False),
    ("reports_organization_id_kind_period_start_scope_key", "reports",
     ["organization_id", "kind", "period_start", "scope"], True, False),
    ("blockers_next_escalation_at_idx", "blockers", ["next_escalation_at"], False, True),
]  # fmt: skip

_INDEX_QUERY = """
SELECT i.indrelid::regclass::text, i.indisunique, i.indpred IS NOT NULL, am.amname,
       array(SELECT coalesce(a.attname, '<expr>')
             FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
             LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
             WHERE k.ord <= i.indnkeyatts ORDER BY k.ord),
       array(SELECT oc.opcname FROM unnest(i.indclass::oid[]) WITH ORDINALITY AS k(opc, ord)
             JOIN pg_opclass oc ON oc.oid = k.opc ORDER BY k.ord)
FROM pg_index i
JOIN pg_class c ON c.oid = i.indexrelid
JOIN pg_am am ON am.oid = c.relam
WHERE c.relname = %s AND c.relnamespace = current_schema()::regnamespace
"""


async def test_named_indexes(conn: Conn) -> None:
    """Each named index exists on the right table, columns in the right order, unique/partial as stated."""
    problems = []
    for name, table, columns, unique, partial in NAMED_INDEXES:
        row = await (await conn.execute(_INDEX_QUERY, (name,))).fetchone()
        if row is None:
            problems.append(f"{name}: missing")
            continue
        got_table, got_unique, got_partial, method, got_columns, _ = row
        got = (got_table, got_columns, got_unique, got_partial, method)
        if got != (table, columns, unique, partial, "btree"):
            problems.append(f"{name}: expected {(table, columns, unique, partial, 'btree')}, got {got}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("table", ["context_observations", "context_summaries"])
async def test_hnsw_index_uses_cosine_ops(conn: Conn, table: str) -> None:
    row = await (await conn.execute(_INDEX_QUERY, (f"{table}_embedding_idx",))).fetchone()
    assert row is not None
    got_table, unique, partial, method, columns, opclasses = row
    assert (got_table, unique, partial, method, columns, opclasses) == (
        table, False, False, "hnsw", ["embedding"], ["vector_cosine_ops"],
    )  # fmt: skip


async def test_tsv_has_a_gin_index(conn: Conn) -> None:
    row = await (await conn.execute(_INDEX_QUERY, ("context_observations_tsv_idx",))).fetchone()
    assert row is not None and row[3] == "gin" and row[4] == ["tsv"]


async def test_every_foreign_key_is_indexed(conn: Conn) -> None:
    """Deleting a parent looks its children up by the FK column(s): each FK needs an index that
    starts with them (for composite tenant FKs, with the non-organization column is enough)."""
    rows = await fetchall(
        conn,
        """
        SELECT c.conrelid::regclass::text, c.conname,
               array(SELECT a.attname FROM unnest(c.conkey) k JOIN pg_attribute a
                     ON a.attrelid = c.conrelid AND a.attnum = k ORDER BY a.attname)
        FROM pg_constraint c
        WHERE c.contype = 'f' AND c.connamespace = current_schema()::regnamespace
        """,
    )
    indexes = await fetchall(
        conn,
        """
        SELECT i.indrelid::regclass::text,
               array(SELECT a.attname FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
                     JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum ORDER BY k.ord)
        FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        WHERE c.relnamespace = current_schema()::regnamespace AND i.indpred IS NULL AND i.indexprs IS NULL
        """,
    )
    by_table: dict[str, list[list[str]]] = {}
    for table, cols in indexes:
        by_table.setdefault(table, []).append(cols)

    def covered(table: str, fk_cols: list[str]) -> bool:
        wanted = [set(fk_cols)]
        if len(fk_cols) > 1:
            wanted.append(set(fk_cols) - {"organization_id"})
        return any(set(cols[: len(w)]) == w for cols in by_table.get(table, []) for w in wanted)

    unindexed = [(t, name) for t, name, cols in rows if not covered(t, cols)]
    assert not unindexed, f"foreign keys without a supporting index: {unindexed}"


# ---------------------------------------------------------------------------------------------------
# vector search
# ---------------------------------------------------------------------------------------------------

COSINE_QUERY = """
SELECT id, embedding <=> %(q)s AS distance
FROM context_observations
WHERE organization_id = %(org)s
ORDER BY embedding <=> %(q)s
LIMIT 10
"""


def _plan_indexes(plan: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(plan, dict):
        if "Index Name" in plan:
            found.add(plan["Index Name"])
        for value in plan.values():
            found |= _plan_indexes(value)
    elif isinstance(plan, list):
        for item in plan:
            found |= _plan_indexes(item)
    return found


async def test_cosine_search_uses_hnsw_and_reaches_small_tenants(conn: Conn) -> None:
    big, mid = await make_org(conn, "Big"), await make_org(conn, "Mid")
    await random_vector_sql(conn, big, 2000)
    await random_vector_sql(conn, mid, 60)
    await conn.execute("ANALYZE context_observations")
    q = random_vector(1)

    # 1. The reference query picks the HNSW index on its own (no planner settings changed).
    plan = await fetchval(conn, "EXPLAIN (FORMAT JSON) " + COSINE_QUERY, {"q": q, "org": big})
    plan = json.loads(plan) if isinstance(plan, str) else plan
    assert "context_observations_embedding_idx" in _plan_indexes(plan)
    rows = await fetchall(conn, COSINE_QUERY, {"q": q, "org": big})
    assert len(rows) == 10
    assert [r[1] for r in rows] == sorted(r[1] for r in rows)

    # 2. A tenant with 3 % of the rows, searched through the filtered HNSW index: plain HNSW looks at
    #    ef_search (40) candidates and filters them afterwards, so it returns too few rows; pgvector
    #    0.8's iterative scan keeps going until LIMIT is met. enable_sort is switched off only to force
    #    that index path here (with 60 rows the planner would rightly sort them instead).
    async with conn.transaction():
        await conn.execute("SET LOCAL enable_sort = off")
        plan = await fetchval(conn, "EXPLAIN (FORMAT JSON) " + COSINE_QUERY, {"q": q, "org": mid})
        plan = json.loads(plan) if isinstance(plan, str) else plan
        assert "context_observations_embedding_idx" in _plan_indexes(plan)
        assert len(await fetchall(conn, COSINE_QUERY, {"q": q, "org": mid})) < 10
        await conn.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
        rows = await fetchall(conn, COSINE_QUERY, {"q": q, "org": mid})
    assert len(rows) == 10
    mid_ids = await fetchall(conn, "SELECT id FROM context_observations WHERE organization_id = %s", (mid,))
    assert {r[0] for r in rows} <= {r[0] for r in mid_ids}


async def test_summary_embeddings_round_trip(conn: Conn) -> None:
    org = await make_org(conn)
    v = random_vector(2)
    sid = await insert(conn, "context_summaries", organization_id=org, entity_type="client", entity_key="acme",
                       summary="Acme", embedding=v)  # fmt: skip
    got = await fetchval(conn, "SELECT embedding <=> %s FROM context_summaries WHERE id = %s", (v, sid))
    assert got == pytest.approx(0.0, abs=1e-6)


# ---------------------------------------------------------------------------------------------------
# foreign keys: ON DELETE rules
# ---------------------------------------------------------------------------------------------------

# Every foreign key between two organization tables: (table, column) -> (parent, rule).
# c = CASCADE, n = SET NULL (only that column; organization_id is kept), a = NO ACTION.
EXPECTED_FKS = {
    # the reference's rules
    ("platform_identities", "user_id"): ("users", "c"),
    ("task_logs", "task_id"): ("tasks", "c"),
    ("inquiry_messages", "thread_id"): ("inquiry_threads", "c"),
    ("tasks", "draft_id"): ("task_drafts", "n"),
    ("flags", "resolved_by"): ("users", "n"),
    ("inquiry_messages", "sender_id"): ("users", "n"),
    ("inquiry_threads", "flag_id"): ("flags", "n"),
    # lookup/config: refuse
    ("tasks", "stage_id"): ("pipeline_stages", "a"),
    # logs and parts of an entity: cascade
    ("client_members", "client_id"): ("clients", "c"),
    ("client_aliases", "client_id"): ("clients", "c"),  # 0020
    ("client_deploy_schedules", "client_id"): ("clients", "c"),
    ("checklist_completions", "checklist_id"): ("checklists", "c"),
    ("checklists", "client_id"): ("clients", "c"),  # 0019: a client's checklist is part of the client
    ("sop_records", "sop_id"): ("sops", "c"),
    ("task_statuses", "task_id"): ("tasks", "c"),
    ("blockers", "task_id"): ("tasks", "c"),
    ("notification_deliveries", "notification_id"): ("notifications", "c"),
    ("thread_submissions", "morning_thread_id"): ("morning_threads", "c"),
    # rows about a person: erased with them
    ("client_members", "user_id"): ("users", "c"),
    ("user_ramp_up", "user_id"): ("users", "c"),
    ("task_drafts", "user_id"): ("users", "c"),
    ("mood_entries", "user_id"): ("users", "c"),
    ("journals", "user_id"): ("users", "c"),
    ("flags", "user_id"): ("users", "c"),
    ("inquiry_threads", "user_id"): ("users", "c"),
    ("rate_limit_events", "user_id"): ("users", "c"),
    ("notifications", "recipient_id"): ("users", "c"),
    ("conversation_sessions", "user_id"): ("users", "c"),
    ("user_memory", "user_id"): ("users", "c"),
    ("reminders", "user_id"): ("users", "c"),
    ("cards", "user_id"): ("users", "c"),
    ("reinforcements", "user_id"): ("users", "c"),
    ("thread_submissions", "user_id"): ("users", "c"),
    ("ooo_records", "user_id"): ("users", "c"),
    ("blockers", "user_id"): ("users", "c"),
    ("reports", "user_id"): ("users", "c"),
    ("interventions", "user_id"): ("users", "c"),
    ("kpi_snapshots", "user_id"): ("users", "c"),
    # optional references and authorship: set null
    ("users", "manager_id"): ("users", "n"),
    ("user_ramp_up", "created_by"): ("users", "n"),
    ("projects", "client_id"): ("clients", "n"),
    ("projects", "owner_id"): ("users", "n"),
    ("checklists", "created_by"): ("users", "n"),
    ("sops", "created_by"): ("users", "n"),
    ("client_aliases", "created_by"): ("users", "n"),  # 0020
    ("client_deploy_schedules", "checklist_id"): ("checklists", "n"),
    ("client_deploy_schedules", "sop_id"): ("sops", "n"),
    ("sops", "checklist_id"): ("checklists", "n"),  # 0019: the SOP keeps its steps when its checklist goes
    ("checklist_completions", "user_id"): ("users", "n"),
    ("tasks", "user_id"): ("users", "n"),
    ("tasks", "created_by"): ("users", "n"),
    ("tasks", "project_id"): ("projects", "n"),
    ("tasks", "client_id"): ("clients", "n"),
    ("task_logs", "actor_id"): ("users", "n"),
    ("task_statuses", "user_id"): ("users", "n"),
    ("blockers", "resolved_by"): ("users", "n"),
    ("blockers", "owner_id"): ("users", "n"),  # the owner of record ("I'm on it"), 0009
    ("user_ramp_up", "buddy_id"): ("users", "n"),  # a newcomer's buddy, 0009
    ("flags", "task_id"): ("tasks", "n"),
    ("flags", "raised_by"): ("users", "n"),
    ("inquiry_threads", "opened_by"): ("users", "n"),
    ("inquiry_threads", "closed_by"): ("users", "n"),  # who resolved or dismissed its flag, 0010
    ("audit_logs", "actor_id"): ("users", "n"),
    ("security_audit_logs", "user_id"): ("users", "n"),
    ("reminders", "created_by"): ("users", "n"),
    ("cards", "issued_by"): ("users", "n"),
    ("cards", "revoked_by"): ("users", "n"),
    ("cards", "decided_by"): ("users", "n"),  # 0013: who decided an appeal
    ("reinforcements", "from_user_id"): ("users", "n"),
    ("ooo_records", "created_by"): ("users", "n"),
    ("action_items", "report_id"): ("reports", "n"),
    ("action_items", "assignee_id"): ("users", "n"),
    ("action_items", "task_id"): ("tasks", "n"),
    ("interventions", "helped_user_id"): ("users", "n"),
    ("interventions", "task_id"): ("tasks", "n"),
    ("interventions", "logged_by"): ("users", "n"),
    ("interventions", "confirmed_by"): ("users", "n"),  # 0014_recognition: who confirmed it
    ("action_items", "closed_by"): ("users", "n"),  # 0016_reports: who closed it
    ("sop_records", "user_id"): ("users", "n"),
    ("sop_records", "client_id"): ("clients", "n"),
    ("sop_records", "deploy_schedule_id"): ("client_deploy_schedules", "n"),
    ("sop_records", "task_id"): ("tasks", "n"),
    # 0003_daily_rhythm: the day's plan, one row per person, task and date.
    ("day_plan_items", "submission_id"): ("thread_submissions", "n"),
    ("day_plan_items", "task_id"): ("tasks", "c"),
    ("day_plan_items", "user_id"): ("users", "c"),
    # 0021_dashboard: a person's dashboard sessions and sign-in records go with them.
    ("dashboard_sessions", "user_id"): ("users", "c"),
    ("dashboard_login_attempts", "user_id"): ("users", "c"),
}


async def test_foreign_keys_are_tenant_safe_with_the_expected_rules(conn: Conn) -> None:
    rows = await fetchall(
        conn,
        """
        SELECT c.conrelid::regclass::text, c.confrelid::regclass::text, c.confdeltype::text,
               array(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(n, ord)
                     JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.ord),
               array(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY k(n, ord)
                     JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n ORDER BY k.ord),
               array(SELECT a.attname FROM unnest(coalesce(c.confdelsetcols, '{}')) k(n)
                     JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n)
        FROM pg_constraint c
        WHERE c.contype = 'f' AND c.connamespace = current_schema()::regnamespace
          AND c.confrelid <> 'organizations'::regclass
        """,
    )
    got = {}
    plumbing = {}
    for table, parent, rule, cols, parent_cols, set_null_cols in rows:
        if table in UNSCOPED_TABLES and parent in UNSCOPED_TABLES:  # Steward's own plumbing: no organization
            plumbing[(table, *cols)] = (parent, rule)
            continue
        # Composite: (organization_id, x) -> parent (organization_id, id), so no cross-tenant links.
        assert cols[0] == "organization_id" and parent_cols == ["organization_id", "id"], (table, cols)
        assert len(cols) == 2
        if rule == "n":
            assert set_null_cols == [cols[1]], f"{table}.{cols[1]}: SET NULL must keep organization_id"
        got[(table, cols[1])] = (parent, rule)
    assert got == EXPECTED_FKS
    assert plumbing == {("inbox_effects", "inbox_id"): ("event_inbox", "c")}


async def _rows(conn: Conn, table: str, row_id: int) -> list[tuple[Any, ...]]:
    return await fetchall(
        conn, sql.SQL("SELECT * FROM {} WHERE id = %s").format(sql.Identifier(table)), (row_id,)
    )


# (parent table, parent key, child table, child key, column, rule) over populate()'s rows.
DELETE_CASES = [
    # the seven rules of the reference
    ("users", "member", "platform_identities", "identity", "user_id", "cascade"),
    ("tasks", "task", "task_logs", "task_log", "task_id", "cascade"),
    ("inquiry_threads", "inquiry", "inquiry_messages", "inquiry_message", "thread_id", "cascade"),
    ("task_drafts", "draft", "tasks", "task", "draft_id", "set null"),
    ("users", "manager", "flags", "flag", "resolved_by", "set null"),
    ("users", "manager", "inquiry_messages", "inquiry_message", "sender_id", "set null"),
    ("flags", "flag", "inquiry_threads", "inquiry", "flag_id", "set null"),
    # the guidelines
    ("organizations", "org", "tasks", "task", "organization_id", "cascade"),
    ("pipeline_stages", "stage", "tasks", "task", "stage_id", "refuse"),
    ("users", "manager", "users", "member", "manager_id", "set null"),
    ("users", "member", "tasks", "task", "user_id", "set null"),
    ("users", "manager", "reinforcements", "reinforcement", "from_user_id", "set null"),
    ("users", "member", "mood_entries", "mood", "user_id", "cascade"),
    ("notifications", "notification", "notification_deliveries", "delivery", "notification_id", "cascade"),
    ("morning_threads", "morning_thread", "thread_submissions", "submission", "morning_thread_id", "cascade"),
    ("reports", "report", "action_items", "action_item", "report_id", "set null"),
    ("clients", "client", "projects", "project", "client_id", "set null"),
    ("sops", "sop", "sop_records", "sop_record", "sop_id", "cascade"),
]


@pytest.mark.parametrize(
    ("parent", "parent_key", "child", "child_key", "column", "rule"),
    DELETE_CASES,
    ids=[f"{c[0]}->{c[2]}.{c[4]}:{c[5]}" for c in DELETE_CASES],
)
async def test_on_delete_rule(
    conn: Conn, parent: str, parent_key: str, child: str, child_key: str, column: str, rule: str
) -> None:
    org = await make_org(conn)
    ids = await populate(conn, org) | {"org": org}
    other = await populate(conn, await make_org(conn, "Other"), tag="b")  # must be untouched
    before = await fetchval(
        conn, sql.SQL("SELECT row_to_json(t)::jsonb FROM {} t WHERE id = %s").format(sql.Identifier(child)),
        (ids[child_key],),
    )  # fmt: skip
    delete = sql.SQL("DELETE FROM {} WHERE id = %s").format(sql.Identifier(parent))

    if rule == "refuse":
        with pytest.raises(errors.ForeignKeyViolation):
            await conn.execute(delete, (ids[parent_key],))
        assert await _rows(conn, parent, ids[parent_key])
        return

    await conn.execute(delete, (ids[parent_key],))
    assert not await _rows(conn, parent, ids[parent_key])
    after = await fetchval(
        conn, sql.SQL("SELECT row_to_json(t)::jsonb FROM {} t WHERE id = %s").format(sql.Identifier(child)),
        (ids[child_key],),
    )  # fmt: skip
    if rule == "cascade":
        assert after is None
    else:
        assert after is not None, "the row must be kept"
        assert after[column] is None
        assert after["organization_id"] == org
        # Only references were nulled (the same parent may fill several of them); nothing else changed.
        changed = {k for k in before if before[k] != after[k]} - {"updated_at"}
        assert column in changed and all(after[k] is None for k in changed), changed
    assert await _rows(conn, child, other[child_key]), "another organization's rows must not be touched"


async def test_deleting_an_organization_deletes_all_its_data_and_nothing_else(conn: Conn) -> None:
    org, other = await make_org(conn), await make_org(conn, "Other")
    await populate(conn, org)
    await populate(conn, other, tag="b")
    await make_task(conn, org, "second task")  # task_counters now has rows for both
    scoped = sorted(EXPECTED_TABLES - UNSCOPED_TABLES)

    async def counts(org_id: int) -> dict[str, int]:
        out = {}
        for table in scoped:
            q = sql.SQL("SELECT count(*) FROM {} WHERE organization_id = %s").format(sql.Identifier(table))
            out[table] = await fetchval(conn, q, (org_id,))
        return out

    assert all(await counts(org)), "populate() must put a row in every organization table"
    await conn.execute("DELETE FROM organizations WHERE id = %s", (org,))
    assert set((await counts(org)).values()) == {0}
    assert all((await counts(other)).values())


async def test_rows_cannot_point_at_another_organization(conn: Conn) -> None:
    acme, globex = await make_org(conn), await make_org(conn, "Globex")
    globex_user = await make_user(conn, globex, "Gil")
    with pytest.raises(errors.ForeignKeyViolation):
        await make_task(conn, acme, user_id=globex_user)
    acme_user = await make_user(conn, acme, "Ann")
    with pytest.raises(errors.ForeignKeyViolation):
        await make_user(conn, globex, "Bob", manager_id=acme_user)


# ---------------------------------------------------------------------------------------------------
# CHECK constraints and unique keys
# ---------------------------------------------------------------------------------------------------

# (table, populate key, column, a value the CHECK must refuse, a value it must accept)
CHECK_CASES = [
    ("users", "member", "role", "owner", "admin"),
    ("tasks", "task", "status", "open", "in_progress"),
    ("tasks", "task", "priority", "p1", "urgent"),
    ("tasks", "task", "size", "xxl", "xs"),
    ("tasks", "task", "source", "email", "app_home"),
    ("tasks", "task", "carry_forward_count", -1, 3),
    ("task_drafts", "draft", "status", "maybe", "expired"),
    ("pipeline_stages", "stage", "color", "blue", "#00ff00"),
    ("mood_entries", "mood", "score", 6, 1),
    ("mood_entries", "mood", "score", 0, 5),
    ("flags", "flag", "severity", "urgent", "critical"),
    ("flags", "flag", "status", "closed", "dismissed"),
    ("security_audit_logs", "security", "threat_level", "extreme", "none"),
    ("cards", "card", "color", "green", "red"),
    ("cards", "card", "status", "void", "appealed"),
    ("reports", "report", "kind", "yearly", "monthly"),
    ("notification_deliveries", "delivery", "target_type", "email", "channel"),
    ("notification_deliveries", "delivery", "status", "queued", "held"),
    ("reminders", "reminder", "status", "snoozed", "cancelled"),
    ("ooo_records", "ooo", "source", "calendar", "parsed"),
    ("task_statuses", "task_status", "status", "finished", "dropped"),
    ("blockers", "blocker", "status", "closed", "open"),
    ("context_observations", "observation", "entity_type", "planet", "person"),
    ("backfill_state", "backfill", "status", "paused", "complete"),
    ("reinforcements", "reinforcement", "kind", "bonus", "streak"),
    ("task_type_map", "task_type", "keyword", "Landing Page", "landing"),
    ("task_logs", "task_log", "action", "Status Changed!", "status_changed"),
]


@pytest.mark.parametrize(
    ("table", "key", "column", "bad", "good"), CHECK_CASES, ids=[f"{c[0]}.{c[2]}={c[3]}" for c in CHECK_CASES]
)
async def test_check_constraint(conn: Conn, table: str, key: str, column: str, bad: Any, good: Any) -> None:
    org = await make_org(conn)
    ids = await populate(conn, org)
    update = sql.SQL("UPDATE {} SET {} = %s WHERE id = %s").format(
        sql.Identifier(table), sql.Identifier(column)
    )
    with pytest.raises(errors.CheckViolation):
        await conn.execute(update, (bad, ids[key]))
    await conn.execute(update, (good, ids[key]))


@pytest.mark.parametrize(
    ("column", "bad", "good"),
    [
        ("wip_mode", "ignore", "block"),
        ("workdays", [0, 1], [1, 2, 3, 4, 5, 6]),
        ("quiet_hours_end", None, "07:00"),
    ],
)
async def test_org_settings_checks(conn: Conn, column: str, bad: Any, good: Any) -> None:
    org = await make_org(conn)
    update = sql.SQL("UPDATE org_settings SET {} = %s WHERE organization_id = %s").format(
        sql.Identifier(column)
    )
    with pytest.raises(errors.CheckViolation):
        await conn.execute(update, (bad, org))
    await conn.execute(update, (good, org))


@pytest.mark.parametrize(
    ("kind", "status"), [("webhook", "pending"), ("events_api", "new")], ids=["kind", "status"]
)
async def test_event_inbox_checks(conn: Conn, kind: str, status: str) -> None:
    with pytest.raises(errors.CheckViolation):
        await conn.execute(
            "INSERT INTO event_inbox (event_key, kind, status, payload) VALUES ('Ev1', %s, %s, '{}')",
            (kind, status),
        )


async def test_unique_keys_make_retries_no_ops(conn: Conn) -> None:
    org = await make_org(conn)
    ids = await populate(conn, org)
    duplicates = [
        ("INSERT INTO event_inbox (event_key, kind, payload) VALUES ('Ev1', 'events_api', '{}')", ()),
        ("INSERT INTO job_runs (job_name, scheduled_for) VALUES ('retention', '2025-03-03 02:00Z')", ()),
        ("INSERT INTO notifications (organization_id, kind, dedupe_key, payload) VALUES (%s, 'x', %s, '{}')",
         (org, f"nudge:{org}:a")),
        # thread_ts NULL twice is still the same target (NULLS NOT DISTINCT)
        ("INSERT INTO notification_deliveries (organization_id, notification_id, target_type, target_id) "
         "VALUES (%s, %s, 'dm', %s)", (org, ids["notification"], f"U{org}")),
        ("INSERT INTO morning_threads (organization_id, channel_id, thread_date) VALUES (%s, 'C-standup', %s)",
         (org, TODAY)),
        ("INSERT INTO thread_submissions (organization_id, morning_thread_id, user_id, raw_text) "
         "VALUES (%s, %s, %s, 'again')", (org, ids["morning_thread"], ids["member"])),
        ("INSERT INTO task_statuses (organization_id, task_id, status_date, status) VALUES (%s, %s, %s, 'done')",
         (org, ids["task"], TODAY)),
        ("INSERT INTO channel_messages (organization_id, channel_id, ts) VALUES (%s, 'C-acme', '1741000000.000200')",
         (org,)),
        ("INSERT INTO context_summaries (organization_id, entity_type, entity_key, summary) "
         "VALUES (%s, 'client', 'acme', 'again')", (org,)),
        ("INSERT INTO backfill_state (organization_id, channel_id) VALUES (%s, 'C-acme')", (org,)),
        ("INSERT INTO pipeline_stages (organization_id, name, slug, position) VALUES (%s, 'Todo', 'todo', 9)",
         (org,)),
        ("INSERT INTO reports (organization_id, kind, period_start, period_end) VALUES (%s, 'weekly', %s, %s)",
         (org, TODAY, TODAY + timedelta(days=6))),
        ("INSERT INTO kpi_snapshots (organization_id, period_start, period_end) VALUES (%s, %s, %s)",
         (org, TODAY, TODAY)),
        ("INSERT INTO platform_identities (organization_id, user_id, external_team_id, external_id) "
         "VALUES (%s, %s, %s, %s)", (org, ids["manager"], f"TA{org}", f"U{org}")),
    ]  # fmt: skip
    await conn.execute(
        "INSERT INTO event_inbox (event_key, kind, payload) VALUES ('Ev1', 'events_api', '{}')"
    )
    await conn.execute(
        "INSERT INTO job_runs (job_name, scheduled_for) VALUES ('retention', '2025-03-03 02:00Z')"
    )
    await conn.execute("INSERT INTO kpi_snapshots (organization_id, period_start, period_end) VALUES (%s, %s, %s)",
                       (org, TODAY, TODAY))  # fmt: skip
    for query, params in duplicates:
        with pytest.raises(errors.UniqueViolation):
            await conn.execute(query, params)


# ---------------------------------------------------------------------------------------------------
# display ids
# ---------------------------------------------------------------------------------------------------


async def test_concurrent_inserts_get_consecutive_display_ids(conn: Conn) -> None:
    acme, globex = await make_org(conn), await make_org(conn, "Globex")
    assert (
        await fetchval(conn, "SELECT count(*) FROM task_counters") == 0
    )  # the first inserts race to create it
    extra = await asyncio.gather(
        *(psycopg.AsyncConnection.connect(conn.info.dsn, autocommit=True) for _ in range(50))
    )
    go = asyncio.Event()

    async def insert_one(c: Conn, i: int) -> tuple[str, int]:
        await go.wait()
        async with c.transaction():
            cur = await c.execute(
                "INSERT INTO tasks (organization_id, title) VALUES (%s, %s) RETURNING display_id, display_number",
                (acme, f"task {i}"),
            )
            row = await cur.fetchone()
            await asyncio.sleep(0.01)  # hold the transaction open so the others queue behind it
        assert row is not None
        return row[0], row[1]

    try:
        pending = [asyncio.create_task(insert_one(c, i)) for i, c in enumerate(extra)]
        go.set()
        results = await asyncio.gather(*pending)
    finally:
        await asyncio.gather(*(c.close() for c in extra))

    assert sorted(n for _, n in results) == list(range(1, 51))
    assert {d for d, _ in results} == {f"T-{n}" for n in range(1, 51)}
    stored = await fetchall(conn, "SELECT display_id FROM tasks WHERE organization_id = %s", (acme,))
    assert sorted(r[0] for r in stored) == sorted(f"T-{n}" for n in range(1, 51))
    # Numbers are per organization.
    task = await make_task(conn, globex)
    assert await fetchval(conn, "SELECT display_id FROM tasks WHERE id = %s", (task,)) == "T-1"


async def test_rolled_back_insert_leaves_no_gap(conn: Conn) -> None:
    org = await make_org(conn)
    await make_task(conn, org, "one")
    with pytest.raises(errors.CheckViolation):
        await make_task(conn, org, "bad", status="nope")  # fails after the trigger took T-2
    async with conn.transaction(force_rollback=True):
        await make_task(conn, org, "rolled back")
    task = await make_task(conn, org, "two")
    assert await fetchval(conn, "SELECT display_id FROM tasks WHERE id = %s", (task,)) == "T-2"


async def test_explicit_display_number_moves_the_counter(conn: Conn) -> None:
    org = await make_org(conn)
    await make_task(conn, org, "imported", display_number=41)
    with pytest.raises(errors.UniqueViolation):
        await make_task(conn, org, "clash", display_number=41)
    task = await make_task(conn, org, "next")
    assert await fetchval(conn, "SELECT display_id FROM tasks WHERE id = %s", (task,)) == "T-42"


async def test_a_blocker_on_no_task_is_numbered_in_its_organization(conn: Conn) -> None:
    """B-numbers (0018_blocker_refs.sql; tester 13, finding 15): only blockers on no task take one, counted per
    organization, so the first a team sees is B-1 whatever blockers on tasks came before, here or elsewhere."""
    acme, globex = await make_org(conn), await make_org(conn, "Globex")
    ann, bob = await make_user(conn, acme), await make_user(conn, globex, "Bob")

    async def blocker(org: int, user: int, task: int | None = None) -> int | None:
        made = await insert(conn, "blockers", organization_id=org, user_id=user, description="waiting", task_id=task)
        return await fetchval(conn, "SELECT ref_number FROM blockers WHERE id = %s", (made,))

    assert await blocker(acme, ann, await make_task(conn, acme)) is None  # named by its task
    assert await blocker(globex, bob) == 1
    assert await blocker(acme, ann) == 1
    async with conn.transaction(force_rollback=True):
        assert await blocker(acme, ann) == 2
    assert await blocker(acme, ann) == 2  # a rolled-back insert leaves no gap
    assert await blocker(globex, bob) == 2
    with pytest.raises(errors.UniqueViolation):
        await insert(conn, "blockers", organization_id=acme, user_id=ann, description="copied", ref_number=2)
