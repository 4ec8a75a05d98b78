""""Run now" reads as a sentence for every job, from the keys each job really returns (jobs/*.py)."""

from __future__ import annotations

from typing import Any

import pytest

from jobs import registry
from jobs.summaries import COUNTS, summarise

CHANNELS = {"<#C0DEMOACME>": "#client-acme", "<#C0DEMOSTND>": "#standup"}


def plain(text: str) -> str:
    for markup, name in CHANNELS.items():
        text = text.replace(markup, name)
    return text


RETENTION_DAILY = {"expired_drafts": 0, "old_confirmed_drafts": 1, "abandoned_drafts": 0, "old_channel_messages": 3,
                   "processed_inbox_events": 12, "old_job_runs": 0}
RETENTION_MONTHLY = {"old_security_audit_logs": 0, "old_rate_limit_events": 0, "old_dead_letters": 0}

CASES: list[tuple[str, Any, str]] = [
    # Without a run report (jobs/runs.py) nothing is known to have reached Slack: what a job queued reads "queued".
    ("morning-thread", {"1": {"thread": "2026-03-09", "thread_id": 4, "participants": 5, "out_of_office": 1}},
     "morning-thread: queued the standup thread for Mon 9 Mar with 5 people (1 out of office)."),
    ("morning-thread", {"1": {"thread": "2026-03-10", "thread_id": 5, "participants": 1, "out_of_office": 0}},
     "morning-thread: queued the standup thread for Tue 10 Mar with 1 person."),
    ("morning-thread", {"1": {"skipped": "not a workday", "next": "2026-03-09T09:00:00-04:00"}},
     "morning-thread: skipped: not a workday; the next one is due Mon 9 Mar at 09:00 (UTC-04:00)."),
    ("morning-thread", {"1": {"skipped": "already posted", "date": "2026-03-09"}},
     "morning-thread: skipped: already posted (Mon 9 Mar)."),
    ("morning-thread", {"7": {"skipped": "can't read the standup channel's members (not_in_channel); "
                                         "invite me to <#C0DEMOSTND>"}},
     "morning-thread: skipped: can't read the standup channel's members (not_in_channel); invite me to #standup."),
    ("nudges", {"3": {"nudges": 2, "summaries": 1, "quiet": 0}},
     "nudges: queued 2 nudges and queued 1 manager's list of who's missing."),
    ("nudges", {"3": {"nudges": 1, "summaries": 2, "quiet": 1}},
     "nudges: queued 1 nudge, queued 2 managers' lists of who's missing and 1 not queued (quiet hours would hold it "
     "past its time)."),
    ("nudges", {"3": {"nudges": 0, "summaries": 0, "quiet": 0}}, "nudges: nothing to do right now."),
    ("end-of-day", {"1": {"checkins": 3, "quiet": 2}},
     "end-of-day: queued 3 end-of-day check-ins and 2 not queued (quiet hours would hold them past their time)."),
    ("day-close", {"1": {"people": 2, "done": 3, "carried": 1, "dropped": 0}},
     "day-close: closed 2 people's days: 3 tasks done and 1 carried forward."),
    ("day-close", {"1": {"people": 1, "done": 0, "carried": 0, "dropped": 0}}, "day-close: closed 1 person's day."),
    ("day-close", {"1": {"error": "KeyError: 3"}, "2": {"people": 0, "done": 0, "carried": 0, "dropped": 0}},
     "day-close: Organization 1: failed: KeyError: 3. Organization 2: nothing to do right now."),
    # The recaps a close queued read as queued (what became of them is a run report's: see test_run_summaries).
    ("day-close", {"1": {"people": 2, "done": 3, "carried": 1, "dropped": 1, "recaps": 2, "team_recaps": 1, "unreachable": 0}},
     "day-close: closed 2 people's days: 3 tasks done, 1 carried forward and 1 dropped; queued 2 recaps of the day and "
     "queued 1 team recap."),
    ("day-close", {"1": {"people": 0, "done": 0, "carried": 0, "dropped": 0, "recaps": 0, "team_recaps": 2, "unreachable": 0}},
     "day-close: queued 2 team recaps."),
    ("day-close", {"1": {"people": 1, "done": 0, "carried": 1, "dropped": 0, "recaps": 0, "team_recaps": 0, "unreachable": 1}},
     "day-close: closed 1 person's day: 1 carried forward; 1 recap not queued (its owner can't be reached in the next "
     "45 days)."),
    ("mood-checkin", {"1": {"checkins": 1}}, "mood-checkin: queued 1 mood check-in."),
    ("mood-checkin", {"1": {"skipped": "mood check-in is off (`/steward standup mood on`)"}},
     "mood-checkin: skipped: mood check-in is off (`/steward standup mood on`)."),
    ("reminders", {"fired": 2}, "reminders: queued 2 reminders."),
    ("reminders", {"fired": 0}, "reminders: nothing to do right now."),
    ("context", {"messages": 9, "observations": 7, "batches": 1, "embed_calls": 1, "extraction": "offline",
                 "summaries": 2},
     "context: read 9 messages into 7 observations (offline, 1 embeddings call) and updated 2 memory summaries."),
    ("context", {"messages": 1, "observations": 1, "batches": 1, "embed_calls": 1, "extraction": "llm", "summaries": 1},
     "context: read 1 message into 1 observation (with the model, 1 embeddings call) and updated 1 memory summary."),
    ("context", {"messages": 4, "observations": 0, "batches": 1, "embed_calls": 0, "deferred": 4, "extraction": "llm"},
     "context: read 4 messages into 0 observations (with the model) and left 4 messages for later "
     "(embeddings unavailable)."),
    ("context", {"messages": 0, "observations": 0, "batches": 0, "embed_calls": 0, "reembedded": 0, "summaries": 0},
     "context: nothing to do right now."),
    ("context-summaries", {"summaries": 3}, "context-summaries: updated 3 memory summaries."),
    ("context-summaries", {"summaries": 0, "summaries_deferred": "embeddings: timeout"},
     "context-summaries: memory summaries wait for the next run (embeddings: timeout)."),
    ("context-backfill", {"backfills": {}}, "context-backfill: no channel history waiting to be read."),
    ("context-backfill", {"backfills": {"C0DEMOACME": {"status": "complete", "messages": 6, "replies": 3, "pages": 1},
                                        "C0DEMOSTND": {"status": "pending", "messages": 1, "replies": 0, "pages": 1}}},
     "context-backfill: read the history of #client-acme (6 messages, 3 thread replies, 1 page) and paused "
     "reading #standup after 1 message, 0 thread replies, 1 page (it resumes at the next run)."),
    ("context-backfill", {"skipped": "no Slack bot token"}, "context-backfill: skipped: no Slack bot token."),
    ("workspace-sync", {"organization_id": 2, "created": 0, "updated": 5, "deactivated": 0, "skipped_bots": 2,
                        "admins": 1},
     "workspace-sync: updated 5 people, skipped 2 bots and found 1 admin."),
    ("workspace-sync", {"organization_id": 1, "created": 6, "updated": 0, "deactivated": 1, "skipped_bots": 0,
                        "admins": 2},
     "workspace-sync: added 6 people, marked 1 person inactive and found 2 admins."),
    ("retention", {**RETENTION_DAILY, **RETENTION_MONTHLY},
     "retention: deleted 1 confirmed draft past retention, 3 channel messages past retention and "
     "12 processed inbox events."),
    ("retention-daily", dict.fromkeys(RETENTION_DAILY, 0), "retention-daily: nothing to delete."),
    ("retention-monthly", {**RETENTION_MONTHLY, "old_dead_letters": 1}, "retention-monthly: deleted 1 dead-lettered event."),
    ("escalations", {"1": {"to_owner": 2, "to_manager": 1, "rungs_skipped": 1, "waiting": 1, "moved": 0, "resolved": 0}},
     "escalations: asked about 2 blockers (their owners), took 1 blocker to a manager, skipped 1 rung and 1 rung waits for its recipient."),
    ("escalations", {"1": {"to_flag": 1, "rungs_skipped": 0, "waiting": 0, "moved": 3, "resolved": 1}},
     "escalations: raised 1 flag, moved 3 blockers' next steps and resolved 1 blocker (its task closed)."),
    ("escalations", {"1": {"rungs_skipped": 0, "waiting": 0, "moved": 0, "resolved": 0}}, "escalations: nothing to do right now."),
    ("cards", {"1": {"yellow": 2, "red": 1, "expired": 3}}, "cards: issued 2 yellow cards, 1 red card and 3 cards expired."),
    ("cards", {"1": {"shadow_yellow": 1, "shadow_red": 0, "expired": 0}},
     "cards: computed 1 yellow card in shadow mode (shown to admins only)."),
    ("cards", {"1": {"yellow": 0, "red": 0, "expired": 0}}, "cards: nothing to do right now."),
    ("deploy-reminders", {"1": {"reminders": 4, "records": 1, "non_compliant_told": 1, "warnings": 0}},
     "deploy-reminders: queued 4 deploy reminders, recorded 1 deploy's SOP record and queued 1 note to a manager "
     "about a deploy that missed its checklist."),
    ("deploy-reminders", {"1": {"reminders": 0, "records": 0, "non_compliant_told": 0, "warnings": 2}},
     "deploy-reminders: queued 2 warnings about deploys on holidays or with nobody in."),
    ("deploy-reminders", {"1": {"reminders": 0, "records": 0, "non_compliant_told": 0, "warnings": 0}},
     "deploy-reminders: nothing to do right now."),
    ("checklists", {"1": {"sent": 3, "away": 1, "incomplete": 0}},
     "checklists: queued 3 checklists and 1 checklist not sent (its person is on leave, off or away today)."),
    ("checklists", {"1": {"sent": 0, "away": 0, "incomplete": 2}},
     "checklists: recorded 2 checklists as incomplete (not finished by the end of their day)."),
    ("reinforcement", {"1": {"streaks": 2, "milestones": 1, "stale": 0, "unreachable": 0}},
     "reinforcement: told 2 streaks and told 1 milestone."),
    ("reinforcement", {"1": {"streaks": 0, "milestones": 0, "stale": 1, "unreachable": 1}},
     "reinforcement: skipped 1 recognition more than 3 days old and skipped 1 recognition for someone who can't be "
     "reached."),
    ("reinforcement", {"1": {"streaks": 0, "milestones": 0, "stale": 0, "unreachable": 0}},
     "reinforcement: nothing to do right now."),
    ("weekly-report", {"1": {"sent": 2, "already": 0, "no_data": 0, "chart_failed": 1}},
     "weekly-report: queued 2 reports and sent 1 report without its chart (it could not be drawn)."),
    ("weekly-report", {"1": {"sent": 0, "already": 2, "no_data": 0, "chart_failed": 0}},
     "weekly-report: found 2 reports already sent."),
    ("daily-report", {"1": {"sent": 0, "already": 0, "no_data": 1, "chart_failed": 0}},
     "daily-report: skipped a period in which no updates were asked."),
    ("monthly-report", {"1": {"sent": 0, "already": 0, "no_data": 0, "chart_failed": 0}},
     "monthly-report: nothing to do right now."),
    ("kpi-snapshot", {"1": {"weeks": 3, "rows": 21}}, "kpi-snapshot: took the KPI snapshots of 3 weeks and wrote 21 rows."),
    ("kpi-snapshot", {"1": {"weeks": 1, "rows": 1}}, "kpi-snapshot: took the KPI snapshot of 1 week and wrote 1 row."),
    ("kpi-snapshot", {"1": {"weeks": 0, "rows": 0}}, "kpi-snapshot: nothing to do right now."),
    ("checklists", {"1": {"sent": 3, "away": 1, "incomplete": 2}},
     "checklists: queued 3 checklists, 1 checklist not sent (its person is on leave, off or away today) and recorded 2 "
     "checklists as incomplete (not finished by the end of their day)."),
    ("checklists", {"1": {"sent": 0, "away": 0, "incomplete": 0}}, "checklists: nothing to do right now."),
    ("nudges", {"error": "RuntimeError: boom"}, "nudges: failed: RuntimeError: boom."),
    ("nudges", {}, "nudges: nothing to do (no organization yet)."),
]


@pytest.mark.parametrize(("job", "result", "expected"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_each_job_summary_reads_as_a_sentence(job: str, result: Any, expected: str) -> None:
    assert summarise(job, result, plain) == expected


def test_every_registered_job_has_its_words() -> None:
    assert set(registry.all_jobs()) <= set(COUNTS)
    assert {job for job, _, _ in CASES} == set(registry.all_jobs())


def test_keys_no_job_knows_yet_still_read_as_words() -> None:
    said = summarise("reminders", {"fired": 1, "snoozed_twice": 2, "mode": "catch-up", "late_by": {"p95_s": 1.5},
                                   "channels": ["C1", "C2"], "skipped_ids": [], "dry_run": False, "note": None})
    assert said == ("reminders: queued 1 reminder, 2 snoozed twice, mode: catch-up, late by (1.5 p95 s), "
                    "channels (C1, C2), no skipped ids and dry run: no.")
    assert summarise("future-job", ["one", {"two": 2}]) == "future-job: one, 2 two."
    assert summarise("future-job", "done") == "future-job: done."
    assert "nothing ran" in summarise("nudges", None)
