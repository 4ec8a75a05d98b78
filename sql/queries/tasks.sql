-- Tasks, stages and task types (SPEC F2, F3).


-- name: stage_insert
INSERT INTO pipeline_stages (organization_id, name, slug, color, position, wip_limit, is_done_stage)
VALUES (%(organization_id)s, %(name)s, %(slug)s, %(color)s, %(position)s, %(wip_limit)s, %(is_done_stage)s)
RETURNING id

-- name: task_type_insert
INSERT INTO task_type_map (organization_id, keyword, task_type, size, weight)
VALUES (%(organization_id)s, %(keyword)s, %(task_type)s, %(size)s, %(weight)s)
ON CONFLICT (organization_id, keyword) DO UPDATE
SET task_type = EXCLUDED.task_type, size = EXCLUDED.size, weight = EXCLUDED.weight

-- name: task_types_of_org
SELECT keyword, task_type, size, weight FROM task_type_map WHERE organization_id = %(organization_id)s ORDER BY length(keyword) DESC, keyword

-- name: stages_of_org
SELECT s.id, s.name, s.slug, s.color, s.position, s.wip_limit, s.is_done_stage,
       (SELECT count(*) FROM tasks t WHERE t.organization_id = s.organization_id AND t.stage_id = s.id
          AND t.status NOT IN ('done', 'dropped'))::int AS open_count
FROM pipeline_stages s
WHERE s.organization_id = %(organization_id)s
ORDER BY s.position, s.id

-- name: task_insert
INSERT INTO tasks (organization_id, title, description, status, priority, user_id, created_by, stage_id, project_id,
                   client_id, draft_id, due_date, due_at, task_type, size, weight, source, source_channel_id, source_ts)
VALUES (%(organization_id)s, %(title)s, %(description)s, 'pending', %(priority)s, %(user_id)s, %(created_by)s, %(stage_id)s,
        %(project_id)s, %(client_id)s, %(draft_id)s, %(due_date)s, %(due_at)s, %(task_type)s, %(size)s, %(weight)s,
        %(source)s, %(source_channel_id)s, %(source_ts)s)
RETURNING id

-- name: task_by_id
SELECT t.id, t.organization_id, t.display_id, t.title, t.status, t.priority, t.user_id, t.stage_id, t.client_id,
       t.project_id, t.draft_id, t.due_date, t.due_at, t.task_type, t.size, t.weight, t.carry_forward_count, t.source,
       c.name AS client_name, p.name AS project_name, s.name AS stage_name, pi.external_id AS owner_slack_id,
       t.completed_at, t.dropped_at, t.dropped_reason
FROM tasks t
LEFT JOIN clients c ON c.organization_id = t.organization_id AND c.id = t.client_id
LEFT JOIN projects p ON p.organization_id = t.organization_id AND p.id = t.project_id
LEFT JOIN pipeline_stages s ON s.organization_id = t.organization_id AND s.id = t.stage_id
LEFT JOIN platform_identities pi ON pi.organization_id = t.organization_id AND pi.user_id = t.user_id AND pi.platform = 'slack'
WHERE t.organization_id = %(organization_id)s AND t.id = %(task_id)s

-- name: task_id_by_display
SELECT id FROM tasks WHERE organization_id = %(organization_id)s AND display_number = %(number)s

-- name: tasks_list
-- Open tasks (all tasks with open_only false); with done_since, also the tasks done since then (the
-- board's Done column). Open tasks come first, so a limit never crowds them out with done ones.
SELECT t.id, t.organization_id, t.display_id, t.title, t.status, t.priority, t.user_id, t.stage_id, t.client_id,
       t.project_id, t.draft_id, t.due_date, t.due_at, t.task_type, t.size, t.weight, t.carry_forward_count, t.source,
       c.name AS client_name, p.name AS project_name, s.name AS stage_name, pi.external_id AS owner_slack_id,
       t.completed_at, t.dropped_at, t.dropped_reason
FROM tasks t
LEFT JOIN clients c ON c.organization_id = t.organization_id AND c.id = t.client_id
LEFT JOIN projects p ON p.organization_id = t.organization_id AND p.id = t.project_id
LEFT JOIN pipeline_stages s ON s.organization_id = t.organization_id AND s.id = t.stage_id
LEFT JOIN platform_identities pi ON pi.organization_id = t.organization_id AND pi.user_id = t.user_id AND pi.platform = 'slack'
WHERE t.organization_id = %(organization_id)s
  AND (%(user_id)s::bigint IS NULL OR t.user_id = %(user_id)s)
  AND (%(client_id)s::bigint IS NULL OR t.client_id = %(client_id)s)
  AND (%(open_only)s = false OR t.status NOT IN ('done', 'dropped')
       OR (t.status = 'done' AND t.completed_at >= %(done_since)s::timestamptz))
ORDER BY t.status = 'done', t.due_date NULLS LAST, t.display_number
LIMIT %(limit)s

-- name: task_log_insert
-- created_at: the caller's now when given (a rule's clock: a sweep run as if at T), else the database's.
INSERT INTO task_logs (organization_id, task_id, actor_id, action, from_value, to_value, note, created_at)
VALUES (%(organization_id)s, %(task_id)s, %(actor_id)s, %(action)s, %(from_value)s, %(to_value)s, %(note)s,
        coalesce(%(now)s::timestamptz, now()))
