-- 0013_role_source.sql -- a role set by hand sticks (issue 13, tester finding 28).
--
-- users.role_source says who chose a person's role: 'admin' when an admin set it (`/steward role`), NULL when it is
-- the default or was taken from the workspace (its owners, when STEWARD_ADMINS is unset). Workspace sync makes the
-- owners admins only where no admin chose otherwise; STEWARD_ADMINS, the operator's configuration, still wins
-- (bot/services/workspace.py). Any role sync changes is audit-logged.
--
-- No percent signs in this file (it may be sent through a DB-API driver).
ALTER TABLE users ADD COLUMN role_source text CHECK (role_source IN ('admin'));
