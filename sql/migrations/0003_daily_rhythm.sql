-- 0003_daily_rhythm.sql -- the day's plan behind morning threads and end-of-day snapshots (SPEC F4, F5).
--
-- No percent signs in this file (it may be sent through a DB-API driver).

-- Who the thread was for: the human members of the standup channel when it was posted, matched to
-- active users. Nudges and the manager summary work from this snapshot, so a channel change during
-- the day cannot make someone "missing" who was never asked.
ALTER TABLE morning_threads ADD COLUMN participant_ids bigint[] NOT NULL DEFAULT '{}';

-- thread_submissions is referenced by (organization_id, id).
ALTER TABLE thread_submissions ADD CONSTRAINT thread_submissions_organization_id_id_key UNIQUE (organization_id, id);

-- The day's plan: one row per task and day. Replies in the morning thread put tasks here
-- (source 'submission'); tasks carried forward from an earlier day come back on the next thread
-- (source 'carried'). The end-of-day check-in records the person's answer; the day's close turns
-- each row into exactly one task_statuses row and sets closed_at.
CREATE TABLE day_plan_items (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id     bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id             bigint NOT NULL,                                 -- whose plan
    task_id             bigint NOT NULL,
    plan_date           date NOT NULL,                                   -- the thread date
    source              text NOT NULL CHECK (source IN ('submission', 'carried')),
    submission_id       bigint,                                          -- the reply that planned it
    message_ts          text,                                            -- the message of that reply
    answer              text CHECK (answer IN ('done', 'dropped')),      -- from the end-of-day check-in
    answer_reason       text,
    answered_at         timestamptz,                                     -- the person answered the check-in
    reopen_status       text,                                            -- to undo a ticked box: the task's
    reopen_stage_id     bigint,                                          -- status and stage before
    closed_at           timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT day_plan_items_task_id_plan_date_key UNIQUE (task_id, plan_date),
    CONSTRAINT day_plan_items_task_id_fkey FOREIGN KEY (organization_id, task_id)
        REFERENCES tasks (organization_id, id) ON DELETE CASCADE,
    -- A person's plan is about them: erased with them (their task_statuses snapshots stay).
    CONSTRAINT day_plan_items_user_id_fkey FOREIGN KEY (organization_id, user_id)
        REFERENCES users (organization_id, id) ON DELETE CASCADE,
    CONSTRAINT day_plan_items_submission_id_fkey FOREIGN KEY (organization_id, submission_id)
        REFERENCES thread_submissions (organization_id, id) ON DELETE SET NULL (submission_id)
);
CREATE INDEX day_plan_items_user_id_plan_date_idx ON day_plan_items (user_id, plan_date);
CREATE INDEX day_plan_items_organization_id_plan_date_idx ON day_plan_items (organization_id, plan_date);
CREATE INDEX day_plan_items_submission_id_idx ON day_plan_items (submission_id);
CREATE INDEX day_plan_items_open_idx ON day_plan_items (organization_id, plan_date) WHERE closed_at IS NULL;

CREATE TRIGGER day_plan_items_set_updated_at BEFORE UPDATE ON day_plan_items
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
