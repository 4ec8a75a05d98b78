-- Cards (bot/services/cards.py; issue 14).

-- name: card_settings
SELECT card_rules, cards_mode, cards_started_at FROM org_settings WHERE organization_id = %(organization_id)s

-- name: card_rules_set
UPDATE org_settings SET card_rules = %(card_rules)s, updated_at = now() WHERE organization_id = %(organization_id)s

-- name: card_mode_set
UPDATE org_settings SET cards_mode = %(cards_mode)s, updated_at = now() WHERE organization_id = %(organization_id)s

-- name: card_insert
-- One card per breach: a dedupe key already used inserts nothing.
INSERT INTO cards (organization_id, user_id, color, rule, reason, evidence, dedupe_key, expires_at, shadow, created_at,
                   updated_at)
VALUES (%(organization_id)s, %(user_id)s, %(color)s, %(rule)s, %(reason)s, %(evidence)s, %(dedupe_key)s,
        %(expires_at)s, %(shadow)s, %(now)s, %(now)s)
ON CONFLICT (organization_id, dedupe_key) DO NOTHING
RETURNING id

-- name: card_mark_notified
UPDATE cards SET notified_at = %(now)s WHERE organization_id = %(organization_id)s AND id = %(id)s

-- name: cards_recent
-- The cards of these people issued since a moment (the red rule's window), with the red that counted each yellow.
SELECT c.id, c.user_id, c.color, c.status, c.shadow, c.created_at, c.expires_at,
       (SELECT r.id FROM cards r WHERE r.organization_id = c.organization_id AND r.user_id = c.user_id
          AND r.color = 'red' AND r.evidence -> 'cards' @> to_jsonb(c.id) LIMIT 1) AS counted_by
FROM cards c
WHERE c.organization_id = %(organization_id)s AND c.created_at >= %(since)s

-- name: cards_expire
-- Cards whose time is up; each is audit-logged as expired by the caller (RETURNING).
UPDATE cards SET status = 'expired', updated_at = %(now)s
WHERE organization_id = %(organization_id)s AND expires_at <= %(now)s
  AND status IN ('active', 'acknowledged', 'appealed', 'upheld')
RETURNING id, user_id

-- name: card_by_id
SELECT c.id, c.organization_id, c.user_id, c.color, c.rule, c.reason, c.evidence, c.status, c.shadow, c.issued_by,
       c.acknowledged_at, c.appealed_at, c.appeal_text, c.revoked_by, c.revoked_at, c.revoke_reason, c.decided_by,
       c.decided_at, c.decision_reason, c.expires_at, c.created_at, pi.external_id AS person_slack_id
FROM cards c
JOIN platform_identities pi ON pi.organization_id = c.organization_id AND pi.user_id = c.user_id AND pi.platform = 'slack'
WHERE c.organization_id = %(organization_id)s AND c.id = %(id)s

-- name: cards_visible
-- /cards: the viewer's own (not shadow), everyone below them (not shadow), everyone's with shadow ones for admins.
WITH RECURSIVE below AS (
    SELECT id FROM users WHERE organization_id = %(organization_id)s AND manager_id = %(viewer)s
    UNION
    SELECT u.id FROM users u JOIN below ON u.manager_id = below.id WHERE u.organization_id = %(organization_id)s
)
SELECT c.id, c.organization_id, c.user_id, c.color, c.rule, c.reason, c.evidence, c.status, c.shadow, c.issued_by,
       c.acknowledged_at, c.appealed_at, c.appeal_text, c.revoked_by, c.revoked_at, c.revoke_reason, c.decided_by,
       c.decided_at, c.decision_reason, c.expires_at, c.created_at, pi.external_id AS person_slack_id
FROM cards c
JOIN platform_identities pi ON pi.organization_id = c.organization_id AND pi.user_id = c.user_id AND pi.platform = 'slack'
WHERE c.organization_id = %(organization_id)s
  AND (%(admin)s OR (NOT c.shadow AND (c.user_id = %(viewer)s OR c.user_id IN (SELECT id FROM below))))
  AND c.created_at >= %(since)s
ORDER BY (c.status IN ('active', 'acknowledged', 'appealed', 'upheld')) DESC, c.created_at DESC, c.id DESC
LIMIT %(limit)s

-- name: card_acknowledge
UPDATE cards SET status = 'acknowledged', acknowledged_at = %(now)s, updated_at = %(now)s
WHERE organization_id = %(organization_id)s AND id = %(id)s AND status = 'active'
RETURNING id

-- name: card_appeal
UPDATE cards SET status = 'appealed', appealed_at = %(now)s, appeal_text = %(reason)s, updated_at = %(now)s
WHERE organization_id = %(organization_id)s AND id = %(id)s AND status IN ('active', 'acknowledged')
  AND appealed_at IS NULL
RETURNING id

-- name: card_uphold
UPDATE cards SET status = 'upheld', decided_by = %(by)s, decided_at = %(now)s, decision_reason = %(reason)s,
                 updated_at = %(now)s
WHERE organization_id = %(organization_id)s AND id = %(id)s AND status = 'appealed'
RETURNING id

-- name: card_revoke
-- An appeal's Revoke, or a manager revoking an active card (status in the allowed ones).
UPDATE cards SET status = 'revoked', revoked_by = %(by)s, revoked_at = %(now)s, revoke_reason = %(reason)s,
                 decided_by = CASE WHEN status = 'appealed' THEN %(by)s ELSE decided_by END,
                 decided_at = CASE WHEN status = 'appealed' THEN %(now)s ELSE decided_at END,
                 decision_reason = CASE WHEN status = 'appealed' THEN %(reason)s ELSE decision_reason END,
                 updated_at = %(now)s
WHERE organization_id = %(organization_id)s AND id = %(id)s AND status = ANY(%(from_statuses)s)
RETURNING id

-- name: cards_carried_tasks
-- Open tasks of the organization carried forward since a date, with the dates they were carried and whether an
-- open blocker is on them (the carry rule).
SELECT t.id, t.user_id, t.display_id, t.title, array_agg(s.status_date ORDER BY s.status_date) AS carried_on,
       EXISTS (SELECT 1 FROM blockers b WHERE b.organization_id = t.organization_id AND b.task_id = t.id
               AND b.status = 'open') AS blocked
FROM task_statuses s
JOIN tasks t ON t.organization_id = s.organization_id AND t.id = s.task_id
WHERE s.organization_id = %(organization_id)s AND s.status = 'carry_forward' AND s.status_date >= %(since)s
  AND t.status NOT IN ('done', 'dropped') AND t.user_id IS NOT NULL
GROUP BY t.id, t.user_id, t.display_id, t.title, t.organization_id

-- name: cards_overdue_tasks
-- Open tasks past their due date (due since a date), with the dates after it that their owner's update mentioned
-- them: planned, created or done in a reply (thread_submissions.parsed's task ids), or named by T-number. Only the
-- submissions of the window's threads are read (see attendance_updates), joined to the tasks by owner.
WITH overdue AS (
    SELECT t.id, t.user_id, t.display_id, t.title, t.due_date FROM tasks t
    WHERE t.organization_id = %(organization_id)s AND t.status NOT IN ('done', 'dropped') AND t.user_id IS NOT NULL
      AND t.due_date < %(today)s AND t.due_date >= %(since)s
), recent AS (
    SELECT s.user_id, d.day, s.parsed, s.raw_text FROM morning_threads mt
    JOIN thread_submissions s ON s.organization_id = mt.organization_id AND s.morning_thread_id = mt.id
    CROSS JOIN LATERAL unnest(s.update_dates) AS d(day)
    WHERE mt.organization_id = %(organization_id)s AND mt.thread_date BETWEEN %(since)s::date - 7 AND %(today)s
      AND d.day BETWEEN %(since)s AND %(today)s
)
SELECT o.id, o.user_id, o.display_id, o.title, o.due_date,
       coalesce(array_agg(DISTINCT r.day) FILTER (WHERE r.day IS NOT NULL), '{}') AS mentioned_on
FROM overdue o
LEFT JOIN recent r ON r.user_id = o.user_id AND r.day > o.due_date
     AND (r.parsed -> 'tasks' @> to_jsonb(o.id) OR r.raw_text ~* ('(^|[^A-Za-z0-9-])' || o.display_id || '([^0-9]|$)'))
GROUP BY o.id, o.user_id, o.display_id, o.title, o.due_date

-- name: cards_carded_days
-- (person, day) for every day already in the evidence of a yellow card (any rule, any status): one day, one card.
-- Days are ISO dates in evidence.days; a card holding a day since a date was issued after it.
SELECT c.user_id, d.day
FROM cards c CROSS JOIN LATERAL jsonb_array_elements_text(c.evidence -> 'days') AS d(day)
WHERE c.organization_id = %(organization_id)s AND c.color = 'yellow' AND c.created_at >= %(since)s
  AND d.day >= %(since)s::text

-- name: cards_carded_tasks
-- (task id, when its last card was issued) for every task that gave a card (carry or overdue, any status): one task,
-- one card (only a new due date after it can make it overdue again).
SELECT (c.evidence ->> 'task_id')::bigint, max(c.created_at)
FROM cards c
WHERE c.organization_id = %(organization_id)s AND c.color = 'yellow' AND c.evidence ? 'task_id'
GROUP BY 1

-- name: cards_existing_keys
-- Which of these breaches already have their card (cards_organization_id_dedupe_key_key).
SELECT dedupe_key FROM cards WHERE organization_id = %(organization_id)s AND dedupe_key = ANY(%(keys)s)

-- name: cards_manages_anyone
-- Whether anyone (still in the workspace) reports to this person: /cards names revoking only to those who can.
SELECT 1 FROM users WHERE organization_id = %(organization_id)s AND manager_id = %(id)s AND active LIMIT 1

-- name: card_copies_sent
-- The copies of a card Slack has in the DMs of everyone but its person (their managers', or admins' for a shadow card),
-- with each recipient's zone: once the card is decided, each copy's Revoke button becomes the decision.
SELECT n.id, d.id, d.slack_channel_id, d.slack_ts, u.timezone
FROM notifications n
JOIN notification_deliveries d ON d.organization_id = n.organization_id AND d.notification_id = n.id
JOIN users u ON u.organization_id = n.organization_id AND u.id = n.recipient_id
WHERE n.organization_id = %(organization_id)s AND n.kind = ANY(%(kinds)s) AND n.dedupe_key LIKE %(key_prefix)s
  AND n.recipient_id IS DISTINCT FROM %(person_id)s
  AND d.target_type = 'dm' AND d.status = 'sent' AND d.slack_ts IS NOT NULL AND d.slack_channel_id IS NOT NULL
ORDER BY d.id
