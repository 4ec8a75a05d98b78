-- 0001_schema.sql -- Steward's initial schema.
--
-- Applied by db/migrate.py inside one transaction: no CREATE INDEX CONCURRENTLY, no BEGIN/COMMIT,
-- and no percent signs anywhere in this file (it may be sent through a DB-API driver).
-- Requires PostgreSQL >= 15 (UNIQUE NULLS NOT DISTINCT, ON DELETE SET NULL (column)) and
-- pgvector >= 0.7 (HNSW; hnsw.iterative_scan from 0.8 is a query-time setting).
--
-- Conventions
--   * Primary keys: id bigint GENERATED ALWAYS AS IDENTITY (org_settings and task_counters are keyed by
--     organization_id). Timestamps are timestamptz; calendar days are date; times of day are time.
--   * Every row that belongs to an organization carries organization_id NOT NULL, referencing
--     organizations ON DELETE CASCADE: deleting an organization removes all of its data.
--   * Tenant safety: references between two organization-scoped tables are composite,
--     (organization_id, x_id) -> parent (organization_id, id), so a row can never point at another
--     organization's row. Every referenced table therefore has UNIQUE (organization_id, id).
--     SET NULL rules use PostgreSQL 15's ON DELETE SET NULL (x_id) so organization_id is kept.
--   * ON DELETE rules (from the reference design):
--       CASCADE   users -> platform_identities, tasks -> task_logs, inquiry_threads -> inquiry_messages;
--                 and generally: logs/parts of an entity, and rows that are *about* a person (their
--                 mood, journals, memory, cards, reminders, notifications) so erasing a person erases
--                 their data.
--       SET NULL  task_drafts -> tasks.draft_id, users -> flags.resolved_by,
--                 users -> inquiry_messages.sender_id, flags -> inquiry_threads.flag_id;
--                 and generally: optional references and a person's *authorship* of something that
--                 belongs to the team (created_by, raised_by, actor_id, from_user_id...).
--       NO ACTION lookup/config tables: pipeline_stages referenced by tasks (move tasks out first).
--   * Enumerations (statuses, roles, severities, colours, kinds of report...) are CHECKed lists.
--     Open vocabularies of event names (task_logs.action, audit_logs.action, notifications.kind,
--     security_audit_logs.event_type, flags.type, cards.rule...) are CHECKed as snake_case/dotted
--     identifiers instead, so features can add new names without a migration.
--   * Per-organization settings live in org_settings (one row per organization, created
--     automatically by a trigger when the organization is inserted: UPDATE it, never INSERT it).

CREATE EXTENSION IF NOT EXISTS vector;

-- Shared trigger function: keep updated_at current on UPDATE.
CREATE FUNCTION set_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;

-- =====================================================================================================
-- Organizations, settings, platform connections, people
-- =====================================================================================================

CREATE TABLE organizations (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL CHECK (length(btrim(name)) > 0),
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Per-organization settings, one row per organization (see trigger organizations_create_settings).
-- Chosen over columns on organizations so settings can grow without touching the identity table and so
-- "the settings of org X" is one typed row. Ladders and card rules are jsonb; NULL/{} means "code default".
CREATE TABLE org_settings (
    organization_id                 bigint PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
    timezone                        text NOT NULL DEFAULT 'UTC',         -- IANA name, validated by the app
    standup_channel_id              text,                                -- Slack channel of the morning thread
    admin_channel_id                text,                                -- optional channel for admin notices
    workdays                        smallint[] NOT NULL DEFAULT '{1,2,3,4,5}'
        CHECK (workdays <@ '{1,2,3,4,5,6,7}'::smallint[]),             -- ISO weekdays, 1 = Monday
    holidays                        date[] NOT NULL DEFAULT '{}',
    morning_time                    time NOT NULL DEFAULT '09:30',
    use_member_local_time           boolean NOT NULL DEFAULT false,      -- per-person local morning time
    nudge_delay_minutes             integer NOT NULL DEFAULT 60 CHECK (nudge_delay_minutes >= 0),
    manager_summary_delay_minutes   integer NOT NULL DEFAULT 120 CHECK (manager_summary_delay_minutes >= 0),
    end_of_day_time                 time NOT NULL DEFAULT '17:30',
    working_hours_start             time NOT NULL DEFAULT '09:00',
    working_hours_end               time NOT NULL DEFAULT '18:00',
    mood_checkin_enabled            boolean NOT NULL DEFAULT false,
    mood_checkin_time               time NOT NULL DEFAULT '16:30',
    wip_mode                        text NOT NULL DEFAULT 'warn' CHECK (wip_mode IN ('warn', 'block')),
    quiet_hours_start               time DEFAULT '20:00',               -- both NULL = no quiet hours
    quiet_hours_end                 time DEFAULT '08:00',
    blocker_ladder                  jsonb NOT NULL DEFAULT
        '[{"after_hours": 4, "working_hours": true, "action": "ask_owner"},
          {"after_hours": 24, "action": "dm_manager"},
          {"after_hours": 48, "action": "post_project_channel"},
          {"after_hours": 72, "action": "raise_flag"}]',
    overdue_ladder                  jsonb,                               -- default for projects without one
    card_rules                      jsonb NOT NULL DEFAULT '{}',         -- overrides of the default rules
    created_at                      timestamptz NOT NULL DEFAULT now(),
    updated_at                      timestamptz NOT NULL DEFAULT now(),
    CHECK ((quiet_hours_start IS NULL) = (quiet_hours_end IS NULL)),
    CHECK (working_hours_start < working_hours_end)
);

CREATE FUNCTION organizations_create_settings() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO org_settings (organization_id) VALUES (NEW.id);
    RETURN NEW;
END;
$$;

CREATE TRIGGER organizations_create_settings
    AFTER INSERT ON organizations
    FOR EACH ROW EXECUTE FUNCTION organizations_create_settings();

-- A chat workspace connected to an organization (Slack team). Tokens stay in the environment.
CREATE TABLE platform_connections (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id     bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    platform            text NOT NULL DEFAULT 'slack' CHECK (platform IN ('slack')),
    external_team_id    text NOT NULL,                                   -- Slack team id (T...)
    enterprise_id       text,
    team_name           text,
    team_domain         text,
    bot_user_id         text,
    bot_id              text,
    app_id              text,
    installed_by_external_id text,
    status              text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive')),
    last_synced_at      timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT platform_connections_platform_team_key UNIQUE (platform, external_team_id)
);
CREATE INDEX platform_connections_organization_id_idx ON platform_connections (organization_id);

CREATE TABLE users (
    id                      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id         bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    email                   text,
    display_name            text NOT NULL DEFAULT '',
    real_name               text,
    role                    text NOT NULL DEFAULT 'member' CHECK (role IN ('admin', 'manager', 'member')),
    manager_id              bigint,
    timezone                text NOT NULL DEFAULT 'UTC',
    password_hash           text,                                        -- dashboard login (F18)
    must_change_password    boolean NOT NULL DEFAULT false,
    active                  boolean NOT NULL DEFAULT true,               -- deactivated, never deleted, by sync
    deactivated_at          timestamptz,
    last_login_at           timestamptz,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT users_organization_id_id_key UNIQUE (organization_id, id),
    CHECK (manager_id IS DISTINCT FROM id),
    -- A manager leaving must not delete their reports: the reference becomes NULL.
    CONSTRAINT users_manager_id_fkey FOREIGN KEY (organization_id, manager_id)
        REFERENCES users (organization_id, id) ON DELETE SET NULL (manager_id)
);
CREATE INDEX users_organization_id_idx ON users (organization_id);
CREATE INDEX users_manager_id_idx ON users (manager_id);
CREATE UNIQUE INDEX users_organization_id_email_key ON users (organization_id, lower(email)) WHERE email IS NOT NULL;

