-- Recognition and invisible labour (bot/services/kudos.py, bot/services/interventions.py,
-- bot/services/reinforcement.py). Every query is scoped to one organization.

-- name: kudos_channel_get
SELECT kudos_channel_id FROM org_settings WHERE organization_id = %(organization_id)s

-- name: kudos_channel_set
UPDATE org_settings SET kudos_channel_id = %(channel_id)s, updated_at = now() WHERE organization_id = %(organization_id)s

-- name: kudos_giver_lock
-- One giver's kudos are decided one at a time (the daily limit is a count, then an insert).
SELECT pg_advisory_xact_lock(hashtextextended('kudos:' || %(organization_id)s::text || ':' || %(giver)s::text, 0))

-- name: kudos_given_between
-- How many kudos the giver gave in [since, until), and how many of them to the receiver.
SELECT count(*) AS given, count(*) FILTER (WHERE user_id = %(receiver)s) AS to_receiver
FROM reinforcements
WHERE organization_id = %(organization_id)s AND kind = 'kudos' AND from_user_id = %(giver)s
  AND created_at >= %(since)s AND created_at < %(until)s

-- name: reinforcement_insert
-- Once per dedupe key: nothing is returned when the key was used.
INSERT INTO reinforcements (organization_id, user_id, from_user_id, kind, reason, details, dedupe_key, channel_id, created_at)
VALUES (%(organization_id)s, %(user_id)s, %(from_user_id)s, %(kind)s, %(reason)s, %(details)s, %(dedupe_key)s,
        %(channel_id)s, %(now)s)
ON CONFLICT (organization_id, dedupe_key) DO NOTHING
RETURNING id

-- name: reinforcement_keys
-- Which of these dedupe keys were used (automatic recognition is issued once per key).
SELECT dedupe_key FROM reinforcements WHERE organization_id = %(organization_id)s AND dedupe_key = ANY(%(keys)s)

-- name: intervention_insert
INSERT INTO interventions (organization_id, user_id, helped_user_id, kind, description, minutes, source, occurred_at,
                           logged_by, status, confirmed_at, confirmed_by, dedupe_key, created_at)
VALUES (%(organization_id)s, %(user_id)s, %(helped_user_id)s, %(kind)s, %(description)s, %(minutes)s, %(source)s,
        %(now)s, %(logged_by)s, %(status)s, %(confirmed_at)s, %(confirmed_by)s, %(dedupe_key)s, %(now)s)
ON CONFLICT (organization_id, dedupe_key) DO NOTHING
RETURNING id

-- name: intervention_by_id
SELECT i.id, i.organization_id, i.user_id, i.helped_user_id, i.description, i.minutes, i.source, i.status,
       i.occurred_at, i.confirmed_at, i.confirmed_by, i.logged_by,
       hp.external_id AS helper_slack_id, hd.external_id AS helped_slack_id
FROM interventions i
JOIN platform_identities hp ON hp.organization_id = i.organization_id AND hp.user_id = i.user_id AND hp.platform = 'slack'
LEFT JOIN platform_identities hd ON hd.organization_id = i.organization_id AND hd.user_id = i.helped_user_id
     AND hd.platform = 'slack'
WHERE i.organization_id = %(organization_id)s AND i.id = %(id)s

-- name: intervention_by_key
SELECT id FROM interventions WHERE organization_id = %(organization_id)s AND dedupe_key = %(dedupe_key)s

-- name: intervention_decide
-- A pending intervention confirmed or declined by the person it helped; nothing when it was decided before.
UPDATE interventions
SET status = %(status)s::text,
    confirmed_at = CASE WHEN %(status)s::text = 'confirmed' THEN %(now)s::timestamptz END,
    confirmed_by = CASE WHEN %(status)s::text = 'confirmed' THEN %(actor)s::bigint END,
    declined_at = CASE WHEN %(status)s::text = 'declined' THEN %(now)s::timestamptz END
WHERE organization_id = %(organization_id)s AND id = %(id)s AND status = 'pending'
RETURNING id

-- name: credited_interventions
-- Confirmed interventions that happened in [since, until), oldest first: what reports credit to each helper.
SELECT i.id, i.user_id, i.helped_user_id, i.description, i.minutes, i.occurred_at, i.confirmed_at, i.source
FROM interventions i
WHERE i.organization_id = %(organization_id)s AND i.status = 'confirmed'
  AND i.occurred_at >= %(since)s AND i.occurred_at < %(until)s
ORDER BY i.occurred_at, i.id
