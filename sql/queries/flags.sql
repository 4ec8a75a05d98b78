-- Flags and private inquiries (bot/services/flags.py, bot/services/inquiries.py). Every query is scoped to one
-- organization. Inquiry message bodies are read by no query here but the relay's own insert: nobody reads them back
-- through Steward (the two people have them in their DMs).

-- name: flag_by_id
SELECT f.id, f.organization_id, f.user_id, f.type, f.severity, f.status, f.title, f.description, f.evidence, f.is_private,
       f.task_id, f.raised_by, f.resolved_by, f.resolved_at, f.note, f.created_at,
       pi.external_id AS person_slack_id, t.display_id AS task_display_id,
       i.id AS inquiry_id, i.status AS inquiry_status, i.opened_by AS inquiry_opened_by
FROM flags f
JOIN platform_identities pi ON pi.organization_id = f.organization_id AND pi.user_id = f.user_id AND pi.platform = 'slack'
LEFT JOIN tasks t ON t.organization_id = f.organization_id AND t.id = f.task_id
LEFT JOIN LATERAL (SELECT id, status, opened_by FROM inquiry_threads
                   WHERE organization_id = f.organization_id AND flag_id = f.id
                   ORDER BY status = 'open' DESC, id DESC LIMIT 1) i ON true
WHERE f.organization_id = %(organization_id)s AND f.id = %(id)s

-- name: flags_visible
-- Flags a person may see: everyone's for an admin; those about anyone below them in the reporting line; their own
-- unless private (a private flag, such as low mood, is for the manager). Open ones first, then those closed since.
WITH RECURSIVE below AS (
    SELECT id FROM users WHERE organization_id = %(organization_id)s AND manager_id = %(viewer)s
    UNION
    SELECT u.id FROM users u JOIN below ON u.manager_id = below.id WHERE u.organization_id = %(organization_id)s
)
SELECT f.id, f.organization_id, f.user_id, f.type, f.severity, f.status, f.title, f.description, f.evidence, f.is_private,
       f.task_id, f.raised_by, f.resolved_by, f.resolved_at, f.note, f.created_at,
       pi.external_id AS person_slack_id, t.display_id AS task_display_id,
       i.id AS inquiry_id, i.status AS inquiry_status, i.opened_by AS inquiry_opened_by
FROM flags f
JOIN platform_identities pi ON pi.organization_id = f.organization_id AND pi.user_id = f.user_id AND pi.platform = 'slack'
LEFT JOIN tasks t ON t.organization_id = f.organization_id AND t.id = f.task_id
LEFT JOIN LATERAL (SELECT id, status, opened_by FROM inquiry_threads
                   WHERE organization_id = f.organization_id AND flag_id = f.id
                   ORDER BY status = 'open' DESC, id DESC LIMIT 1) i ON true
WHERE f.organization_id = %(organization_id)s
  AND (%(admin)s OR f.user_id IN (SELECT id FROM below) OR (f.user_id = %(viewer)s AND NOT f.is_private))
  AND (f.status IN ('open', 'acknowledged') OR f.resolved_at >= %(closed_since)s)
ORDER BY f.status IN ('resolved', 'dismissed'), f.created_at DESC, f.id DESC
LIMIT %(limit)s

