-- The scheduler's own bookkeeping: leadership (one advisory lock) and one job_runs row per trigger.


-- name: leader_ping
-- Proves the leader's connection, and so its session-level lock, is still alive.
SELECT 1

-- name: leader_try_lock
SELECT pg_try_advisory_lock(%(key)s)

-- name: leader_unlock
SELECT pg_advisory_unlock(%(key)s)

-- name: leader_try_lock_org
-- One organization's jobs: the two-int4 key space (the lock key's low 31 bits, the organization id), which
-- PostgreSQL keeps apart from the single bigint key above.
SELECT pg_try_advisory_lock((%(key)s::bigint & 2147483647)::int, %(organization_id)s::int)

-- name: leader_unlock_org
SELECT pg_advisory_unlock((%(key)s::bigint & 2147483647)::int, %(organization_id)s::int)

-- name: job_run_claim
-- One row per (job, slot, organization; NULL for a job of no one organization): a second process or a
-- re-run gets no row back and does not run the job for it.
INSERT INTO job_runs (job_name, scheduled_for, started_at, status, organization_id, worker)
VALUES (%(job_name)s, %(scheduled_for)s, %(now)s, 'running', %(organization_id)s, %(worker)s)
ON CONFLICT (job_name, scheduled_for, organization_id) DO NOTHING
RETURNING id

-- name: job_run_finish
UPDATE job_runs SET finished_at = %(now)s, status = %(status)s, summary = %(summary)s WHERE id = %(id)s
