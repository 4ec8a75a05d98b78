-- 0011_escalations.sql -- who manages whom, and escalation ladders (issue 13, first half): ladders in
-- the grammar's stored form, the blocker ladder's walk on each blocker, and one row per rung fired.
--
-- No percent signs in this file (it may be sent through a DB-API driver).

-- Ladders are stored as the rungs of bot/parsing/ladders.py: [{"after": 4, "unit": "h", "action": "owner"}, ...]
-- (unit h = working hours, d = working days). The first schema's default said the same in hours.
ALTER TABLE org_settings ALTER COLUMN blocker_ladder SET DEFAULT
    '[{"after": 4, "unit": "h", "action": "owner"}, {"after": 1, "unit": "d", "action": "manager"},
      {"after": 2, "unit": "d", "action": "channel"}, {"after": 3, "unit": "d", "action": "flag"}]';
UPDATE org_settings SET blocker_ladder =
    '[{"after": 4, "unit": "h", "action": "owner"}, {"after": 1, "unit": "d", "action": "manager"},
      {"after": 2, "unit": "d", "action": "channel"}, {"after": 3, "unit": "d", "action": "flag"}]'
WHERE blocker_ladder = '[{"after_hours": 4, "working_hours": true, "action": "ask_owner"},
          {"after_hours": 24, "action": "dm_manager"},
          {"after_hours": 48, "action": "post_project_channel"},
          {"after_hours": 72, "action": "raise_flag"}]'::jsonb;
ALTER TABLE org_settings ADD CONSTRAINT org_settings_blocker_ladder_check
    CHECK (jsonb_typeof(blocker_ladder) = 'array' AND jsonb_array_length(blocker_ladder) BETWEEN 1 AND 8);
ALTER TABLE org_settings ADD CONSTRAINT org_settings_overdue_ladder_check
    CHECK (overdue_ladder IS NULL OR (jsonb_typeof(overdue_ladder) = 'array' AND jsonb_array_length(overdue_ladder) BETWEEN 1 AND 8));
ALTER TABLE projects ADD CONSTRAINT projects_overdue_escalation_check
    CHECK (overdue_escalation IS NULL OR (jsonb_typeof(overdue_escalation) = 'array'
                                          AND jsonb_array_length(overdue_escalation) BETWEEN 1 AND 8));

-- Who set a person's manager: 'admin' (/steward manager, the Team modal) or 'slack_profile' (imported at
-- workspace sync from a "Manager" / "Reports to" custom profile field). An import never overrides an admin.
ALTER TABLE users ADD COLUMN manager_source text CHECK (manager_source IN ('admin', 'slack_profile'));
UPDATE users SET manager_source = 'admin' WHERE manager_id IS NOT NULL;

-- A person in ramp-up escalates to their buddy (or manager), never to a channel.
ALTER TABLE user_ramp_up ADD COLUMN buddy_id bigint;
ALTER TABLE user_ramp_up ADD CONSTRAINT user_ramp_up_buddy_id_fkey FOREIGN KEY (organization_id, buddy_id)
    REFERENCES users (organization_id, id) ON DELETE SET NULL (buddy_id);
CREATE INDEX user_ramp_up_buddy_id_idx ON user_ramp_up (buddy_id);

-- The blocker ladder's walk (bot/services/ladders.py): the waits count from anchor_at; anchor_level says which
-- rung's wait the anchor stands for ("Still blocked" restarts the current rung); no rung fires before
-- held_until ("I'm on it"). owner_id is the owner of record ("I'm on it"; NULL: the blocked person).
-- raised_channel_id / raised_ts: where it was raised (the manager's DM links to it).
ALTER TABLE blockers ADD COLUMN owner_id bigint;
ALTER TABLE blockers ADD CONSTRAINT blockers_owner_id_fkey FOREIGN KEY (organization_id, owner_id)
    REFERENCES users (organization_id, id) ON DELETE SET NULL (owner_id);
ALTER TABLE blockers ADD COLUMN anchor_at timestamptz;
ALTER TABLE blockers ADD COLUMN anchor_level smallint NOT NULL DEFAULT 0 CHECK (anchor_level >= 0);
ALTER TABLE blockers ADD COLUMN held_until timestamptz;
ALTER TABLE blockers ADD COLUMN raised_channel_id text;
ALTER TABLE blockers ADD COLUMN raised_ts text;
ALTER TABLE blockers ADD COLUMN raised_permalink text;                    -- chat.getPermalink of raised_ts, once known
-- The blocked person's latest word on it (when raised, "Still blocked", a standup reply naming its task).
ALTER TABLE blockers ADD COLUMN last_word text;
ALTER TABLE blockers ADD COLUMN last_word_at timestamptz;
UPDATE blockers SET anchor_at = created_at WHERE anchor_at IS NULL;
ALTER TABLE blockers ALTER COLUMN anchor_at SET NOT NULL;
ALTER TABLE blockers ALTER COLUMN anchor_at SET DEFAULT now();
CREATE INDEX blockers_owner_id_idx ON blockers (owner_id);
-- The sweep's question, per organization: which open blockers are due by now.
CREATE INDEX blockers_due_idx ON blockers (organization_id, next_escalation_at) WHERE status = 'open';

-- One row per rung fired (or skipped) of an escalating record: the guarantee that each rung fires once, whoever
-- runs the sweep (two processes, re-runs, restarts), and the list of who was told (resolution tells them).
-- subject_type 'blocker' (subject_id = blockers.id) or 'task' (overdue work: subject_id = tasks.id, cycle = the
-- due date it was overdue for, so a new date starts a new walk).
CREATE TABLE escalation_steps (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id     bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    subject_type        text NOT NULL CHECK (subject_type IN ('blocker', 'task')),
    subject_id          bigint NOT NULL,
    cycle               text NOT NULL DEFAULT '',
    level               smallint NOT NULL CHECK (level >= 1),             -- 1 = the first rung
    action              text NOT NULL CHECK (action IN ('owner', 'manager', 'channel', 'flag')),
    outcome             text NOT NULL DEFAULT 'sent' CHECK (outcome IN ('sent', 'skipped')),
    told_user_ids       bigint[] NOT NULL DEFAULT '{}',                   -- people DMed (or flagged to)
    channel_id          text,                                             -- the channel posted in
    notification_id     bigint,
    reason              text,                                             -- why it went elsewhere, or was skipped
    fired_at            timestamptz NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT escalation_steps_once UNIQUE (organization_id, subject_type, subject_id, cycle, level)
);
CREATE INDEX escalation_steps_subject_idx ON escalation_steps (organization_id, subject_type, subject_id);
