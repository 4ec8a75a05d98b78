-- Checklists and SOPs (SPEC F13; issue 16): bot/services/checklists.py and bot/services/sops.py.

-- name: checklist_insert
INSERT INTO checklists (organization_id, name, role, client_id, items, schedule, created_by, created_at, updated_at)
VALUES (%(organization_id)s, %(name)s, %(role)s, %(client_id)s, %(items)s, %(schedule)s, %(created_by)s, %(now)s, %(now)s)
ON CONFLICT DO NOTHING
RETURNING id

-- name: checklists_of_org
-- Active checklists, by name; with the client's name for a client's checklist. A checklist of an archived client
-- rests with it (not listed, not sent) until the client is restored (tester16 F10).
SELECT c.id, c.organization_id, c.name, c.role, c.client_id, cl.name AS client_name, c.items, c.schedule,
       c.created_at
FROM checklists c LEFT JOIN clients cl ON cl.organization_id = c.organization_id AND cl.id = c.client_id
WHERE c.organization_id = %(organization_id)s AND c.active AND (c.client_id IS NULL OR cl.active)
ORDER BY lower(c.name), c.id

-- name: checklist_by_id
SELECT c.id, c.organization_id, c.name, c.role, c.client_id, cl.name AS client_name, c.items, c.schedule,
       c.created_at
FROM checklists c LEFT JOIN clients cl ON cl.organization_id = c.organization_id AND cl.id = c.client_id
WHERE c.organization_id = %(organization_id)s AND c.id = %(id)s

-- name: checklist_recipients
-- Who a checklist is for: active people with the role (NULL: everyone), or a client's assigned members.
SELECT u.id
FROM users u
WHERE u.organization_id = %(organization_id)s AND u.active
  AND (%(client_id)s::bigint IS NOT NULL OR %(role)s::text IS NULL OR u.role = %(role)s::text)
  AND (%(client_id)s::bigint IS NULL OR EXISTS (
        SELECT 1 FROM client_members m
        WHERE m.organization_id = u.organization_id AND m.client_id = %(client_id)s::bigint AND m.user_id = u.id))
ORDER BY u.id

-- name: checklist_is_client_member
SELECT EXISTS (SELECT 1 FROM client_members WHERE organization_id = %(organization_id)s AND client_id = %(client_id)s
               AND user_id = %(user_id)s)

-- name: checklist_completion_upsert
-- One row per checklist, person and date: a second send (a re-run, another process) finds the first.
INSERT INTO checklist_completions (organization_id, checklist_id, user_id, for_date, due_by, context, created_at, updated_at)
VALUES (%(organization_id)s, %(checklist_id)s, %(user_id)s, %(for_date)s, %(due_by)s, %(context)s, %(now)s, %(now)s)
ON CONFLICT (checklist_id, user_id, for_date) DO UPDATE SET context = checklist_completions.context || EXCLUDED.context
RETURNING id

-- name: checklist_completion_by_id
SELECT id, organization_id, checklist_id, user_id, for_date, items_done, completed_at, due_by, missed_at,
       message_channel_id, message_ts
FROM checklist_completions
WHERE organization_id = %(organization_id)s AND id = %(id)s

-- name: checklist_completion_lock
SELECT id, organization_id, checklist_id, user_id, for_date, items_done, completed_at, due_by, missed_at,
       message_channel_id, message_ts
FROM checklist_completions
WHERE organization_id = %(organization_id)s AND id = %(id)s
FOR UPDATE

-- name: checklist_completion_tick
UPDATE checklist_completions
SET items_done = %(items_done)s, completed_at = %(completed_at)s,
    message_channel_id = coalesce(message_channel_id, %(channel_id)s), message_ts = coalesce(message_ts, %(ts)s),
    updated_at = %(now)s
WHERE organization_id = %(organization_id)s AND id = %(id)s

-- name: checklist_completions_for_date
-- Everyone a checklist was sent to for a date, with what they ticked.
SELECT c.id, c.organization_id, c.checklist_id, c.user_id, c.for_date, c.items_done, c.completed_at, c.due_by,
       c.missed_at, c.message_channel_id, c.message_ts
FROM checklist_completions c
WHERE c.organization_id = %(organization_id)s AND c.checklist_id = %(checklist_id)s AND c.for_date = %(for_date)s
ORDER BY c.user_id

