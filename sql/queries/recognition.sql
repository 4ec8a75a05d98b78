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

-- name: reinforcement_tasks_done
-- How many tasks each of these people has done, and when their 10th, 50th and 100th were done (milestones).
SELECT user_id, count(*) AS done,
       (array_agg(coalesce(completed_at, created_at) ORDER BY coalesce(completed_at, created_at), id))[10] AS at_10,
       (array_agg(coalesce(completed_at, created_at) ORDER BY coalesce(completed_at, created_at), id))[50] AS at_50,
       (array_agg(coalesce(completed_at, created_at) ORDER BY coalesce(completed_at, created_at), id))[100] AS at_100
FROM tasks
WHERE organization_id = %(organization_id)s AND status = 'done' AND user_id = ANY(%(user_ids)s)
GROUP BY user_id

-- name: reinforcement_week
-- Per person, the closes of their planned tasks in [monday, sunday] (task_statuses), how many were carried forward
-- and how many done, and how many of their plan items of those days are not closed yet.
SELECT u.id AS user_id,
       (SELECT count(*) FROM task_statuses s WHERE s.organization_id = u.organization_id AND s.user_id = u.id
          AND s.status_date BETWEEN %(monday)s AND %(sunday)s) AS closed,
       (SELECT count(*) FROM task_statuses s WHERE s.organization_id = u.organization_id AND s.user_id = u.id
          AND s.status_date BETWEEN %(monday)s AND %(sunday)s AND s.status = 'carry_forward') AS carried,
       (SELECT count(*) FROM task_statuses s WHERE s.organization_id = u.organization_id AND s.user_id = u.id
          AND s.status_date BETWEEN %(monday)s AND %(sunday)s AND s.status = 'done') AS done,
       (SELECT count(*) FROM day_plan_items p WHERE p.organization_id = u.organization_id AND p.user_id = u.id
          AND p.plan_date BETWEEN %(monday)s AND %(sunday)s AND p.closed_at IS NULL) AS still_open
FROM users u
WHERE u.organization_id = %(organization_id)s AND u.id = ANY(%(user_ids)s)

-- name: reinforcement_blockers_resolved
-- Blockers resolved in [since, until] by someone other than the blocked person: who resolved, for whom, on what.
SELECT b.id, b.resolved_by, b.user_id, pi.external_id AS blocked_slack_id, t.display_id, b.description
FROM blockers b
JOIN platform_identities pi ON pi.organization_id = b.organization_id AND pi.user_id = b.user_id AND pi.platform = 'slack'
LEFT JOIN tasks t ON t.organization_id = b.organization_id AND t.id = b.task_id
WHERE b.organization_id = %(organization_id)s AND b.status = 'resolved' AND b.resolved_by IS NOT NULL
  AND b.resolved_by <> b.user_id AND b.resolved_at >= %(since)s AND b.resolved_at <= %(until)s
ORDER BY b.resolved_at, b.id

-- name: reinforcement_first_thread
-- The date of the organization's first posted morning thread: nobody was asked before it.
SELECT min(thread_date) FROM morning_threads
WHERE organization_id = %(organization_id)s AND status IN ('posted', 'closed') AND thread_ts IS NOT NULL

-- name: kudos_by_notice_delivery
-- The kudos a notice delivery was for (its notice's dedupe key is kudos.notice:<org>:<kudos id>), with the giver's
-- and the receiver's Slack ids: what to do when the notice could not be delivered.
SELECT r.id, r.reason, r.channel_id, g.external_id AS giver_slack_id, p.external_id AS receiver_slack_id,
       r.from_user_id, r.user_id
FROM notification_deliveries d
JOIN notifications n ON n.id = d.notification_id
JOIN reinforcements r ON r.organization_id = n.organization_id AND r.kind = 'kudos'
     AND n.dedupe_key IN ('kudos.notice:' || n.organization_id || ':' || r.id,
                          'kudos.notice.dm:' || n.organization_id || ':' || r.id)
JOIN platform_identities g ON g.organization_id = r.organization_id AND g.user_id = r.from_user_id AND g.platform = 'slack'
JOIN platform_identities p ON p.organization_id = r.organization_id AND p.user_id = r.user_id AND p.platform = 'slack'
WHERE d.id = %(delivery_id)s AND d.organization_id = %(organization_id)s

-- name: kudos_fell_back_to_dm
-- A kudos whose channel post failed: it is now the person's DM (channel_id cleared), and says why.
UPDATE reinforcements SET channel_id = NULL, details = details || %(details)s
WHERE organization_id = %(organization_id)s AND id = %(id)s

-- name: kudos_undelivered
-- A kudos that reached nobody is not a kudos given: it is removed, so it uses none of the giver's allowance.
DELETE FROM reinforcements WHERE organization_id = %(organization_id)s AND id = %(id)s AND kind = 'kudos'

-- name: recognition_feed
-- What the weekly report's recognition feed lists: these people's recognitions (kudos, streaks, milestones) recorded
-- in [since, until), oldest first, with the giver's name for kudos.
SELECT r.kind, r.user_id, u.display_name AS name, g.display_name AS from_name, r.reason, r.created_at
FROM reinforcements r
JOIN users u ON u.organization_id = r.organization_id AND u.id = r.user_id
LEFT JOIN users g ON g.organization_id = r.organization_id AND g.id = r.from_user_id
WHERE r.organization_id = %(organization_id)s AND r.user_id = ANY(%(user_ids)s)
  AND r.kind IN ('kudos', 'streak', 'milestone')
  AND r.created_at >= %(since)s AND r.created_at < %(until)s
ORDER BY r.created_at, r.id
