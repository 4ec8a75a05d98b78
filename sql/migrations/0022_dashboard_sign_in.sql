-- 0022_dashboard_sign_in.sql -- the dashboard's sign-in limits made atomic, and one-time passwords that work once
-- and expire (tester17 findings 1 and 2), and a session's one-time message.
--
-- A sign-in is first recorded as 'checking' (counted as a failure) in the same transaction that reads the limits,
-- under advisory locks of its login, its address and the accounts it names; its outcome is written once the password
-- has been verified. So parallel requests can never verify more passwords than the limit allows. 'wrong_current':
-- a wrong current password on the change form, counted against the account like a failed sign-in (finding 4);
-- 'current_ok' a right one.
--
-- No percent signs in this file (it may be sent through a DB-API driver).
ALTER TABLE dashboard_login_attempts DROP CONSTRAINT dashboard_login_attempts_outcome_check;
ALTER TABLE dashboard_login_attempts ADD CONSTRAINT dashboard_login_attempts_outcome_check
    CHECK (outcome IN ('checking', 'signed_in', 'wrong_password', 'unknown_login', 'member', 'locked', 'csrf_refused',
                       'one_time_spent', 'wrong_current', 'current_ok'));

-- When users.password_hash was last set (a one-time password issued, or one chosen), and when the current one-time
-- password was first used to sign in. A one-time password signs in once, within 24 hours of being issued
-- (bot/services/dashboard_auth.py ONE_TIME_LIFETIME); a later sign-in with it is 'one_time_spent'. Passwords set
-- before this migration count as set now (a one-time password outstanding then has 24 hours from the upgrade).
-- Both go with the person's row (erasure deletes it).
ALTER TABLE users ADD COLUMN password_set_at timestamptz;
ALTER TABLE users ADD COLUMN one_time_password_used_at timestamptz;
UPDATE users SET password_set_at = now() WHERE password_hash IS NOT NULL;

-- A message for the session's next page ("Moved T-2 to Review.", "Your password is saved."), taken when shown: the
-- address bar never carries it, so a link cannot make a page say something Steward did not (tester17 finding 10).
ALTER TABLE dashboard_sessions ADD COLUMN flash text CHECK (length(flash) <= 1000);
