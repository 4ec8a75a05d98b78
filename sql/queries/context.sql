-- Context memory (SPEC F15): channel messages, observations, summaries, backfill, search,
-- conversation sessions and user memory. Every query is scoped to one organization.


-- ============================================================================== channels

-- name: context_channel_ensure
INSERT INTO context_channels (organization_id, channel_id, is_private, name)
VALUES (%(organization_id)s, %(channel_id)s, coalesce(%(is_private)s, false), %(name)s)
ON CONFLICT (organization_id, channel_id) DO UPDATE
SET is_private = coalesce(%(is_private)s, context_channels.is_private),
    name = coalesce(%(name)s, context_channels.name)
WHERE (%(is_private)s IS NOT NULL AND context_channels.is_private IS DISTINCT FROM %(is_private)s)
   OR (%(name)s IS NOT NULL AND context_channels.name IS DISTINCT FROM %(name)s)

-- name: context_channel_get
SELECT channel_id, name, is_private, memory_enabled, memory_changed_at, member_ids, members_synced_at
FROM context_channels
WHERE organization_id = %(organization_id)s AND channel_id = %(channel_id)s

-- name: context_channel_set_memory
INSERT INTO context_channels (organization_id, channel_id, memory_enabled, memory_changed_at)
VALUES (%(organization_id)s, %(channel_id)s, %(enabled)s, %(now)s)
ON CONFLICT (organization_id, channel_id) DO UPDATE
SET memory_enabled = EXCLUDED.memory_enabled, memory_changed_at = EXCLUDED.memory_changed_at
RETURNING (xmax <> 0) AS existed

-- name: context_channels_needing_members
-- Channels with something to answer from whose member list is missing or older than the TTL.
SELECT channel_id
FROM context_channels
WHERE organization_id = %(organization_id)s AND memory_enabled
  AND (members_synced_at IS NULL OR members_synced_at < %(stale_before)s)
ORDER BY channel_id

-- name: context_channel_set_members
UPDATE context_channels
SET member_ids = %(member_ids)s, members_synced_at = %(now)s,
    name = coalesce(%(name)s, name), is_private = coalesce(%(is_private)s, is_private)
WHERE organization_id = %(organization_id)s AND channel_id = %(channel_id)s

-- name: context_channel_add_member
UPDATE context_channels
SET member_ids = array_append(member_ids, %(slack_user_id)s)
WHERE organization_id = %(organization_id)s AND channel_id = %(channel_id)s
  AND NOT (%(slack_user_id)s = ANY (member_ids))

-- name: context_channel_remove_member
UPDATE context_channels
SET member_ids = array_remove(member_ids, %(slack_user_id)s)
WHERE organization_id = %(organization_id)s AND channel_id = %(channel_id)s
  AND %(slack_user_id)s = ANY (member_ids)

-- name: context_channels_of_member
SELECT channel_id, is_private
FROM context_channels
WHERE organization_id = %(organization_id)s AND memory_enabled AND %(slack_user_id)s = ANY (member_ids)

-- name: context_channel_names
SELECT channel_id, name FROM context_channels
WHERE organization_id = %(organization_id)s AND channel_id = ANY (%(channel_ids)s)

-- name: context_channel_of_entity
-- The client or project a channel belongs to (its hint for extraction).
SELECT 'client' AS entity_type, id, name FROM clients
WHERE organization_id = %(organization_id)s AND slack_channel_id = %(channel_id)s AND active
UNION ALL
SELECT 'project', id, name FROM projects
WHERE organization_id = %(organization_id)s AND slack_channel_id = %(channel_id)s AND status = 'active'
LIMIT 1

-- name: context_known_entities
SELECT 'client' AS entity_type, id, name, slack_channel_id FROM clients
WHERE organization_id = %(organization_id)s AND active
UNION ALL
SELECT 'project', id, name, slack_channel_id FROM projects
WHERE organization_id = %(organization_id)s AND status = 'active'
UNION ALL
SELECT 'person', u.id, u.display_name, NULL FROM users u
WHERE u.organization_id = %(organization_id)s AND u.active