RETURNING id

-- name: clients_of_org
SELECT id, name FROM clients WHERE organization_id = %(organization_id)s AND active ORDER BY name

-- name: projects_of_org
SELECT id, name FROM projects WHERE organization_id = %(organization_id)s AND status = 'active' ORDER BY name

-- name: wip_mode_of_org
SELECT wip_mode FROM org_settings WHERE organization_id = %(organization_id)s

-- name: task_set_done
-- Only an open task: a dropped one is reopened first, and a done one stays done once. Its overdue walk ends: no
-- next rung (tasks.overdue_next_at tells the truth at every moment).
UPDATE tasks SET status = 'done', completed_at = %(now)s, stage_id = coalesce(%(done_stage_id)s, stage_id),
                 overdue_next_at = NULL
WHERE organization_id = %(organization_id)s AND id = %(id)s AND status NOT IN ('done', 'dropped')

-- name: task_set_dropped
-- Its overdue walk ends too: no next rung.
UPDATE tasks SET status = 'dropped', dropped_at = %(now)s, dropped_reason = %(reason)s, overdue_next_at = NULL
WHERE organization_id = %(organization_id)s AND id = %(id)s AND status NOT IN ('done', 'dropped')

-- name: task_move_to_stage
UPDATE tasks SET stage_id = %(stage_id)s, status = %(status)s, completed_at = NULL
WHERE organization_id = %(organization_id)s AND id = %(id)s

-- name: task_assign
UPDATE tasks SET user_id = %(user_id)s WHERE organization_id = %(organization_id)s AND id = %(id)s

-- name: task_edit
-- Only the columns named in %(changed)s change; the others keep their value.
UPDATE tasks SET
    title = CASE WHEN 'title' = ANY(%(changed)s::text[]) THEN %(title)s::text ELSE title END,
    due_date = CASE WHEN 'due_date' = ANY(%(changed)s::text[]) THEN %(due_date)s::date ELSE due_date END,
    due_at = CASE WHEN 'due_at' = ANY(%(changed)s::text[]) THEN %(due_at)s::timestamptz ELSE due_at END,
    client_id = CASE WHEN 'client_id' = ANY(%(changed)s::text[]) THEN %(client_id)s::bigint ELSE client_id END,
    size = CASE WHEN 'size' = ANY(%(changed)s::text[]) THEN %(size)s::text ELSE size END,
    project_id = CASE WHEN 'project_id' = ANY(%(changed)s::text[]) THEN %(project_id)s::bigint ELSE project_id END,
    -- A task that changes project while its overdue walk is on climbs the new project's ladder from now on: its next
    -- rung is looked at again by the next sweep (bot/services/overdue.py recomputes it from the walk's anchor).
    overdue_next_at = CASE WHEN 'project_id' = ANY(%(changed)s::text[]) AND overdue_anchor_at IS NOT NULL
                                AND overdue_due_date = due_date AND overdue_due_at IS NOT DISTINCT FROM due_at
                                AND NOT ('due_date' = ANY(%(changed)s::text[]))
                           THEN overdue_anchor_at ELSE overdue_next_at END
WHERE organization_id = %(organization_id)s AND id = %(id)s

-- name: task_set_open
-- A done or dropped task back to open, in %(stage_id)s, with its done and dropped marks cleared.
UPDATE tasks SET status = 'pending', stage_id = coalesce(%(stage_id)s, stage_id), completed_at = NULL, dropped_at = NULL,
                 dropped_reason = NULL
WHERE organization_id = %(organization_id)s AND id = %(id)s AND status IN ('done', 'dropped')

-- name: plan_answers_clear_for_task
-- A reopened task: the check-in answers (done, dropped) on its days not closed yet no longer hold.
UPDATE day_plan_items SET answer = NULL, answer_reason = NULL, reopen_status = NULL, reopen_stage_id = NULL
WHERE organization_id = %(organization_id)s AND task_id = %(task_id)s AND closed_at IS NULL AND answer IS NOT NULL
