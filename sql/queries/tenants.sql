-- Tokens per organization and the processes that serve them (issue 11, part 3; bot/tenants.py, bot/processes.py).

-- name: connection_seal_token
-- This process's own bot token, encrypted (STEWARD_TOKEN_KEY), for the organization of its workspace.
UPDATE platform_connections SET bot_token_sealed = %(sealed)s, bot_token_sealed_at = %(now)s
WHERE platform = 'slack' AND external_team_id = %(team_id)s

-- name: connections_sealed
-- Every active workspace whose bot token some process stored.
SELECT organization_id, external_team_id, bot_token_sealed
FROM platform_connections
WHERE platform = 'slack' AND status = 'active' AND bot_token_sealed IS NOT NULL
ORDER BY organization_id

-- name: process_beat
-- Insert or refresh this process's row; the heartbeat is the database's clock (every process reads the same).
INSERT INTO steward_processes (instance, hostname, pid, mode, serves, leads, global_leader, started_at, heartbeat_at)
VALUES (%(instance)s, %(hostname)s, %(pid)s, %(mode)s, %(serves)s, %(leads)s, %(global_leader)s, now(), now())
ON CONFLICT (instance) DO UPDATE
SET serves = EXCLUDED.serves, leads = EXCLUDED.leads, global_leader = EXCLUDED.global_leader, heartbeat_at = now()

-- name: process_forget_stale
-- Rows of processes that stopped beating long ago (killed, or their host is gone).
DELETE FROM steward_processes WHERE heartbeat_at < now() - make_interval(secs => %(stale_seconds)s)

-- name: process_delete
DELETE FROM steward_processes WHERE instance = %(instance)s

-- name: processes_live
-- Processes whose last heartbeat is recent enough to count them as running, oldest first.
SELECT instance, hostname, pid, mode, serves, leads, global_leader, started_at, heartbeat_at,
       extract(epoch FROM now() - heartbeat_at)::float8 AS silent_seconds
FROM steward_processes
WHERE heartbeat_at >= now() - make_interval(secs => %(live_seconds)s)
ORDER BY started_at, instance

-- name: workspaces_known
-- Every workspace Steward has synced, with whether its token is stored (for `steward doctor`).
SELECT pc.organization_id, o.name, pc.external_team_id, pc.status, pc.bot_token_sealed IS NOT NULL AS token_stored,
       pc.bot_token_sealed
FROM platform_connections pc JOIN organizations o ON o.id = pc.organization_id
WHERE pc.platform = 'slack'
ORDER BY pc.organization_id
