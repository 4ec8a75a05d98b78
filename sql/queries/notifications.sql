-- The single outbound path (SPEC F11).

-- name: notification_insert
INSERT INTO notifications (organization_id, recipient_id, kind, urgent, dedupe_key, payload)
VALUES (%(organization_id)s, %(recipient_id)s, %(kind)s, %(urgent)s, %(dedupe_key)s, %(payload)s)
ON CONFLICT (dedupe_key) DO NOTHING
RETURNING id

-- name: delivery_insert
INSERT INTO notification_deliveries (organization_id, notification_id, target_type, target_id, thread_ts, status, next_attempt_at, not_before)
VALUES (%(organization_id)s, %(notification_id)s, %(target_type)s, %(target_id)s, %(thread_ts)s, %(status)s, %(next_attempt_at)s, %(not_before)s)
ON CONFLICT DO NOTHING
RETURNING id

-- name: delivery_claim
-- Due by %(as_of)s: the dispatcher's own now, or the instant a job run simulates. A retry (attempts > 0)
-- waits for its backoff or Slack's Retry-After on the real clock %(now)s, whatever instant is simulated.
-- Only deliveries of the organizations this process holds a bot token for (%(organization_ids)s).
UPDATE notification_deliveries d
SET status = 'sending', locked_at = %(now)s, attempts = d.attempts + 1
FROM notifications n
WHERE d.id IN (
    SELECT id FROM notification_deliveries
    WHERE status IN ('pending', 'held') AND next_attempt_at <= %(as_of)s
      AND (attempts = 0 OR next_attempt_at <= %(now)s)
      AND organization_id = ANY(%(organization_ids)s)
    ORDER BY next_attempt_at, id
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
)
AND n.id = d.notification_id
RETURNING d.id, d.target_type, d.target_id, d.thread_ts, d.attempts, n.payload, n.kind, n.organization_id

-- name: delivery_sent
UPDATE notification_deliveries
SET status = 'sent', slack_ts = %(slack_ts)s, sent_at = %(now)s, last_error = NULL
WHERE id = %(id)s

-- name: delivery_reschedule
UPDATE notification_deliveries
SET status = 'pending', next_attempt_at = %(next_attempt_at)s, last_error = %(error)s
WHERE id = %(id)s

-- name: delivery_failed
UPDATE notification_deliveries SET status = 'failed', last_error = %(error)s WHERE id = %(id)s

-- name: delivery_abandon_interrupted
-- A delivery left 'sending' by a dead process may or may not have reached Slack. Sending it
-- again could post it twice, so it is marked failed (and logged) rather than retried.
UPDATE notification_deliveries
SET status = 'failed', last_error = 'interrupted while sending; not resent to avoid a duplicate'
WHERE status = 'sending' AND locked_at < %(now)s - interval '5 minutes'
  AND organization_id = ANY(%(organization_ids)s)
RETURNING id

-- name: recipient_quiet_hours
-- The recipient's timezone and their organization's quiet hours (NULL when it has none).
SELECT coalesce(u.timezone, s.timezone, 'UTC'), s.quiet_hours_start, s.quiet_hours_end
FROM org_settings s
LEFT JOIN platform_identities pi ON pi.organization_id = s.organization_id AND pi.platform = 'slack'
                                 AND pi.external_id = %(slack_user_id)s
LEFT JOIN users u ON u.organization_id = pi.organization_id AND u.id = pi.user_id
WHERE s.organization_id = %(organization_id)s

-- name: delivery_states
-- What became of these notifications' deliveries, and of these deliveries (a job run's report: the ids
-- are the run's own). For a DM, the recipient's name and timezone, and their organization's quiet hours.
SELECT d.id, d.notification_id, n.organization_id, n.kind, d.target_type, d.target_id, d.thread_ts, d.status,
       d.slack_ts, d.next_attempt_at, d.sent_at, d.last_error, d.attempts,
       coalesce(nullif(u.display_name, ''), u.real_name) AS recipient_name,
       coalesce(u.timezone, s.timezone, 'UTC') AS timezone, s.quiet_hours_start, s.quiet_hours_end
FROM notification_deliveries d
JOIN notifications n ON n.organization_id = d.organization_id AND n.id = d.notification_id
JOIN org_settings s ON s.organization_id = d.organization_id
LEFT JOIN platform_identities pi ON d.target_type = 'dm' AND pi.organization_id = d.organization_id
                                 AND pi.platform = 'slack' AND pi.external_id = d.target_id
LEFT JOIN users u ON u.organization_id = pi.organization_id AND u.id = pi.user_id
WHERE d.notification_id = ANY(%(notification_ids)s) OR d.id = ANY(%(delivery_ids)s)
ORDER BY d.notification_id, d.id

-- name: notifications_reach_by_keys
-- When each of these notices reached (or, held or pending, will reach) its recipient: sent_at, else the
-- instant it is due; deliveries that failed or were cancelled reach nobody and are left out.
SELECT n.dedupe_key, min(coalesce(d.sent_at, d.next_attempt_at))
FROM notifications n
JOIN notification_deliveries d ON d.organization_id = n.organization_id AND d.notification_id = n.id
WHERE n.organization_id = %(organization_id)s AND n.dedupe_key = ANY(%(keys)s) AND d.status NOT IN ('failed', 'cancelled')
GROUP BY n.dedupe_key
