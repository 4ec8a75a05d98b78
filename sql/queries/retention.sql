-- Retention (SPEC F16). Every boundary is strict: a row exactly at the cut-off is kept.

-- name: delete_expired_drafts
-- Drafts whose 24-hour window passed without a confirmation.
DELETE FROM task_drafts d
WHERE d.expires_at IS NOT NULL
  AND d.expires_at < %(now)s
  AND d.status <> 'confirmed'
  AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.draft_id = d.id)

-- name: delete_old_confirmed_drafts
-- Kept 30 days as an audit trail of what was said against what was parsed; then the task is the truth.
DELETE FROM task_drafts d
WHERE d.created_at < %(now)s - interval '30 days'
  AND (d.status = 'confirmed' OR EXISTS (SELECT 1 FROM tasks t WHERE t.draft_id = d.id))

-- name: delete_abandoned_drafts
DELETE FROM task_drafts d
WHERE d.created_at < %(now)s - interval '7 days'
  AND d.status <> 'confirmed'
  AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.draft_id = d.id)

-- name: delete_old_channel_messages
DELETE FROM channel_messages
WHERE created_at < %(now)s - make_interval(days => %(days)s)

-- name: delete_old_security_audit_logs
DELETE FROM security_audit_logs
WHERE created_at < %(now)s - interval '90 days'

-- name: delete_old_rate_limit_events
DELETE FROM rate_limit_events
WHERE created_at < %(now)s - interval '90 days'

-- Steward's own bookkeeping (not in the reference, but it grows with every event and minute).

-- name: delete_processed_inbox_events
-- Processed envelopes are only needed to recognise Slack's retries (minutes); dead letters stay
-- for the monthly rule so an admin can still look at them.
DELETE FROM event_inbox
WHERE status IN ('done', 'expired') AND received_at < %(now)s - interval '7 days'

-- name: delete_old_job_runs
DELETE FROM job_runs
WHERE started_at < %(now)s - interval '30 days'

-- name: delete_old_dead_letters
DELETE FROM event_inbox
WHERE status = 'dead' AND received_at < %(now)s - interval '90 days'

-- name: delete_old_dashboard_sessions
-- Dashboard sessions a day after they ended or went idle past the 12-hour limit (bot/services/dashboard_auth.py):
-- nothing can use them any more.
DELETE FROM dashboard_sessions
WHERE coalesce(ended_at, last_seen_at + interval '12 hours') < %(now)s - interval '1 day'

-- name: delete_old_dashboard_login_attempts
-- Sign-in attempts after 30 days: the lockout reads 15 minutes of them; refusals stay in security_audit_logs.
DELETE FROM dashboard_login_attempts
WHERE created_at < %(now)s - interval '30 days'
