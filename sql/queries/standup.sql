-- The daily rhythm (SPEC F4, F5): settings, morning threads, submissions, the day's plan,
-- out of office and the day's close.

-- name: rhythm_settings
SELECT timezone, standup_channel_id, workdays, holidays, morning_time, use_member_local_time, nudge_delay_minutes,
       manager_summary_delay_minutes, end_of_day_time, mood_checkin_enabled, mood_checkin_time, quiet_hours_start,
       quiet_hours_end, holiday_country
FROM org_settings WHERE organization_id = %(organization_id)s

-- name: standup_channel_of_org
SELECT standup_channel_id FROM org_settings WHERE organization_id = %(organization_id)s

-- name: rhythm_update
-- Only the settings named in %(changed)s change; the others keep their value.
UPDATE org_settings SET
    timezone = CASE WHEN 'timezone' = ANY(%(changed)s::text[]) THEN %(timezone)s::text ELSE timezone END,
    standup_channel_id = CASE WHEN 'standup_channel_id' = ANY(%(changed)s::text[]) THEN %(standup_channel_id)s::text ELSE standup_channel_id END,
    workdays = CASE WHEN 'workdays' = ANY(%(changed)s::text[]) THEN %(workdays)s::smallint[] ELSE workdays END,
    holidays = CASE WHEN 'holidays' = ANY(%(changed)s::text[]) THEN %(holidays)s::date[] ELSE holidays END,
    morning_time = CASE WHEN 'morning_time' = ANY(%(changed)s::text[]) THEN %(morning_time)s::time ELSE morning_time END,
    use_member_local_time = CASE WHEN 'use_member_local_time' = ANY(%(changed)s::text[]) THEN %(use_member_local_time)s::boolean ELSE use_member_local_time END,
    nudge_delay_minutes = CASE WHEN 'nudge_delay_minutes' = ANY(%(changed)s::text[]) THEN %(nudge_delay_minutes)s::integer ELSE nudge_delay_minutes END,
    manager_summary_delay_minutes = CASE WHEN 'manager_summary_delay_minutes' = ANY(%(changed)s::text[]) THEN %(manager_summary_delay_minutes)s::integer ELSE manager_summary_delay_minutes END,
    end_of_day_time = CASE WHEN 'end_of_day_time' = ANY(%(changed)s::text[]) THEN %(end_of_day_time)s::time ELSE end_of_day_time END,
    mood_checkin_enabled = CASE WHEN 'mood_checkin_enabled' = ANY(%(changed)s::text[]) THEN %(mood_checkin_enabled)s::boolean ELSE mood_checkin_enabled END,
    mood_checkin_time = CASE WHEN 'mood_checkin_time' = ANY(%(changed)s::text[]) THEN %(mood_checkin_time)s::time ELSE mood_checkin_time END
WHERE organization_id = %(organization_id)s

-- name: rhythm_organizations
SELECT o.id FROM organizations o
WHERE o.active AND EXISTS (SELECT 1 FROM platform_connections pc WHERE pc.organization_id = o.id AND pc.status = 'active')
ORDER BY o.id

-- name: rhythm_default_channel
UPDATE org_settings s
SET standup_channel_id = %(channel_id)s,
    timezone = CASE WHEN s.timezone = 'UTC' THEN coalesce(
        (SELECT u.timezone FROM users u WHERE u.organization_id = s.organization_id AND u.role = 'admin' AND u.active
         ORDER BY u.id LIMIT 1), 'UTC') ELSE s.timezone END
WHERE s.organization_id = %(organization_id)s AND s.standup_channel_id IS NULL

-- name: team_domain_of_org
SELECT team_domain FROM platform_connections WHERE organization_id = %(organization_id)s AND platform = 'slack' LIMIT 1

-- name: active_users_by_slack_ids
SELECT u.id, u.organization_id, pi.external_id AS slack_id, u.display_name, u.real_name, u.email, u.role,
       u.manager_id, u.timezone, u.active, u.created_at
FROM platform_identities pi JOIN users u ON u.id = pi.user_id AND u.organization_id = pi.organization_id
WHERE pi.organization_id = %(organization_id)s AND pi.platform = 'slack' AND pi.external_id = ANY(%(slack_ids)s) AND u.active
ORDER BY u.display_name, u.id

-- name: users_by_ids
SELECT u.id, u.organization_id, pi.external_id AS slack_id, u.display_name, u.real_name, u.email, u.role,
       u.manager_id, u.timezone, u.active, u.created_at