-- name: context_memory_overview
-- App Home for admins: every remembered channel with its counts and backfill progress.
SELECT c.channel_id, c.name, c.is_private, c.memory_enabled,
       (SELECT count(*) FROM channel_messages m
         WHERE m.organization_id = c.organization_id AND m.channel_id = c.channel_id AND NOT m.deleted)::int AS messages,
       (SELECT count(*) FROM channel_messages m
         WHERE m.organization_id = c.organization_id AND m.channel_id = c.channel_id AND NOT m.deleted
           AND m.processed_at IS NULL)::int AS pending,
       (SELECT count(*) FROM context_observations o
         WHERE o.organization_id = c.organization_id AND o.channel_id = c.channel_id)::int AS observations,
       b.status AS backfill_status, b.messages_fetched, b.replies_fetched, b.pages, b.oldest_ts, b.latest_ts,
       b.reached_ts, b.last_error, b.finished_at
FROM context_channels c
LEFT JOIN backfill_state b ON b.organization_id = c.organization_id AND b.channel_id = c.channel_id
WHERE c.organization_id = %(organization_id)s
ORDER BY c.memory_enabled DESC, c.name NULLS LAST, c.channel_id
LIMIT 40


-- ============================================================================== messages

-- name: messages_insert
-- New messages (live events and backfilled history) in one statement; nothing is stored for a
-- channel whose memory is off. A message already stored (a redelivery, live and backfill overlapping)
-- or already deleted (its tombstone) is left as it is.
INSERT INTO channel_messages (organization_id, channel_id, ts, thread_ts, user_id, subtype, text, edited_at)
SELECT %(organization_id)s, %(channel_id)s, m.ts, m.thread_ts, m.user_id, m.subtype, m.text, m.edited_at
FROM unnest(%(ts)s::text[], %(thread_ts)s::text[], %(user_id)s::text[], %(subtype)s::text[], %(text)s::text[],
            %(edited_at)s::timestamptz[]) AS m (ts, thread_ts, user_id, subtype, text, edited_at)
WHERE NOT EXISTS (SELECT 1 FROM context_channels c
                  WHERE c.organization_id = %(organization_id)s AND c.channel_id = %(channel_id)s AND NOT c.memory_enabled)
ON CONFLICT (organization_id, channel_id, ts) DO NOTHING

-- name: message_edit
-- message_changed: the new text replaces the old and the message goes through the pipeline again
-- (an unfurl or a reaction changes nothing and is ignored). Unknown messages are stored as new.
INSERT INTO channel_messages (organization_id, channel_id, ts, thread_ts, user_id, subtype, text, edited_at)
SELECT %(organization_id)s, %(channel_id)s, %(ts)s, %(thread_ts)s, %(user_id)s, %(subtype)s, %(text)s, %(edited_at)s
WHERE NOT EXISTS (SELECT 1 FROM context_channels c
                  WHERE c.organization_id = %(organization_id)s AND c.channel_id = %(channel_id)s AND NOT c.memory_enabled)
ON CONFLICT (organization_id, channel_id, ts) DO UPDATE
SET text = EXCLUDED.text, edited_at = EXCLUDED.edited_at, processed_at = NULL, claimed_until = NULL
WHERE NOT channel_messages.deleted AND channel_messages.text IS DISTINCT FROM EXCLUDED.text
RETURNING id

-- name: message_delete
-- message_deleted: the text goes, a tombstone stays (so a backfill page fetched before the
-- deletion cannot bring the message back); retention removes the tombstone with the rest.
INSERT INTO channel_messages (organization_id, channel_id, ts, text, deleted, processed_at)
VALUES (%(organization_id)s, %(channel_id)s, %(ts)s, '', true, %(now)s)
ON CONFLICT (organization_id, channel_id, ts) DO UPDATE
SET text = '', deleted = true, processed_at = coalesce(channel_messages.processed_at, EXCLUDED.processed_at),
    claimed_until = NULL
WHERE NOT channel_messages.deleted
RETURNING id

-- name: observations_delete_sourced_only_by
-- Observations that came only from the given messages go with them...
DELETE FROM context_observations
WHERE organization_id = %(organization_id)s AND channel_id = %(channel_id)s
  AND source_message_ts <@ %(ts)s::text[]