CREATE TABLE platform_identities (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id     bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id             bigint NOT NULL,
    platform            text NOT NULL DEFAULT 'slack' CHECK (platform IN ('slack')),
    external_team_id    text NOT NULL,                                   -- Slack team id
    external_id         text NOT NULL,                                   -- Slack user id (U.../W...)
    username            text,
    profile             jsonb NOT NULL DEFAULT '{}',
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    -- Reference rule: a user's platform links are meaningless without the user.
    CONSTRAINT platform_identities_user_id_fkey FOREIGN KEY (organization_id, user_id)
        REFERENCES users (organization_id, id) ON DELETE CASCADE,
    -- One Steward user per Slack user and workspace, and per organization.
    CONSTRAINT platform_identities_platform_team_external_key UNIQUE (platform, external_team_id, external_id),
    CONSTRAINT platform_identities_org_platform_external_key UNIQUE (organization_id, platform, external_id)
);
CREATE INDEX platform_identities_user_id_idx ON platform_identities (user_id);

-- Ramp-up: a new person gets no cards and lighter targets until ends_on.
CREATE TABLE user_ramp_up (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id     bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id             bigint NOT NULL,
    starts_on           date NOT NULL DEFAULT current_date,
    ends_on             date NOT NULL,
    target_multiplier   real NOT NULL DEFAULT 0.5 CHECK (target_multiplier > 0 AND target_multiplier <= 1),
    cards_enabled       boolean NOT NULL DEFAULT false,
    note                text,
    created_by          bigint,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_on >= starts_on),
    CONSTRAINT user_ramp_up_user_id_key UNIQUE (user_id),
    CONSTRAINT user_ramp_up_user_id_fkey FOREIGN KEY (organization_id, user_id)
        REFERENCES users (organization_id, id) ON DELETE CASCADE,
    CONSTRAINT user_ramp_up_created_by_fkey FOREIGN KEY (organization_id, created_by)
        REFERENCES users (organization_id, id) ON DELETE SET NULL (created_by)
);
CREATE INDEX user_ramp_up_organization_id_idx ON user_ramp_up (organization_id);
CREATE INDEX user_ramp_up_created_by_idx ON user_ramp_up (created_by);

-- =====================================================================================================
-- Clients and projects
-- =====================================================================================================

CREATE TABLE clients (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id     bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name                text NOT NULL CHECK (length(btrim(name)) > 0),
    slack_channel_id    text,
    description         text,
    context_notes       text,
    active              boolean NOT NULL DEFAULT true,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT clients_organization_id_id_key UNIQUE (organization_id, id)
);
CREATE UNIQUE INDEX clients_organization_id_name_key ON clients (organization_id, lower(name));
CREATE INDEX clients_slack_channel_id_idx ON clients (organization_id, slack_channel_id);

CREATE TABLE projects (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id     bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name                text NOT NULL CHECK (length(btrim(name)) > 0),
    description         text,
    client_id           bigint,
    owner_id            bigint,
    slack_channel_id    text,
    overdue_escalation  jsonb,                                           -- NULL = org_settings.overdue_ladder
    status              text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'archived')),
    archived_at         timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT projects_organization_id_id_key UNIQUE (organization_id, id),
    CONSTRAINT projects_client_id_fkey FOREIGN KEY (organization_id, client_id)
        REFERENCES clients (organization_id, id) ON DELETE SET NULL (client_id),
    CONSTRAINT projects_owner_id_fkey FOREIGN KEY (organization_id, owner_id)
        REFERENCES users (organization_id, id) ON DELETE SET NULL (owner_id)
);
CREATE UNIQUE INDEX projects_organization_id_name_key ON projects (organization_id, lower(name));
CREATE INDEX projects_client_id_idx ON projects (client_id);
CREATE INDEX projects_owner_id_idx ON projects (owner_id);
CREATE INDEX projects_slack_channel_id_idx ON projects (organization_id, slack_channel_id);

CREATE TABLE client_members (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id     bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    client_id           bigint NOT NULL,
    user_id             bigint NOT NULL,
    role                text NOT NULL DEFAULT 'member' CHECK (role IN ('lead', 'member')),
    created_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT client_members_client_id_user_id_key UNIQUE (client_id, user_id),
    -- A membership is meaningless without either side.
    CONSTRAINT client_members_client_id_fkey FOREIGN KEY (organization_id, client_id)
        REFERENCES clients (organization_id, id) ON DELETE CASCADE,
    CONSTRAINT client_members_user_id_fkey FOREIGN KEY (organization_id, user_id)
        REFERENCES users (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX client_members_organization_id_idx ON client_members (organization_id);
CREATE INDEX client_members_user_id_idx ON client_members (user_id);

-- =====================================================================================================
-- Checklists and SOPs (before deploy schedules, which reference them)
-- =====================================================================================================

CREATE TABLE checklists (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id     bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name                text NOT NULL CHECK (length(btrim(name)) > 0),
    role                text CHECK (role IN ('admin', 'manager', 'member')), -- NULL = everyone
    items               jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(items) = 'array'),
    schedule            jsonb,                                           -- recurrence; NULL = on demand
    channel_id          text,                                            -- NULL = sent by DM
    active              boolean NOT NULL DEFAULT true,
    created_by          bigint,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT checklists_organization_id_id_key UNIQUE (organization_id, id),
    CONSTRAINT checklists_created_by_fkey FOREIGN KEY (organization_id, created_by)
        REFERENCES users (organization_id, id) ON DELETE SET NULL (created_by)
);
CREATE INDEX checklists_created_by_idx ON checklists (created_by);

CREATE TABLE sops (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id     bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    slug                text NOT NULL CHECK (slug ~ '^[a-z0-9][a-z0-9_-]*$'),
    name                text NOT NULL CHECK (length(btrim(name)) > 0),
    body                text NOT NULL DEFAULT '',
    steps               jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(steps) = 'array'),
    trigger             text NOT NULL DEFAULT 'manual' CHECK (trigger IN ('manual', 'deploy')),
    version             integer NOT NULL DEFAULT 1 CHECK (version > 0),
    active              boolean NOT NULL DEFAULT true,
    created_by          bigint,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT sops_organization_id_id_key UNIQUE (organization_id, id),
    CONSTRAINT sops_organization_id_slug_key UNIQUE (organization_id, slug),
    CONSTRAINT sops_created_by_fkey FOREIGN KEY (organization_id, created_by)
        REFERENCES users (organization_id, id) ON DELETE SET NULL (created_by)
);
CREATE INDEX sops_created_by_idx ON sops (created_by);

CREATE TABLE client_deploy_schedules (
    id                      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id         bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    client_id               bigint NOT NULL,
    name                    text NOT NULL DEFAULT 'Deploy',
    recurrence              jsonb NOT NULL,                              -- e.g. {"freq": "weekly", "byweekday": [2], "time": "15:00"}
    timezone                text NOT NULL DEFAULT 'UTC',
    next_deploy_at          timestamptz,
    remind_minutes_before   integer NOT NULL DEFAULT 60 CHECK (remind_minutes_before >= 0),
    last_reminded_at        timestamptz,
    checklist_id            bigint,
    sop_id                  bigint,
    active                  boolean NOT NULL DEFAULT true,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT client_deploy_schedules_organization_id_id_key UNIQUE (organization_id, id),
    -- A schedule is part of its client.
    CONSTRAINT client_deploy_schedules_client_id_fkey FOREIGN KEY (organization_id, client_id)
        REFERENCES clients (organization_id, id) ON DELETE CASCADE,
    CONSTRAINT client_deploy_schedules_checklist_id_fkey FOREIGN KEY (organization_id, checklist_id)
        REFERENCES checklists (organization_id, id) ON DELETE SET NULL (checklist_id),
    CONSTRAINT client_deploy_schedules_sop_id_fkey FOREIGN KEY (organization_id, sop_id)
        REFERENCES sops (organization_id, id) ON DELETE SET NULL (sop_id)
);
CREATE INDEX client_deploy_schedules_client_id_idx ON client_deploy_schedules (client_id);
CREATE INDEX client_deploy_schedules_checklist_id_idx ON client_deploy_schedules (checklist_id);
CREATE INDEX client_deploy_schedules_sop_id_idx ON client_deploy_schedules (sop_id);
CREATE INDEX client_deploy_schedules_next_deploy_at_idx ON client_deploy_schedules (next_deploy_at) WHERE active;

