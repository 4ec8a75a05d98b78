-- Deploy schedules and their reminders (SPEC F12; issue 16): bot/services/deploys.py, jobs/deploy_reminders.py.

-- name: checklist_by_name
-- An active checklist by its name, any case.
SELECT id, name, items FROM checklists
WHERE organization_id = %(organization_id)s AND active AND lower(name) = lower(%(name)s)
ORDER BY id LIMIT 1

-- name: checklist_names
SELECT name FROM checklists WHERE organization_id = %(organization_id)s AND active ORDER BY lower(name)

-- name: checklist_items_of
SELECT name, items FROM checklists WHERE organization_id = %(organization_id)s AND id = %(id)s

-- name: deploy_sop_of_checklist
-- The SOP a checklist is followed with (`/steward sop add`, or the one a deploy schedule made), newest first.
SELECT id FROM sops WHERE organization_id = %(organization_id)s AND active AND checklist_id = %(checklist_id)s
ORDER BY (trigger = 'deploy') DESC, id DESC LIMIT 1

-- name: deploy_sop_insert
INSERT INTO sops (organization_id, slug, name, steps, trigger, checklist_id, created_by)
VALUES (%(organization_id)s, %(slug)s, %(name)s, %(steps)s, 'deploy', %(checklist_id)s, %(created_by)s)
-- A schedule-made SOP retired earlier (tester16 F12) comes back, with its old records, rather than a second one.
ON CONFLICT (organization_id, slug) DO UPDATE SET checklist_id = EXCLUDED.checklist_id, active = true, trigger = 'deploy'
RETURNING id

-- name: deploy_schedule_insert
INSERT INTO client_deploy_schedules (organization_id, client_id, name, recurrence, timezone, next_deploy_at,
                                     remind_minutes_before, checklist_id, sop_id)
VALUES (%(organization_id)s, %(client_id)s, %(name)s, %(recurrence)s, %(timezone)s, %(next_deploy_at)s, 1440,
        %(checklist_id)s, %(sop_id)s)
RETURNING id

-- name: deploy_schedules_remove
UPDATE client_deploy_schedules SET active = false, next_deploy_at = NULL, updated_at = now()
WHERE organization_id = %(organization_id)s AND client_id = %(client_id)s AND active
RETURNING id

-- name: deploy_schedules_stale
-- A restored client's active schedules whose next deploy passed while it was archived (the job skips an archived
-- client's deploys, so their next_deploy_at stood still: tester16 F10).
SELECT id, recurrence, timezone, next_deploy_at FROM client_deploy_schedules
WHERE organization_id = %(organization_id)s AND client_id = %(client_id)s AND active
  AND next_deploy_at IS NOT NULL AND next_deploy_at <= %(now)s
ORDER BY id

-- name: deploy_schedule_resume
-- A stale schedule moves on to its next deploy after now (NULL and inactive for a one-off that passed), with no
-- record and no reminder for the deploys missed while the client was archived.
UPDATE client_deploy_schedules
SET next_deploy_at = %(next_deploy_at)s, active = %(next_deploy_at)s::timestamptz IS NOT NULL, updated_at = now()
WHERE organization_id = %(organization_id)s AND id = %(id)s AND next_deploy_at = %(stale_at)s

-- name: deploy_schedules_upcoming
-- Active schedules with a next deploy, soonest first; with the client's and the checklist's names.
SELECT s.id, s.client_id, c.name, s.recurrence, s.timezone, s.next_deploy_at, s.checklist_id, k.name, s.sop_id
FROM client_deploy_schedules s
JOIN clients c ON c.organization_id = s.organization_id AND c.id = s.client_id
LEFT JOIN checklists k ON k.organization_id = s.organization_id AND k.id = s.checklist_id
WHERE s.organization_id = %(organization_id)s AND s.active AND c.active AND s.next_deploy_at IS NOT NULL
  AND (%(client_id)s::bigint IS NULL OR s.client_id = %(client_id)s::bigint)
  AND (%(until)s::timestamptz IS NULL OR s.next_deploy_at <= %(until)s::timestamptz)
ORDER BY s.next_deploy_at, s.id

-- name: deploy_schedule_advance
-- After a deploy's record: the next occurrence (NULL and inactive for a one-off), only if still at that deploy.
UPDATE client_deploy_schedules
SET next_deploy_at = %(next_deploy_at)s, active = %(next_deploy_at)s::timestamptz IS NOT NULL,
    last_reminded_at = %(deploy_at)s, updated_at = now()
WHERE organization_id = %(organization_id)s AND id = %(id)s AND next_deploy_at = %(deploy_at)s

-- name: deploy_sop_record_insert
-- One record per deploy (sop_records_deploy_key): a repeated run writes nothing and returns nothing.
INSERT INTO sop_records (organization_id, sop_id, client_id, deploy_schedule_id, compliant, steps_done, notes, recorded_at)
VALUES (%(organization_id)s, %(sop_id)s, %(client_id)s, %(deploy_schedule_id)s, %(compliant)s, %(steps_done)s,
        %(notes)s, %(recorded_at)s)