-- name: observations_unlink_messages
-- ...those that other messages support too lose the link to the changed ones (and their authors with
-- them: source_user_ids stays parallel to source_message_ts; both SET lists read the old row).
UPDATE context_observations
SET source_message_ts = array(SELECT s.t FROM unnest(source_message_ts, source_user_ids) WITH ORDINALITY AS s (t, u, n)
                              WHERE s.t <> ALL (%(ts)s::text[]) ORDER BY s.n),
    source_user_ids = array(SELECT s.u FROM unnest(source_message_ts, source_user_ids) WITH ORDINALITY AS s (t, u, n)
                            WHERE s.t <> ALL (%(ts)s::text[]) ORDER BY s.n)
WHERE organization_id = %(organization_id)s AND channel_id = %(channel_id)s
  AND source_message_ts && %(ts)s::text[]

-- name: channel_forget_messages
DELETE FROM channel_messages WHERE organization_id = %(organization_id)s AND channel_id = %(channel_id)s

-- name: channel_forget_observations
DELETE FROM context_observations WHERE organization_id = %(organization_id)s AND channel_id = %(channel_id)s

-- name: channel_forget_summaries
-- Summaries built from the channel are dropped; the summary job rebuilds them from what is left.
DELETE FROM context_summaries
WHERE organization_id = %(organization_id)s AND %(channel_id)s = ANY (source_channel_ids)

-- name: channel_forget_backfill
DELETE FROM backfill_state WHERE organization_id = %(organization_id)s AND channel_id = %(channel_id)s


-- ============================================================================== pipeline

-- name: messages_claim
-- A batch of unprocessed messages, leased so that other processes skip them meanwhile.
UPDATE channel_messages m
SET claimed_until = %(lease_until)s
FROM (
    SELECT id FROM channel_messages
    WHERE processed_at IS NULL AND NOT deleted AND (claimed_until IS NULL OR claimed_until < %(now)s)
    ORDER BY created_at, id
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
) AS picked
WHERE m.id = picked.id
RETURNING m.id, m.organization_id, m.channel_id, m.ts, m.thread_ts, m.user_id, m.text, m.posted_at, m.claimed_until

-- name: messages_mark_processed
-- Only rows still holding this lease: an edit meanwhile cleared it, and the new text is processed again.
UPDATE channel_messages
SET processed_at = %(now)s, claimed_until = NULL
WHERE id = ANY (%(ids)s) AND claimed_until = %(lease_until)s

-- name: messages_release
UPDATE channel_messages SET claimed_until = NULL
WHERE id = ANY (%(ids)s) AND claimed_until = %(lease_until)s

-- name: observations_insert
-- source_ts and source_users: space-separated per observation (ts values and Slack user ids, parallel).
INSERT INTO context_observations (organization_id, entity_type, entity_key, entity_id, channel_id, source_message_ts,
                                  source_user_ids, content, observed_at, embedding, embedding_model, created_at)
SELECT %(organization_id)s, o.entity_type, o.entity_key, o.entity_id, %(channel_id)s,
       string_to_array(o.source_ts, ' '), string_to_array(o.source_users, ' '), o.content, o.observed_at, o.embedding,
       %(embedding_model)s, %(now)s
FROM unnest(%(entity_type)s::text[], %(entity_key)s::text[], %(entity_id)s::bigint[], %(source_ts)s::text[],
            %(source_users)s::text[], %(content)s::text[], %(observed_at)s::timestamptz[], %(embedding)s::vector[])
     AS o (entity_type, entity_key, entity_id, source_ts, source_users, content, observed_at, embedding)
-- Memory switched off while the batch was being extracted: its facts are not written.
WHERE NOT EXISTS (SELECT 1 FROM context_channels c
                  WHERE c.organization_id = %(organization_id)s AND c.channel_id = %(channel_id)s AND NOT c.memory_enabled)

-- name: observations_to_reembed
-- Observations embedded in another vector space (the model changed, or a key was added/removed).
SELECT id, content FROM context_observations
WHERE embedding_model IS DISTINCT FROM %(embedding_model)s
ORDER BY id
LIMIT %(limit)s
FOR UPDATE SKIP LOCKED

-- name: observation_set_embedding
UPDATE context_observations SET embedding = %(embedding)s, embedding_model = %(embedding_model)s WHERE id = %(id)s


