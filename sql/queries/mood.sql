-- Mood check-ins, journals and the low-mood flag (SPEC F8).

-- name: mood_upsert
-- One entry per person and day: a second answer replaces the first (never double counts).
INSERT INTO mood_entries (organization_id, user_id, score, note, recorded_at, local_date)
VALUES (%(organization_id)s, %(user_id)s, %(score)s, %(note)s, %(now)s, %(local_date)s)
ON CONFLICT (user_id, local_date) DO UPDATE
SET score = EXCLUDED.score, note = coalesce(EXCLUDED.note, mood_entries.note), recorded_at = EXCLUDED.recorded_at
RETURNING id

-- name: mood_set_note
UPDATE mood_entries SET note = %(note)s
WHERE organization_id = %(organization_id)s AND user_id = %(user_id)s AND local_date = %(local_date)s
RETURNING id

-- name: mood_recent
SELECT local_date, score FROM mood_entries
WHERE organization_id = %(organization_id)s AND user_id = %(user_id)s
ORDER BY local_date DESC
LIMIT %(limit)s

-- name: mood_of_day
SELECT score, note FROM mood_entries
WHERE organization_id = %(organization_id)s AND user_id = %(user_id)s AND local_date = %(local_date)s

-- name: mood_answered_on
SELECT user_id FROM mood_entries
WHERE organization_id = %(organization_id)s AND local_date = %(local_date)s AND user_id = ANY(%(user_ids)s)

-- name: mood_aggregate
-- Team mood as an aggregate only: who answered is counted, never listed.
SELECT count(DISTINCT user_id)::int, count(*)::int, avg(score)::float
FROM mood_entries
WHERE organization_id = %(organization_id)s AND user_id = ANY(%(user_ids)s)
  AND local_date >= %(from_date)s AND local_date <= %(to_date)s

-- name: team_of_manager
SELECT id FROM users WHERE organization_id = %(organization_id)s AND manager_id = %(manager_id)s AND active

-- name: team_of_org
SELECT id FROM users WHERE organization_id = %(organization_id)s AND active

-- name: low_mood_flag_open
SELECT 1 FROM flags
WHERE organization_id = %(organization_id)s AND user_id = %(user_id)s AND type = 'low_mood' AND status IN ('open', 'acknowledged')
LIMIT 1

-- name: flag_insert_rule
INSERT INTO flags (organization_id, user_id, type, severity, title, description, evidence, is_private, dedupe_key)
VALUES (%(organization_id)s, %(user_id)s, %(type)s, %(severity)s, %(title)s, %(description)s, %(evidence)s, true, %(dedupe_key)s)
ON CONFLICT (organization_id, dedupe_key) DO NOTHING
RETURNING id

-- name: admins_of_org
SELECT u.id, u.organization_id, pi.external_id AS slack_id, u.display_name, u.real_name, u.email, u.role,
       u.manager_id, u.timezone, u.active, u.created_at
FROM users u JOIN platform_identities pi ON pi.user_id = u.id AND pi.organization_id = u.organization_id AND pi.platform = 'slack'
WHERE u.organization_id = %(organization_id)s AND u.role = 'admin' AND u.active
ORDER BY u.id

-- name: journal_insert
INSERT INTO journals (organization_id, user_id, body, local_date)
VALUES (%(organization_id)s, %(user_id)s, %(body)s, %(local_date)s)
RETURNING id

-- name: journal_list
SELECT id, body, local_date, created_at FROM journals
WHERE organization_id = %(organization_id)s AND user_id = %(user_id)s
ORDER BY created_at DESC, id DESC
LIMIT %(limit)s
