-- What /metrics exposes from the database, across organizations (an operator's view: counts only, no
-- content). %(now)s is the process's clock; windows are the last 24 hours before it.

-- name: metrics_inbox
SELECT count(*) FILTER (WHERE status IN ('pending', 'processing')) AS waiting,
       coalesce(extract(epoch FROM %(now)s::timestamptz - min(received_at) FILTER (WHERE status IN ('pending', 'processing'))), 0)
           AS oldest_waiting_seconds,
       count(*) FILTER (WHERE status = 'dead') AS dead,
       count(*) FILTER (WHERE status = 'pending' AND attempts > 0) AS retrying
FROM event_inbox

-- name: metrics_deliveries
SELECT status, count(*) AS deliveries, count(*) FILTER (WHERE attempts > 0) AS retried
FROM notification_deliveries
WHERE status IN ('pending', 'held', 'sending') OR updated_at >= %(now)s::timestamptz - interval '24 hours'
GROUP BY status

-- name: metrics_delivery_failures
-- Failed deliveries of the last 24 hours by Slack's error code (e.g. channel_not_found, not_in_channel).
SELECT coalesce(nullif(split_part(last_error, ':', 1), ''), 'unknown') AS error, count(*) AS deliveries
FROM notification_deliveries
WHERE status = 'failed' AND updated_at >= %(now)s::timestamptz - interval '24 hours'
GROUP BY 1

-- name: metrics_job_runs
-- Per job: runs and failures of the last 24 hours, the last finished run's duration, the last success.
SELECT job_name,
       count(*) FILTER (WHERE started_at >= %(now)s::timestamptz - interval '24 hours') AS runs,
       count(*) FILTER (WHERE status = 'failed' AND started_at >= %(now)s::timestamptz - interval '24 hours') AS failures,
       (array_agg(extract(epoch FROM finished_at - started_at) ORDER BY finished_at DESC)
            FILTER (WHERE finished_at IS NOT NULL))[1] AS last_duration_seconds,
       extract(epoch FROM max(finished_at) FILTER (WHERE status = 'succeeded')) AS last_success
FROM job_runs
GROUP BY job_name

-- name: metrics_backlogs
SELECT (SELECT count(*) FROM blockers WHERE status = 'open' AND next_escalation_at <= %(now)s::timestamptz) AS escalations_due,
       (SELECT count(*) FROM context_observations WHERE embedding IS NULL) AS embedding_backlog
