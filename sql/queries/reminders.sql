-- Reminders (SPEC F8). Every read returns the columns of bot.services.reminders.Reminder, in order.


-- name: reminder_insert
INSERT INTO reminders (organization_id, user_id, created_by, text, source_text, fire_at, recurrence, timezone)
VALUES (%(organization_id)s, %(user_id)s, %(created_by)s, %(text)s, %(source_text)s, %(fire_at)s, %(recurrence)s, %(timezone)s)
RETURNING id

-- name: reminder_get
SELECT r.id, r.organization_id, r.user_id, r.text, r.fire_at, r.recurrence, r.timezone, r.status,
       (SELECT pi.external_id FROM platform_identities pi WHERE pi.organization_id = r.organization_id
          AND pi.user_id = r.user_id AND pi.platform = 'slack') AS slack_id
FROM reminders r
WHERE r.organization_id = %(organization_id)s AND r.id = %(id)s

-- name: reminders_pending_of_user
SELECT r.id, r.organization_id, r.user_id, r.text, r.fire_at, r.recurrence, r.timezone, r.status,
       (SELECT pi.external_id FROM platform_identities pi WHERE pi.organization_id = r.organization_id
          AND pi.user_id = r.user_id AND pi.platform = 'slack') AS slack_id
FROM reminders r
WHERE r.organization_id = %(organization_id)s AND r.user_id = %(user_id)s AND r.status = 'pending'
ORDER BY r.fire_at LIMIT 50

-- name: reminders_pending
-- Every organization's: the scheduler times each one at start-up.
SELECT r.id, r.organization_id, r.user_id, r.text, r.fire_at, r.recurrence, r.timezone, r.status,
       (SELECT pi.external_id FROM platform_identities pi WHERE pi.organization_id = r.organization_id
          AND pi.user_id = r.user_id AND pi.platform = 'slack') AS slack_id
FROM reminders r
WHERE r.status = 'pending' ORDER BY r.fire_at

-- name: reminders_due
-- Every organization's: the minute sweep fires them.
SELECT r.id, r.organization_id, r.user_id, r.text, r.fire_at, r.recurrence, r.timezone, r.status,
       (SELECT pi.external_id FROM platform_identities pi WHERE pi.organization_id = r.organization_id
          AND pi.user_id = r.user_id AND pi.platform = 'slack') AS slack_id
FROM reminders r
WHERE r.status = 'pending' AND r.fire_at <= %(now)s ORDER BY r.fire_at LIMIT 500

-- name: reminder_due_one
SELECT r.id, r.organization_id, r.user_id, r.text, r.fire_at, r.recurrence, r.timezone, r.status,
       (SELECT pi.external_id FROM platform_identities pi WHERE pi.organization_id = r.organization_id
          AND pi.user_id = r.user_id AND pi.platform = 'slack') AS slack_id
FROM reminders r
WHERE r.id = %(id)s AND r.status = 'pending' AND r.fire_at <= %(now)s

-- name: reminder_cancel
UPDATE reminders SET status = 'cancelled', cancelled_at = %(now)s WHERE organization_id = %(organization_id)s AND id = %(id)s

-- name: reminder_fire_and_repeat
-- Claims the occurrence at %(fire_at)s: no row changes if another process fired it first.
UPDATE reminders SET fire_at = %(next_fire_at)s, last_fired_at = %(now)s, late = %(late)s
WHERE id = %(id)s AND status = 'pending' AND fire_at = %(fire_at)s

-- name: reminder_fire_once
UPDATE reminders SET status = 'fired', fired_at = %(now)s, last_fired_at = %(now)s, late = %(late)s
WHERE id = %(id)s AND status = 'pending' AND fire_at = %(fire_at)s