CREATE TABLE checklist_completions (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id     bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    checklist_id        bigint NOT NULL,
    user_id             bigint,
    for_date            date NOT NULL,
    items_done          jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(items_done) = 'array'),
    completed_at        timestamptz,                                     -- NULL = sent, not finished yet
    message_channel_id  text,
    message_ts          text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    -- Nulls stay distinct so several erased people's completions can coexist.
    CONSTRAINT checklist_completions_checklist_user_date_key UNIQUE (checklist_id, user_id, for_date),
    -- Completions are the checklist's log.
    CONSTRAINT checklist_completions_checklist_id_fkey FOREIGN KEY (organization_id, checklist_id)
        REFERENCES checklists (organization_id, id) ON DELETE CASCADE,
    -- Compliance history belongs to the team: keep it when the person goes.
    CONSTRAINT checklist_completions_user_id_fkey FOREIGN KEY (organization_id, user_id)
        REFERENCES users (organization_id, id) ON DELETE SET NULL (user_id)
);
CREATE INDEX checklist_completions_organization_id_idx ON checklist_completions (organization_id, for_date);
CREATE INDEX checklist_completions_user_id_idx ON checklist_completions (user_id);

-- =====================================================================================================
-- Pipeline and tasks
-- =====================================================================================================

CREATE TABLE pipeline_stages (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id     bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name                text NOT NULL CHECK (length(btrim(name)) > 0),
    slug                text NOT NULL CHECK (slug ~ '^[a-z0-9][a-z0-9_-]*$'),
    color               text NOT NULL DEFAULT '#9E9E9E' CHECK (color ~ '^#[0-9A-Fa-f]{6}$'),
    position            integer NOT NULL CHECK (position >= 0),
    wip_limit           integer CHECK (wip_limit > 0),                   -- NULL = no limit
    is_done_stage       boolean NOT NULL DEFAULT false,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pipeline_stages_organization_id_id_key UNIQUE (organization_id, id),
    CONSTRAINT pipeline_stages_organization_id_slug_key UNIQUE (organization_id, slug)
);
CREATE INDEX pipeline_stages_organization_id_idx ON pipeline_stages (organization_id);
CREATE INDEX pipeline_stages_organization_id_position_idx ON pipeline_stages (organization_id, position);

CREATE TABLE task_drafts (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id     bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id             bigint NOT NULL,
    raw_text            text NOT NULL,                                   -- verbatim, whatever it is
    parsed              jsonb,                                           -- {"tasks": [...]}, NULL until parsed
    parser              text CHECK (parser IN ('llm', 'offline')),
    source              text NOT NULL DEFAULT 'dm'
        CHECK (source IN ('dm', 'mention', 'slash', 'thread', 'app_home', 'shortcut', 'dashboard', 'import', 'system')),
    status              text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'confirmed', 'rejected', 'expired')),
    source_channel_id   text,                                            -- where the words were written
    source_ts           text,
    preview_channel_id  text,                                            -- where the Block Kit preview was posted
    preview_ts          text,
    expires_at          timestamptz,
    confirmed_at        timestamptz,
    rejected_at         timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT task_drafts_organization_id_id_key UNIQUE (organization_id, id),
    CHECK (status <> 'confirmed' OR confirmed_at IS NOT NULL),
    -- A draft is a person's unconfirmed input; it has no meaning without them.
    CONSTRAINT task_drafts_user_id_fkey FOREIGN KEY (organization_id, user_id)
        REFERENCES users (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX task_drafts_user_id_idx ON task_drafts (user_id);
CREATE INDEX task_drafts_organization_id_idx ON task_drafts (organization_id);
CREATE INDEX task_drafts_expires_at_idx ON task_drafts (expires_at);
CREATE INDEX task_drafts_created_at_idx ON task_drafts (created_at);

-- Org-scoped display numbers (T-1, T-2...): gapless, consecutive, one row per organization.
CREATE TABLE task_counters (
    organization_id     bigint PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
    last_value          bigint NOT NULL DEFAULT 0 CHECK (last_value >= 0),
    created_at          timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE tasks (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id     bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    display_number      integer NOT NULL CHECK (display_number > 0),    -- set by trigger when NULL
    display_id          text GENERATED ALWAYS AS ('T-' || display_number::text) STORED,
    title               text NOT NULL CHECK (length(btrim(title)) > 0),
    description         text,
    status              text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'in_progress', 'blocked', 'done', 'dropped')),
    priority            text NOT NULL DEFAULT 'medium' CHECK (priority IN ('low', 'medium', 'high', 'urgent')),
    user_id             bigint,                                          -- owner / assignee; NULL = unassigned
    created_by          bigint,
    stage_id            bigint,
    project_id          bigint,
    client_id           bigint,
    draft_id            bigint,
    due_date            date,
    due_at              timestamptz,                                     -- when a time of day was given
    task_type           text,
    size                text CHECK (size IN ('xs', 's', 'm', 'l', 'xl')),
    weight              integer NOT NULL DEFAULT 1 CHECK (weight >= 0),
    carry_forward_count integer NOT NULL DEFAULT 0 CHECK (carry_forward_count >= 0),
    source              text NOT NULL DEFAULT 'dm'
        CHECK (source IN ('dm', 'mention', 'slash', 'thread', 'app_home', 'shortcut', 'dashboard', 'import', 'system')),
    source_channel_id   text,
    source_ts           text,
    completed_at        timestamptz,
    dropped_at          timestamptz,
    dropped_reason      text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT tasks_organization_id_id_key UNIQUE (organization_id, id),
    CONSTRAINT tasks_organization_id_display_id_key UNIQUE (organization_id, display_id),
    CHECK (status <> 'done' OR completed_at IS NOT NULL),
    -- The owner leaving keeps the task (unassigned); so does its author leaving.
    CONSTRAINT tasks_user_id_fkey FOREIGN KEY (organization_id, user_id)
        REFERENCES users (organization_id, id) ON DELETE SET NULL (user_id),
    CONSTRAINT tasks_created_by_fkey FOREIGN KEY (organization_id, created_by)
        REFERENCES users (organization_id, id) ON DELETE SET NULL (created_by),
    -- Stages are configuration: a stage holding tasks cannot be deleted (NO ACTION); move them first.
    CONSTRAINT tasks_stage_id_fkey FOREIGN KEY (organization_id, stage_id)
        REFERENCES pipeline_stages (organization_id, id),
    CONSTRAINT tasks_project_id_fkey FOREIGN KEY (organization_id, project_id)
        REFERENCES projects (organization_id, id) ON DELETE SET NULL (project_id),
    CONSTRAINT tasks_client_id_fkey FOREIGN KEY (organization_id, client_id)
        REFERENCES clients (organization_id, id) ON DELETE SET NULL (client_id),
    -- Reference rule: drafts are cleaned up after 30 days; the task keeps its data.
    CONSTRAINT tasks_draft_id_fkey FOREIGN KEY (organization_id, draft_id)
        REFERENCES task_drafts (organization_id, id) ON DELETE SET NULL (draft_id)
);
CREATE INDEX tasks_user_id_idx ON tasks (user_id);
CREATE INDEX tasks_organization_id_idx ON tasks (organization_id);
CREATE INDEX tasks_status_idx ON tasks (status);
CREATE INDEX tasks_user_id_status_idx ON tasks (user_id, status);
CREATE INDEX tasks_due_date_idx ON tasks (due_date);
CREATE INDEX tasks_created_at_idx ON tasks (created_at);
CREATE INDEX tasks_client_id_idx ON tasks (client_id);
CREATE INDEX tasks_stage_id_idx ON tasks (stage_id);
CREATE INDEX tasks_project_id_idx ON tasks (project_id);
CREATE INDEX tasks_created_by_idx ON tasks (created_by);
CREATE INDEX tasks_draft_id_idx ON tasks (draft_id);

-- Assign display_number (and so display_id) from task_counters. The counter row is locked by the
-- upsert until the inserting transaction ends, so concurrent inserts in one organization queue up and
-- get consecutive numbers, and a rolled-back insert also rolls back its increment (no gap).
-- An explicit display_number (imports) is kept and moves the counter forward if needed.
CREATE FUNCTION tasks_assign_display_number() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.display_number IS NULL THEN
        INSERT INTO task_counters AS c (organization_id, last_value)
        VALUES (NEW.organization_id, 1)
        ON CONFLICT (organization_id) DO UPDATE SET last_value = c.last_value + 1
        RETURNING c.last_value INTO NEW.display_number;
    ELSE
        INSERT INTO task_counters AS c (organization_id, last_value)
        VALUES (NEW.organization_id, NEW.display_number)
        ON CONFLICT (organization_id) DO UPDATE SET last_value = greatest(c.last_value, excluded.last_value);
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER tasks_assign_display_number
    BEFORE INSERT ON tasks
    FOR EACH ROW EXECUTE FUNCTION tasks_assign_display_number();

