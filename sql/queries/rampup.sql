-- Ramp-up (bot/services/rampup.py; issue 14): `/steward rampup`.

-- name: rampup_upsert
-- One ramp-up per person (user_ramp_up_user_id_key): a new one keeps the earlier start of the person's last one,
-- so days already spent in ramp-up stay ramp-up days; no buddy given keeps the one set.
INSERT INTO user_ramp_up (organization_id, user_id, starts_on, ends_on, target_multiplier, buddy_id, created_by)
VALUES (%(organization_id)s, %(user_id)s, %(starts_on)s, %(ends_on)s, %(target_multiplier)s, %(buddy_id)s, %(created_by)s)
ON CONFLICT (user_id) DO UPDATE
SET starts_on = least(user_ramp_up.starts_on, EXCLUDED.starts_on), ends_on = EXCLUDED.ends_on,
    target_multiplier = coalesce(%(target_multiplier_given)s, user_ramp_up.target_multiplier),
    buddy_id = coalesce(EXCLUDED.buddy_id, user_ramp_up.buddy_id), updated_at = now()
WHERE user_ramp_up.organization_id = EXCLUDED.organization_id
RETURNING starts_on, ends_on, target_multiplier, buddy_id

-- name: rampup_of
SELECT starts_on, ends_on, target_multiplier, buddy_id FROM user_ramp_up
WHERE organization_id = %(organization_id)s AND user_id = %(user_id)s

-- name: rampup_end
-- Ended today: the days before stay ramp-up days (a miss then never counts); one that began today is removed.
UPDATE user_ramp_up SET ends_on = %(yesterday)s, updated_at = now()
WHERE organization_id = %(organization_id)s AND user_id = %(user_id)s AND starts_on <= %(yesterday)s

-- name: rampup_delete
DELETE FROM user_ramp_up WHERE organization_id = %(organization_id)s AND user_id = %(user_id)s AND starts_on > %(yesterday)s

-- name: rampup_current
SELECT r.user_id, pi.external_id, r.starts_on, r.ends_on, r.target_multiplier, bpi.external_id AS buddy_slack_id
FROM user_ramp_up r
JOIN platform_identities pi ON pi.organization_id = r.organization_id AND pi.user_id = r.user_id AND pi.platform = 'slack'
LEFT JOIN platform_identities bpi ON bpi.organization_id = r.organization_id AND bpi.user_id = r.buddy_id
                                   AND bpi.platform = 'slack'
WHERE r.organization_id = %(organization_id)s AND r.ends_on >= %(today)s
ORDER BY r.ends_on, r.user_id
