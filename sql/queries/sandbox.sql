-- The local sandbox's demo organization (bot/sandbox/persistence.py).

-- name: sandbox_organization
SELECT o.id, o.created_at
FROM platform_connections pc JOIN organizations o ON o.id = pc.organization_id
WHERE pc.platform = 'slack' AND pc.external_team_id = %(team_id)s

-- name: forget_sandbox_organization
DELETE FROM organizations
WHERE id IN (SELECT organization_id FROM platform_connections WHERE platform = 'slack' AND external_team_id = %(team_id)s)

-- name: forget_sandbox_inbox
DELETE FROM event_inbox WHERE team_id = %(team_id)s
