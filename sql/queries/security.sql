-- Security events, the audit trail and rate limits (SPEC F17).


-- name: security_event_insert
-- created_at: the caller's now when given (a rule's clock), else the database's.
INSERT INTO security_audit_logs (organization_id, user_id, external_user_id, event_type, threat_level, description, details,
                                 created_at)
VALUES (%(organization_id)s, %(user_id)s, %(external_user_id)s, %(event_type)s, %(threat_level)s, %(description)s, %(details)s,
        coalesce(%(now)s::timestamptz, now()))

-- name: audit_insert
-- created_at: the caller's now when given (a rule's clock), else the database's.
INSERT INTO audit_logs (organization_id, actor_id, action, entity_type, entity_id, details, created_at)
VALUES (%(organization_id)s, %(actor_id)s, %(action)s, %(entity_type)s, %(entity_id)s, %(details)s,
        coalesce(%(now)s::timestamptz, now()))

-- name: rate_limit_counts
-- Allowed events of one person and action since each cutoff (the hour bounds the scan).
SELECT count(*) FILTER (WHERE created_at > %(window_start)s), count(*) FILTER (WHERE created_at > %(hour_start)s)
FROM rate_limit_events
WHERE organization_id = %(organization_id)s AND user_id = %(user_id)s AND action = %(action)s AND allowed
  AND created_at > %(hour_start)s

-- name: rate_limit_insert
INSERT INTO rate_limit_events (organization_id, user_id, external_user_id, action, allowed, created_at)
VALUES (%(organization_id)s, %(user_id)s, %(external_user_id)s, %(action)s, %(allowed)s, %(now)s)
