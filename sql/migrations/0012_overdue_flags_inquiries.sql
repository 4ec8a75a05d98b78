-- 0012_overdue_flags_inquiries.sql -- issue 13, second half: overdue work climbs its project's ladder, flags reach
-- the person's manager with buttons, and private inquiries relay a conversation between a manager and the person.
--
-- No percent signs in this file (it may be sent through a DB-API driver).

-- The overdue ladder's walk on each task (bot/services/overdue.py), in bot/services/ladders.py's terms: the walk
-- is for one due date (overdue_due_date, and overdue_due_at when a time of day was given); a new date starts a
-- new walk. overdue_anchor_at is the instant its waits count from (the due instant; when Steward first saw the
-- task already overdue, that moment), overdue_level how many rungs fired for that date, overdue_next_at when the
-- next is due (NULL: no walk, or the ladder is done), overdue_last_at when the last fired. Each rung is also one escalation_steps row
-- (subject_type 'task', cycle = the due date), which is what makes it fire once.
ALTER TABLE tasks ADD COLUMN overdue_due_date date;
ALTER TABLE tasks ADD COLUMN overdue_due_at timestamptz;
ALTER TABLE tasks ADD COLUMN overdue_anchor_at timestamptz;
ALTER TABLE tasks ADD COLUMN overdue_level smallint NOT NULL DEFAULT 0 CHECK (overdue_level >= 0);
ALTER TABLE tasks ADD COLUMN overdue_next_at timestamptz;
ALTER TABLE tasks ADD COLUMN overdue_last_at timestamptz;
-- The sweep's two questions, per organization: which open tasks fell due (to start their walk), and which walks
-- have a rung due by now.
CREATE INDEX tasks_open_due_date_idx ON tasks (organization_id, due_date)
    WHERE status NOT IN ('done', 'dropped') AND due_date IS NOT NULL;
CREATE INDEX tasks_overdue_next_idx ON tasks (organization_id, overdue_next_at)
    WHERE status NOT IN ('done', 'dropped') AND overdue_next_at IS NOT NULL;

-- A flag's card (reason, evidence, Open inquiry / Resolve / Dismiss) reaches the person's manager once:
-- notified_at says it was queued. Flags raised before this migration were told by the code of their time.
ALTER TABLE flags ADD COLUMN notified_at timestamptz;
UPDATE flags SET notified_at = created_at;
CREATE INDEX flags_unnotified_idx ON flags (organization_id, id) WHERE notified_at IS NULL;
CREATE INDEX flags_organization_id_status_idx ON flags (organization_id, status);

-- A private inquiry is two DM threads with Steward: the manager's (manager_channel_id, manager_thread_ts: the flag's
-- card in their DM, or the message that opened it) and the person's (user_channel_id, user_thread_ts). What one
-- writes in their thread is relayed into the other's. closed_by / closed_at: who resolved or dismissed it, when.
ALTER TABLE inquiry_threads ADD COLUMN manager_thread_ts text;
ALTER TABLE inquiry_threads ADD COLUMN user_thread_ts text;
ALTER TABLE inquiry_threads ADD COLUMN closed_by bigint;
ALTER TABLE inquiry_threads ADD CONSTRAINT inquiry_threads_closed_by_fkey FOREIGN KEY (organization_id, closed_by)
    REFERENCES users (organization_id, id) ON DELETE SET NULL (closed_by);
ALTER TABLE inquiry_threads ADD CONSTRAINT inquiry_threads_closed_check CHECK (status <> 'closed' OR closed_at IS NOT NULL);
CREATE INDEX inquiry_threads_closed_by_idx ON inquiry_threads (closed_by);
-- One open inquiry per flag; a message in a DM thread finds its inquiry by the thread.
CREATE UNIQUE INDEX inquiry_threads_one_open_per_flag ON inquiry_threads (organization_id, flag_id) WHERE status = 'open';
CREATE INDEX inquiry_threads_manager_thread_idx ON inquiry_threads (organization_id, manager_channel_id, manager_thread_ts);
CREATE INDEX inquiry_threads_user_thread_idx ON inquiry_threads (organization_id, user_channel_id, user_thread_ts);

-- Each message is stored once (its Slack ts on its author's side), and where its relayed copy landed (relayed_ts).
ALTER TABLE inquiry_messages ADD COLUMN relayed_ts text;
CREATE UNIQUE INDEX inquiry_messages_once ON inquiry_messages (organization_id, thread_id, sender_role, slack_ts)
    WHERE slack_ts IS NOT NULL;
