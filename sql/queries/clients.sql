-- Clients and projects (SPEC F3): listed with their open task counts, added and archived by admins.


-- name: clients_with_open_counts
SELECT c.id, c.name, c.slack_channel_id, c.description,
       (SELECT count(*) FROM tasks t WHERE t.organization_id = c.organization_id AND t.client_id = c.id
          AND t.status NOT IN ('done', 'dropped'))::int
FROM clients c WHERE c.organization_id = %(organization_id)s AND c.active ORDER BY lower(c.name)

-- name: projects_with_open_counts
SELECT p.id, p.name, c.name, p.slack_channel_id,
       (SELECT count(*) FROM tasks t WHERE t.organization_id = p.organization_id AND t.project_id = p.id
          AND t.status NOT IN ('done', 'dropped'))::int
FROM projects p LEFT JOIN clients c ON c.organization_id = p.organization_id AND c.id = p.client_id
WHERE p.organization_id = %(organization_id)s AND p.status = 'active' ORDER BY lower(p.name)

-- name: client_insert
INSERT INTO clients (organization_id, name, slack_channel_id, description)
VALUES (%(organization_id)s, %(name)s, %(channel_id)s, %(description)s)

-- name: project_insert
INSERT INTO projects (organization_id, name, client_id, slack_channel_id, owner_id)
VALUES (%(organization_id)s, %(name)s, %(client_id)s, %(channel_id)s, %(owner_id)s)

-- name: client_archive
UPDATE clients SET active = false WHERE organization_id = %(organization_id)s AND id = %(id)s

-- name: project_archive
UPDATE projects SET status = 'archived', archived_at = %(now)s WHERE organization_id = %(organization_id)s AND id = %(id)s
