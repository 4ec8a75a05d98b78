-- The scheduler's own bookkeeping: leadership (one advisory lock) and one job_runs row per trigger.


-- name: leader_ping
-- Proves the leader's connection, and so its session-level lock, is still alive.
SELECT 1

-- name: leader_try_lock
SELECT pg_try_advisory_lock(%(key)s)

-- name: job_run_claim
-- One row per (job, slot): a second process or a re-run gets no row back and does not run the job.
INSERT INTO job_runs (job_name, scheduled_for, started_at, status)
VALUES (%(job_name)s, %(scheduled_for)s, %(now)s, 'running')
ON CONFLICT (job_name, scheduled_for) DO NOTHING
RETURNING id

-- name: job_run_finish
UPDATE job_runs SET finished_at = %(now)s, status = %(status)s, summary = %(summary)s WHERE id = %(id)s