-- ============================================================================== summaries

-- name: summaries_due
-- Entities with enough observations written since their summary (or with none yet).
SELECT o.organization_id, o.entity_type, o.entity_key, max(o.entity_id) AS entity_id,
       count(*) FILTER (WHERE s.generated_at IS NULL OR o.created_at > s.generated_at)::int AS fresh
FROM context_observations o
LEFT JOIN context_summaries s
  ON s.organization_id = o.organization_id AND s.entity_type = o.entity_type AND s.entity_key = o.entity_key
WHERE o.created_at > %(since)s
GROUP BY o.organization_id, o.entity_type, o.entity_key, s.id
HAVING (s.id IS NULL AND count(*) >= %(min_first)s)
    OR count(*) FILTER (WHERE o.created_at > s.generated_at) >= %(min_new)s
ORDER BY max(o.created_at)
LIMIT %(limit)s

-- name: summaries_orphaned
-- Summaries whose observations are all gone (memory off, deletions): nothing left to summarise.
DELETE FROM context_summaries s
WHERE NOT EXISTS (SELECT 1 FROM context_observations o
                  WHERE o.organization_id = s.organization_id AND o.entity_type = s.entity_type
                    AND o.entity_key = s.entity_key)

-- name: entity_observations
SELECT id, content, channel_id, observed_at, created_at
FROM context_observations
WHERE organization_id = %(organization_id)s AND entity_type = %(entity_type)s AND entity_key = %(entity_key)s
ORDER BY coalesce(observed_at, created_at) DESC, id DESC
LIMIT %(limit)s

-- name: entity_observation_count
SELECT count(*)::int, coalesce(array_agg(DISTINCT channel_id) FILTER (WHERE channel_id IS NOT NULL), '{}')
FROM context_observations
WHERE organization_id = %(organization_id)s AND entity_type = %(entity_type)s AND entity_key = %(entity_key)s

-- name: summary_upsert
INSERT INTO context_summaries (organization_id, entity_type, entity_key, entity_id, display_name, summary, embedding,
                               embedding_model, observation_count, source_channel_ids, generated_at)
VALUES (%(organization_id)s, %(entity_type)s, %(entity_key)s, %(entity_id)s, %(display_name)s, %(summary)s,
        %(embedding)s, %(embedding_model)s, %(observation_count)s, %(source_channel_ids)s, %(now)s)
ON CONFLICT (organization_id, entity_type, entity_key) DO UPDATE
SET entity_id = EXCLUDED.entity_id, display_name = EXCLUDED.display_name, summary = EXCLUDED.summary,
    embedding = EXCLUDED.embedding, embedding_model = EXCLUDED.embedding_model,
    observation_count = EXCLUDED.observation_count, source_channel_ids = EXCLUDED.source_channel_ids,
    generated_at = EXCLUDED.generated_at

-- name: summary_of_entity
-- Shown only when the asker can see every channel it was built from.
SELECT entity_type, entity_key, display_name, summary, source_channel_ids, generated_at
FROM context_summaries
WHERE organization_id = %(organization_id)s AND entity_type = %(entity_type)s AND entity_key = %(entity_key)s
  AND (%(channels)s::text[] IS NULL OR source_channel_ids <@ %(channels)s::text[])

-- name: summaries_nearest
SELECT entity_type, entity_key, display_name, summary, source_channel_ids, distance
FROM (
    SELECT entity_type, entity_key, display_name, summary, source_channel_ids,
           embedding <=> %(query)s AS distance
    FROM context_summaries
    WHERE organization_id = %(organization_id)s AND embedding_model = %(embedding_model)s
      AND (%(channels)s::text[] IS NULL OR source_channel_ids <@ %(channels)s::text[])
    ORDER BY (embedding <=> %(query)s) + 0
    LIMIT %(limit)s
) AS nearest
WHERE distance < %(max_distance)s


-- ============================================================================== search

-- name: search_hnsw_settings
-- The HNSW path's settings, for the current transaction only (set_config's third argument).
SELECT set_config('plan_cache_mode', 'force_custom_plan', true), set_config('hnsw.ef_search', %(ef_search)s, true),
       set_config('hnsw.iterative_scan', 'relaxed_order', true), set_config('hnsw.max_scan_tuples', %(max_scan_tuples)s, true),
       set_config('enable_seqscan', 'off', true)