-- name: person_is_below
-- Whether a person is below someone in the reporting line (their manager, that manager's manager, ...).
WITH RECURSIVE up AS (
    SELECT manager_id FROM users WHERE organization_id = %(organization_id)s AND id = %(person)s
    UNION
    SELECT u.manager_id FROM users u JOIN up ON u.id = up.manager_id WHERE u.organization_id = %(organization_id)s
)
SELECT EXISTS (SELECT 1 FROM up WHERE manager_id = %(actor)s)

-- name: flag_insert
INSERT INTO flags (organization_id, user_id, type, severity, title, description, evidence, task_id, raised_by, is_private,
                   dedupe_key, created_at, updated_at)
VALUES (%(organization_id)s, %(user_id)s, %(type)s, %(severity)s, %(title)s, %(description)s, %(evidence)s, %(task_id)s,
        %(raised_by)s, %(private)s, %(dedupe_key)s, %(now)s, %(now)s)
ON CONFLICT (organization_id, dedupe_key) DO NOTHING
RETURNING id

-- name: flag_close
UPDATE flags SET status = %(status)s, resolved_by = %(by)s, resolved_at = %(now)s, note = %(note)s, updated_at = %(now)s
WHERE organization_id = %(organization_id)s AND id = %(id)s AND status IN ('open', 'acknowledged')
RETURNING id

-- name: flags_close_for_cause
-- A ladder's flags (raised by a rule, dedupe key under the prefix) still open, resolved: their cause went.
UPDATE flags SET status = 'resolved', resolved_by = %(by)s, resolved_at = %(now)s, note = %(note)s, updated_at = %(now)s
WHERE organization_id = %(organization_id)s AND raised_by IS NULL AND dedupe_key LIKE %(prefix)s || '%%'
  AND status IN ('open', 'acknowledged')
RETURNING id

-- name: flag_acknowledge
UPDATE flags SET status = 'acknowledged', updated_at = %(now)s
WHERE organization_id = %(organization_id)s AND id = %(id)s AND status = 'open'

-- name: flags_unnotified
-- Flags whose card has not gone out (raised by a rule inside a sweep), claimed. Uses flags_unnotified_idx.
SELECT id FROM flags
WHERE organization_id = %(organization_id)s AND notified_at IS NULL
ORDER BY id
LIMIT %(limit)s
FOR UPDATE SKIP LOCKED

-- name: flag_mark_notified
UPDATE flags SET notified_at = %(now)s WHERE organization_id = %(organization_id)s AND id = %(id)s

-- ------------------------------------------------------------------ inquiries

-- name: inquiry_by_id
SELECT i.id, i.organization_id, i.flag_id, i.user_id, i.opened_by, i.subject, i.status, i.user_channel_id,
       i.user_thread_ts, i.manager_channel_id, i.manager_thread_ts, i.closed_at, i.closed_by, i.created_at
FROM inquiry_threads i
WHERE i.organization_id = %(organization_id)s AND i.id = %(id)s

-- name: inquiry_open_of_flag
SELECT id FROM inquiry_threads WHERE organization_id = %(organization_id)s AND flag_id = %(flag_id)s AND status = 'open'

-- name: inquiry_by_thread
-- The inquiry a DM thread belongs to (the manager's or the person's side), the latest when several match.
SELECT i.id, i.organization_id, i.flag_id, i.user_id, i.opened_by, i.subject, i.status, i.user_channel_id,
       i.user_thread_ts, i.manager_channel_id, i.manager_thread_ts, i.closed_at, i.closed_by, i.created_at
FROM inquiry_threads i
WHERE i.organization_id = %(organization_id)s
  AND ((i.manager_channel_id = %(channel_id)s AND i.manager_thread_ts = %(thread_ts)s)
       OR (i.user_channel_id = %(channel_id)s AND i.user_thread_ts = %(thread_ts)s))
ORDER BY i.id DESC
LIMIT 1

-- name: inquiry_insert
INSERT INTO inquiry_threads (organization_id, flag_id, user_id, opened_by, subject, status, created_at, updated_at)
VALUES (%(organization_id)s, %(flag_id)s, %(user_id)s, %(opened_by)s, %(subject)s, 'open', %(now)s, %(now)s)
ON CONFLICT (organization_id, flag_id) WHERE status = 'open' DO NOTHING
RETURNING id

-- name: inquiry_set_manager_thread
UPDATE inquiry_threads SET manager_channel_id = %(channel_id)s, manager_thread_ts = %(thread_ts)s
WHERE organization_id = %(organization_id)s AND id = %(id)s

-- name: inquiry_set_user_thread
UPDATE inquiry_threads SET user_channel_id = %(channel_id)s, user_thread_ts = %(thread_ts)s
WHERE organization_id = %(organization_id)s AND id = %(id)s

-- name: inquiry_close
UPDATE inquiry_threads SET status = 'closed', closed_at = %(now)s, closed_by = %(by)s, updated_at = %(now)s
WHERE organization_id = %(organization_id)s AND id = %(id)s AND status = 'open'
RETURNING id

-- name: inquiries_awaiting_reply
-- The person's open inquiries whose manager wrote to them since %(since)s, latest first: a message the person writes
-- in the DM itself (not in a thread) may be meant for one of them (bot/listeners/flags.py asks).
SELECT i.id, i.opened_by, max(m.created_at) AS last_at
FROM inquiry_threads i
JOIN inquiry_messages m ON m.organization_id = i.organization_id AND m.thread_id = i.id AND m.sender_role = 'manager'
WHERE i.organization_id = %(organization_id)s AND i.user_id = %(user_id)s AND i.status = 'open'
  AND i.manager_thread_ts IS NOT NULL AND i.user_thread_ts IS NOT NULL
GROUP BY i.id, i.opened_by
HAVING max(m.created_at) >= %(since)s
ORDER BY last_at DESC
LIMIT %(limit)s

-- name: inquiry_message_insert
INSERT INTO inquiry_messages (organization_id, thread_id, sender_id, sender_role, body, slack_ts, created_at)
VALUES (%(organization_id)s, %(thread_id)s, %(sender_id)s, %(sender_role)s, %(body)s, %(slack_ts)s, %(now)s)
ON CONFLICT (organization_id, thread_id, sender_role, slack_ts) WHERE slack_ts IS NOT NULL DO NOTHING
RETURNING id

-- name: inquiry_message_unrelayed
-- A message stored before but whose relay did not go through (Slack refused, the process stopped): sent again.
SELECT id FROM inquiry_messages
WHERE organization_id = %(organization_id)s AND thread_id = %(thread_id)s AND sender_role = %(sender_role)s
  AND slack_ts = %(slack_ts)s AND relayed_ts IS NULL

-- name: inquiry_message_relayed
UPDATE inquiry_messages SET relayed_ts = %(relayed_ts)s WHERE organization_id = %(organization_id)s AND id = %(id)s

-- name: inquiry_message_count
SELECT count(*)::int FROM inquiry_messages WHERE organization_id = %(organization_id)s AND thread_id = %(thread_id)s

-- name: people_below
-- Everyone below a person in the reporting line (their reports, their reports' reports, ...).
WITH RECURSIVE below AS (
    SELECT id FROM users WHERE organization_id = %(organization_id)s AND manager_id = %(viewer)s
    UNION
    SELECT u.id FROM users u JOIN below ON u.manager_id = below.id WHERE u.organization_id = %(organization_id)s
)
SELECT id FROM below
