-- The manager dashboard (issue 17, SPEC F18): sign-in, sessions and what its pages read.


-- ---------------------------------------------------------------- sign-in (before anyone is known)

-- name: dashboard_accounts
-- The accounts a login names: an email (any case) or a Slack user id, in every organization (nobody is signed in
-- yet, so no organization is known), or in the one workspace ``team_id`` names when the sign-in link carried it.
SELECT u.id, u.organization_id, u.role, u.active, u.password_hash, u.must_change_password, u.password_set_at,
       u.one_time_password_used_at
FROM users u
JOIN platform_identities pi ON pi.organization_id = u.organization_id AND pi.user_id = u.id AND pi.platform = 'slack'
WHERE (lower(u.email) = lower(%(login)s) OR pi.external_id = upper(%(login)s))
  AND (%(team_id)s::text IS NULL OR EXISTS (
        SELECT 1 FROM platform_connections pc
        WHERE pc.organization_id = u.organization_id AND pc.platform = 'slack' AND pc.external_team_id = %(team_id)s))
ORDER BY u.organization_id, u.id
LIMIT 20

-- name: dashboard_sign_in_lock
-- One sign-in's advisory transaction lock on ``key`` (its login, its address, each account it names), so reading
-- the limits and recording the attempt are one step for every request naming any of them.
SELECT pg_advisory_xact_lock(hashtextextended(%(key)s, 0))

-- name: dashboard_login_failures
-- Failed sign-ins since ``since`` from ``address`` or naming the account: the login typed, or one of the accounts
-- (``org_ids``/``user_ids``, pairwise) it resolves to; newest first, with whether each names the account. The
-- buckets are counted by bot/services/dashboard_auth.py. 'checking' is an attempt whose password is being verified,
-- a failure until known not to be (sql/migrations/0022_dashboard_sign_in.sql). No bucket grows past its limit plus
-- the attempts in flight (a locked attempt is recorded as 'locked', not as a failure), hence the LIMIT.
SELECT created_at, address,
       (login = %(login)s OR (organization_id, user_id) IN (
            SELECT * FROM unnest(%(org_ids)s::bigint[], %(user_ids)s::bigint[]))) AS names_account
FROM dashboard_login_attempts
WHERE created_at > %(since)s
  AND outcome IN ('checking', 'wrong_password', 'unknown_login', 'member', 'wrong_current')
  AND (address = %(address)s OR login = %(login)s OR (organization_id, user_id) IN (
            SELECT * FROM unnest(%(org_ids)s::bigint[], %(user_ids)s::bigint[])))
ORDER BY created_at DESC, id DESC
LIMIT 1000

-- name: dashboard_lockout_recorded
-- Whether a lockout of this login from this address was already recorded since ``since`` (one security event per
-- lock, not one per refused request: a burst cannot flood the security log).
SELECT EXISTS (SELECT 1 FROM dashboard_login_attempts
               WHERE login = %(login)s AND address = %(address)s AND outcome = 'locked' AND created_at > %(since)s)

-- name: dashboard_login_attempt_insert
INSERT INTO dashboard_login_attempts (organization_id, user_id, login, address, outcome, created_at)
VALUES (%(organization_id)s, %(user_id)s, %(login)s, %(address)s, %(outcome)s, %(now)s)
RETURNING id

-- name: dashboard_login_attempt_outcome
-- The outcome of an attempt recorded as 'checking', once its password has been verified.
UPDATE dashboard_login_attempts SET outcome = %(outcome)s
WHERE id = %(id)s AND outcome = 'checking'

-- name: dashboard_set_password
UPDATE users SET password_hash = %(password_hash)s, must_change_password = %(must_change)s, password_set_at = %(now)s,
       one_time_password_used_at = NULL, updated_at = now()
WHERE organization_id = %(organization_id)s AND id = %(user_id)s

-- name: dashboard_spend_one_time_password
-- The first sign-in with a one-time password spends it (only one of two parallel ones gets the row back).
UPDATE users SET one_time_password_used_at = %(now)s
WHERE organization_id = %(organization_id)s AND id = %(user_id)s AND must_change_password
  AND one_time_password_used_at IS NULL AND password_hash = %(password_hash)s
RETURNING id

-- name: dashboard_password_of
SELECT password_hash, must_change_password, password_set_at, one_time_password_used_at FROM users
WHERE organization_id = %(organization_id)s AND id = %(user_id)s

-- name: dashboard_mark_login
UPDATE users SET last_login_at = %(now)s WHERE organization_id = %(organization_id)s AND id = %(user_id)s


-- ---------------------------------------------------------------- sessions

-- name: dashboard_session_insert
INSERT INTO dashboard_sessions (organization_id, user_id, token_sha256, csrf_token, address, last_seen_at, created_at)
VALUES (%(organization_id)s, %(user_id)s, %(token_sha256)s, %(csrf_token)s, %(address)s, %(now)s, %(now)s)
RETURNING id

-- name: dashboard_session_get
-- The session a cookie names by its id (the cookie is all that is known of the browser), with its person's role
-- and state now: a role changed or an account deactivated since sign-in counts at once.
SELECT s.id, s.organization_id, s.user_id, s.token_sha256, s.csrf_token, s.last_seen_at, s.ended_at,
       u.role, u.active, u.must_change_password
