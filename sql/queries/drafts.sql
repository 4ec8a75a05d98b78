-- Task drafts: what a DM parsed into, waiting for Confirm (SPEC F2).


-- name: draft_insert
INSERT INTO task_drafts (organization_id, user_id, raw_text, parsed, parser, source, status, source_channel_id,
                         source_ts, expires_at)
VALUES (%(organization_id)s, %(user_id)s, %(raw_text)s, %(parsed)s, %(parser)s, %(source)s, 'pending', %(source_channel_id)s,
        %(source_ts)s, %(expires_at)s)
RETURNING id

-- name: draft_get
SELECT id, organization_id, user_id, raw_text, coalesce(parsed, '{}'::jsonb), parser, status, expires_at,
       preview_channel_id, preview_ts, source_channel_id, source_ts
FROM task_drafts WHERE organization_id = %(organization_id)s AND id = %(id)s

-- name: draft_get_for_update
SELECT id, organization_id, user_id, raw_text, coalesce(parsed, '{}'::jsonb), parser, status, expires_at,
       preview_channel_id, preview_ts, source_channel_id, source_ts
FROM task_drafts WHERE organization_id = %(organization_id)s AND id = %(id)s
FOR UPDATE

-- name: draft_discard_pending
DELETE FROM task_drafts WHERE organization_id = %(organization_id)s AND id = %(id)s AND status = 'pending'

-- name: draft_set_preview
UPDATE task_drafts SET preview_channel_id = %(channel_id)s, preview_ts = %(ts)s
WHERE organization_id = %(organization_id)s AND id = %(id)s

-- name: draft_expire
UPDATE task_drafts SET status = 'expired' WHERE organization_id = %(organization_id)s AND id = %(id)s AND status = 'pending'

-- name: draft_confirm
UPDATE task_drafts SET status = 'confirmed', confirmed_at = %(now)s WHERE organization_id = %(organization_id)s AND id = %(id)s

-- name: draft_reject
UPDATE task_drafts SET status = 'rejected', rejected_at = %(now)s WHERE organization_id = %(organization_id)s AND id = %(id)s

-- name: draft_set_parsed
UPDATE task_drafts SET parsed = %(parsed)s WHERE organization_id = %(organization_id)s AND id = %(id)s

-- name: draft_by_source
-- The newest draft made from one message (a DM edited after it was drafted finds its draft).
SELECT id FROM task_drafts
WHERE organization_id = %(organization_id)s AND user_id = %(user_id)s AND source_channel_id = %(channel_id)s
  AND source_ts = %(ts)s
ORDER BY id DESC LIMIT 1

-- name: draft_replace
-- A pending draft re-read from its edited message: its words and tasks change; its preview stays where it is.
UPDATE task_drafts SET raw_text = %(raw_text)s, parsed = %(parsed)s, parser = %(parser)s
WHERE organization_id = %(organization_id)s AND id = %(id)s AND status = 'pending'

-- name: draft_task_display_ids
SELECT display_id FROM tasks WHERE organization_id = %(organization_id)s AND draft_id = %(id)s ORDER BY display_number
