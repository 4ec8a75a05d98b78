-- Escalation ladders (SPEC F6; bot/services/ladders.py).

-- name: ladders_of_org
SELECT blocker_ladder, overdue_ladder FROM org_settings WHERE organization_id = %(organization_id)s

-- name: ladder_set_blocker
UPDATE org_settings SET blocker_ladder = %(ladder)s, updated_at = now() WHERE organization_id = %(organization_id)s

-- name: ladder_set_overdue
UPDATE org_settings SET overdue_ladder = %(ladder)s, updated_at = now() WHERE organization_id = %(organization_id)s

-- name: project_ladders
SELECT id, name, overdue_escalation FROM projects
WHERE organization_id = %(organization_id)s AND status = 'active'
ORDER BY lower(name)

-- name: project_set_overdue_ladder
UPDATE projects SET overdue_escalation = %(ladder)s, updated_at = now()
WHERE organization_id = %(organization_id)s AND id = %(id)s

-- ------------------------------------------------------------------ climbing a ladder (bot/services/escalations.py)

-- name: escalation_admins
SELECT id FROM users WHERE organization_id = %(organization_id)s AND role = 'admin' AND active ORDER BY id

-- name: escalation_ramp_ups
-- People in ramp-up today (their own dates: the team's today is close enough for who to route to) and their buddy.
SELECT user_id, buddy_id FROM user_ramp_up
WHERE organization_id = %(organization_id)s AND starts_on <= %(today)s AND ends_on >= %(today)s

-- name: escalation_step_insert
INSERT INTO escalation_steps (organization_id, subject_type, subject_id, cycle, level, action, outcome, told_user_ids,
                              channel_id, reason, fired_at, created_at)
VALUES (%(organization_id)s, %(subject_type)s, %(subject_id)s, %(cycle)s, %(level)s, %(action)s, %(outcome)s, %(told)s,
        %(channel_id)s, %(reason)s, %(now)s, %(now)s)
ON CONFLICT (organization_id, subject_type, subject_id, cycle, level) DO NOTHING
RETURNING id

-- name: escalation_steps_link
UPDATE escalation_steps SET notification_id = %(notification_id)s
WHERE organization_id = %(organization_id)s AND id = ANY(%(ids)s)

-- name: escalation_messages
-- The escalation DMs Slack has that carried a subject's rungs (every cycle but %(keep_cycle)s), with the recipient's
-- zone and, for a flag rung, its flag: each item's buttons are replaced when the subject is settled elsewhere.
SELECT s.id, s.level, s.action, d.id, d.slack_channel_id, d.slack_ts, u.timezone, f.id
FROM escalation_steps s
JOIN notifications n ON n.organization_id = s.organization_id AND n.id = s.notification_id
JOIN notification_deliveries d ON d.organization_id = s.organization_id AND d.notification_id = s.notification_id
LEFT JOIN users u ON u.organization_id = s.organization_id AND u.id = n.recipient_id
LEFT JOIN flags f ON f.organization_id = s.organization_id AND s.action = 'flag'
     AND f.dedupe_key = CASE s.subject_type WHEN 'blocker' THEN 'blocker:' || s.subject_id || ':flag:' || s.level
                             ELSE 'overdue:' || s.subject_id || ':' || s.cycle || ':flag:' || s.level END
WHERE s.organization_id = %(organization_id)s AND s.subject_type = %(subject_type)s AND s.subject_id = %(subject_id)s
  AND s.cycle IS DISTINCT FROM %(keep_cycle)s::text AND s.outcome = 'sent'
  AND d.target_type = 'dm' AND d.status = 'sent' AND d.slack_ts IS NOT NULL AND d.slack_channel_id IS NOT NULL
ORDER BY s.id, d.id

-- name: escalation_told
-- Who heard of a subject through its ladder: people DMed, and each channel post with the ts Slack gave it.
SELECT s.told_user_ids, s.channel_id,
       (SELECT d.slack_ts FROM notification_deliveries d
        WHERE d.organization_id = s.organization_id AND d.notification_id = s.notification_id AND d.target_type = 'channel'
          AND d.target_id = s.channel_id AND d.status = 'sent' LIMIT 1)
FROM escalation_steps s
WHERE s.organization_id = %(organization_id)s AND s.subject_type = %(subject_type)s AND s.subject_id = %(subject_id)s
  AND s.outcome = 'sent' AND (%(action)s::text IS NULL OR s.action = %(action)s::text)
ORDER BY s.level

