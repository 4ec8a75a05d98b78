-- The manager dashboard (issue 17, SPEC F18): server-side sessions and the sign-in bookkeeping that rate-limits
-- password guessing per account and per address. users.password_hash and users.must_change_password exist since
-- 0001; refusals and lockouts also go to security_audit_logs and rate_limit_events (an account's organization is
-- known there).

-- One signed-in browser. The cookie carries "<id>.<token>"; only the token's SHA-256 is kept, so a copy of this
-- table signs nobody in. A session ends on sign-out, or 12 idle hours after last_seen_at (bot/services/dashboard_auth.py).
CREATE TABLE dashboard_sessions (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id     bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id             bigint NOT NULL,
    token_sha256        bytea NOT NULL CHECK (length(token_sha256) = 32),
    csrf_token          text NOT NULL CHECK (length(csrf_token) >= 32),   -- every form of the session carries it
    address             text,                                            -- the client's address at sign-in
    last_seen_at        timestamptz NOT NULL,
    ended_at            timestamptz,                                     -- signed out, or ended by a password change
    created_at          timestamptz NOT NULL DEFAULT now(),
    -- A person's sessions go with them (erasure).
    CONSTRAINT dashboard_sessions_user_id_fkey FOREIGN KEY (organization_id, user_id)
        REFERENCES users (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX dashboard_sessions_user_id_idx ON dashboard_sessions (organization_id, user_id);
CREATE INDEX dashboard_sessions_last_seen_at_idx ON dashboard_sessions (last_seen_at);

-- Every sign-in attempt, before anyone is known: the per-account bucket is what was typed (lower-cased), so an
-- unknown email locks as a known one does and a lockout tells nothing about who has an account; the per-address
-- bucket is the client's address. organization_id / user_id: the account the login named, when one matched.
-- Pre-authentication, so the only table read across organizations (by login and by address); kept 30 days.
CREATE TABLE dashboard_login_attempts (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id     bigint REFERENCES organizations (id) ON DELETE CASCADE,
    user_id             bigint,
    login               text NOT NULL CHECK (length(login) <= 254),
    address             text NOT NULL CHECK (length(address) <= 64),
    outcome             text NOT NULL CHECK (outcome IN ('signed_in', 'wrong_password', 'unknown_login', 'member',
                                                          'locked', 'csrf_refused')),
    created_at          timestamptz NOT NULL DEFAULT now(),
    -- Sign-in records of a person: erased with them.
    CONSTRAINT dashboard_login_attempts_user_id_fkey FOREIGN KEY (organization_id, user_id)
        REFERENCES users (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX dashboard_login_attempts_login_idx ON dashboard_login_attempts (login, created_at);
CREATE INDEX dashboard_login_attempts_address_idx ON dashboard_login_attempts (address, created_at);
CREATE INDEX dashboard_login_attempts_user_id_idx ON dashboard_login_attempts (organization_id, user_id);
CREATE INDEX dashboard_login_attempts_created_at_idx ON dashboard_login_attempts (created_at);
