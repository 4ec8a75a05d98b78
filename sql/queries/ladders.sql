-- Escalation ladders (SPEC F6; bot/services/ladders.py).

-- name: ladders_of_org
SELECT blocker_ladder, overdue_ladder FROM org_settings WHERE organization_id = %(organization_id)s

-- name: ladder_set_blocker
UPDATE org_settings SET blocker_ladder = %(ladder)s, updated_at = now() WHERE organization_id = %(organization_id)s

-- name: ladder_set_overdue
UPDATE org_settings SET overdue_ladder = %(ladder)s, updated_at = now() WHERE organization_id = %(organization_id)s

-- name: project_ladders
SELECT id, name, overdue_escalation FROM projects
WHERE organization_id = %(organization_id)s AND status = 'active'
ORDER BY lower(name)

-- name: project_set_overdue_ladder
UPDATE projects SET overdue_escalation = %(ladder)s, updated_at = now()
WHERE organization_id = %(organization_id)s AND id = %(id)s