CREATE TABLE task_logs (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id     bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    task_id             bigint NOT NULL,
    actor_id            bigint,                                          -- NULL = Steward itself / erased person
    action              text NOT NULL CHECK (action ~ '^[a-z][a-z0-9_.]*$'), -- created, status_changed, moved...
    from_value          jsonb,
    to_value            jsonb,
    note                text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    -- Reference rule: task history is meaningless without the task.
    CONSTRAINT task_logs_task_id_fkey FOREIGN KEY (organization_id, task_id)
        REFERENCES tasks (organization_id, id) ON DELETE CASCADE,
    CONSTRAINT task_logs_actor_id_fkey FOREIGN KEY (organization_id, actor_id)
        REFERENCES users (organization_id, id) ON DELETE SET NULL (actor_id)
);
CREATE INDEX task_logs_task_id_idx ON task_logs (task_id, created_at);
CREATE INDEX task_logs_actor_id_idx ON task_logs (actor_id);
CREATE INDEX task_logs_organization_id_idx ON task_logs (organization_id, created_at);

-- Keyword -> type/size/weight, used by the parsers.
CREATE TABLE task_type_map (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id     bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    keyword             text NOT NULL CHECK (keyword = lower(keyword) AND length(btrim(keyword)) > 0),
    task_type           text NOT NULL,
    size                text NOT NULL CHECK (size IN ('xs', 's', 'm', 'l', 'xl')),
    weight              integer NOT NULL DEFAULT 1 CHECK (weight >= 0),
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT task_type_map_organization_id_keyword_key UNIQUE (organization_id, keyword)
);

-- End-of-day snapshot of a task: one row per task and day.
CREATE TABLE task_statuses (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id     bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    task_id             bigint NOT NULL,
    user_id             bigint,                                          -- owner on that day
    status_date         date NOT NULL,
    status              text NOT NULL CHECK (status IN ('done', 'carry_forward', 'dropped')),
    reason              text,
    answered            boolean NOT NULL DEFAULT true,                   -- false = no answer, carried forward
    created_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT task_statuses_task_id_status_date_key UNIQUE (task_id, status_date),
    CONSTRAINT task_statuses_task_id_fkey FOREIGN KEY (organization_id, task_id)
        REFERENCES tasks (organization_id, id) ON DELETE CASCADE,
    -- Team history: keep the snapshot when the person goes.
    CONSTRAINT task_statuses_user_id_fkey FOREIGN KEY (organization_id, user_id)
        REFERENCES users (organization_id, id) ON DELETE SET NULL (user_id)
);
CREATE INDEX task_statuses_organization_id_idx ON task_statuses (organization_id, status_date);
CREATE INDEX task_statuses_user_id_idx ON task_statuses (user_id, status_date);

CREATE TABLE blockers (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id     bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    task_id             bigint,                                          -- NULL = not matched to a task
    user_id             bigint NOT NULL,                                 -- the blocked person
    description         text NOT NULL,
    source              text NOT NULL DEFAULT 'slash'
        CHECK (source IN ('dm', 'mention', 'slash', 'thread', 'app_home', 'shortcut', 'dashboard', 'import', 'system')),
    status              text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
    escalation_level    smallint NOT NULL DEFAULT 0 CHECK (escalation_level >= 0),
    next_escalation_at  timestamptz,
    last_escalated_at   timestamptz,
    resolved_at         timestamptz,
    resolved_by         bigint,
    resolution_note     text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT blockers_organization_id_id_key UNIQUE (organization_id, id),
    CHECK (status <> 'resolved' OR resolved_at IS NOT NULL),
    -- A blocker is part of its task.
    CONSTRAINT blockers_task_id_fkey FOREIGN KEY (organization_id, task_id)
        REFERENCES tasks (organization_id, id) ON DELETE CASCADE,
    CONSTRAINT blockers_user_id_fkey FOREIGN KEY (organization_id, user_id)
        REFERENCES users (organization_id, id) ON DELETE CASCADE,
    CONSTRAINT blockers_resolved_by_fkey FOREIGN KEY (organization_id, resolved_by)
        REFERENCES users (organization_id, id) ON DELETE SET NULL (resolved_by)
);
CREATE INDEX blockers_organization_id_idx ON blockers (organization_id, status);
CREATE INDEX blockers_task_id_idx ON blockers (task_id);
CREATE INDEX blockers_user_id_idx ON blockers (user_id, status);
CREATE INDEX blockers_resolved_by_idx ON blockers (resolved_by);
CREATE INDEX blockers_next_escalation_at_idx ON blockers (next_escalation_at) WHERE status = 'open';

-- =====================================================================================================
-- Mood and journals
-- =====================================================================================================

