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
    (SELECT count(*) FROM inquiry_threads WHERE organization_id = %(organization_id)s
       AND (user_id = %(user_id)s OR opened_by = %(user_id)s)),
    (SELECT count(*) FROM inquiry_messages WHERE organization_id = %(organization_id)s AND sender_id = %(user_id)s),
    (SELECT count(*) FROM blockers WHERE organization_id = %(organization_id)s
       AND (user_id = %(user_id)s OR owner_id = %(user_id)s)),
    (SELECT count(*) FROM cards WHERE organization_id = %(organization_id)s AND user_id = %(user_id)s),
    (SELECT count(*) FROM reinforcements WHERE organization_id = %(organization_id)s
       AND (user_id = %(user_id)s OR from_user_id = %(user_id)s)),
    (SELECT count(*) FROM interventions WHERE organization_id = %(organization_id)s
       AND (user_id = %(user_id)s OR helped_user_id = %(user_id)s)),
    (SELECT count(*) FROM notifications WHERE organization_id = %(organization_id)s AND recipient_id = %(user_id)s),
    (SELECT count(*) FROM channel_messages WHERE organization_id = %(organization_id)s AND user_id = %(slack_id)s),
    (SELECT count(*) FROM dashboard_sessions WHERE organization_id = %(organization_id)s AND user_id = %(user_id)s)
      + (SELECT count(*) FROM dashboard_login_attempts WHERE organization_id = %(organization_id)s AND user_id = %(user_id)s)

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

-- name: person_export_inquiry_threads
-- That an inquiry exists, its two people, status and size: never its words (an admin receives the export).
SELECT i.id AS inquiry, f.type AS flag_type, (i.user_id = %(user_id)s) AS about_them, o.external_id AS opened_by,
       s.external_id AS with_person, i.status, i.created_at, i.closed_at,
       (SELECT count(*) FROM inquiry_messages m WHERE m.organization_id = i.organization_id AND m.thread_id = i.id) AS messages
FROM inquiry_threads i
LEFT JOIN flags f ON f.organization_id = i.organization_id AND f.id = i.flag_id
LEFT JOIN platform_identities o ON o.organization_id = i.organization_id AND o.user_id = i.opened_by AND o.platform = 'slack'
LEFT JOIN platform_identities s ON s.organization_id = i.organization_id AND s.user_id = i.user_id AND s.platform = 'slack'
WHERE i.organization_id = %(organization_id)s AND (i.user_id = %(user_id)s OR i.opened_by = %(user_id)s)
ORDER BY i.created_at

-- name: person_export_blockers
SELECT b.description, t.display_id AS task, b.status, b.escalation_level, b.next_escalation_at, b.last_escalated_at,
       b.resolution_note, b.created_at, b.resolved_at, (b.owner_id = %(user_id)s AND b.user_id <> %(user_id)s) AS owned_for_someone
FROM blockers b LEFT JOIN tasks t ON t.organization_id = b.organization_id AND t.id = b.task_id
WHERE b.organization_id = %(organization_id)s AND (b.user_id = %(user_id)s OR b.owner_id = %(user_id)s) ORDER BY b.created_at

-- name: person_export_cards
SELECT color, rule, reason, status, created_at, expires_at
FROM cards WHERE organization_id = %(organization_id)s AND user_id = %(user_id)s ORDER BY 1

-- name: person_export_reinforcements
-- Kudos they gave or got, and the recognition Steward told them.
SELECT r.kind, r.reason, r.details, (r.from_user_id = %(user_id)s) AS given_by_them, pi.external_id AS to_person,
       r.created_at
FROM reinforcements r
JOIN platform_identities pi ON pi.organization_id = r.organization_id AND pi.user_id = r.user_id AND pi.platform = 'slack'
WHERE r.organization_id = %(organization_id)s AND (r.user_id = %(user_id)s OR r.from_user_id = %(user_id)s)
ORDER BY r.created_at

-- name: person_export_interventions
-- Help they gave or were given (/helped, thanks in a standup update), and whether it was confirmed.
SELECT i.description, i.minutes, i.status, (i.user_id = %(user_id)s) AS given_by_them, i.occurred_at, i.confirmed_at
FROM interventions i
WHERE i.organization_id = %(organization_id)s AND (i.user_id = %(user_id)s OR i.helped_user_id = %(user_id)s)
ORDER BY i.occurred_at

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
