-- The durable event inbox: every Slack envelope is stored here before it is acked.

-- name: inbox_store
INSERT INTO event_inbox (event_key, kind, team_id, payload)
VALUES (%(event_key)s, %(kind)s, %(team_id)s, %(payload)s)
ON CONFLICT (event_key) DO NOTHING
RETURNING id

-- name: inbox_claim
-- Pending rows whose time has come, and rows whose worker died mid-way (lease expired); only those of the
-- Slack teams this process holds a bot token for (%(team_ids)s; NULL: every team), and rows naming no team.
UPDATE event_inbox e
SET status = 'processing', locked_at = now(), attempts = e.attempts + 1
WHERE e.id IN (
    SELECT id FROM event_inbox
    WHERE ((status = 'pending' AND next_attempt_at <= now())
           OR (status = 'processing' AND locked_at < now() - make_interval(secs => %(lease_seconds)s)))
      AND (%(team_ids)s::text[] IS NULL OR team_id IS NULL OR team_id = ANY(%(team_ids)s::text[]))
    ORDER BY id
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
)
RETURNING e.id, e.event_key, e.kind, e.team_id, e.payload, e.attempts

-- name: inbox_done
UPDATE event_inbox SET status = 'done', processed_at = now(), last_error = %(error)s WHERE id = %(id)s

-- name: inbox_retry
UPDATE event_inbox
SET status = 'pending', next_attempt_at = now() + make_interval(secs => %(delay_seconds)s), last_error = %(error)s
WHERE id = %(id)s

-- name: inbox_dead
UPDATE event_inbox SET status = 'dead', processed_at = now(), last_error = %(error)s WHERE id = %(id)s

-- name: inbox_depth
SELECT count(*) FILTER (WHERE status IN ('pending', 'processing')) AS waiting,
       count(*) FILTER (WHERE status = 'dead') AS dead
FROM event_inbox
