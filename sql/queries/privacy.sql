-- What Steward holds about a person (SPEC F17): counted for them, exported or erased by an admin.


-- name: person_data_counts
-- One count per kind of record, in the order of bot.services.privacy.COUNT_LABELS; channel messages
-- are keyed by the Slack user id, everything else by the user's id.
SELECT
    (SELECT count(*) FROM tasks WHERE organization_id = %(organization_id)s AND user_id = %(user_id)s),
    (SELECT count(*) FROM task_drafts WHERE organization_id = %(organization_id)s AND user_id = %(user_id)s),
    (SELECT count(*) FROM reminders WHERE organization_id = %(organization_id)s AND user_id = %(user_id)s),
    (SELECT count(*) FROM mood_entries WHERE organization_id = %(organization_id)s AND user_id = %(user_id)s),
    (SELECT count(*) FROM journals WHERE organization_id = %(organization_id)s AND user_id = %(user_id)s),
    (SELECT count(*) FROM thread_submissions WHERE organization_id = %(organization_id)s AND user_id = %(user_id)s),
    (SELECT count(*) FROM ooo_records WHERE organization_id = %(organization_id)s AND user_id = %(user_id)s),
    (SELECT count(*) FROM user_memory WHERE organization_id = %(organization_id)s AND user_id = %(user_id)s),
    (SELECT count(*) FROM conversation_sessions WHERE organization_id = %(organization_id)s AND user_id = %(user_id)s),
    (SELECT count(*) FROM flags WHERE organization_id = %(organization_id)s AND user_id = %(user_id)s),
    (SELECT count(*) FROM blockers WHERE organization_id = %(organization_id)s
       AND (user_id = %(user_id)s OR owner_id = %(user_id)s)),
    (SELECT count(*) FROM cards WHERE organization_id = %(organization_id)s AND user_id = %(user_id)s),
    (SELECT count(*) FROM notifications WHERE organization_id = %(organization_id)s AND recipient_id = %(user_id)s),
    (SELECT count(*) FROM channel_messages WHERE organization_id = %(organization_id)s AND user_id = %(slack_id)s)

-- name: person_export_tasks
SELECT display_id, title, status, priority, due_date, task_type, size, weight, carry_forward_count, created_at, completed_at
FROM tasks WHERE organization_id = %(organization_id)s AND user_id = %(user_id)s ORDER BY 1

-- name: person_export_reminders
SELECT text, fire_at, recurrence, timezone, status, created_at
FROM reminders WHERE organization_id = %(organization_id)s AND user_id = %(user_id)s ORDER BY 1

-- name: person_export_mood_entries
SELECT score, note, local_date, recorded_at
FROM mood_entries WHERE organization_id = %(organization_id)s AND user_id = %(user_id)s ORDER BY 1

-- name: person_export_journals
SELECT body, local_date, created_at
FROM journals WHERE organization_id = %(organization_id)s AND user_id = %(user_id)s ORDER BY 1

-- name: person_export_thread_submissions
SELECT raw_text, is_late, created_at
FROM thread_submissions WHERE organization_id = %(organization_id)s AND user_id = %(user_id)s ORDER BY 1

-- name: person_export_ooo_records
SELECT start_date, end_date, reason, source, cancelled_at
FROM ooo_records WHERE organization_id = %(organization_id)s AND user_id = %(user_id)s ORDER BY 1

-- name: person_export_user_memory
SELECT key, value, source, created_at
FROM user_memory WHERE organization_id = %(organization_id)s AND user_id = %(user_id)s ORDER BY 1

-- name: person_export_flags
SELECT type, severity, status, title, created_at
FROM flags WHERE organization_id = %(organization_id)s AND user_id = %(user_id)s ORDER BY 1

-- name: person_export_blockers
SELECT b.description, t.display_id AS task, b.status, b.escalation_level, b.next_escalation_at, b.last_escalated_at,
       b.resolution_note, b.created_at, b.resolved_at, (b.owner_id = %(user_id)s AND b.user_id <> %(user_id)s) AS owned_for_someone
FROM blockers b LEFT JOIN tasks t ON t.organization_id = b.organization_id AND t.id = b.task_id
WHERE b.organization_id = %(organization_id)s AND (b.user_id = %(user_id)s OR b.owner_id = %(user_id)s) ORDER BY b.created_at

-- name: person_export_cards
SELECT color, rule, reason, status, created_at, expires_at
FROM cards WHERE organization_id = %(organization_id)s AND user_id = %(user_id)s ORDER BY 1

-- name: person_export_task_drafts
SELECT raw_text, status, created_at
FROM task_drafts WHERE organization_id = %(organization_id)s AND user_id = %(user_id)s ORDER BY 1

-- name: person_delete_channel_messages
DELETE FROM channel_messages WHERE organization_id = %(organization_id)s AND user_id = %(slack_id)s

-- name: person_delete_escalation_steps
-- The ladder records of the person's own blockers (the blockers go with the person), and the person taken out of
-- the list of who others' escalations reached.
WITH gone AS (
    DELETE FROM escalation_steps
    WHERE organization_id = %(organization_id)s AND subject_type = 'blocker'
      AND subject_id IN (SELECT id FROM blockers WHERE organization_id = %(organization_id)s AND user_id = %(user_id)s)
    RETURNING id
)
UPDATE escalation_steps SET told_user_ids = array_remove(told_user_ids, %(user_id)s::bigint)
WHERE organization_id = %(organization_id)s AND %(user_id)s::bigint = ANY(told_user_ids)
  AND id NOT IN (SELECT id FROM gone)

-- name: person_delete
DELETE FROM users WHERE organization_id = %(organization_id)s AND id = %(user_id)s