-- name: search_plan_stats
-- Observation counts of one organization per channel and vector space (cached a minute).
SELECT channel_id, embedding_model IS NOT DISTINCT FROM %(embedding_model)s, count(*)::int
FROM context_observations
WHERE organization_id = %(organization_id)s
GROUP BY 1, 2

-- name: search_table_rows
SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE oid = 'context_observations'::regclass

-- name: search_vector_exact
-- Small tenants: an exact scan of the organization's rows (the btree finds them, a top-N sort ranks
-- them). OFFSET 0 keeps the subquery apart, so the ORDER BY cannot be served by the HNSW index
-- (whose filtered scan starves here) and the distance is computed once per row. The threshold is
-- applied outside the materialized top-k, never inside the scan.
WITH nearest AS MATERIALIZED (
    SELECT scored.id, scored.distance
    FROM (
        SELECT o.id, o.embedding <=> %(query)s AS distance
        FROM context_observations o
        WHERE o.organization_id = %(organization_id)s
          AND (%(embedding_model)s::text IS NULL OR o.embedding_model = %(embedding_model)s)
          AND (%(channels)s::text[] IS NULL OR o.channel_id = ANY (%(channels)s::text[]))
          AND (%(entity_type)s::text IS NULL OR (o.entity_type = %(entity_type)s AND o.entity_key = %(entity_key)s))
        OFFSET 0
    ) AS scored
    ORDER BY scored.distance
    LIMIT %(limit)s
)
SELECT o.id, o.content, o.entity_type, o.entity_key, o.entity_id, o.channel_id, o.source_message_ts, o.observed_at,
       n.distance
FROM nearest n JOIN context_observations o ON o.id = n.id
WHERE n.distance < %(max_distance)s
ORDER BY n.distance

-- name: search_vector_hnsw
-- Big tenants: the HNSW index with iterative scan (set by the caller). "organization_id + 0" hides
-- the organization btree, which the planner otherwise prefers under a generic plan or a larger
-- ef_search (an exact scan of the big tenant: hundreds of ms).
WITH nearest AS MATERIALIZED (
    SELECT o.id, o.embedding <=> %(query)s AS distance
    FROM context_observations o
    WHERE o.organization_id + 0 = %(organization_id)s
      AND (%(embedding_model)s::text IS NULL OR o.embedding_model = %(embedding_model)s)
      AND (%(channels)s::text[] IS NULL OR o.channel_id = ANY (%(channels)s::text[]))
    ORDER BY o.embedding <=> %(query)s
    LIMIT %(limit)s
)
SELECT o.id, o.content, o.entity_type, o.entity_key, o.entity_id, o.channel_id, o.source_message_ts, o.observed_at,
       n.distance
FROM nearest n JOIN context_observations o ON o.id = n.id
WHERE n.distance < %(max_distance)s
ORDER BY n.distance

-- name: search_text
-- Full-text side of the hybrid search: each term is a phrase ("T-42" is 't' <-> '-42' in the
-- simple configuration), any term may match; rows matching more terms rank first.
WITH terms AS (
    SELECT phraseto_tsquery('simple', t) AS q
    FROM unnest(%(terms)s::text[]) AS t
    WHERE numnode(phraseto_tsquery('simple', t)) > 0
), query AS (
    SELECT array_agg(q) AS parts, string_agg('(' || q::text || ')', ' | ')::tsquery AS q FROM terms
)
SELECT o.id, o.content, o.entity_type, o.entity_key, o.entity_id, o.channel_id, o.source_message_ts, o.observed_at,
       (SELECT count(*) FROM unnest(query.parts) AS p WHERE o.tsv @@ p)::int AS matched,
       ts_rank_cd(o.tsv, query.q) AS rank
FROM context_observations o, query
WHERE o.organization_id = %(organization_id)s
  AND query.q IS NOT NULL AND o.tsv @@ query.q
  AND (%(channels)s::text[] IS NULL OR o.channel_id = ANY (%(channels)s::text[]))
  AND (%(entity_type)s::text IS NULL OR (o.entity_type = %(entity_type)s AND o.entity_key = %(entity_key)s))
