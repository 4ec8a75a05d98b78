-- 0004_observation_authors.sql -- who said each remembered fact (SPEC F15: answers say who said what and when).
--
-- Applied in one transaction; no percent signs in this file.

-- The Slack user ids of the authors of source_message_ts, in the same order (source_user_ids[i] wrote
-- source_message_ts[i]). Raw channel messages are deleted after CONTEXT_RAW_RETENTION_DAYS, so the
-- observation keeps its authors itself. Rows written before this migration have none: answers then
-- look the author up in channel_messages while the raw message is still kept.
ALTER TABLE context_observations ADD COLUMN source_user_ids text[] NOT NULL DEFAULT '{}';