CREATE TABLE mood_entries (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id     bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id             bigint NOT NULL,
    score               smallint NOT NULL CHECK (score BETWEEN 1 AND 5),
    note                text,
    recorded_at         timestamptz NOT NULL DEFAULT now(),
    local_date          date NOT NULL,                                   -- the day in the person's timezone
    created_at          timestamptz NOT NULL DEFAULT now(),
    -- One check-in per person and day: a second click updates it (upsert), never double counts.
    CONSTRAINT mood_entries_user_id_local_date_key UNIQUE (user_id, local_date),
    -- A person's mood is their personal data: erased with them.
    CONSTRAINT mood_entries_user_id_fkey FOREIGN KEY (organization_id, user_id)
        REFERENCES users (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX mood_entries_user_id_idx ON mood_entries (user_id);
CREATE INDEX mood_entries_recorded_at_idx ON mood_entries (recorded_at);
CREATE INDEX mood_entries_user_id_recorded_at_idx ON mood_entries (user_id, recorded_at);
CREATE INDEX mood_entries_organization_id_idx ON mood_entries (organization_id, local_date);

-- Private entries, visible to their author only.
CREATE TABLE journals (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id     bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id             bigint NOT NULL,
    body                text NOT NULL,
    local_date          date NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT journals_user_id_fkey FOREIGN KEY (organization_id, user_id)
        REFERENCES users (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX journals_user_id_idx ON journals (user_id, created_at);
CREATE INDEX journals_organization_id_idx ON journals (organization_id);

-- =====================================================================================================
-- Flags and inquiries
-- =====================================================================================================

CREATE TABLE flags (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id     bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id             bigint NOT NULL,                                 -- the person the flag is about
    type                text NOT NULL CHECK (type ~ '^[a-z][a-z0-9_.]*$'), -- low_mood, blocker_escalated, manual...
    severity            text NOT NULL DEFAULT 'medium' CHECK (severity IN ('low', 'medium', 'high', 'critical')),
    status              text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'acknowledged', 'resolved', 'dismissed')),
    title               text NOT NULL,
    description         text,
    evidence            jsonb NOT NULL DEFAULT '{}',
    is_private          boolean NOT NULL DEFAULT false,                  -- visible to the manager only (mood)
    task_id             bigint,
    dedupe_key          text,                                            -- rule-raised flags: raised once
    raised_by           bigint,                                          -- NULL = raised by a rule
    resolved_by         bigint,
    resolved_at         timestamptz,
    note                text,                                            -- resolution / dismissal note
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT flags_organization_id_id_key UNIQUE (organization_id, id),
    CONSTRAINT flags_organization_id_dedupe_key_key UNIQUE (organization_id, dedupe_key),
    CHECK (status NOT IN ('resolved', 'dismissed') OR resolved_at IS NOT NULL),
    CONSTRAINT flags_user_id_fkey FOREIGN KEY (organization_id, user_id)
        REFERENCES users (organization_id, id) ON DELETE CASCADE,
    CONSTRAINT flags_task_id_fkey FOREIGN KEY (organization_id, task_id)
        REFERENCES tasks (organization_id, id) ON DELETE SET NULL (task_id),
    CONSTRAINT flags_raised_by_fkey FOREIGN KEY (organization_id, raised_by)
        REFERENCES users (organization_id, id) ON DELETE SET NULL (raised_by),
    -- Reference rule: keep flag history even if the resolver leaves.
    CONSTRAINT flags_resolved_by_fkey FOREIGN KEY (organization_id, resolved_by)
        REFERENCES users (organization_id, id) ON DELETE SET NULL (resolved_by)
);
CREATE INDEX flags_user_id_idx ON flags (user_id);
CREATE INDEX flags_organization_id_idx ON flags (organization_id);
CREATE INDEX flags_severity_idx ON flags (severity);
CREATE INDEX flags_status_idx ON flags (status);
CREATE INDEX flags_user_id_status_idx ON flags (user_id, status);
CREATE INDEX flags_task_id_idx ON flags (task_id);
CREATE INDEX flags_raised_by_idx ON flags (raised_by);
CREATE INDEX flags_resolved_by_idx ON flags (resolved_by);

CREATE TABLE inquiry_threads (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id     bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    flag_id             bigint,
    user_id             bigint NOT NULL,                                 -- the person asked
    opened_by           bigint,                                          -- the manager asking
    subject             text,
    status              text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    user_channel_id     text,                                            -- DM with the person
    manager_channel_id  text,                                            -- DM with the manager
    closed_at           timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT inquiry_threads_organization_id_id_key UNIQUE (organization_id, id),
    -- Reference rule: keep the thread even if the flag is deleted.
    CONSTRAINT inquiry_threads_flag_id_fkey FOREIGN KEY (organization_id, flag_id)
        REFERENCES flags (organization_id, id) ON DELETE SET NULL (flag_id),
    CONSTRAINT inquiry_threads_user_id_fkey FOREIGN KEY (organization_id, user_id)
        REFERENCES users (organization_id, id) ON DELETE CASCADE,
    CONSTRAINT inquiry_threads_opened_by_fkey FOREIGN KEY (organization_id, opened_by)
        REFERENCES users (organization_id, id) ON DELETE SET NULL (opened_by)
);
CREATE INDEX inquiry_threads_organization_id_idx ON inquiry_threads (organization_id);
CREATE INDEX inquiry_threads_flag_id_idx ON inquiry_threads (flag_id);
CREATE INDEX inquiry_threads_user_id_idx ON inquiry_threads (user_id);
CREATE INDEX inquiry_threads_opened_by_idx ON inquiry_threads (opened_by);

CREATE TABLE inquiry_messages (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id     bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    thread_id           bigint NOT NULL,
    sender_id           bigint,                                          -- NULL = Steward / sender deleted
    sender_role         text NOT NULL CHECK (sender_role IN ('manager', 'subject', 'bot')),
    body                text NOT NULL,
    slack_ts            text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    -- Reference rule: messages are meaningless without their thread.
    CONSTRAINT inquiry_messages_thread_id_fkey FOREIGN KEY (organization_id, thread_id)
        REFERENCES inquiry_threads (organization_id, id) ON DELETE CASCADE,
    -- Reference rule: keep the message even if the sender is deleted.
    CONSTRAINT inquiry_messages_sender_id_fkey FOREIGN KEY (organization_id, sender_id)
        REFERENCES users (organization_id, id) ON DELETE SET NULL (sender_id)
);
CREATE INDEX inquiry_messages_thread_id_idx ON inquiry_messages (thread_id, created_at);
CREATE INDEX inquiry_messages_sender_id_idx ON inquiry_messages (sender_id);
CREATE INDEX inquiry_messages_organization_id_idx ON inquiry_messages (organization_id);

-- =====================================================================================================
-- Audit, security, rate limits
-- =====================================================================================================

CREATE TABLE audit_logs (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id     bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    actor_id            bigint,                                          -- NULL = Steward / erased person
    action              text NOT NULL CHECK (action ~ '^[a-z][a-z0-9_.]*$'), -- card.revoked, user.role_changed...
    entity_type         text,
    entity_id           text,
    details             jsonb NOT NULL DEFAULT '{}',
    created_at          timestamptz NOT NULL DEFAULT now(),
    -- The audit trail outlives the actor.
    CONSTRAINT audit_logs_actor_id_fkey FOREIGN KEY (organization_id, actor_id)
        REFERENCES users (organization_id, id) ON DELETE SET NULL (actor_id)
);
CREATE INDEX audit_logs_organization_id_idx ON audit_logs (organization_id, created_at);
CREATE INDEX audit_logs_actor_id_idx ON audit_logs (actor_id);
CREATE INDEX audit_logs_entity_idx ON audit_logs (organization_id, entity_type, entity_id);

CREATE TABLE security_audit_logs (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id     bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id             bigint,
    external_user_id    text,                                            -- Slack user id, also for unknown users
    event_type          text NOT NULL CHECK (event_type ~ '^[a-z][a-z0-9_.]*$'), -- permission_denied, prompt_injection...
    threat_level        text NOT NULL DEFAULT 'none' CHECK (threat_level IN ('none', 'low', 'medium', 'high', 'critical')),
    description         text,
    details             jsonb NOT NULL DEFAULT '{}',
    created_at          timestamptz NOT NULL DEFAULT now(),
    -- Security history outlives the person (retention deletes it after 90 days).
    CONSTRAINT security_audit_logs_user_id_fkey FOREIGN KEY (organization_id, user_id)
        REFERENCES users (organization_id, id) ON DELETE SET NULL (user_id)
);
CREATE INDEX security_audit_logs_organization_id_idx ON security_audit_logs (organization_id);
CREATE INDEX security_audit_logs_threat_level_idx ON security_audit_logs (threat_level);
CREATE INDEX security_audit_logs_created_at_idx ON security_audit_logs (created_at);
CREATE INDEX security_audit_logs_org_threat_created_idx
    ON security_audit_logs (organization_id, threat_level, created_at);
CREATE INDEX security_audit_logs_user_id_idx ON security_audit_logs (user_id);

CREATE TABLE rate_limit_events (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id     bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id             bigint,
    external_user_id    text,
    action              text NOT NULL CHECK (action ~ '^[a-z][a-z0-9_.]*$'), -- the limited bucket, e.g. llm.parse
    allowed             boolean NOT NULL DEFAULT true,                   -- false = this attempt was refused
    created_at          timestamptz NOT NULL DEFAULT now(),
    -- Usage records of a person: erased with them.
    CONSTRAINT rate_limit_events_user_id_fkey FOREIGN KEY (organization_id, user_id)
        REFERENCES users (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX rate_limit_events_user_action_created_idx ON rate_limit_events (user_id, action, created_at);
CREATE INDEX rate_limit_events_organization_id_idx ON rate_limit_events (organization_id);
CREATE INDEX rate_limit_events_created_at_idx ON rate_limit_events (created_at);

-- =====================================================================================================
-- Notifications
-- =====================================================================================================

CREATE TABLE notifications (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id     bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    recipient_id        bigint,                                          -- NULL = a channel notice
    kind                text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_.]*$'), -- standup.nudge, card.issued...
    urgent              boolean NOT NULL DEFAULT false,                  -- urgent notices ignore quiet hours
    dedupe_key          text,                                            -- same key = same notice, sent once
    payload             jsonb NOT NULL CHECK (jsonb_typeof(payload) = 'object'), -- {"text": ..., "blocks": [...]}
    created_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT notifications_organization_id_id_key UNIQUE (organization_id, id),
    CONSTRAINT notifications_dedupe_key_key UNIQUE (dedupe_key),
    -- A notice to a person is about them: erased with them.
    CONSTRAINT notifications_recipient_id_fkey FOREIGN KEY (organization_id, recipient_id)
        REFERENCES users (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX notifications_organization_id_idx ON notifications (organization_id, created_at);
CREATE INDEX notifications_recipient_id_idx ON notifications (recipient_id);

CREATE TABLE notification_deliveries (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id     bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    notification_id     bigint NOT NULL,
    target_type         text NOT NULL CHECK (target_type IN ('dm', 'channel', 'thread')),
    target_id           text NOT NULL,                                   -- Slack user id (dm) or channel id
    thread_ts           text,                                            -- required for target_type = 'thread'
    status              text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'held', 'cancelled')),
    attempts            integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at     timestamptz NOT NULL DEFAULT now(),
    not_before          timestamptz,                                     -- end of the recipient's quiet hours
    locked_at           timestamptz,
    slack_channel_id    text,                                            -- where it was actually posted
    slack_ts            text,
    last_error          text,
    sent_at             timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CHECK ((target_type = 'thread') = (thread_ts IS NOT NULL)),
    CHECK (status <> 'sent' OR sent_at IS NOT NULL),
    CONSTRAINT notification_deliveries_target_key
        UNIQUE NULLS NOT DISTINCT (notification_id, target_type, target_id, thread_ts),
    -- Deliveries are parts of their notification.
    CONSTRAINT notification_deliveries_notification_id_fkey FOREIGN KEY (organization_id, notification_id)
        REFERENCES notifications (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX notification_deliveries_status_next_attempt_at_idx
    ON notification_deliveries (status, next_attempt_at);
CREATE INDEX notification_deliveries_organization_id_idx ON notification_deliveries (organization_id);

-- =====================================================================================================
-- Conversation memory and reminders
-- =====================================================================================================

CREATE TABLE conversation_sessions (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id     bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id             bigint NOT NULL,
    channel_id          text NOT NULL,
    thread_ts           text,
    messages            jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(messages) = 'array'),
    summary             text,
    last_activity_at    timestamptz NOT NULL DEFAULT now(),
    expires_at          timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT conversation_sessions_user_channel_thread_key
        UNIQUE NULLS NOT DISTINCT (user_id, channel_id, thread_ts),
    CONSTRAINT conversation_sessions_user_id_fkey FOREIGN KEY (organization_id, user_id)
        REFERENCES users (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX conversation_sessions_organization_id_idx ON conversation_sessions (organization_id);
CREATE INDEX conversation_sessions_expires_at_idx ON conversation_sessions (expires_at);

CREATE TABLE user_memory (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id     bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id             bigint NOT NULL,
    key                 text NOT NULL,
    value               text NOT NULL,
    source              text NOT NULL DEFAULT 'conversation' CHECK (source IN ('conversation', 'explicit', 'system')),
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT user_memory_user_id_key_key UNIQUE (user_id, key),
    CONSTRAINT user_memory_user_id_fkey FOREIGN KEY (organization_id, user_id)
        REFERENCES users (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX user_memory_organization_id_idx ON user_memory (organization_id);

CREATE TABLE reminders (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id     bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id             bigint NOT NULL,                                 -- who is reminded
    created_by          bigint,
    text                text NOT NULL,
    source_text         text,                                            -- the request as written
    fire_at             timestamptz NOT NULL,                            -- next firing (advanced when recurring)
    recurrence          jsonb,                                           -- NULL = once
    timezone            text NOT NULL DEFAULT 'UTC',
    channel_id          text,                                            -- NULL = DM
    status              text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'fired', 'cancelled')),
    fired_at            timestamptz,
    last_fired_at       timestamptz,
    late                boolean NOT NULL DEFAULT false,                  -- fired after a missed fire_at
    cancelled_at        timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT reminders_user_id_fkey FOREIGN KEY (organization_id, user_id)
        REFERENCES users (organization_id, id) ON DELETE CASCADE,
    CONSTRAINT reminders_created_by_fkey FOREIGN KEY (organization_id, created_by)
        REFERENCES users (organization_id, id) ON DELETE SET NULL (created_by)
);
CREATE INDEX reminders_status_fire_at_idx ON reminders (status, fire_at);
CREATE INDEX reminders_user_id_idx ON reminders (user_id, status);
CREATE INDEX reminders_created_by_idx ON reminders (created_by);
CREATE INDEX reminders_organization_id_idx ON reminders (organization_id);

-- =====================================================================================================
-- Cards and reinforcement
-- =====================================================================================================

CREATE TABLE cards (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id     bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id             bigint NOT NULL,
    color               text NOT NULL CHECK (color IN ('yellow', 'red')),
    rule                text NOT NULL CHECK (rule ~ '^[a-z][a-z0-9_.]*$'), -- missed_morning_replies, three_yellows...
    reason              text NOT NULL,
    evidence            jsonb NOT NULL DEFAULT '{}',
    status              text NOT NULL DEFAULT 'active'
        CHECK (status IN ('active', 'acknowledged', 'appealed', 'revoked', 'expired')),
    dedupe_key          text,                                            -- a rule firing issues one card
    issued_by           bigint,                                          -- NULL = issued by a rule
    acknowledged_at     timestamptz,
    appealed_at         timestamptz,
    appeal_text         text,
    revoked_by          bigint,
    revoked_at          timestamptz,
    revoke_reason       text,
    expires_at          timestamptz NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT cards_organization_id_dedupe_key_key UNIQUE (organization_id, dedupe_key),
    CHECK (status <> 'revoked' OR revoked_at IS NOT NULL),
    CONSTRAINT cards_user_id_fkey FOREIGN KEY (organization_id, user_id)
        REFERENCES users (organization_id, id) ON DELETE CASCADE,
    CONSTRAINT cards_issued_by_fkey FOREIGN KEY (organization_id, issued_by)
        REFERENCES users (organization_id, id) ON DELETE SET NULL (issued_by),
    CONSTRAINT cards_revoked_by_fkey FOREIGN KEY (organization_id, revoked_by)
        REFERENCES users (organization_id, id) ON DELETE SET NULL (revoked_by)
);
CREATE INDEX cards_user_id_idx ON cards (user_id, status);
CREATE INDEX cards_organization_id_idx ON cards (organization_id, created_at);
CREATE INDEX cards_issued_by_idx ON cards (issued_by);
CREATE INDEX cards_revoked_by_idx ON cards (revoked_by);
CREATE INDEX cards_expires_at_idx ON cards (expires_at) WHERE status IN ('active', 'acknowledged', 'appealed');

CREATE TABLE reinforcements (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id     bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id             bigint NOT NULL,                                 -- who is credited
    from_user_id        bigint,                                          -- kudos giver; NULL = automatic
    kind                text NOT NULL CHECK (kind IN ('streak', 'milestone', 'kudos', 'intervention', 'improvement')),
    reason              text NOT NULL,
    details             jsonb NOT NULL DEFAULT '{}',
    dedupe_key          text,                                            -- automatic ones are issued once
    channel_id          text,
    message_ts          text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT reinforcements_organization_id_dedupe_key_key UNIQUE (organization_id, dedupe_key),
    CONSTRAINT reinforcements_user_id_fkey FOREIGN KEY (organization_id, user_id)
        REFERENCES users (organization_id, id) ON DELETE CASCADE,
    -- The kudos stays with its recipient when the giver leaves.
    CONSTRAINT reinforcements_from_user_id_fkey FOREIGN KEY (organization_id, from_user_id)
        REFERENCES users (organization_id, id) ON DELETE SET NULL (from_user_id)
);
CREATE INDEX reinforcements_user_id_idx ON reinforcements (user_id, created_at);
CREATE INDEX reinforcements_from_user_id_idx ON reinforcements (from_user_id);
CREATE INDEX reinforcements_organization_id_idx ON reinforcements (organization_id, created_at);

-- =====================================================================================================
-- Morning threads, submissions, out of office
-- =====================================================================================================

CREATE TABLE morning_threads (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id     bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    channel_id          text NOT NULL,
    thread_date         date NOT NULL,
    thread_ts           text,                                            -- NULL until posted
    status              text NOT NULL DEFAULT 'scheduled'
        CHECK (status IN ('scheduled', 'posted', 'closed', 'failed')),
    posted_at           timestamptz,
    nudges_sent_at      timestamptz,
    summary_sent_at     timestamptz,
    closed_at           timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT morning_threads_organization_id_id_key UNIQUE (organization_id, id),
    -- One morning thread per organization, channel and day (idempotent job).
    CONSTRAINT morning_threads_organization_id_channel_id_thread_date_key
        UNIQUE (organization_id, channel_id, thread_date),
    CHECK (status <> 'posted' OR thread_ts IS NOT NULL)
);
CREATE INDEX morning_threads_thread_ts_idx ON morning_threads (organization_id, channel_id, thread_ts);

CREATE TABLE thread_submissions (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id     bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    morning_thread_id   bigint NOT NULL,
    user_id             bigint NOT NULL,
    raw_text            text NOT NULL,                                   -- verbatim
    parsed              jsonb,                                           -- {"tasks": [...], "blockers": [...], "ooo": [...]}
    is_late             boolean NOT NULL DEFAULT false,
    message_ts          text,
    edited_at           timestamptz,
    parsed_at           timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT thread_submissions_morning_thread_id_user_id_key UNIQUE (morning_thread_id, user_id),
    CONSTRAINT thread_submissions_morning_thread_id_fkey FOREIGN KEY (organization_id, morning_thread_id)
        REFERENCES morning_threads (organization_id, id) ON DELETE CASCADE,
    CONSTRAINT thread_submissions_user_id_fkey FOREIGN KEY (organization_id, user_id)
        REFERENCES users (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX thread_submissions_user_id_idx ON thread_submissions (user_id);
CREATE INDEX thread_submissions_organization_id_idx ON thread_submissions (organization_id);

CREATE TABLE ooo_records (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id     bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id             bigint NOT NULL,
    start_date          date NOT NULL,
    end_date            date NOT NULL,
    reason              text,
    source              text NOT NULL DEFAULT 'manual' CHECK (source IN ('manual', 'parsed')),
    source_channel_id   text,
    source_ts           text,
    created_by          bigint,
    cancelled_at        timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    CHECK (end_date >= start_date),
    CONSTRAINT ooo_records_user_id_fkey FOREIGN KEY (organization_id, user_id)
        REFERENCES users (organization_id, id) ON DELETE CASCADE,
    CONSTRAINT ooo_records_created_by_fkey FOREIGN KEY (organization_id, created_by)
        REFERENCES users (organization_id, id) ON DELETE SET NULL (created_by)
);
CREATE INDEX ooo_records_user_id_idx ON ooo_records (user_id, start_date, end_date);
CREATE INDEX ooo_records_organization_id_idx ON ooo_records (organization_id, start_date, end_date);
CREATE INDEX ooo_records_created_by_idx ON ooo_records (created_by);

-- =====================================================================================================
-- Reports, KPIs, interventions, SOP records
-- =====================================================================================================

CREATE TABLE reports (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id     bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    kind                text NOT NULL CHECK (kind IN ('daily', 'weekly', 'monthly')),
    period_start        date NOT NULL,
    period_end          date NOT NULL,
    user_id             bigint,                                          -- NULL = whole organization
    scope               text GENERATED ALWAYS AS
        (CASE WHEN user_id IS NULL THEN 'org' ELSE 'user:' || user_id::text END) STORED,
    metrics             jsonb NOT NULL DEFAULT '{}',
    narrative           text,
    narrative_source    text CHECK (narrative_source IN ('llm', 'template')),
    chart_png           bytea,
    posted_channel_id   text,
    posted_ts           text,
    posted_at           timestamptz,
    generated_at        timestamptz NOT NULL DEFAULT now(),
    created_at          timestamptz NOT NULL DEFAULT now(),
    CHECK (period_end >= period_start),
    CONSTRAINT reports_organization_id_id_key UNIQUE (organization_id, id),
    CONSTRAINT reports_organization_id_kind_period_start_scope_key UNIQUE (organization_id, kind, period_start, scope),
    CONSTRAINT reports_user_id_fkey FOREIGN KEY (organization_id, user_id)
        REFERENCES users (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX reports_user_id_idx ON reports (user_id);

CREATE TABLE action_items (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id     bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    report_id           bigint,
    title               text NOT NULL,
    description         text,
    assignee_id         bigint,
    task_id             bigint,
    status              text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'in_progress', 'done', 'dropped')),
    due_date            date,
    completed_at        timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    -- Tracked work outlives a regenerated/deleted report.
    CONSTRAINT action_items_report_id_fkey FOREIGN KEY (organization_id, report_id)
        REFERENCES reports (organization_id, id) ON DELETE SET NULL (report_id),
    CONSTRAINT action_items_assignee_id_fkey FOREIGN KEY (organization_id, assignee_id)
        REFERENCES users (organization_id, id) ON DELETE SET NULL (assignee_id),
    CONSTRAINT action_items_task_id_fkey FOREIGN KEY (organization_id, task_id)
        REFERENCES tasks (organization_id, id) ON DELETE SET NULL (task_id)
);
CREATE INDEX action_items_organization_id_idx ON action_items (organization_id, status);
CREATE INDEX action_items_report_id_idx ON action_items (report_id);
CREATE INDEX action_items_assignee_id_idx ON action_items (assignee_id);
CREATE INDEX action_items_task_id_idx ON action_items (task_id);

-- Invisible labour: help, reviews, firefighting that no task shows.
CREATE TABLE interventions (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id     bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id             bigint NOT NULL,                                 -- who did the work
    helped_user_id      bigint,
    task_id             bigint,
    kind                text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_.]*$'), -- unblocked, reviewed, covered...
    description         text NOT NULL,
    minutes             integer CHECK (minutes >= 0),
    source              text NOT NULL DEFAULT 'manual' CHECK (source IN ('manual', 'detected')),
    occurred_at         timestamptz NOT NULL DEFAULT now(),
    logged_by           bigint,
    created_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT interventions_user_id_fkey FOREIGN KEY (organization_id, user_id)
        REFERENCES users (organization_id, id) ON DELETE CASCADE,
    CONSTRAINT interventions_helped_user_id_fkey FOREIGN KEY (organization_id, helped_user_id)
        REFERENCES users (organization_id, id) ON DELETE SET NULL (helped_user_id),
    CONSTRAINT interventions_task_id_fkey FOREIGN KEY (organization_id, task_id)
        REFERENCES tasks (organization_id, id) ON DELETE SET NULL (task_id),
    CONSTRAINT interventions_logged_by_fkey FOREIGN KEY (organization_id, logged_by)
        REFERENCES users (organization_id, id) ON DELETE SET NULL (logged_by)
);
CREATE INDEX interventions_organization_id_idx ON interventions (organization_id, occurred_at);
CREATE INDEX interventions_user_id_idx ON interventions (user_id, occurred_at);
CREATE INDEX interventions_helped_user_id_idx ON interventions (helped_user_id);
CREATE INDEX interventions_task_id_idx ON interventions (task_id);
CREATE INDEX interventions_logged_by_idx ON interventions (logged_by);

CREATE TABLE kpi_targets (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id     bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    metric              text NOT NULL CHECK (metric IN (
                            'submission_rate', 'on_time_rate', 'carry_forward_rate',
                            'blocker_resolution_hours', 'weighted_throughput', 'team_mood')),
    target              double precision NOT NULL,
    direction           text NOT NULL DEFAULT 'at_least' CHECK (direction IN ('at_least', 'at_most')),
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT kpi_targets_organization_id_metric_key UNIQUE (organization_id, metric)
);

CREATE TABLE kpi_snapshots (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id     bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id             bigint,                                          -- NULL = the whole team
    period              text NOT NULL DEFAULT 'weekly' CHECK (period IN ('daily', 'weekly', 'monthly')),
    period_start        date NOT NULL,
    period_end          date NOT NULL,
    metrics             jsonb NOT NULL DEFAULT '{}',                    -- {"submission_rate": 0.93, ...}
    created_at          timestamptz NOT NULL DEFAULT now(),
    CHECK (period_end >= period_start),
    -- One snapshot per organization, person-or-team and period (NULL user = team, counted once).
    CONSTRAINT kpi_snapshots_org_user_period_key
        UNIQUE NULLS NOT DISTINCT (organization_id, user_id, period, period_start),
    CONSTRAINT kpi_snapshots_user_id_fkey FOREIGN KEY (organization_id, user_id)
        REFERENCES users (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX kpi_snapshots_user_id_idx ON kpi_snapshots (user_id, period_start);

CREATE TABLE sop_records (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id     bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    sop_id              bigint NOT NULL,
    user_id             bigint,
    client_id           bigint,
    deploy_schedule_id  bigint,
    task_id             bigint,
    compliant           boolean NOT NULL,
    steps_done          jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(steps_done) = 'array'),
    notes               text,
    recorded_at         timestamptz NOT NULL DEFAULT now(),
    created_at          timestamptz NOT NULL DEFAULT now(),
    -- Compliance records are the SOP's log.
    CONSTRAINT sop_records_sop_id_fkey FOREIGN KEY (organization_id, sop_id)
        REFERENCES sops (organization_id, id) ON DELETE CASCADE,
    CONSTRAINT sop_records_user_id_fkey FOREIGN KEY (organization_id, user_id)
        REFERENCES users (organization_id, id) ON DELETE SET NULL (user_id),
    CONSTRAINT sop_records_client_id_fkey FOREIGN KEY (organization_id, client_id)
        REFERENCES clients (organization_id, id) ON DELETE SET NULL (client_id),
    CONSTRAINT sop_records_deploy_schedule_id_fkey FOREIGN KEY (organization_id, deploy_schedule_id)
        REFERENCES client_deploy_schedules (organization_id, id) ON DELETE SET NULL (deploy_schedule_id),
    CONSTRAINT sop_records_task_id_fkey FOREIGN KEY (organization_id, task_id)
        REFERENCES tasks (organization_id, id) ON DELETE SET NULL (task_id)
);
CREATE INDEX sop_records_organization_id_idx ON sop_records (organization_id, recorded_at);
CREATE INDEX sop_records_sop_id_idx ON sop_records (sop_id, recorded_at);
CREATE INDEX sop_records_user_id_idx ON sop_records (user_id);
CREATE INDEX sop_records_client_id_idx ON sop_records (client_id);
CREATE INDEX sop_records_deploy_schedule_id_idx ON sop_records (deploy_schedule_id);
CREATE INDEX sop_records_task_id_idx ON sop_records (task_id);

-- =====================================================================================================
-- Context memory
-- =====================================================================================================

-- Raw channel messages, deleted CONTEXT_RAW_RETENTION_DAYS (7) after created_at (the time Steward
-- stored them, so backfilled history still gets processed). user_id is the Slack user id.
CREATE TABLE channel_messages (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id     bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    channel_id          text NOT NULL,
    ts                  text NOT NULL,
    thread_ts           text,
    user_id             text,                                            -- Slack user id (or bot id)
    subtype             text,
    text                text NOT NULL DEFAULT '',
    posted_at           timestamptz GENERATED ALWAYS AS (to_timestamp(ts::double precision)) STORED,
    edited_at           timestamptz,
    deleted             boolean NOT NULL DEFAULT false,
    processed_at        timestamptz,                                     -- NULL = not yet through the pipeline
    created_at          timestamptz NOT NULL DEFAULT now(),
    CHECK (ts ~ '^[0-9]+(\.[0-9]+)?$'),
    CONSTRAINT channel_messages_organization_id_channel_id_ts_key UNIQUE (organization_id, channel_id, ts)
);
CREATE INDEX channel_messages_created_at_idx ON channel_messages (created_at);
CREATE INDEX channel_messages_unprocessed_idx ON channel_messages (created_at) WHERE processed_at IS NULL;
CREATE INDEX channel_messages_thread_idx ON channel_messages (organization_id, channel_id, thread_ts)
    WHERE thread_ts IS NOT NULL;

-- Facts extracted from messages. Source messages are kept as (channel_id, ts) pairs, not FKs, because
-- the raw messages are deleted after 7 days while the observations stay (links are built from them).
CREATE TABLE context_observations (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id     bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    entity_type         text NOT NULL CHECK (entity_type IN ('client', 'project', 'person', 'topic', 'channel')),
    entity_key          text NOT NULL,                                   -- normalised name or id
    entity_id           bigint,                                          -- clients/projects/users id when known
    channel_id          text,
    source_message_ts   text[] NOT NULL DEFAULT '{}',
    content             text NOT NULL,
    observed_at         timestamptz,                                     -- time of the newest source message
    embedding           vector(1536),                                    -- NULL until embedded
    embedding_model     text,
    tsv                 tsvector GENERATED ALWAYS AS (to_tsvector('simple', content)) STORED,
    created_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX context_observations_organization_id_idx ON context_observations (organization_id);
CREATE INDEX context_observations_entity_idx
    ON context_observations (organization_id, entity_type, entity_key, created_at);
CREATE INDEX context_observations_tsv_idx ON context_observations USING gin (tsv);
CREATE INDEX context_observations_embedding_idx ON context_observations USING hnsw (embedding vector_cosine_ops);

CREATE TABLE context_summaries (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id     bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    entity_type         text NOT NULL CHECK (entity_type IN ('client', 'project', 'person', 'topic', 'channel')),
    entity_key          text NOT NULL,
    entity_id           bigint,
    display_name        text,
    summary             text NOT NULL,
    embedding           vector(1536),
    embedding_model     text,
    observation_count   integer NOT NULL DEFAULT 0 CHECK (observation_count >= 0),
    generated_at        timestamptz NOT NULL DEFAULT now(),
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT context_summaries_organization_id_entity_type_entity_key_key
        UNIQUE (organization_id, entity_type, entity_key)
);
CREATE INDEX context_summaries_organization_id_idx ON context_summaries (organization_id);
CREATE INDEX context_summaries_embedding_idx ON context_summaries USING hnsw (embedding vector_cosine_ops);

CREATE TABLE backfill_state (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id     bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    channel_id          text NOT NULL,
    cursor              text,                                            -- conversations.history cursor
    oldest_ts           text,
    latest_ts           text,
    status              text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'complete', 'failed')),
    messages_fetched    integer NOT NULL DEFAULT 0 CHECK (messages_fetched >= 0),
    pages               integer NOT NULL DEFAULT 0 CHECK (pages >= 0),
    last_error          text,
    started_at          timestamptz,
    finished_at         timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT backfill_state_organization_id_channel_id_key UNIQUE (organization_id, channel_id)
);

-- =====================================================================================================
-- Steward's own plumbing (not organization-scoped)
-- =====================================================================================================

-- Every inbound Slack envelope, written before the ack. organization_id is unknown at that moment
-- (team_id is stored), so this table has no organization FK. event_key is the envelope's event_id /
-- envelope_id: a Slack retry is an ON CONFLICT DO NOTHING.
CREATE TABLE event_inbox (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_key           text NOT NULL,
    kind                text NOT NULL CHECK (kind IN ('events_api', 'slash_commands', 'interactive', 'other')),
    team_id             text,
    payload             jsonb NOT NULL,
    status              text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'processing', 'done', 'dead')),
    attempts            integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at     timestamptz NOT NULL DEFAULT now(),
    locked_at           timestamptz,
    last_error          text,
    received_at         timestamptz NOT NULL DEFAULT now(),
    processed_at        timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT event_inbox_event_key_key UNIQUE (event_key)
);
CREATE INDEX event_inbox_status_next_attempt_at_idx ON event_inbox (status, next_attempt_at);
CREATE INDEX event_inbox_received_at_idx ON event_inbox (received_at);

-- One row per scheduled firing: INSERT ... ON CONFLICT DO NOTHING decides which process runs it.
-- Per-organization jobs put the organization in job_name (e.g. 'morning_thread:42').
CREATE TABLE job_runs (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_name            text NOT NULL,
    scheduled_for       timestamptz NOT NULL,
    status              text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'succeeded', 'failed', 'skipped')),
    worker              text,                                            -- host:pid
    summary             jsonb NOT NULL DEFAULT '{}',
    error               text,
    started_at          timestamptz NOT NULL DEFAULT now(),
    finished_at         timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT job_runs_job_name_scheduled_for_key UNIQUE (job_name, scheduled_for)
);
CREATE INDEX job_runs_started_at_idx ON job_runs (started_at);

-- =====================================================================================================
-- updated_at triggers
-- =====================================================================================================

DO $$
DECLARE
    t text;
BEGIN
    FOR t IN
        SELECT c.table_name
        FROM information_schema.columns c
        JOIN information_schema.tables tb
          ON tb.table_schema = c.table_schema AND tb.table_name = c.table_name AND tb.table_type = 'BASE TABLE'
        WHERE c.table_schema = current_schema() AND c.column_name = 'updated_at'
        ORDER BY c.table_name
    LOOP
        EXECUTE 'CREATE TRIGGER ' || quote_ident(t || '_set_updated_at') || ' BEFORE UPDATE ON '
             || quote_ident(t) || ' FOR EACH ROW EXECUTE FUNCTION set_updated_at()';
    END LOOP;
END;
$$;