FROM dashboard_sessions s
JOIN users u ON u.organization_id = s.organization_id AND u.id = s.user_id
WHERE s.id = %(id)s

-- name: dashboard_session_touch
UPDATE dashboard_sessions SET last_seen_at = %(now)s
WHERE organization_id = %(organization_id)s AND id = %(id)s AND ended_at IS NULL

-- name: dashboard_session_end
UPDATE dashboard_sessions SET ended_at = %(now)s
WHERE organization_id = %(organization_id)s AND id = %(id)s AND ended_at IS NULL

-- name: dashboard_session_flash_set
UPDATE dashboard_sessions SET flash = %(flash)s
WHERE organization_id = %(organization_id)s AND id = %(id)s AND ended_at IS NULL

-- name: dashboard_session_flash_take
-- The session's message for its next page, cleared as it is read (a reload does not show it again).
WITH taken AS (
    SELECT id, flash FROM dashboard_sessions
    WHERE organization_id = %(organization_id)s AND id = %(id)s AND flash IS NOT NULL
    FOR UPDATE
)
UPDATE dashboard_sessions s SET flash = NULL
FROM taken
WHERE s.organization_id = %(organization_id)s AND s.id = taken.id
RETURNING taken.flash

-- name: dashboard_sessions_end_others
-- A password change (or a new one-time password) ends the person's other sessions.
UPDATE dashboard_sessions SET ended_at = %(now)s
WHERE organization_id = %(organization_id)s AND user_id = %(user_id)s AND ended_at IS NULL
  AND id IS DISTINCT FROM %(keep_id)s::bigint


-- ---------------------------------------------------------------- pages

-- name: dashboard_mood_weeks
-- Team mood per closed week (Monday) of the people in ``user_ids``: how many people answered and, only where at
-- least ``min_people`` did, the average of each person's mean for the week (one person, one weight; SPEC F8: never a
-- figure that could identify someone; computed here so a smaller group's average never leaves the database). A
-- week closes when its Sunday has ended everywhere, on Monday 12:00 UTC (bot/services/dashboard.py); an answer
-- recorded after that is not counted, so a week's figure never changes once shown.
WITH means AS (
    SELECT date_trunc('week', local_date)::date AS week, user_id, avg(score) AS mean
    FROM mood_entries
    WHERE organization_id = %(organization_id)s AND user_id = ANY(%(user_ids)s)
      AND local_date BETWEEN %(since)s AND %(until)s
      AND recorded_at < ((date_trunc('week', local_date)::date + 7) + time '12:00') AT TIME ZONE 'UTC'
    GROUP BY 1, 2
)
SELECT week, count(*)::int AS people,
       CASE WHEN count(*) >= %(min_people)s THEN avg(mean)::float8 END AS average
FROM means
GROUP BY 1
ORDER BY 1

-- name: dashboard_security_events
-- Security events of the organization, newest first, optionally of one event type and one threat level, one page
-- (``limit`` from ``offset``), with the address the event names (sign-in events keep it in details) and how many
-- match in all.
SELECT s.id, s.created_at, s.event_type, s.threat_level, s.description, s.external_user_id, u.display_name,
       left(s.details->>'address', 64), count(*) OVER ()::int
FROM security_audit_logs s
LEFT JOIN users u ON u.organization_id = s.organization_id AND u.id = s.user_id
WHERE s.organization_id = %(organization_id)s
  AND (%(event_type)s::text IS NULL OR s.event_type = %(event_type)s)
  AND (%(threat_level)s::text IS NULL OR s.threat_level = %(threat_level)s)
ORDER BY s.created_at DESC, s.id DESC
LIMIT %(limit)s OFFSET %(offset)s

-- name: dashboard_security_event_types
SELECT DISTINCT event_type FROM security_audit_logs WHERE organization_id = %(organization_id)s ORDER BY 1

-- name: dashboard_board_tasks
-- The board's tasks: open ones, and those done since ``done_since``, of the people in ``user_ids`` (NULL: the
-- whole organization's, unassigned ones included), in display order.
SELECT t.id, t.display_id, t.title, t.status, t.stage_id, t.user_id, u.display_name AS owner_name,
       u.manager_id AS owner_manager_id, t.due_date
FROM tasks t
LEFT JOIN users u ON u.organization_id = t.organization_id AND u.id = t.user_id
WHERE t.organization_id = %(organization_id)s AND t.status <> 'dropped'
  AND (t.status <> 'done' OR t.completed_at > %(done_since)s)
  AND (%(user_ids)s::bigint[] IS NULL OR t.user_id = ANY(%(user_ids)s))
ORDER BY t.display_number
LIMIT %(limit)s

-- name: dashboard_inquiries
-- The private inquiries about the people in ``user_ids``: that each exists, its status and size, never its words.
SELECT i.id, i.flag_id, i.user_id, i.opened_by, i.status, i.created_at, i.closed_at,
       (SELECT count(*) FROM inquiry_messages m WHERE m.organization_id = i.organization_id AND m.thread_id = i.id)::int
FROM inquiry_threads i
WHERE i.organization_id = %(organization_id)s AND i.user_id = ANY(%(user_ids)s)
ORDER BY i.created_at DESC
LIMIT %(limit)s

-- name: dashboard_team_of
SELECT external_team_id FROM platform_connections
WHERE organization_id = %(organization_id)s AND platform = 'slack'
ORDER BY id LIMIT 1
