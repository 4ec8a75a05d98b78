-- 0008_tenants.sql -- two workspaces on one database (issue 11, part 3): every Slack call for an
-- organization uses that organization's own bot token, and each process says which organizations it serves.
--
-- No percent signs in this file (it may be sent through a DB-API driver).

-- The organization's bot token, encrypted with STEWARD_TOKEN_KEY (a Fernet token: url-safe base64 text;
-- see bot/tokens.py). NULL: never stored (no key was set in any process that served it).
ALTER TABLE platform_connections ADD COLUMN bot_token_sealed text;
ALTER TABLE platform_connections ADD COLUMN bot_token_sealed_at timestamptz;

-- Scheduled jobs that work per organization are claimed per (job, minute, organization), so the process
-- holding one organization's token runs that organization's jobs and another process runs another's.
-- NULL: a job that is not per organization (retention, the context pipeline), claimed once per minute.
ALTER TABLE job_runs ADD COLUMN organization_id bigint REFERENCES organizations (id) ON DELETE CASCADE;
ALTER TABLE job_runs DROP CONSTRAINT job_runs_job_name_scheduled_for_key;
ALTER TABLE job_runs ADD CONSTRAINT job_runs_job_name_scheduled_for_organization_id_key
    UNIQUE NULLS NOT DISTINCT (job_name, scheduled_for, organization_id);
CREATE INDEX job_runs_organization_id_idx ON job_runs (organization_id);

-- Every running Steward process, refreshed by a heartbeat (bot/processes.py): which organizations it holds
-- a bot token for, and whose scheduled jobs it runs now. `steward doctor` lists them; a clean stop deletes
-- the row, and rows whose heartbeat is long gone are deleted by the next process that beats.
CREATE TABLE steward_processes (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    instance        text NOT NULL UNIQUE,                                 -- host:pid:random, one per run
    hostname        text NOT NULL,
    pid             integer NOT NULL,
    mode            text NOT NULL CHECK (mode IN ('slack', 'sandbox')),
    serves          bigint[] NOT NULL DEFAULT '{}',                       -- organizations it holds a token for
    leads           bigint[] NOT NULL DEFAULT '{}',                       -- organizations whose jobs it runs
    global_leader   boolean NOT NULL DEFAULT false,                       -- runs the jobs of no one organization
    started_at      timestamptz NOT NULL,
    heartbeat_at    timestamptz NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX steward_processes_heartbeat_at_idx ON steward_processes (heartbeat_at);
