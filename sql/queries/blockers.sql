-- Blockers and their ladder (bot/services/blockers.py). Every query is scoped to one organization.

-- name: blocker_by_id
SELECT b.id, b.organization_id, b.task_id, b.user_id, b.description, b.source, b.status, b.escalation_level,
       b.next_escalation_at, b.last_escalated_at, b.resolved_at, b.resolved_by, b.resolution_note, b.owner_id, b.anchor_at,
       b.anchor_level, b.held_until, b.raised_channel_id, b.raised_ts, b.raised_permalink, b.last_word, b.last_word_at,
       b.created_at, b.ref_number, t.display_id AS task_display_id, t.title AS task_title, t.status AS task_status,
       p.slack_channel_id AS project_channel_id, pi.external_id AS person_slack_id
FROM blockers b
LEFT JOIN tasks t ON t.organization_id = b.organization_id AND t.id = b.task_id
LEFT JOIN projects p ON p.organization_id = t.organization_id AND p.id = t.project_id AND p.status = 'active'
JOIN platform_identities pi ON pi.organization_id = b.organization_id AND pi.user_id = b.user_id AND pi.platform = 'slack'
WHERE b.organization_id = %(organization_id)s AND b.id = %(id)s

-- name: blocker_by_ref
-- A blocker on no task by the number people name it with (`B-3`: blockers.ref_number, 0018).
SELECT id FROM blockers WHERE organization_id = %(organization_id)s AND ref_number = %(ref_number)s

-- name: blockers_due
-- The sweep: open blockers due by now, oldest due first, claimed (another process sweeping takes others).
-- Uses blockers_due_idx (organization_id, next_escalation_at) WHERE status = 'open'.
SELECT b.id, b.organization_id, b.task_id, b.user_id, b.description, b.source, b.status, b.escalation_level,
       b.next_escalation_at, b.last_escalated_at, b.resolved_at, b.resolved_by, b.resolution_note, b.owner_id, b.anchor_at,
       b.anchor_level, b.held_until, b.raised_channel_id, b.raised_ts, b.raised_permalink, b.last_word, b.last_word_at,
       b.created_at, b.ref_number, t.display_id AS task_display_id, t.title AS task_title, t.status AS task_status,
       p.slack_channel_id AS project_channel_id, pi.external_id AS person_slack_id
FROM blockers b
LEFT JOIN tasks t ON t.organization_id = b.organization_id AND t.id = b.task_id
LEFT JOIN projects p ON p.organization_id = t.organization_id AND p.id = t.project_id AND p.status = 'active'
JOIN platform_identities pi ON pi.organization_id = b.organization_id AND pi.user_id = b.user_id AND pi.platform = 'slack'
WHERE b.organization_id = %(organization_id)s AND b.status = 'open' AND b.next_escalation_at <= %(now)s
  AND NOT (b.id = ANY(%(done)s::bigint[]))
ORDER BY b.next_escalation_at, b.id
LIMIT %(limit)s
FOR UPDATE OF b SKIP LOCKED

-- name: blockers_visible
-- Open blockers a person may see: their own (blocked or owner of record), everyone below them in the reporting
-- line, everyone's for an admin.
WITH RECURSIVE below AS (
    SELECT id FROM users WHERE organization_id = %(organization_id)s AND manager_id = %(viewer)s
    UNION
    SELECT u.id FROM users u JOIN below ON u.manager_id = below.id WHERE u.organization_id = %(organization_id)s
)
SELECT b.id, b.organization_id, b.task_id, b.user_id, b.description, b.source, b.status, b.escalation_level,
       b.next_escalation_at, b.last_escalated_at, b.resolved_at, b.resolved_by, b.resolution_note, b.owner_id, b.anchor_at,
       b.anchor_level, b.held_until, b.raised_channel_id, b.raised_ts, b.raised_permalink, b.last_word, b.last_word_at,
       b.created_at, b.ref_number, t.display_id AS task_display_id, t.title AS task_title, t.status AS task_status,
       p.slack_channel_id AS project_channel_id, pi.external_id AS person_slack_id
FROM blockers b
LEFT JOIN tasks t ON t.organization_id = b.organization_id AND t.id = b.task_id
LEFT JOIN projects p ON p.organization_id = t.organization_id AND p.id = t.project_id AND p.status = 'active'
JOIN platform_identities pi ON pi.organization_id = b.organization_id AND pi.user_id = b.user_id AND pi.platform = 'slack'
WHERE b.organization_id = %(organization_id)s AND b.status = 'open'
  AND (%(admin)s OR b.user_id = %(viewer)s OR b.owner_id = %(viewer)s OR b.user_id IN (SELECT id FROM below))
ORDER BY b.created_at, b.id

-- name: blocker_open
INSERT INTO blockers (organization_id, task_id, user_id, description, source, next_escalation_at, anchor_at, raised_channel_id,
                      raised_ts, last_word, last_word_at, created_at, updated_at)
