-- Attendance (bot/services/attendance.py): per person and day, whether Steward asked, and whether they answered.

-- name: attendance_threads
-- The morning threads of these dates that Steward actually posted (a thread that failed or was never sent
-- asked nobody), with who they were for.
SELECT id, channel_id, thread_date, thread_ts, participant_ids, created_at
FROM morning_threads
WHERE organization_id = %(organization_id)s AND thread_date BETWEEN %(since)s AND %(until)s
  AND status IN ('posted', 'closed') AND thread_ts IS NOT NULL
ORDER BY thread_date, posted_at NULLS LAST, id

-- name: attendance_updates
-- (person, date) for every day these people posted their update for (a reply in the thread, or an update
-- recorded elsewhere for that date: thread_submissions.update_dates, as nudges and summaries read it).
SELECT DISTINCT s.user_id, d.day
FROM thread_submissions s CROSS JOIN LATERAL unnest(s.update_dates) AS d(day)
WHERE s.organization_id = %(organization_id)s AND s.user_id = ANY(%(user_ids)s)
  AND d.day BETWEEN %(since)s AND %(until)s

-- name: attendance_ramp_ups
-- Each person's ramp-up (one per person: user_ramp_up_user_id_key) that overlaps the dates.
SELECT user_id, starts_on, ends_on, target_multiplier, cards_enabled
FROM user_ramp_up
WHERE organization_id = %(organization_id)s AND user_id = ANY(%(user_ids)s)
  AND starts_on <= %(until)s AND ends_on >= %(since)s
