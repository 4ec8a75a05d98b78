-- 0006_update_dates.sql -- which day's update a standup submission is (issue 10: what counts as the day's update).
--
-- No percent signs in this file (it may be sent through a DB-API driver).

-- The days a person's submission counts for. A reply is usually the update for its thread's day, but
-- one written after that day closed ("Today: deploy the staging build" at 04:20, still in yesterday's
-- thread) is the update for the person's new day, whose thread may not be up yet; a DM or a post in
-- the standup channel is recorded in the thread of the day it counts for. Nudges, the manager summary
-- and App Home ask "who has posted for this date" through this column.
ALTER TABLE thread_submissions ADD COLUMN update_dates date[] NOT NULL DEFAULT '{}';
UPDATE thread_submissions s SET update_dates = ARRAY[mt.thread_date]
FROM morning_threads mt WHERE mt.organization_id = s.organization_id AND mt.id = s.morning_thread_id;
CREATE INDEX thread_submissions_update_dates_idx ON thread_submissions USING gin (update_dates);