ORDER BY matched DESC, rank DESC, o.id DESC
LIMIT %(limit)s

-- name: entity_recent_observations
-- An entity's newest facts, those said in its own channel (home_channel, may be NULL) first.
SELECT o.id, o.content, o.entity_type, o.entity_key, o.entity_id, o.channel_id, o.source_message_ts, o.observed_at
FROM context_observations o
WHERE o.organization_id = %(organization_id)s AND o.entity_type = %(entity_type)s AND o.entity_key = %(entity_key)s
  AND (%(channels)s::text[] IS NULL OR o.channel_id = ANY (%(channels)s::text[]))
ORDER BY o.channel_id IS NOT DISTINCT FROM %(home_channel)s::text DESC, coalesce(o.observed_at, o.created_at) DESC, o.id DESC
LIMIT %(limit)s

-- name: observation_authors
-- Who said each fact (the author of its first source message, the one an answer cites), with their
-- name and timezone when they are a known person. Rows from before source_user_ids existed fall back
-- to the raw message while it is kept.
SELECT o.id, a.slack_id, p.name, p.timezone
FROM context_observations o
CROSS JOIN LATERAL (
    SELECT coalesce(o.source_user_ids[1],
                    (SELECT m.user_id FROM channel_messages m
                     WHERE m.organization_id = o.organization_id AND m.channel_id = o.channel_id
                       AND m.ts = o.source_message_ts[1])) AS slack_id
) AS a
LEFT JOIN LATERAL (
    SELECT coalesce(nullif(u.real_name, ''), u.display_name) AS name, u.timezone
    FROM platform_identities i JOIN users u ON u.organization_id = i.organization_id AND u.id = i.user_id
    WHERE i.organization_id = o.organization_id AND i.external_id = a.slack_id
    ORDER BY u.active DESC, u.id
    LIMIT 1
) AS p ON true
WHERE o.organization_id = %(organization_id)s AND o.id = ANY (%(ids)s::bigint[])

-- name: observations_unattribute
-- A person erased: the facts they said stay for the team, without their Slack user id.
UPDATE context_observations
SET source_user_ids = array_replace(source_user_ids, %(slack_user_id)s, NULL)
WHERE organization_id = %(organization_id)s AND %(slack_user_id)s = ANY (source_user_ids)

-- name: context_bot_user
-- Steward's own Slack user in the organization (what a mention of Steward looks like: <@U…>).
SELECT bot_user_id FROM platform_connections
WHERE organization_id = %(organization_id)s AND bot_user_id IS NOT NULL
ORDER BY id
LIMIT 1


-- ============================================================================== backfill

-- name: backfill_channels_known
-- Channels already backfilled (or asked for), and those whose memory is off: not to be asked for again.
SELECT channel_id FROM backfill_state WHERE organization_id = %(organization_id)s
UNION SELECT channel_id FROM context_channels WHERE organization_id = %(organization_id)s AND NOT memory_enabled

-- name: backfill_request
-- Ask for a backfill (again): a finished or failed one starts over with the new window; one that is
-- pending or running keeps its cursor.
INSERT INTO backfill_state (organization_id, channel_id, status, days, oldest_ts, latest_ts)
VALUES (%(organization_id)s, %(channel_id)s, 'pending', %(days)s, %(oldest_ts)s, %(latest_ts)s)
ON CONFLICT (organization_id, channel_id) DO UPDATE
SET status = 'pending', days = EXCLUDED.days, oldest_ts = EXCLUDED.oldest_ts, latest_ts = EXCLUDED.latest_ts,
    cursor = NULL, reached_ts = NULL, messages_fetched = 0, replies_fetched = 0, pages = 0, last_error = NULL,
    started_at = NULL, finished_at = NULL
WHERE backfill_state.status IN ('complete', 'failed')
RETURNING id

-- name: backfill_lock
-- Held (on a dedicated connection) for as long as a process runs the channel's backfill. A process
-- that dies loses its connection and with it the lock, so its backfill can be resumed at once.
SELECT pg_try_advisory_lock(hashtextextended('steward-backfill:' || %(organization_id)s || ':' || %(channel_id)s, 0))