VALUES (%(organization_id)s, %(task_id)s, %(user_id)s, %(description)s, %(source)s, %(next_escalation_at)s, %(now)s,
        %(channel_id)s, %(ts)s, %(word)s, CASE WHEN %(word)s::text IS NULL THEN NULL ELSE %(now)s END, %(now)s, %(now)s)
RETURNING id

-- name: blocker_same_open
SELECT id FROM blockers
WHERE organization_id = %(organization_id)s AND user_id = %(user_id)s AND status = 'open'
  AND task_id IS NOT DISTINCT FROM %(task_id)s::bigint AND lower(description) = lower(%(description)s)
LIMIT 1

-- name: blockers_of_task
SELECT id FROM blockers WHERE organization_id = %(organization_id)s AND task_id = %(task_id)s ORDER BY id

-- name: blockers_open_of_task
SELECT id FROM blockers WHERE organization_id = %(organization_id)s AND task_id = %(task_id)s AND status = 'open' ORDER BY id

-- name: blockers_open_of_person
SELECT id FROM blockers WHERE organization_id = %(organization_id)s AND user_id = %(user_id)s AND status = 'open' ORDER BY id

-- name: blockers_lock_of_person
-- A person's open blockers with a rung to come, locked (waiting for a sweep that holds one, so that they are then
-- read as that sweep left them), to recompute when the next is due after their absences changed.
SELECT id FROM blockers
WHERE organization_id = %(organization_id)s AND user_id = %(user_id)s AND status = 'open' AND next_escalation_at IS NOT NULL
ORDER BY id
FOR UPDATE

-- name: blocker_resolve
UPDATE blockers SET status = 'resolved', resolved_at = %(now)s, resolved_by = %(by)s, resolution_note = %(note)s,
                    next_escalation_at = NULL, held_until = NULL, updated_at = %(now)s
WHERE organization_id = %(organization_id)s AND id = %(id)s AND status = 'open'
RETURNING id

-- name: blocker_reopen
-- Undo of the standup message that resolved it: open again, on its ladder (the next sweep works out its next rung from
-- where its walk stands), unless someone else resolved it since or its task is finished.
UPDATE blockers b SET status = 'open', resolved_at = NULL, resolved_by = NULL, resolution_note = NULL,
                      next_escalation_at = %(now)s, updated_at = %(now)s
WHERE b.organization_id = %(organization_id)s AND b.id = %(id)s AND b.status = 'resolved' AND b.resolved_by = %(by)s
  AND (b.task_id IS NULL OR EXISTS (SELECT 1 FROM tasks t WHERE t.organization_id = b.organization_id AND t.id = b.task_id
                                                          AND t.status NOT IN ('done', 'dropped')))
RETURNING id

-- name: blocker_set_owner
UPDATE blockers SET owner_id = %(owner_id)s WHERE organization_id = %(organization_id)s AND id = %(id)s

-- name: blocker_rewalk
UPDATE blockers SET anchor_at = %(anchor_at)s, anchor_level = %(anchor_level)s, held_until = %(held_until)s,
                    next_escalation_at = %(next)s, last_word = coalesce(%(word)s, last_word),
                    last_word_at = CASE WHEN %(word)s::text IS NULL THEN last_word_at ELSE %(now)s END, updated_at = %(now)s
WHERE organization_id = %(organization_id)s AND id = %(id)s AND status = 'open'

-- name: blocker_set_next
UPDATE blockers SET next_escalation_at = %(next)s WHERE organization_id = %(organization_id)s AND id = %(id)s

-- name: blocker_advance
-- One rung fired: only from the level the sweep saw (the row is locked, so it is).
UPDATE blockers SET escalation_level = escalation_level + 1, last_escalated_at = %(now)s, next_escalation_at = %(next)s,
                    updated_at = %(now)s
WHERE organization_id = %(organization_id)s AND id = %(id)s AND status = 'open' AND escalation_level = %(level)s
RETURNING escalation_level

-- name: blockers_needing_permalink
SELECT id, raised_channel_id, raised_ts FROM blockers
WHERE organization_id = %(organization_id)s AND status = 'open' AND next_escalation_at <= %(now)s
  AND raised_ts IS NOT NULL AND raised_channel_id IS NOT NULL AND raised_permalink IS NULL

-- name: blocker_set_permalink
UPDATE blockers SET raised_permalink = %(link)s WHERE organization_id = %(organization_id)s AND id = %(id)s

-- name: blocker_latest_word
-- The blocked person's latest standup updates since a moment (by DM, channel or thread), newest first, as of when
-- Steward last read them (parsed_at, on Steward's clock); the caller keeps the newest that speaks of the blocker.
SELECT raw_text, parsed_at FROM thread_submissions
WHERE organization_id = %(organization_id)s AND user_id = %(user_id)s AND parsed_at >= %(since)s AND raw_text <> ''
ORDER BY parsed_at DESC LIMIT %(limit)s