ON CONFLICT (organization_id, deploy_schedule_id, recorded_at) WHERE deploy_schedule_id IS NOT NULL DO NOTHING
RETURNING id

-- name: deploy_completions
-- Each person's ticks of a checklist for one date.
SELECT user_id, items_done, completed_at FROM checklist_completions
WHERE organization_id = %(organization_id)s AND checklist_id = %(checklist_id)s AND for_date = %(for_date)s

-- name: org_admins
SELECT id FROM users WHERE organization_id = %(organization_id)s AND active AND role = 'admin' ORDER BY id

-- name: deploy_completion_exists
-- The checklist already sent to this person for the deploy's date (its checklist_completions row).
SELECT id FROM checklist_completions
WHERE organization_id = %(organization_id)s AND checklist_id = %(checklist_id)s AND user_id = %(user_id)s
  AND for_date = %(for_date)s

-- name: deploy_schedule_same
-- An active schedule of the client at the same recurrence and zone (a second one would remind everyone twice and
-- record each deploy twice: tester16 F5).
SELECT s.id, k.name FROM client_deploy_schedules s
LEFT JOIN checklists k ON k.organization_id = s.organization_id AND k.id = s.checklist_id
WHERE s.organization_id = %(organization_id)s AND s.client_id = %(client_id)s AND s.active
  AND s.recurrence = %(recurrence)s AND s.timezone = %(timezone)s
ORDER BY s.id LIMIT 1

-- name: deploy_deliveries_cancel
-- What the deploy-reminders job queued for these ended schedules and has not sent yet is cancelled, so nobody hears
-- about a deploy that no longer exists (tester16 F3): its reminders and warnings (dedupe keys deploy:<schedule id>:…)
-- and the deploy checklists sent with them (checklist_completions.context names the schedule; dedupe key
-- checklist.sent:<org>:<completion id>, bot/services/checklists.py).
UPDATE notification_deliveries d SET status = 'cancelled', updated_at = now()
FROM notifications n
WHERE d.organization_id = %(organization_id)s AND n.organization_id = %(organization_id)s AND n.id = d.notification_id
  AND d.status IN ('pending', 'held')
  AND ((split_part(n.dedupe_key, ':', 1) = 'deploy' AND split_part(n.dedupe_key, ':', 2) = ANY(%(schedule_ids)s::text[]))
       OR n.dedupe_key IN (SELECT 'checklist.sent:' || c.organization_id || ':' || c.id FROM checklist_completions c
                           WHERE c.organization_id = %(organization_id)s
                             AND c.context ->> 'deploy_schedule_id' = ANY(%(schedule_ids)s::text[])))
RETURNING d.id

-- name: deploy_completions_withdraw
-- The deploy checklists of these ended schedules that never reached anyone (no delivery of their DM was sent) and
-- hold no tick: nobody owes them, so they are not left to be counted incomplete.
DELETE FROM checklist_completions c
WHERE c.organization_id = %(organization_id)s AND c.context ->> 'deploy_schedule_id' = ANY(%(schedule_ids)s::text[])
  AND c.completed_at IS NULL AND c.items_done = '[]'::jsonb
  AND NOT EXISTS (SELECT 1 FROM notifications n JOIN notification_deliveries d
                    ON d.organization_id = n.organization_id AND d.notification_id = n.id
                  WHERE n.organization_id = c.organization_id AND n.dedupe_key = 'checklist.sent:' || c.organization_id || ':' || c.id
                    AND d.status IN ('sent', 'sending'))
RETURNING c.id

-- name: deploy_schedules_use_sop
-- `/steward sop add` for a checklist active deploy schedules already use: their next records go to that SOP
-- (tester16 #12); past records stay with the SOP they were made for. Returns each schedule moved and the SOP it
-- used before (``was``).
WITH old AS (
    SELECT id, sop_id FROM client_deploy_schedules
    WHERE organization_id = %(organization_id)s AND checklist_id = %(checklist_id)s AND active
      AND sop_id IS DISTINCT FROM %(sop_id)s
    FOR UPDATE
), moved AS (
    UPDATE client_deploy_schedules s SET sop_id = %(sop_id)s, updated_at = now()
    FROM old WHERE s.organization_id = %(organization_id)s AND s.id = old.id
    RETURNING s.id, old.sop_id AS was
)
SELECT id, was FROM moved ORDER BY id

-- name: sops_rest_unused
-- SOPs that no active deploy schedule uses any more, after `/steward sop add` took their schedules over (tester16
-- F12): one a schedule made for itself (slug deploy-checklist-N) is retired (active false; its sop_records stay, so
-- past deploys keep their results), so `/steward sops` no longer lists two; one an admin named goes back to being
-- followed by hand (trigger 'manual').
UPDATE sops SET active = (slug NOT LIKE 'deploy-checklist-%%'), trigger = 'manual', updated_at = %(now)s
WHERE organization_id = %(organization_id)s AND id = ANY(%(ids)s)
  AND NOT EXISTS (SELECT 1 FROM client_deploy_schedules d
                  WHERE d.organization_id = sops.organization_id AND d.active AND d.sop_id = sops.id)
RETURNING id, active
