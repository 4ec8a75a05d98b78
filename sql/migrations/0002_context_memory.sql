-- 0002_context_memory.sql -- Context memory (SPEC F15): what 0001 left to the feature.
--
-- Applied in one transaction; no percent signs in this file.

-- Rows inline. A vector(1536) is 6 KB, so every observation row is over the 2 KB TOAST threshold, and
-- by default PostgreSQL moves the vector *and* every other text column longer than a TOAST pointer
-- (entity_key, channel_id, embedding_model...) into the TOAST table: an exact scan then pays three or
-- four TOAST index lookups per row, for the vector and for each filtered column. With
-- toast_tuple_target at its maximum nothing is moved out unless the row would not fit in a page, and
-- STORAGE MAIN makes the vector the last thing to go even then. About one row per 8 KB page; an exact
-- scan of 4,000 rows went from 16 ms to 6 ms. Affects rows written from now on.
ALTER TABLE context_observations SET (toast_tuple_target = 8160);
ALTER TABLE context_observations ALTER COLUMN embedding SET STORAGE MAIN;
ALTER TABLE context_summaries SET (toast_tuple_target = 8160);
ALTER TABLE context_summaries ALTER COLUMN embedding SET STORAGE MAIN;

-- Searches are scoped to the channels the asker is a member of; "memory off" deletes a channel's rows.
CREATE INDEX context_observations_channel_idx ON context_observations (organization_id, channel_id);
-- The summary job looks at recently written observations only.
CREATE INDEX context_observations_created_at_idx ON context_observations (created_at);

-- A summary may only be shown to someone who can see every channel its observations came from.
ALTER TABLE context_summaries ADD COLUMN source_channel_ids text[] NOT NULL DEFAULT '{}';

-- The pipeline claims messages with a lease (FOR UPDATE SKIP LOCKED sets it) instead of holding a
-- transaction open across the AI calls; an edit clears the lease so the new text is processed again.
ALTER TABLE channel_messages ADD COLUMN claimed_until timestamptz;

-- Backfill progress for App Home and the CLI: the window asked for, the oldest message reached so far
-- (progress = (latest - reached) / (latest - oldest)), thread replies fetched.
ALTER TABLE backfill_state ADD COLUMN days integer CHECK (days IS NULL OR days > 0);
ALTER TABLE backfill_state ADD COLUMN reached_ts text;
ALTER TABLE backfill_state ADD COLUMN replies_fetched integer NOT NULL DEFAULT 0 CHECK (replies_fetched >= 0);

-- Channels Steward remembers: the per-channel memory switch (an admin's `/steward memory off`), and a
-- cache of the channel's members (conversations.members, kept current by member_joined_channel /
-- member_left_channel and refreshed when stale) used to scope answers to the asker's channels.
CREATE TABLE context_channels (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id     bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    channel_id          text NOT NULL,
    name                text,
    is_private          boolean NOT NULL DEFAULT false,
    memory_enabled      boolean NOT NULL DEFAULT true,
    memory_changed_at   timestamptz,
    member_ids          text[] NOT NULL DEFAULT '{}',                    -- Slack user ids
    members_synced_at   timestamptz,                                     -- NULL = never fetched
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT context_channels_organization_id_channel_id_key UNIQUE (organization_id, channel_id)
);
CREATE TRIGGER context_channels_set_updated_at BEFORE UPDATE ON context_channels
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