FROM users u JOIN platform_identities pi ON pi.user_id = u.id AND pi.organization_id = u.organization_id AND pi.platform = 'slack'
WHERE u.organization_id = %(organization_id)s AND u.id = ANY(%(user_ids)s)
ORDER BY u.display_name, u.id

-- name: active_users_of_org
SELECT u.id, u.organization_id, pi.external_id AS slack_id, u.display_name, u.real_name, u.email, u.role,
       u.manager_id, u.timezone, u.active, u.created_at, u.locale, u.date_order
FROM users u JOIN platform_identities pi ON pi.user_id = u.id AND pi.organization_id = u.organization_id AND pi.platform = 'slack'
WHERE u.organization_id = %(organization_id)s AND u.active
ORDER BY u.display_name, u.id

-- ------------------------------------------------------------------ morning threads

-- name: thread_insert
-- Unique on (organization, channel, date): a second process or a re-run inserts nothing.
-- created_at is the job's clock: nudge and check-in times count from it, not from when the post got through.
INSERT INTO morning_threads (organization_id, channel_id, thread_date, status, participant_ids, created_at)
VALUES (%(organization_id)s, %(channel_id)s, %(thread_date)s, 'scheduled', %(participant_ids)s, %(now)s)
ON CONFLICT (organization_id, channel_id, thread_date) DO NOTHING
RETURNING id

-- name: thread_exists
SELECT 1 FROM morning_threads
WHERE organization_id = %(organization_id)s AND channel_id = %(channel_id)s AND thread_date = %(thread_date)s

-- name: threads_sync_posted
-- The thread is posted by the notification dispatcher; copy its ts once it has been sent.
UPDATE morning_threads mt
SET thread_ts = d.slack_ts, status = 'posted', posted_at = coalesce(d.sent_at, now())
FROM notifications n JOIN notification_deliveries d ON d.notification_id = n.id
WHERE mt.status = 'scheduled'
  AND (%(organization_id)s::bigint IS NULL OR mt.organization_id = %(organization_id)s)
  AND n.dedupe_key = 'standup.thread:' || mt.organization_id || ':' || mt.channel_id || ':' || to_char(mt.thread_date, 'YYYY-MM-DD')
  AND d.status = 'sent' AND d.slack_ts IS NOT NULL
RETURNING mt.id

-- name: threads_mark_failed
UPDATE morning_threads mt
SET status = 'failed'
FROM notifications n JOIN notification_deliveries d ON d.notification_id = n.id
WHERE mt.status = 'scheduled'
  AND (%(organization_id)s::bigint IS NULL OR mt.organization_id = %(organization_id)s)
  AND n.dedupe_key = 'standup.thread:' || mt.organization_id || ':' || mt.channel_id || ':' || to_char(mt.thread_date, 'YYYY-MM-DD')
  AND d.status = 'failed'
RETURNING mt.id

-- name: thread_by_ts
SELECT id, organization_id, channel_id, thread_date, thread_ts, status, posted_at, participant_ids, created_at
FROM morning_threads
WHERE organization_id = %(organization_id)s AND channel_id = %(channel_id)s AND thread_ts = %(thread_ts)s

-- name: thread_pending_in_channel
SELECT id FROM morning_threads
WHERE organization_id = %(organization_id)s AND channel_id = %(channel_id)s AND status = 'scheduled'
LIMIT 1

-- name: thread_by_id
SELECT id, organization_id, channel_id, thread_date, thread_ts, status, posted_at, participant_ids, created_at
FROM morning_threads WHERE organization_id = %(organization_id)s AND id = %(id)s

-- name: threads_recent
-- Threads whose day may still need nudges, summaries, check-ins or its close.
SELECT id, organization_id, channel_id, thread_date, thread_ts, status, posted_at, participant_ids, created_at
FROM morning_threads
WHERE organization_id = %(organization_id)s AND thread_date >= %(since)s AND status IN ('posted', 'closed')
ORDER BY thread_date, id

-- name: thread_latest_posted_for_date
SELECT id, organization_id, channel_id, thread_date, thread_ts, status, posted_at, participant_ids, created_at
FROM morning_threads
WHERE organization_id = %(organization_id)s AND thread_date = %(thread_date)s AND status IN ('posted', 'closed')
ORDER BY posted_at DESC NULLS LAST, id DESC
LIMIT 1

-- name: thread_next_after
SELECT id, organization_id, channel_id, thread_date, thread_ts, status, posted_at, participant_ids, created_at
FROM morning_threads
WHERE organization_id = %(organization_id)s AND thread_date > %(thread_date)s AND status IN ('scheduled', 'posted')
ORDER BY thread_date, id
LIMIT 1

