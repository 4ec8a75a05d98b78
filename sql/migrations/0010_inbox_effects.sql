-- 0010_inbox_effects.sql -- effects done once per source event (issue 11, parts 2 and 5).
--
-- No percent signs in this file (it may be sent through a DB-API driver).

-- What handling an inbox row has already done, so that handling it again (after a crash, or a retry
-- after an error) does not do it twice. One row per effect, named by its kind and its place in the
-- handling ('draft#1', 'slack:chat.postMessage:D0PRIYA#1', 'response_url#1'); written in the same
-- transaction as a database effect, or right after Slack accepted a post. `result` is what a replay
-- needs (a draft's id, a message's channel and ts). Steward's own plumbing, like event_inbox: the
-- organization is not known when an envelope is stored, and the rows go with their inbox row.
CREATE TABLE inbox_effects (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    inbox_id    bigint NOT NULL REFERENCES event_inbox (id) ON DELETE CASCADE,
    effect      text NOT NULL CHECK (length(effect) <= 300),
    result      jsonb,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT inbox_effects_inbox_id_effect_key UNIQUE (inbox_id, effect)
);

-- A row whose handling may have stopped between a Slack post and its record (its worker died, or the
-- record could not be written): the next attempt looks for its posts in Slack before posting again.
ALTER TABLE event_inbox ADD COLUMN uncertain boolean NOT NULL DEFAULT false;

-- Slash commands and interactions must be stored within Slack's 3 s to be acknowledged. One Steward
-- could not store in time (the database was down) is never run later: a row that was committed all the
-- same in that last moment is marked expired (and its person told), never processed.
ALTER TABLE event_inbox DROP CONSTRAINT event_inbox_status_check;
ALTER TABLE event_inbox ADD CONSTRAINT event_inbox_status_check
    CHECK (status IN ('pending', 'processing', 'done', 'dead', 'expired'));
