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
-- At most %(limit)s deliveries the dispatcher sends right away, each under a lease until %(lease_until)s
-- named %(token)s. Due by %(as_of)s: the dispatcher's own now, or the instant a job run simulates. A retry
-- (attempts > 0) waits for its backoff or Slack's Retry-After on the real clock %(now)s, whatever instant
-- is simulated. A delivery whose lease ran out by %(now)s (its dispatcher died) is claimed again; Slack may
-- already hold it, so unconfirmed_since keeps the earliest claim that may have reached Slack.
-- Only deliveries of the organizations this process holds a bot token for (%(organization_ids)s).
UPDATE notification_deliveries d
SET status = 'sending', locked_at = %(now)s, lease_until = %(lease_until)s, claim_token = %(token)s,
    attempts = d.attempts + 1,
    unconfirmed_since = CASE WHEN d.status = 'sending' THEN coalesce(d.unconfirmed_since, d.locked_at, %(now)s)
                             ELSE d.unconfirmed_since END
FROM notifications n
WHERE d.id IN (
    SELECT id FROM notification_deliveries
    WHERE ((status IN ('pending', 'held') AND next_attempt_at <= %(as_of)s AND (attempts = 0 OR next_attempt_at <= %(now)s))
           OR (status = 'sending' AND lease_until <= %(now)s))
      AND organization_id = ANY(%(organization_ids)s)
    ORDER BY next_attempt_at, id
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
)
AND n.id = d.notification_id
RETURNING d.id, d.target_type, d.target_id, d.thread_ts, d.attempts, n.payload, n.kind, n.organization_id,
          d.unconfirmed_since, d.slack_ts, d.slack_channel_id, d.files_sent, d.file_unconfirmed

-- name: delivery_renew
-- Extend the leases of these claims (pairs of id and claim token) to %(lease_until)s; the ids returned
-- are the claims still held (a claim that ran out and was taken by another dispatcher is not renewed).
UPDATE notification_deliveries d
SET lease_until = %(lease_until)s
FROM unnest(%(ids)s::bigint[], %(tokens)s::uuid[]) AS c (id, token)
WHERE d.id = c.id AND d.claim_token = c.token AND d.status = 'sending'
RETURNING d.id

-- name: delivery_sent
-- Slack has it: its ts and the conversation it is in (a DM's is the IM's D... id). Whoever learns it
-- first records it; a claim that was taken over by another dispatcher still records the real ts.
UPDATE notification_deliveries
SET status = 'sent', slack_ts = %(slack_ts)s, slack_channel_id = %(channel)s, sent_at = %(now)s,
    last_error = NULL, lease_until = NULL
WHERE id = %(id)s AND status <> 'sent'
RETURNING id

-- name: delivery_posted
-- The message of a delivery that carries files is in Slack (its ts and conversation); the delivery stays 'sending'
-- until its files are done too (delivery_file_started, delivery_file_done, then delivery_sent). Whoever learns the
-- ts first records it.
UPDATE notification_deliveries
SET slack_ts = %(slack_ts)s, slack_channel_id = %(channel)s, unconfirmed_since = NULL
WHERE id = %(id)s AND status <> 'sent' AND slack_ts IS NULL
RETURNING id

-- name: delivery_file_started
-- The upload of file number files_sent (from 0) of this claimed delivery begins: until delivery_file_done its
-- outcome is unknown. No row: the claim was lost (another dispatcher holds the delivery).
UPDATE notification_deliveries SET file_unconfirmed = true
WHERE id = %(id)s AND claim_token = %(token)s AND status = 'sending'
RETURNING id

-- name: delivery_file_done
-- The first %(files_sent)s files of this delivery are done (uploaded, found in the thread, or refused by Slack).
UPDATE notification_deliveries SET files_sent = %(files_sent)s, file_unconfirmed = false
WHERE id = %(id)s AND claim_token = %(token)s AND status = 'sending' AND files_sent < %(files_sent)s
RETURNING id

-- name: delivery_reschedule
-- Try again at %(next_attempt_at)s. %(unconfirmed)s: this claim may have reached Slack (no answer came), so
-- the next claim looks for it before posting.
UPDATE notification_deliveries
SET status = 'pending', next_attempt_at = %(next_attempt_at)s, last_error = %(error)s, lease_until = NULL,
    unconfirmed_since = CASE WHEN %(unconfirmed)s THEN coalesce(unconfirmed_since, locked_at) ELSE unconfirmed_since END
WHERE id = %(id)s AND claim_token = %(token)s AND status = 'sending'

-- name: delivery_failed
UPDATE notification_deliveries SET status = 'failed', last_error = %(error)s, lease_until = NULL
WHERE id = %(id)s AND claim_token = %(token)s AND status = 'sending'

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

-- name: slack_message_lock
-- Serializes every read-modify-write of one Slack message (a pressed button's message: read it back, replace one
-- block, chat.update) across processes, until the transaction ends: two presses on one message never lose each
-- other's change. Keyed by the message's channel and ts.
SELECT pg_advisory_xact_lock(hashtextextended('slack-message:' || %(channel)s || ':' || %(ts)s, 0))
