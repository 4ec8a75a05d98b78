-- Reads of bot/services/kpis.py (KPI figures of a period), bot/services/kpi_targets.py (`/steward kpi`) and
-- bot/services/kpi_snapshots.py (the kpi-snapshot job). Every query is scoped to one organization.

-- name: kpi_people
-- The people a period's figures are about: everyone who was an active member at some point of [since, until]
-- (active now, or deactivated on or after its first day) and had joined by its last day. Ids only.
SELECT id FROM users
WHERE organization_id = %(organization_id)s
  AND (active OR deactivated_at >= %(since_at)s)
  AND created_at < %(until_at)s
ORDER BY id

-- name: kpi_tasks_due
-- Tasks of these people due in [since, until] (dates) that were not dropped: on-time rate.
SELECT user_id, weight, due_date, due_at, completed_at, status
FROM tasks
WHERE organization_id = %(organization_id)s AND user_id = ANY(%(user_ids)s)
  AND due_date BETWEEN %(since)s AND %(until)s AND status <> 'dropped'

-- name: kpi_tasks_done
-- Tasks of these people done in [since_at, until_at) (instants): weighted throughput.
SELECT user_id, weight, completed_at
FROM tasks
WHERE organization_id = %(organization_id)s AND user_id = ANY(%(user_ids)s)
  AND status = 'done' AND completed_at >= %(since_at)s AND completed_at < %(until_at)s

-- name: kpi_task_closes
-- The daily loop's closes of planned tasks (task_statuses, one per planned task and closed day) in [since, until]:
-- carry-forward rate.
SELECT user_id, status_date, status
FROM task_statuses
WHERE organization_id = %(organization_id)s AND user_id = ANY(%(user_ids)s)
  AND status_date BETWEEN %(since)s AND %(until)s

-- name: kpi_blockers_resolved
-- Blockers of these people resolved in [since_at, until_at): resolution time.
SELECT user_id, created_at, resolved_at
FROM blockers
WHERE organization_id = %(organization_id)s AND user_id = ANY(%(user_ids)s)
  AND status = 'resolved' AND resolved_at >= %(since_at)s AND resolved_at < %(until_at)s

-- name: kpi_blockers_open
-- Blockers of these people raised before until_at and still open at until_at (open now, or resolved later):
-- "none resolved" must not read as fine while one waits.
SELECT user_id, created_at
FROM blockers
WHERE organization_id = %(organization_id)s AND user_id = ANY(%(user_ids)s) AND created_at < %(until_at)s
  AND (status = 'open' OR resolved_at >= %(until_at)s)

-- name: kpi_mood
-- Mood check-ins of these people on their dates in [since, until].
SELECT user_id, local_date, score
FROM mood_entries
WHERE organization_id = %(organization_id)s AND user_id = ANY(%(user_ids)s)
  AND local_date BETWEEN %(since)s AND %(until)s

-- name: kpi_checklists_exist
-- Whether the organization has any checklist, and any SOP (active or not): compliance is None without them.
SELECT EXISTS (SELECT 1 FROM checklists WHERE organization_id = %(organization_id)s),
       EXISTS (SELECT 1 FROM sops WHERE organization_id = %(organization_id)s)

-- name: kpi_checklist_completions
-- Checklists sent for a date in [since, until] (completed_at NULL: not finished; due_by: the end of that day on the
-- person's clock; a row written before 0019 has none: the end of the date on the team's clock).
SELECT user_id, for_date, completed_at, coalesce(due_by, (for_date + 1)::timestamp AT TIME ZONE %(tz)s)
FROM checklist_completions
WHERE organization_id = %(organization_id)s AND for_date BETWEEN %(since)s AND %(until)s

-- name: kpi_sop_records
-- SOP records made in [since_at, until_at); a deploy's (user_id NULL) names its members in steps_done.
SELECT user_id, compliant, steps_done
FROM sop_records
WHERE organization_id = %(organization_id)s AND recorded_at >= %(since_at)s AND recorded_at < %(until_at)s

-- name: kpi_reinforcements
-- Reinforcements (kudos, streaks, milestones, credited help, improvements) given to these people in [since_at, until_at).
SELECT user_id, kind
FROM reinforcements
WHERE organization_id = %(organization_id)s AND user_id = ANY(%(user_ids)s)
  AND created_at >= %(since_at)s AND created_at < %(until_at)s

-- name: kpi_targets
-- The organization's targets.
SELECT metric, target, direction, updated_at
FROM kpi_targets
WHERE organization_id = %(organization_id)s
ORDER BY metric

-- name: kpi_target_upsert
-- Set one target (one per organization and metric).
INSERT INTO kpi_targets (organization_id, metric, target, direction, updated_at)
VALUES (%(organization_id)s, %(metric)s, %(target)s, %(direction)s, %(now)s)
ON CONFLICT (organization_id, metric)
DO UPDATE SET target = excluded.target, direction = excluded.direction, updated_at = excluded.updated_at
RETURNING metric, target, direction, updated_at

-- name: kpi_snapshot_rows
-- Snapshots of one period kind for the team (user_id NULL, when team) or one person, with period_start in
-- [since, until], oldest first.
SELECT period_start, period_end, metrics
FROM kpi_snapshots
WHERE organization_id = %(organization_id)s AND period = %(period)s
  AND user_id IS NOT DISTINCT FROM %(user_id)s
  AND period_start BETWEEN %(since)s AND %(until)s
ORDER BY period_start

-- name: kpi_snapshots_of_period
-- Every snapshot (team and people) of one period: user_id NULL is the team.
SELECT user_id, metrics
FROM kpi_snapshots
WHERE organization_id = %(organization_id)s AND period = %(period)s AND period_start = %(period_start)s

-- name: kpi_snapshot_weeks_taken
-- The weeks in [since, until] that already have the team's snapshot (the team row is written with the people's).
SELECT period_start
FROM kpi_snapshots
WHERE organization_id = %(organization_id)s AND period = 'weekly' AND user_id IS NULL
  AND period_start BETWEEN %(since)s AND %(until)s

-- name: kpi_snapshot_insert
-- One snapshot row; a second run for the same period writes nothing (idempotent per week).
INSERT INTO kpi_snapshots (organization_id, user_id, period, period_start, period_end, metrics, created_at)
VALUES (%(organization_id)s, %(user_id)s, %(period)s, %(period_start)s, %(period_end)s, %(metrics)s, %(now)s)
ON CONFLICT ON CONSTRAINT kpi_snapshots_org_user_period_key DO NOTHING
RETURNING id

-- name: kpi_snapshot_first_threads
-- When each person was first asked (the first posted morning thread they were in) and, as user_id NULL, when the
-- organization's first thread was: weeks before those hold no data and are never snapshotted.
SELECT NULL::bigint AS user_id, min(thread_date) FROM morning_threads
WHERE organization_id = %(organization_id)s AND status IN ('posted', 'closed')
UNION ALL
SELECT p.user_id, min(mt.thread_date) FROM morning_threads mt, unnest(mt.participant_ids) AS p(user_id)
WHERE mt.organization_id = %(organization_id)s AND mt.status IN ('posted', 'closed')
GROUP BY p.user_id

-- name: kpi_snapshot_open_days
-- The dates in [since, until] on which someone's day is still open (a plan item not yet closed by day-close).
SELECT DISTINCT plan_date FROM day_plan_items
WHERE organization_id = %(organization_id)s AND closed_at IS NULL AND plan_date BETWEEN %(since)s AND %(until)s
