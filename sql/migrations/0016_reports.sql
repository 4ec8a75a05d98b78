-- 0016_reports.sql -- issue 15 part 2, reports and action items: where and when reports go, a manager's team report
-- as its own scope, the chart's upload outcome, and what an action item rests on (its evidence, once).
--
-- No percent signs in this file (it may be sent through a DB-API driver).

-- `/steward reports channel #x` (admins): organization-wide reports are posted there; NULL: to each admin by DM.
ALTER TABLE org_settings ADD COLUMN reports_channel_id text;
-- The weekly report's day (ISO weekday, 1 = Monday) and time on the team's clock (NULL: its morning time).
ALTER TABLE org_settings ADD COLUMN report_day smallint NOT NULL DEFAULT 1 CHECK (report_day BETWEEN 1 AND 7);
ALTER TABLE org_settings ADD COLUMN report_time time;

-- A report is about one person (audience 'self'), a manager's team (audience 'team', user_id the manager) or the
-- whole organization (user_id NULL). The scope (one report per organization, kind, period and scope) says which.
ALTER TABLE reports DROP CONSTRAINT reports_organization_id_kind_period_start_scope_key;
ALTER TABLE reports DROP COLUMN scope;
ALTER TABLE reports ADD COLUMN audience text NOT NULL DEFAULT 'self' CHECK (audience IN ('self', 'team'));
ALTER TABLE reports ADD COLUMN scope text GENERATED ALWAYS AS (
    CASE WHEN user_id IS NULL THEN 'org'
         WHEN audience = 'team' THEN 'team:' || user_id::text
         ELSE 'user:' || user_id::text END) STORED;
ALTER TABLE reports ADD CONSTRAINT reports_organization_id_kind_period_start_scope_key
    UNIQUE (organization_id, kind, period_start, scope);
-- Why the chart is missing, when it is (the report went out without it).
ALTER TABLE reports ADD COLUMN chart_error text;

-- An action item proposed by a report rests on evidence: kind (blocker, submission, carried, kpi), a stable key
-- for what it is about (blocker:7, submission:42, carried:55, kpi:on_time_rate) and the period it was first seen
-- in (NULL for a blocker or a task: one item for it, ever). The same evidence never opens a second item; an item
-- about a person or a KPI may open again in a later period once the earlier one is closed.
ALTER TABLE action_items ADD COLUMN kind text CHECK (kind IN ('blocker', 'submission', 'carried', 'kpi', 'manual'));
ALTER TABLE action_items ADD COLUMN evidence text;
ALTER TABLE action_items ADD COLUMN evidence_key text;
ALTER TABLE action_items ADD COLUMN evidence_period date;
ALTER TABLE action_items ADD COLUMN closed_by bigint;
ALTER TABLE action_items ADD COLUMN dismiss_reason text;
ALTER TABLE action_items ADD CONSTRAINT action_items_evidence_key
    UNIQUE NULLS NOT DISTINCT (organization_id, evidence_key, evidence_period);
ALTER TABLE action_items ADD CONSTRAINT action_items_closed_by_fkey FOREIGN KEY (organization_id, closed_by)
    REFERENCES users (organization_id, id) ON DELETE SET NULL (closed_by);
CREATE INDEX action_items_closed_by_idx ON action_items (closed_by);
CREATE INDEX action_items_open_idx ON action_items (organization_id, assignee_id) WHERE status IN ('open', 'in_progress');

-- A delivery that carries files (a report's chart) is sent in two steps: its message, then its files threaded under
-- it. Until both are done it stays 'sending' with the message's ts recorded, so a delivery whose sender died after
-- the post is reclaimed for its files alone (never posted again). files_sent: how many of the payload's files are
-- done (uploaded, or given up after Slack refused them); file_unconfirmed: the next one's upload began and its
-- outcome is unknown, so it is looked for in the thread before it is uploaded again.
ALTER TABLE notification_deliveries ADD COLUMN files_sent smallint NOT NULL DEFAULT 0;
ALTER TABLE notification_deliveries ADD COLUMN file_unconfirmed boolean NOT NULL DEFAULT false;
