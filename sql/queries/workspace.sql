-- Organizations, people and their Slack identities (SPEC F1).

-- name: org_by_team
SELECT o.id, o.name, pc.external_team_id AS team_id, pc.bot_user_id
FROM platform_connections pc JOIN organizations o ON o.id = pc.organization_id
WHERE pc.platform = 'slack' AND pc.external_team_id = %(team_id)s

-- name: org_lock_team
SELECT pg_advisory_xact_lock(hashtext('steward-org:' || %(team_id)s))

-- name: org_insert
INSERT INTO organizations (name) VALUES (%(name)s) RETURNING id

-- name: connection_upsert
INSERT INTO platform_connections (organization_id, platform, external_team_id, team_name, team_domain, bot_user_id, bot_id, app_id, last_synced_at)
VALUES (%(organization_id)s, 'slack', %(team_id)s, %(team_name)s, %(team_domain)s, %(bot_user_id)s, %(bot_id)s, %(app_id)s, %(now)s)
ON CONFLICT (platform, external_team_id) DO UPDATE
SET team_name = coalesce(EXCLUDED.team_name, platform_connections.team_name),
    team_domain = coalesce(EXCLUDED.team_domain, platform_connections.team_domain),
    bot_user_id = coalesce(EXCLUDED.bot_user_id, platform_connections.bot_user_id),
    bot_id = coalesce(EXCLUDED.bot_id, platform_connections.bot_id),
    app_id = coalesce(EXCLUDED.app_id, platform_connections.app_id),
    last_synced_at = EXCLUDED.last_synced_at
RETURNING organization_id

-- name: org_rename
UPDATE organizations SET name = %(name)s WHERE id = %(organization_id)s AND name <> %(name)s

-- name: user_by_slack_id
SELECT u.id, u.organization_id, pi.external_id AS slack_id, u.display_name, u.real_name, u.email, u.role,
       u.manager_id, u.timezone, u.active, u.created_at, u.locale, u.date_order
FROM platform_identities pi JOIN users u ON u.id = pi.user_id AND u.organization_id = pi.organization_id
WHERE pi.organization_id = %(organization_id)s AND pi.platform = 'slack' AND pi.external_id = %(slack_id)s

-- name: user_by_id
SELECT u.id, u.organization_id, pi.external_id AS slack_id, u.display_name, u.real_name, u.email, u.role,
       u.manager_id, u.timezone, u.active, u.created_at, u.locale, u.date_order
FROM users u JOIN platform_identities pi ON pi.user_id = u.id AND pi.organization_id = u.organization_id AND pi.platform = 'slack'
WHERE u.organization_id = %(organization_id)s AND u.id = %(user_id)s

-- name: users_of_org
SELECT u.id, u.organization_id, pi.external_id AS slack_id, u.display_name, u.real_name, u.email, u.role,
       u.manager_id, u.timezone, u.active, u.created_at, u.locale, u.date_order
FROM users u JOIN platform_identities pi ON pi.user_id = u.id AND pi.organization_id = u.organization_id AND pi.platform = 'slack'
WHERE u.organization_id = %(organization_id)s
ORDER BY u.id

-- name: user_insert
INSERT INTO users (organization_id, email, display_name, real_name, role, timezone, active, deactivated_at, locale,
                   slack_status_text, slack_status_emoji, slack_status_expires_at, slack_status_since)
VALUES (%(organization_id)s, %(email)s, %(display_name)s, %(real_name)s, %(role)s, %(timezone)s, %(active)s,
        CASE WHEN %(active)s THEN NULL ELSE %(now)s END, %(locale)s,
        %(status_text)s::text, %(status_emoji)s::text, %(status_expires_at)s::timestamptz,
        CASE WHEN %(status_text)s::text IS NULL AND %(status_emoji)s::text IS NULL THEN NULL ELSE %(now)s END)
RETURNING id

