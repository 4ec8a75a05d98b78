-- The durable event inbox: every Slack envelope is stored here before it is acked.

-- name: inbox_store
INSERT INTO event_inbox (event_key, kind, team_id, payload)
VALUES (%(event_key)s, %(kind)s, %(team_id)s, %(payload)s)
ON CONFLICT (event_key) DO NOTHING
RETURNING id

-- name: inbox_claim
-- Pending rows whose time has come, and rows whose worker died mid-way (lease expired: a live worker
-- renews its lease every few seconds with inbox_heartbeat); only those of the Slack teams this process holds
-- a bot token for (%(team_ids)s; NULL: every team), and rows naming no team. A reclaimed row is `uncertain`:
-- its worker may have died between a Slack post and its record, so the next attempt looks before posting again.
WITH picked AS (
    SELECT id, status = 'processing' AS reclaimed FROM event_inbox
    WHERE ((status = 'pending' AND next_attempt_at <= now())
           OR (status = 'processing' AND locked_at < now() - make_interval(secs => %(lease_seconds)s)
               AND id <> ALL(%(mine)s::bigint[])))  -- never a row this worker is still handling
      AND (%(team_ids)s::text[] IS NULL OR team_id IS NULL OR team_id = ANY(%(team_ids)s::text[]))
    ORDER BY id
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
)
UPDATE event_inbox e
SET status = 'processing', locked_at = now(), attempts = e.attempts + 1, uncertain = e.uncertain OR picked.reclaimed
FROM picked
WHERE e.id = picked.id
RETURNING e.id, e.event_key, e.kind, e.team_id, e.payload, e.attempts, e.uncertain

-- name: inbox_heartbeat
-- The worker still holds these rows: their lease starts again.
UPDATE event_inbox SET locked_at = now() WHERE id = ANY(%(ids)s) AND status = 'processing'

-- name: inbox_release
-- A stopping worker hands back rows it holds (status 'processing') without finishing them, due at once, so the
-- next worker need not wait out their lease: rows it never started lose the attempt their claim counted
-- (%(started)s false); rows whose handling was cut short may have reached Slack, so the next attempt looks first.
UPDATE event_inbox
SET status = 'pending', next_attempt_at = now(), locked_at = NULL,
    attempts = CASE WHEN %(started)s THEN attempts ELSE greatest(attempts - 1, 0) END,
    uncertain = uncertain OR %(started)s, last_error = %(error)s
WHERE id = ANY(%(ids)s) AND status = 'processing'

-- name: inbox_done
UPDATE event_inbox SET status = 'done', processed_at = now(), last_error = %(error)s WHERE id = %(id)s

-- name: inbox_retry
UPDATE event_inbox
SET status = 'pending', next_attempt_at = now() + make_interval(secs => %(delay_seconds)s), last_error = %(error)s,
    uncertain = uncertain OR %(uncertain)s
WHERE id = %(id)s

-- name: inbox_dead
UPDATE event_inbox SET status = 'dead', processed_at = now(), last_error = %(error)s WHERE id = %(id)s

-- name: inbox_depth
SELECT count(*) FILTER (WHERE status IN ('pending', 'processing')) AS waiting,
       count(*) FILTER (WHERE status = 'dead') AS dead
FROM event_inbox

-- name: inbox_settle_late
-- A slash command or interaction Steward could not store within Slack's 3 s (so never acknowledged): a
-- row committed all the same that no worker has touched is expired, never run. Returns the row's status
-- ('expired': it will not run; 'processing', 'done', 'dead', or 'pending' after an attempt: it ran or
-- runs), or nothing when it was never stored.
WITH expired AS (
    UPDATE event_inbox SET status = 'expired', processed_at = now(), last_error = %(error)s
    WHERE event_key = %(event_key)s AND status = 'pending' AND attempts = 0
    RETURNING status
)
SELECT status FROM expired
UNION ALL
SELECT status FROM event_inbox WHERE event_key = %(event_key)s AND NOT EXISTS (SELECT 1 FROM expired)

-- name: inbox_effects_of
-- What an earlier attempt at this inbox row already did (see inbox_effect_record).
SELECT effect, result FROM inbox_effects WHERE inbox_id = %(inbox_id)s

-- name: inbox_effect_record
-- One effect of handling an inbox row, done: in the transaction of a database effect (a second worker
-- doing the same effect at the same moment fails on the unique key and its transaction rolls back).
INSERT INTO inbox_effects (inbox_id, effect, result) VALUES (%(inbox_id)s, %(effect)s, %(result)s)

-- name: inbox_effect_posted
-- A Slack post of handling an inbox row, accepted by Slack (its channel and ts).
INSERT INTO inbox_effects (inbox_id, effect, result) VALUES (%(inbox_id)s, %(effect)s, %(result)s)
ON CONFLICT (inbox_id, effect) DO NOTHING
