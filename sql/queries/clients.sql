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
-- A new client; or an archived one of that name (clients_organization_id_name_key covers archived clients, any case)
-- in use again: active, named as typed now, the channel and description given now (else its old ones); its members,
-- aliases and notes kept (tester16 #10). Returns (id, restored). Nothing for an active client of that name.
INSERT INTO clients (organization_id, name, slack_channel_id, description)
VALUES (%(organization_id)s, %(name)s, %(channel_id)s, %(description)s)
ON CONFLICT (organization_id, lower(name)) DO UPDATE
SET active = true, name = EXCLUDED.name, updated_at = now(),
    slack_channel_id = coalesce(EXCLUDED.slack_channel_id, clients.slack_channel_id),
    description = coalesce(EXCLUDED.description, clients.description)
WHERE NOT clients.active
RETURNING id, xmax <> 0 AS restored

-- name: project_insert
INSERT INTO projects (organization_id, name, client_id, slack_channel_id, owner_id)
VALUES (%(organization_id)s, %(name)s, %(client_id)s, %(channel_id)s, %(owner_id)s)

-- name: client_archive
UPDATE clients SET active = false WHERE organization_id = %(organization_id)s AND id = %(id)s

-- name: project_archive
UPDATE projects SET status = 'archived', archived_at = %(now)s WHERE organization_id = %(organization_id)s AND id = %(id)s


-- Issue 16: aliases, assigned members, context notes, the client card.

-- name: client_aliases_of_org
SELECT a.client_id, a.alias FROM client_aliases a JOIN clients c ON c.organization_id = a.organization_id AND c.id = a.client_id
WHERE a.organization_id = %(organization_id)s AND c.active ORDER BY a.client_id, lower(a.alias)

-- name: client_alias_insert
INSERT INTO client_aliases (organization_id, client_id, alias, created_by)
VALUES (%(organization_id)s, %(client_id)s, %(alias)s, %(created_by)s)
ON CONFLICT (organization_id, lower(alias)) DO NOTHING
RETURNING id

-- name: client_alias_owner
-- Which client (active or archived) already holds this alias, any case; with the alias as it was written (the
-- refusal names it: `Acme` clashes with the alias `ACME`, tester16 F15).
SELECT a.client_id, c.name, a.alias FROM client_aliases a JOIN clients c ON c.organization_id = a.organization_id AND c.id = a.client_id
WHERE a.organization_id = %(organization_id)s AND lower(a.alias) = lower(%(alias)s)

-- name: client_name_owner
-- Which client (active or archived) is called this, any case.
SELECT id, name FROM clients WHERE organization_id = %(organization_id)s AND lower(name) = lower(%(name)s)

-- name: client_members_of
SELECT u.id, cm.role FROM client_members cm JOIN users u ON u.organization_id = cm.organization_id AND u.id = cm.user_id
WHERE cm.organization_id = %(organization_id)s AND cm.client_id = %(client_id)s
ORDER BY cm.role = 'lead' DESC, lower(u.display_name)

-- name: client_members_delete_others
DELETE FROM client_members WHERE organization_id = %(organization_id)s AND client_id = %(client_id)s
  AND NOT (user_id = ANY (%(user_ids)s::bigint[]))

-- name: client_member_insert
INSERT INTO client_members (organization_id, client_id, user_id, role)
VALUES (%(organization_id)s, %(client_id)s, %(user_id)s, 'member')
ON CONFLICT (client_id, user_id) DO NOTHING

-- name: client_is_member
SELECT EXISTS (SELECT 1 FROM client_members WHERE organization_id = %(organization_id)s AND client_id = %(client_id)s
               AND user_id = %(user_id)s)

-- name: clients_of_member
-- The active clients a person is assigned to.
SELECT cm.client_id FROM client_members cm JOIN clients c ON c.organization_id = cm.organization_id AND c.id = cm.client_id
WHERE cm.organization_id = %(organization_id)s AND cm.user_id = %(user_id)s AND c.active ORDER BY cm.client_id

-- name: client_members_by_slack_id
-- Every assigned member of an active client by their Slack user id (how a fact's authors name its client).
SELECT p.external_id, cm.client_id FROM client_members cm
JOIN clients c ON c.organization_id = cm.organization_id AND c.id = cm.client_id
JOIN platform_identities p ON p.organization_id = cm.organization_id AND p.user_id = cm.user_id
WHERE cm.organization_id = %(organization_id)s AND c.active

-- name: client_channel_owner
-- The active client whose channel this is (the first by name when a channel is shared).
SELECT id FROM clients WHERE organization_id = %(organization_id)s AND active AND slack_channel_id = %(channel_id)s
ORDER BY lower(name) LIMIT 1

-- name: client_notes_of
SELECT context_notes FROM clients WHERE organization_id = %(organization_id)s AND id = %(id)s

-- name: client_notes_set
UPDATE clients SET context_notes = %(notes)s, updated_at = now() WHERE organization_id = %(organization_id)s AND id = %(id)s

-- name: client_card_projects
SELECT name FROM projects WHERE organization_id = %(organization_id)s AND client_id = %(client_id)s AND status = 'active'
ORDER BY lower(name)

-- name: client_card_open_tasks
-- The client's open tasks, overdue first (due before ``today``, the organization's date), then by due date.
SELECT t.display_id, t.title, t.due_date, u.slack_id_of_owner, (t.due_date IS NOT NULL AND t.due_date < %(today)s) AS overdue
FROM tasks t
LEFT JOIN LATERAL (SELECT p.external_id AS slack_id_of_owner FROM platform_identities p
                   WHERE p.organization_id = t.organization_id AND p.user_id = t.user_id LIMIT 1) u ON true
WHERE t.organization_id = %(organization_id)s AND t.client_id = %(client_id)s AND t.status NOT IN ('done', 'dropped')
ORDER BY overdue DESC, t.due_date NULLS LAST, t.id

-- name: client_card_last_deploy
-- The client's latest deploy that has happened (a schedule's last_reminded_at is set to each deploy's instant when
-- the job passes it), with its SOP record when it had a checklist.
SELECT s.last_reminded_at, s.timezone, r.compliant, r.notes, p.name
FROM client_deploy_schedules s
LEFT JOIN sop_records r ON r.organization_id = s.organization_id AND r.deploy_schedule_id = s.id
                       AND r.recorded_at = s.last_reminded_at
LEFT JOIN sops p ON p.organization_id = r.organization_id AND p.id = r.sop_id
WHERE s.organization_id = %(organization_id)s AND s.client_id = %(client_id)s
  AND s.last_reminded_at IS NOT NULL AND s.last_reminded_at <= %(now)s
ORDER BY s.last_reminded_at DESC, s.id DESC
LIMIT 1