-- name: backfill_unlock
SELECT pg_advisory_unlock(hashtextextended('steward-backfill:' || %(organization_id)s || ':' || %(channel_id)s, 0))

-- name: backfill_claim
-- Take a backfill to run (under its lock): a pending one, or one left "running" by a process that died.
UPDATE backfill_state
SET status = 'running', started_at = coalesce(started_at, %(now)s), last_error = NULL
WHERE organization_id = %(organization_id)s AND channel_id = %(channel_id)s AND status IN ('pending', 'running')
RETURNING id, cursor, oldest_ts, latest_ts, reached_ts, messages_fetched, replies_fetched, pages

-- name: backfills_resumable
-- Of the organizations whose bot token the asking process holds (%(organization_ids)s).
SELECT organization_id, channel_id FROM backfill_state
WHERE status IN ('pending', 'running') AND organization_id = ANY(%(organization_ids)s)
ORDER BY created_at
LIMIT %(limit)s

-- name: backfill_page_done
-- Saved in the same transaction as the page's messages: a crash resumes from this cursor.
UPDATE backfill_state
SET cursor = %(cursor)s, reached_ts = coalesce(%(reached_ts)s, reached_ts),
    messages_fetched = messages_fetched + %(messages)s, replies_fetched = replies_fetched + %(replies)s,
    pages = pages + 1
WHERE id = %(id)s
RETURNING messages_fetched, replies_fetched, pages

-- name: backfill_finish
UPDATE backfill_state
SET status = %(status)s, last_error = %(error)s, cursor = CASE WHEN %(status)s = 'complete' THEN NULL ELSE cursor END,
    finished_at = CASE WHEN %(status)s = 'pending' THEN NULL ELSE %(now)s END
WHERE id = %(id)s

-- name: backfill_get
SELECT status, messages_fetched, replies_fetched, pages, oldest_ts, latest_ts, reached_ts, last_error, cursor
FROM backfill_state WHERE organization_id = %(organization_id)s AND channel_id = %(channel_id)s


-- ============================================================================== sessions and user memory

-- name: session_get
SELECT id, messages, last_activity_at, expires_at FROM conversation_sessions
WHERE organization_id = %(organization_id)s AND user_id = %(user_id)s AND channel_id = %(channel_id)s
  AND thread_ts IS NOT DISTINCT FROM %(thread_ts)s

-- name: session_save
INSERT INTO conversation_sessions (organization_id, user_id, channel_id, thread_ts, messages, last_activity_at, expires_at)
VALUES (%(organization_id)s, %(user_id)s, %(channel_id)s, %(thread_ts)s, %(messages)s, %(now)s, %(expires_at)s)
ON CONFLICT (user_id, channel_id, thread_ts) DO UPDATE
SET messages = EXCLUDED.messages, last_activity_at = EXCLUDED.last_activity_at, expires_at = EXCLUDED.expires_at

-- name: user_memory_upsert
INSERT INTO user_memory (organization_id, user_id, key, value, source)
VALUES (%(organization_id)s, %(user_id)s, %(key)s, %(value)s, 'explicit')
ON CONFLICT (user_id, key) DO UPDATE SET value = EXCLUDED.value, source = EXCLUDED.source
RETURNING id, (xmax <> 0) AS updated

-- name: user_memory_list
SELECT id, key, value, source, created_at, updated_at FROM user_memory
WHERE organization_id = %(organization_id)s AND user_id = %(user_id)s
ORDER BY updated_at DESC, id DESC
LIMIT %(limit)s

-- name: user_memory_count
SELECT count(*)::int FROM user_memory WHERE organization_id = %(organization_id)s AND user_id = %(user_id)s

-- name: user_memory_delete
DELETE FROM user_memory
WHERE organization_id = %(organization_id)s AND user_id = %(user_id)s AND id = %(id)s
RETURNING value

-- name: user_memory_delete_all
DELETE FROM user_memory WHERE organization_id = %(organization_id)s AND user_id = %(user_id)s

-- name: user_id_by_external_id
SELECT user_id FROM platform_identities WHERE organization_id = %(organization_id)s AND external_id = %(external_id)s