-- name: identity_insert
INSERT INTO platform_identities (organization_id, user_id, platform, external_team_id, external_id, username, profile)
VALUES (%(organization_id)s, %(user_id)s, 'slack', %(team_id)s, %(slack_id)s, %(username)s, %(profile)s)
ON CONFLICT (organization_id, platform, external_id) DO NOTHING
RETURNING id

-- name: user_update_from_slack
-- Returns (role, status_changed): the role after the update, and whether the Slack status changed (its text, emoji
-- or expiry): the person's ladders' due times then move.
WITH before AS (
    SELECT slack_status_text AS old_text, slack_status_emoji AS old_emoji, slack_status_expires_at AS old_expires FROM users
    WHERE organization_id = %(organization_id)s AND id = %(user_id)s
)
UPDATE users
SET email = %(email)s, display_name = %(display_name)s, real_name = %(real_name)s, timezone = %(timezone)s,
    active = %(active)s, locale = coalesce(%(locale)s, locale),
    deactivated_at = CASE WHEN %(active)s THEN NULL ELSE coalesce(deactivated_at, %(now)s) END,
    -- STEWARD_ADMINS (configured) always; a workspace owner only when no admin chose their role by hand
    role = CASE WHEN %(make_admin)s AND (%(configured_admin)s OR role_source IS NULL) THEN 'admin' ELSE role END,
    -- the Slack status, when the profile carried one; "since" is kept while its text and emoji stay the same
    slack_status_since = CASE
        WHEN NOT %(status_known)s THEN slack_status_since
        WHEN %(status_text)s::text IS NULL AND %(status_emoji)s::text IS NULL THEN NULL
        WHEN slack_status_text IS NOT DISTINCT FROM %(status_text)s::text
             AND slack_status_emoji IS NOT DISTINCT FROM %(status_emoji)s::text THEN coalesce(slack_status_since, %(now)s)
        ELSE %(now)s END,
    slack_status_text = CASE WHEN %(status_known)s THEN %(status_text)s::text ELSE slack_status_text END,
    slack_status_emoji = CASE WHEN %(status_known)s THEN %(status_emoji)s::text ELSE slack_status_emoji END,
    slack_status_expires_at = CASE WHEN %(status_known)s THEN %(status_expires_at)s::timestamptz ELSE slack_status_expires_at END
FROM before
WHERE users.organization_id = %(organization_id)s AND users.id = %(user_id)s
RETURNING users.role, %(status_known)s AND (before.old_text IS DISTINCT FROM %(status_text)s::text
                                OR before.old_emoji IS DISTINCT FROM %(status_emoji)s::text
                                OR before.old_expires IS DISTINCT FROM %(status_expires_at)s::timestamptz)

-- name: identity_update
UPDATE platform_identities SET username = %(username)s, profile = %(profile)s
WHERE organization_id = %(organization_id)s AND user_id = %(user_id)s AND platform = 'slack'

-- name: org_admin_count
SELECT count(*) FROM users WHERE organization_id = %(organization_id)s AND role = 'admin' AND active

-- name: user_set_date_order
-- The person's own date order (NULL: follow their Slack locale again).
UPDATE users SET date_order = %(date_order)s
WHERE organization_id = %(organization_id)s AND id = %(user_id)s

-- name: user_set_manager
-- Who manages whom (bot/services/team.py): source 'admin' or 'slack_profile'; NULL with no manager.
UPDATE users SET manager_id = %(manager_id)s, manager_source = %(source)s, updated_at = now()
WHERE organization_id = %(organization_id)s AND id = %(user_id)s

-- name: user_set_role
-- %(source)s: 'admin' when an admin chose it (it then sticks at workspace sync), NULL when Steward set it (a member
-- given reports becomes a manager).
UPDATE users SET role = %(role)s, role_source = coalesce(%(source)s, role_source), updated_at = now()
WHERE organization_id = %(organization_id)s AND id = %(user_id)s

-- name: manager_sources
SELECT id, manager_source FROM users WHERE organization_id = %(organization_id)s AND manager_source IS NOT NULL