-- name: notifications_existing
-- Which of these notices were already queued (so a minute's tick skips them without a write).
SELECT dedupe_key FROM notifications WHERE organization_id = %(organization_id)s AND dedupe_key = ANY(%(keys)s)

-- name: thread_mark_nudged
UPDATE morning_threads SET nudges_sent_at = coalesce(nudges_sent_at, %(now)s)
WHERE organization_id = %(organization_id)s AND id = %(id)s

-- name: thread_mark_summarised
UPDATE morning_threads SET summary_sent_at = coalesce(summary_sent_at, %(now)s)
WHERE organization_id = %(organization_id)s AND id = %(id)s

-- name: threads_close_through
UPDATE morning_threads SET status = 'closed', closed_at = %(now)s
WHERE organization_id = %(organization_id)s AND status = 'posted' AND thread_date < %(before)s

-- name: thread_submitter_ids
-- Who has posted their update for the thread's day: a reply in it, or an update recorded elsewhere for that
-- date (written before the thread was up, in the previous day's thread, by DM or in the channel).
SELECT DISTINCT user_id FROM thread_submissions
WHERE organization_id = %(organization_id)s AND update_dates @> ARRAY[%(thread_date)s::date]

-- name: update_posted
-- Has the person posted their update for this date (anywhere: see thread_submitter_ids)?
SELECT EXISTS (SELECT 1 FROM thread_submissions WHERE organization_id = %(organization_id)s AND user_id = %(user_id)s
               AND update_dates @> ARRAY[%(day)s::date])

-- name: threads_submitter_ids
-- (thread, person) for everyone who has posted their update for any of these threads' days: a reply in
-- the thread, or an update recorded elsewhere for its date (see thread_submitter_ids).
SELECT DISTINCT t.id, s.user_id FROM morning_threads t
JOIN thread_submissions s ON s.organization_id = t.organization_id AND s.update_dates @> ARRAY[t.thread_date]
WHERE t.organization_id = %(organization_id)s AND t.id = ANY(%(thread_ids)s)

-- ------------------------------------------------------------------ submissions

-- name: submission_upsert
-- Locks the person's submission row for the rest of the transaction (one reply at a time).
INSERT INTO thread_submissions (organization_id, morning_thread_id, user_id, raw_text, is_late, message_ts)
VALUES (%(organization_id)s, %(thread_id)s, %(user_id)s, '', %(is_late)s, %(message_ts)s)
ON CONFLICT (morning_thread_id, user_id) DO UPDATE SET updated_at = now()
RETURNING id, coalesce(parsed, '{}'::jsonb), is_late

-- name: submission_save
UPDATE thread_submissions
SET raw_text = %(raw_text)s, parsed = %(parsed)s, parsed_at = %(now)s, update_dates = %(update_dates)s::date[],
    message_ts = coalesce(message_ts, %(message_ts)s),
    edited_at = CASE WHEN %(edited)s THEN %(now)s ELSE edited_at END
WHERE id = %(id)s

-- name: submission_get
SELECT s.id, s.morning_thread_id, s.user_id, coalesce(s.parsed, '{}'::jsonb), s.is_late, mt.thread_date
FROM thread_submissions s JOIN morning_threads mt ON mt.organization_id = s.organization_id AND mt.id = s.morning_thread_id
WHERE s.organization_id = %(organization_id)s AND s.id = %(id)s
FOR UPDATE OF s

-- name: submission_for_message
-- The submission holding one message of a person's (a reply, a DM or a channel post), by the message's ts.
SELECT s.id FROM thread_submissions s
WHERE s.organization_id = %(organization_id)s AND s.user_id = %(user_id)s AND s.parsed -> 'messages' ? %(message_ts)s
ORDER BY s.id DESC LIMIT 1

-- name: submission_owner
SELECT user_id FROM thread_submissions WHERE organization_id = %(organization_id)s AND id = %(id)s

-- name: submission_delete
DELETE FROM thread_submissions WHERE organization_id = %(organization_id)s AND id = %(id)s

-- name: submission_of_user_for_date
SELECT s.id, s.is_late, s.created_at FROM thread_submissions s JOIN morning_threads mt ON mt.id = s.morning_thread_id
WHERE s.organization_id = %(organization_id)s AND s.user_id = %(user_id)s AND mt.thread_date = %(thread_date)s
ORDER BY s.id DESC LIMIT 1

-- name: submission_entry_set
-- Where Steward answered one message (and showed it, for a DM): merged into that message's entry.
UPDATE thread_submissions
SET parsed = jsonb_set(parsed, ARRAY['messages', %(message_ts)s], (parsed -> 'messages' -> %(message_ts)s) || %(fields)s::jsonb)
WHERE organization_id = %(organization_id)s AND id = %(id)s AND parsed -> 'messages' ? %(message_ts)s

-- ------------------------------------------------------------------ tasks, as the rhythm sees them

-- name: open_tasks_of_users
SELECT t.id, t.user_id, t.display_id, t.title, t.carry_forward_count, t.due_date, t.status
FROM tasks t
WHERE t.organization_id = %(organization_id)s AND t.user_id = ANY(%(user_ids)s) AND t.status NOT IN ('done', 'dropped')
ORDER BY t.user_id, t.carry_forward_count DESC, t.due_date NULLS LAST, t.display_number

-- name: tasks_by_numbers
SELECT id, display_number FROM tasks WHERE organization_id = %(organization_id)s AND display_number = ANY(%(numbers)s)

-- name: task_delete_untouched
-- A task a reply created and the reply no longer mentions: removed if nothing happened to it since.
DELETE FROM tasks
WHERE organization_id = %(organization_id)s AND id = %(id)s AND status = 'pending' AND source = 'thread'
  AND NOT EXISTS (SELECT 1 FROM task_statuses s WHERE s.task_id = tasks.id)
RETURNING display_id

-- name: task_rename
UPDATE tasks SET title = %(title)s WHERE organization_id = %(organization_id)s AND id = %(id)s

-- name: task_reopen
UPDATE tasks SET status = %(status)s, completed_at = NULL, stage_id = coalesce(%(stage_id)s, stage_id)
WHERE organization_id = %(organization_id)s AND id = %(id)s AND status = 'done'

-- ------------------------------------------------------------------ the day's plan

-- name: plan_insert
INSERT INTO day_plan_items (organization_id, user_id, task_id, plan_date, source, submission_id, message_ts)
VALUES (%(organization_id)s, %(user_id)s, %(task_id)s, %(plan_date)s, %(source)s, %(submission_id)s, %(message_ts)s)
ON CONFLICT (task_id, plan_date) DO NOTHING
RETURNING id

-- name: plan_remove_for_message
-- An edited or undone reply: its plan rows that are no longer wanted (never carried ones, never answered ones).
DELETE FROM day_plan_items
WHERE organization_id = %(organization_id)s AND submission_id = %(submission_id)s AND message_ts = %(message_ts)s
  AND source = 'submission' AND answer IS NULL AND closed_at IS NULL AND NOT (task_id = ANY(%(keep)s))

-- name: plan_seed_carried
-- Tasks carried forward on an earlier day come back on the next day's plan.
INSERT INTO day_plan_items (organization_id, user_id, task_id, plan_date, source)
SELECT t.organization_id, t.user_id, t.id, %(plan_date)s, 'carried'
FROM tasks t
WHERE t.organization_id = %(organization_id)s AND t.user_id = ANY(%(user_ids)s) AND t.status NOT IN ('done', 'dropped')
  AND (SELECT s.status FROM task_statuses s WHERE s.task_id = t.id AND s.status_date < %(plan_date)s
       ORDER BY s.status_date DESC LIMIT 1) = 'carry_forward'
ON CONFLICT (task_id, plan_date) DO NOTHING

-- name: plan_of_user
SELECT p.id, p.task_id, t.display_id, t.title, t.status, t.carry_forward_count, p.source, p.answer, p.answer_reason,
       p.answered_at, p.closed_at, p.plan_date, p.reopen_status, p.reopen_stage_id
FROM day_plan_items p JOIN tasks t ON t.id = p.task_id AND t.organization_id = p.organization_id
WHERE p.organization_id = %(organization_id)s AND p.user_id = %(user_id)s AND p.plan_date = %(plan_date)s
ORDER BY t.display_number

-- name: plan_people_for_date
SELECT DISTINCT user_id FROM day_plan_items
WHERE organization_id = %(organization_id)s AND plan_date = %(plan_date)s

-- name: plan_open_people_for_dates
-- (person, date) with a task still open (not closed) on that day's plan, for any of these dates.
SELECT DISTINCT user_id, plan_date FROM day_plan_items
WHERE organization_id = %(organization_id)s AND plan_date = ANY(%(plan_dates)s) AND closed_at IS NULL
ORDER BY plan_date, user_id

-- name: plan_open_days
-- (person, date) pairs whose day has not been closed yet.
SELECT DISTINCT user_id, plan_date FROM day_plan_items
WHERE organization_id = %(organization_id)s AND closed_at IS NULL
ORDER BY plan_date, user_id

-- name: plan_set_answer
UPDATE day_plan_items
SET answer = %(answer)s, answer_reason = %(reason)s, answered_at = %(now)s,
    reopen_status = coalesce(%(reopen_status)s, reopen_status), reopen_stage_id = coalesce(%(reopen_stage_id)s, reopen_stage_id)
WHERE organization_id = %(organization_id)s AND id = %(id)s AND closed_at IS NULL

-- name: plan_mark_answered
UPDATE day_plan_items SET answered_at = coalesce(answered_at, %(now)s)
WHERE organization_id = %(organization_id)s AND user_id = %(user_id)s AND plan_date = %(plan_date)s AND closed_at IS NULL

-- name: plan_close_item
UPDATE day_plan_items SET closed_at = %(now)s
WHERE organization_id = %(organization_id)s AND id = %(id)s AND closed_at IS NULL RETURNING id

-- name: task_status_insert
-- One snapshot per task and day: a second close inserts nothing.
INSERT INTO task_statuses (organization_id, task_id, user_id, status_date, status, reason, answered)
VALUES (%(organization_id)s, %(task_id)s, %(user_id)s, %(status_date)s, %(status)s, %(reason)s, %(answered)s)
ON CONFLICT (task_id, status_date) DO NOTHING
RETURNING id

-- name: day_recap_tasks
-- What the day's close recorded for these people on these dates (each person's recap, a manager's team recap):
-- every task's status and reason, and how many times it had been carried forward by the end of that date (its
-- count now, less the carries recorded for later dates).
SELECT s.user_id, s.status_date, t.display_id, t.title, s.status, s.reason,
       greatest(t.carry_forward_count - (SELECT count(*) FROM task_statuses l
                                         WHERE l.organization_id = s.organization_id AND l.task_id = s.task_id
                                           AND l.status = 'carry_forward' AND l.status_date > s.status_date), 0)::int AS carried
FROM task_statuses s JOIN tasks t ON t.organization_id = s.organization_id AND t.id = s.task_id
WHERE s.organization_id = %(organization_id)s AND s.user_id = ANY(%(user_ids)s) AND s.status_date = ANY(%(days)s)
ORDER BY s.status_date, s.user_id, t.display_number

-- name: plan_close_state
-- Per person and date (of these dates) with a plan: how many of its tasks are still open, and when the last
-- one was closed (a manager's team recap waits for every report's day to close).
SELECT user_id, plan_date, (count(*) FILTER (WHERE closed_at IS NULL))::int AS still_open, max(closed_at) AS closed_at
FROM day_plan_items
WHERE organization_id = %(organization_id)s AND plan_date = ANY(%(plan_dates)s)
GROUP BY user_id, plan_date

-- name: task_carry_forward
UPDATE tasks SET carry_forward_count = carry_forward_count + 1
WHERE organization_id = %(organization_id)s AND id = %(id)s
RETURNING carry_forward_count

-- ------------------------------------------------------------------ blockers

-- name: blocker_delete_open
DELETE FROM blockers
WHERE organization_id = %(organization_id)s AND id = %(id)s AND status = 'open' AND escalation_level = 0
RETURNING id

-- ------------------------------------------------------------------ out of office

-- name: ooo_insert
INSERT INTO ooo_records (organization_id, user_id, start_date, end_date, reason, source, source_channel_id, source_ts, created_by)
VALUES (%(organization_id)s, %(user_id)s, %(start_date)s, %(end_date)s, %(reason)s, %(source)s, %(source_channel_id)s,
        %(source_ts)s, %(created_by)s)
RETURNING id

-- name: ooo_same_manual
-- An active `/ooo` record of the person for exactly these days (the same `/ooo` sent again is not a second record).
SELECT id FROM ooo_records
WHERE organization_id = %(organization_id)s AND user_id = %(user_id)s AND source = 'manual' AND cancelled_at IS NULL
  AND start_date = %(start_date)s AND end_date = %(end_date)s
ORDER BY id LIMIT 1

-- name: ooo_of_user
SELECT id, start_date, end_date, reason, source, cancelled_at
FROM ooo_records
WHERE organization_id = %(organization_id)s AND user_id = %(user_id)s AND cancelled_at IS NULL AND end_date >= %(from_date)s
ORDER BY start_date, id

-- name: ooo_cancel
UPDATE ooo_records SET cancelled_at = %(now)s
WHERE organization_id = %(organization_id)s AND user_id = %(user_id)s AND id = %(id)s AND cancelled_at IS NULL
RETURNING id, start_date, end_date

-- name: ooo_get
SELECT id, user_id, start_date, end_date, reason, source, cancelled_at
FROM ooo_records WHERE organization_id = %(organization_id)s AND id = %(id)s
