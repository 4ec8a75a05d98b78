-- 0022_dashboard_sign_in.sql -- the dashboard's sign-in limits made atomic (tester17 finding 1).
--
-- A sign-in is first recorded as 'checking' (counted as a failure) in the same transaction that reads the limits,
-- under advisory locks of its login, its address and the accounts it names; its outcome is written once the password
-- has been verified. So parallel requests can never verify more passwords than the limit allows.
--
-- No percent signs in this file (it may be sent through a DB-API driver).
ALTER TABLE dashboard_login_attempts DROP CONSTRAINT dashboard_login_attempts_outcome_check;
ALTER TABLE dashboard_login_attempts ADD CONSTRAINT dashboard_login_attempts_outcome_check
    CHECK (outcome IN ('checking', 'signed_in', 'wrong_password', 'unknown_login', 'member', 'locked', 'csrf_refused'));
