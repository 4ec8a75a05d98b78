-- Overdue work and its ladder (bot/services/overdue.py). Every query is scoped to one organization.
-- An open task is one whose status is not done or dropped; its walk is for the due date it was started for.

-- name: overdue_stop_stale
-- Walks whose task no longer has that due date (cleared, or moved past the horizon), or lost its owner: stopped.
-- A new date within the horizon is taken up by overdue_to_start instead. Uses tasks_overdue_next_idx.
UPDATE tasks SET overdue_next_at = NULL
WHERE organization_id = %(organization_id)s AND status NOT IN ('done', 'dropped') AND overdue_next_at IS NOT NULL
  AND (user_id IS NULL
       OR ((due_date IS NULL OR due_date > %(horizon)s)
           AND (overdue_due_date IS DISTINCT FROM due_date OR overdue_due_at IS DISTINCT FROM due_at)))

-- name: overdue_to_start
-- Open, owned tasks due by the horizon whose walk is not for their current due date (none yet, or a new date),
-- claimed (another process sweeping takes others). Uses tasks_open_due_date_idx.
SELECT t.id, t.user_id, t.project_id, t.due_date, t.due_at
FROM tasks t
WHERE t.organization_id = %(organization_id)s AND t.status NOT IN ('done', 'dropped') AND t.due_date IS NOT NULL
  AND t.due_date <= %(horizon)s AND t.user_id IS NOT NULL
  AND (t.overdue_due_date IS DISTINCT FROM t.due_date OR t.overdue_due_at IS DISTINCT FROM t.due_at)
ORDER BY t.due_date, t.id
LIMIT %(limit)s
FOR UPDATE SKIP LOCKED

-- name: overdue_start
UPDATE tasks SET overdue_due_date = %(due_date)s, overdue_due_at = %(due_at)s, overdue_anchor_at = %(anchor_at)s,
                 overdue_level = 0, overdue_next_at = %(next)s, overdue_last_at = NULL
WHERE organization_id = %(organization_id)s AND id = %(id)s

-- name: overdue_due
-- The sweep: walks with a rung due by now, oldest due first, claimed. Uses tasks_overdue_next_idx.
SELECT t.id, t.organization_id, t.display_id, t.title, t.status, t.user_id, t.project_id, t.due_date, t.due_at,
       t.overdue_due_date, t.overdue_due_at, t.overdue_anchor_at, t.overdue_level, t.overdue_next_at, t.overdue_last_at,
       p.name AS project_name, p.slack_channel_id AS project_channel_id, pi.external_id AS owner_slack_id
FROM tasks t
LEFT JOIN projects p ON p.organization_id = t.organization_id AND p.id = t.project_id AND p.status = 'active'
JOIN platform_identities pi ON pi.organization_id = t.organization_id AND pi.user_id = t.user_id AND pi.platform = 'slack'
WHERE t.organization_id = %(organization_id)s AND t.status NOT IN ('done', 'dropped') AND t.overdue_next_at <= %(now)s
  AND t.overdue_due_date = t.due_date AND t.overdue_due_at IS NOT DISTINCT FROM t.due_at
  AND NOT (t.id = ANY(%(done)s::bigint[]))
ORDER BY t.overdue_next_at, t.id
LIMIT %(limit)s
FOR UPDATE OF t SKIP LOCKED

-- name: overdue_lock_walking_of
-- An owner's open tasks whose walk (for their current due date) has a rung to come, locked (waiting for a sweep
-- that holds one, so that they are then read as that sweep left them), to recompute when the next is due after
-- their absences changed.
SELECT id FROM tasks
WHERE organization_id = %(organization_id)s AND user_id = %(user_id)s AND status NOT IN ('done', 'dropped')
  AND overdue_next_at IS NOT NULL AND overdue_due_date = due_date AND overdue_due_at IS NOT DISTINCT FROM due_at
ORDER BY id
FOR UPDATE

-- name: overdue_set_next
UPDATE tasks SET overdue_next_at = %(next)s WHERE organization_id = %(organization_id)s AND id = %(id)s

-- name: overdue_advance
-- One rung fired (or found fired before) for the walk the sweep saw (the row is locked, so it is that one).
UPDATE tasks SET overdue_level = overdue_level + 1, overdue_last_at = %(now)s, overdue_next_at = %(next)s
WHERE organization_id = %(organization_id)s AND id = %(id)s AND overdue_level = %(level)s
RETURNING overdue_level

-- name: overdue_open_of
-- Open tasks due by the horizon (the caller keeps those whose due instant has passed), of some owners and/or some
-- projects: the grouped channel post lists a project's, App Home a team's. Uses tasks_open_due_date_idx.
SELECT t.id, t.organization_id, t.display_id, t.title, t.status, t.user_id, t.project_id, t.due_date, t.due_at,
       t.overdue_due_date, t.overdue_due_at, t.overdue_anchor_at, t.overdue_level, t.overdue_next_at, t.overdue_last_at,
       p.name AS project_name, p.slack_channel_id AS project_channel_id, pi.external_id AS owner_slack_id
FROM tasks t
LEFT JOIN projects p ON p.organization_id = t.organization_id AND p.id = t.project_id AND p.status = 'active'
JOIN platform_identities pi ON pi.organization_id = t.organization_id AND pi.user_id = t.user_id AND pi.platform = 'slack'
WHERE t.organization_id = %(organization_id)s AND t.status NOT IN ('done', 'dropped') AND t.due_date IS NOT NULL
  AND t.due_date <= %(horizon)s
  AND (t.user_id = ANY(%(user_ids)s::bigint[]) OR t.project_id = ANY(%(project_ids)s::bigint[]))
ORDER BY t.due_date, t.display_number
LIMIT %(limit)s

-- name: task_ref
SELECT display_id FROM tasks WHERE organization_id = %(organization_id)s AND id = %(id)s