-- name: checklist_completions_sent
-- Which (checklist, person, date) were already sent among these checklists and dates: a steady-state run skips them.
SELECT checklist_id, user_id, for_date
FROM checklist_completions
WHERE organization_id = %(organization_id)s AND checklist_id = ANY(%(checklist_ids)s)
  AND for_date BETWEEN %(first)s AND %(last)s

-- name: checklist_completions_of_user_dates
-- A person's checklists for their dates (`/checklists`: today's), with the checklist's name and items.
SELECT c.id, c.organization_id, c.checklist_id, c.user_id, c.for_date, c.items_done, c.completed_at, c.due_by,
       c.missed_at, c.message_channel_id, c.message_ts
FROM checklist_completions c
WHERE c.organization_id = %(organization_id)s AND c.user_id = %(user_id)s AND c.for_date = ANY(%(days)s)
ORDER BY c.for_date, c.id

-- name: checklist_completions_close
-- The day-close: sent checklists not finished by their due_by are recorded incomplete, once. Not one whose person
-- went on leave for that date after it was sent (an active ooo_records row covers for_date: tester16b N8).
UPDATE checklist_completions c
SET missed_at = %(now)s, updated_at = %(now)s
WHERE c.organization_id = %(organization_id)s AND c.missed_at IS NULL AND c.due_by <= %(now)s
  AND (c.completed_at IS NULL OR c.completed_at > c.due_by)
  AND NOT EXISTS (SELECT 1 FROM ooo_records o
                  WHERE o.organization_id = c.organization_id AND o.user_id = c.user_id AND o.cancelled_at IS NULL
                    AND c.for_date BETWEEN o.start_date AND o.end_date)
RETURNING c.id, c.checklist_id, c.user_id, c.for_date

-- name: checklist_completions_fill_messages
-- Where each sent checklist's DM is in Slack (channel, ts), from its delivery, once known.
UPDATE checklist_completions c
SET message_channel_id = d.slack_channel_id, message_ts = d.slack_ts
FROM notifications n JOIN notification_deliveries d ON d.organization_id = n.organization_id AND d.notification_id = n.id
WHERE c.organization_id = %(organization_id)s AND c.message_ts IS NULL
  AND n.organization_id = c.organization_id AND n.dedupe_key = 'checklist.sent:' || c.organization_id || ':' || c.id
  AND d.status = 'sent' AND d.slack_ts IS NOT NULL

-- name: checklist_name_taken
SELECT EXISTS (SELECT 1 FROM checklists WHERE organization_id = %(organization_id)s AND active
               AND lower(name) = lower(%(name)s))

-- ------------------------------------------------------------------ SOPs

-- name: sop_insert
INSERT INTO sops (organization_id, slug, name, steps, trigger, checklist_id, created_by, created_at, updated_at)
VALUES (%(organization_id)s, %(slug)s, %(name)s, %(steps)s, %(trigger)s, %(checklist_id)s, %(created_by)s, %(now)s, %(now)s)
ON CONFLICT DO NOTHING
RETURNING id

-- name: sops_of_org
SELECT s.id, s.organization_id, s.slug, s.name, s.steps, s.trigger, s.checklist_id, c.name AS checklist_name,
       s.version, s.created_at
FROM sops s LEFT JOIN checklists c ON c.organization_id = s.organization_id AND c.id = s.checklist_id
WHERE s.organization_id = %(organization_id)s AND s.active
ORDER BY lower(s.name), s.id

-- name: sop_slug_taken
SELECT name FROM sops WHERE organization_id = %(organization_id)s AND slug = %(slug)s

-- name: sop_set_trigger
UPDATE sops SET trigger = %(trigger)s, updated_at = %(now)s
WHERE organization_id = %(organization_id)s AND id = %(id)s

-- name: checklist_completion_messages
-- The sent messages to the person whose blocks show a completion's checkboxes (its checklist DM, deploy reminders
-- carrying the same checkboxes), oldest first. %(block)s: '[{"block_id": "checklist:<completion>:0"}]'.
SELECT d.slack_channel_id, d.slack_ts
FROM notifications n JOIN notification_deliveries d ON d.organization_id = n.organization_id AND d.notification_id = n.id
WHERE n.organization_id = %(organization_id)s AND n.recipient_id = %(user_id)s
  AND n.payload -> 'blocks' @> %(block)s
  AND d.status = 'sent' AND d.slack_ts IS NOT NULL AND d.slack_channel_id IS NOT NULL
ORDER BY d.sent_at, d.id
