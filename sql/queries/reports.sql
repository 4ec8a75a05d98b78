-- Reports and action items (bot/services/reports.py, bot/services/action_items.py). Every query is scoped to one
-- organization.

-- name: report_settings
SELECT reports_channel_id, report_day, report_time FROM org_settings WHERE organization_id = %(organization_id)s

-- name: reports_channel_set
UPDATE org_settings SET reports_channel_id = %(channel_id)s, updated_at = now() WHERE organization_id = %(organization_id)s

-- name: report_threads_in
-- How many standup threads were posted in [since, until] (team dates): none means no updates were asked.
SELECT count(*) FROM morning_threads
WHERE organization_id = %(organization_id)s AND thread_date BETWEEN %(since)s AND %(until)s AND posted_at IS NOT NULL

-- name: report_insert
-- Once per organization, kind, period and scope: nothing is returned when that report exists (a re-run sends nothing).
INSERT INTO reports (organization_id, kind, period_start, period_end, user_id, audience, metrics, narrative,
                     narrative_source, chart_png, chart_error, generated_at, created_at)
VALUES (%(organization_id)s, %(kind)s, %(period_start)s, %(period_end)s, %(user_id)s, %(audience)s, %(metrics)s,
        %(narrative)s, %(narrative_source)s, %(chart_png)s, %(chart_error)s, %(now)s, %(now)s)
ON CONFLICT (organization_id, kind, period_start, scope) DO NOTHING
RETURNING id

-- name: report_chart
SELECT chart_png FROM reports WHERE organization_id = %(organization_id)s AND id = %(id)s

-- name: report_chart_failed
UPDATE reports SET chart_error = %(error)s WHERE organization_id = %(organization_id)s AND id = %(id)s

-- name: report_direct_reports
-- A manager's team: the active people who report to them directly.
SELECT id FROM users WHERE organization_id = %(organization_id)s AND manager_id = %(manager_id)s AND active
ORDER BY id

-- name: report_managers
-- Everyone with at least one active direct report (they get their team's report).
SELECT DISTINCT m.id FROM users m JOIN users r ON r.organization_id = m.organization_id AND r.manager_id = m.id
WHERE m.organization_id = %(organization_id)s AND m.active AND r.active
ORDER BY m.id

-- name: report_blockers_high
-- Open blockers of these people past the second rung of their ladder (its third rung or later fired).
SELECT b.id, b.user_id, b.description, b.escalation_level, t.display_id, b.created_at
FROM blockers b LEFT JOIN tasks t ON t.organization_id = b.organization_id AND t.id = b.task_id
WHERE b.organization_id = %(organization_id)s AND b.status = 'open' AND b.escalation_level > 2
  AND b.user_id = ANY(%(user_ids)s)
ORDER BY b.id

-- name: report_tasks_carried
-- Open tasks of these people carried forward three times or more.
SELECT id, user_id, display_id, title, carry_forward_count FROM tasks
WHERE organization_id = %(organization_id)s AND status IN ('pending', 'in_progress', 'blocked')
  AND carry_forward_count >= %(times)s AND user_id = ANY(%(user_ids)s)
ORDER BY id

-- name: action_item_insert
-- Once per evidence (key and period): nothing is returned when that evidence already has an item.
INSERT INTO action_items (organization_id, report_id, title, description, assignee_id, task_id, due_date, kind,
                          evidence, evidence_key, evidence_period, created_at, updated_at)
SELECT %(organization_id)s, %(report_id)s, %(title)s, %(description)s, %(assignee_id)s, %(task_id)s, %(due_date)s,
       %(kind)s, %(evidence)s, %(evidence_key)s, %(evidence_period)s, %(now)s, %(now)s
WHERE NOT EXISTS (SELECT 1 FROM action_items
                  WHERE organization_id = %(organization_id)s AND evidence_key = %(evidence_key)s
                    AND status IN ('open', 'in_progress'))
ON CONFLICT (organization_id, evidence_key, evidence_period) DO NOTHING
RETURNING id

-- name: action_items_open
-- Open action items owned by these people (NULL: all of the organization's), oldest first.
SELECT a.id, a.title, a.description, a.kind, a.evidence, a.due_date, a.assignee_id, pi.external_id, a.report_id, a.created_at
FROM action_items a
LEFT JOIN platform_identities pi ON pi.organization_id = a.organization_id AND pi.user_id = a.assignee_id
     AND pi.platform = 'slack'
WHERE a.organization_id = %(organization_id)s AND a.status IN ('open', 'in_progress')
  AND (%(assignee_ids)s::bigint[] IS NULL OR a.assignee_id = ANY(%(assignee_ids)s))
ORDER BY a.due_date NULLS LAST, a.id

-- name: action_item_get
SELECT a.id, a.title, a.description, a.kind, a.evidence, a.due_date, a.assignee_id, pi.external_id, a.report_id, a.created_at,
       a.status, a.completed_at, a.closed_by, a.dismiss_reason
FROM action_items a
LEFT JOIN platform_identities pi ON pi.organization_id = a.organization_id AND pi.user_id = a.assignee_id
     AND pi.platform = 'slack'
WHERE a.organization_id = %(organization_id)s AND a.id = %(id)s

-- name: action_item_close
-- Done or dismissed (status 'dropped', with its reason), once: nothing is returned when it was already closed.
UPDATE action_items SET status = %(status)s, completed_at = %(now)s, closed_by = %(closed_by)s,
       dismiss_reason = %(reason)s, updated_at = %(now)s
WHERE organization_id = %(organization_id)s AND id = %(id)s AND status IN ('open', 'in_progress')
RETURNING id

-- name: action_item_reassign
UPDATE action_items SET assignee_id = %(assignee_id)s, updated_at = %(now)s
WHERE organization_id = %(organization_id)s AND id = %(id)s AND status IN ('open', 'in_progress')
RETURNING id

-- name: action_item_copies
-- Where an action item is shown with its buttons: every sent report message whose blocks hold its buttons block
-- (a manager's team report and the organization's report can both list it). (channel, ts) pairs.
SELECT DISTINCT d.slack_channel_id, d.slack_ts
FROM notifications n
JOIN notification_deliveries d ON d.organization_id = n.organization_id AND d.notification_id = n.id
WHERE n.organization_id = %(organization_id)s AND n.kind = 'report' AND d.status = 'sent'
  AND d.slack_channel_id IS NOT NULL AND d.slack_ts IS NOT NULL
  AND n.payload -> 'blocks' @> %(blocks)s

-- name: client_of_channel
-- The active client whose channel %(channel_id)s is (reports never go there).
SELECT name FROM clients
WHERE organization_id = %(organization_id)s AND slack_channel_id = %(channel_id)s AND active
ORDER BY id LIMIT 1
