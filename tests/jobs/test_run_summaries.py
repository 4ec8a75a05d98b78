"""How a run reads once its report says what became of each message (jobs/summaries.py, jobs/runs.py):
only what Slack accepted reads "sent"/"posted"; what waits says until when on the recipient's clock and
why; what Slack refused says so with its error; what an earlier run queued and this one sent says so."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time
from typing import Any

from bot.services.notifications import DeliveryState
from jobs.runs import RunReport
from jobs.summaries import summarise

AS_OF = datetime(2026, 3, 9, 22, 30, tzinfo=UTC)  # Mon 17:30 in New York (EDT), Tue 04:00 in Kolkata
NAMES = {"<@U0PRIYA>": "@priya", "<@U0MAYA>": "@maya", "<@U0DIEGO>": "@diego", "<@U0SAM>": "@sam", "<@U0LEE>": "@lee",
         "<#C0STANDUP>": "#standup"}
_ids = iter(range(1, 1000))


def plain(text: str) -> str:
    for markup, name in NAMES.items():
        text = text.replace(markup, name)
    return re.sub(r"<@(\w+)>", r"@\1", text)


def delivery(kind: str, to: str, status: str, *, org: int = 1, notification: int | None = None, tz: str = "UTC",
             due: datetime = AS_OF, ts: str | None = None, error: str | None = None, attempts: int = 0,
             target_type: str = "dm") -> DeliveryState:
    return DeliveryState(
        id=next(_ids), notification_id=notification if notification is not None else next(_ids), organization_id=org,
        kind=kind, target_type=target_type, target_id=to, thread_ts=None, status=status, slack_ts=ts,
        next_attempt_at=due, sent_at=AS_OF if status == "sent" else None, last_error=error, attempts=attempts,
        recipient_name=None, timezone=tz, quiet_hours_start=time(20), quiet_hours_end=time(8))


def report(job: str, result: Any, *deliveries: DeliveryState, earlier: tuple[int, ...] = ()) -> RunReport:
    queued = tuple(d.notification_id for d in deliveries if d.notification_id not in earlier)
    return RunReport(job, AS_OF, result, deliveries, queued)


def test_end_of_day_says_what_was_sent_what_is_held_until_when_and_what_was_left_out() -> None:
    ran = report("end-of-day", {"1": {"checkins": 3, "quiet": 1}},
                 delivery("standup.eod_checkin", "U0DIEGO", "sent", tz="America/New_York", ts="1.1"),
                 delivery("standup.eod_checkin", "U0SAM", "sent", tz="America/Los_Angeles", ts="1.2"),
                 delivery("standup.eod_checkin", "U0PRIYA", "held", tz="Asia/Kolkata",
                          due=datetime(2026, 3, 10, 2, 30, tzinfo=UTC)))
    assert summarise("end-of-day", ran.result, plain, ran) == (
        "end-of-day: sent 2 end-of-day check-ins (@diego and @sam), 1 end-of-day check-in is held for quiet hours "
        "until Tue 10 Mar at 08:00 IST (@priya) and 1 not queued (quiet hours would hold it past its time).")
    data = ran.to_json()
    assert [(d["to"], d["ts"]) for d in data["sent"]] == [("<@U0DIEGO>", "1.1"), ("<@U0SAM>", "1.2")]
    assert data["waiting"] == [{"kind": "standup.eod_checkin", "to": "<@U0PRIYA>", "until": "2026-03-10T08:00:00+05:30",
                                "why": "quiet hours"}]
    assert data["failed"] == [] and data["result"] == {"1": {"checkins": 3, "quiet": 1}}


def test_a_thread_reads_posted_only_once_slack_took_it() -> None:
    result = {"1": {"thread": "2026-03-09", "thread_id": 4, "participants": 5, "out_of_office": 1}}
    sent = delivery("standup.thread", "C0STANDUP", "sent", target_type="channel", ts="1.5")
    assert summarise("morning-thread", result, plain, report("morning-thread", result, sent)) == (
        "morning-thread: posted the standup thread for Mon 9 Mar in #standup with 5 people (1 out of office).")
    refused = delivery("standup.thread", "C0STANDUP", "failed", target_type="channel", error="channel_not_found")
    assert summarise("morning-thread", result, plain, report("morning-thread", result, refused)) == (
        "morning-thread: could not post the standup thread for Mon 9 Mar (channel_not_found).")
    retrying = delivery("standup.thread", "C0STANDUP", "pending", target_type="channel", attempts=1, error="ratelimited",
                        due=datetime(2026, 3, 9, 22, 31, tzinfo=UTC))
    assert summarise("morning-thread", result, plain, report("morning-thread", result, retrying)) == (
        "morning-thread: queued the standup thread for Mon 9 Mar with 5 people (1 out of office); it waits until "
        "Mon 9 Mar at 22:31 UTC (Slack answered ratelimited; it is retried then).")


def test_refusals_reasons_and_messages_from_earlier_runs() -> None:
    result = {"1": {"nudges": 2, "summaries": 0, "quiet": 0}}
    ran = report("nudges", result,
                 delivery("standup.nudge", "U0LEE", "failed", error="user_not_found"),
                 delivery("standup.nudge", "U0SAM", "held", tz="America/Los_Angeles",
                          due=datetime(2026, 3, 10, 16, 0, tzinfo=UTC)),  # 09:00 in LA: held past quiet hours
                 delivery("standup.eod_checkin", "U0PRIYA", "sent", notification=900, ts="1.9"),
                 earlier=(900,))
    assert summarise("nudges", result, plain, ran) == (
        "nudges: sent 1 end-of-day check-in held from earlier (@priya), 1 nudge is held until Tue 10 Mar at 09:00 PDT, "
        "when they can next be reached (@sam) and 1 nudge could not be sent (@lee: user_not_found).")
    assert ran.to_json()["sent"] == [{"kind": "standup.eod_checkin", "to": "<@U0PRIYA>", "ts": "1.9", "queued_earlier": True}]


def test_each_organization_reads_its_own_messages() -> None:
    result = {"1": {"checkins": 1}, "2": {"checkins": 1}}
    ran = report("mood-checkin", result, delivery("mood.checkin", "U0DIEGO", "sent", org=1, ts="1.1"),
                 delivery("mood.checkin", "U0SAM", "sent", org=2, ts="1.2"))
    assert summarise("mood-checkin", result, plain, ran) == (
        "mood-checkin: Organization 1: sent 1 mood check-in (@diego). Organization 2: sent 1 mood check-in (@sam).")
    # A run with nothing queued that still sent something due (an earlier run's held check-in).
    ran = report("end-of-day", {"1": {"checkins": 0, "quiet": 0}},
                 delivery("standup.eod_checkin", "U0PRIYA", "sent", notification=901, ts="2.1"), earlier=(901,))
    assert summarise("end-of-day", ran.result, plain, ran) == (
        "end-of-day: sent 1 end-of-day check-in held from earlier (@priya).")
    assert summarise("end-of-day", {"1": {"checkins": 0, "quiet": 0}}, plain, report("end-of-day", {})) == (
        "end-of-day: nothing to do right now.")


def test_many_recipients_are_counted_not_listed() -> None:
    people = [f"U{i:04d}" for i in range(7)]
    ran = report("nudges", {"1": {"nudges": 7, "summaries": 0, "quiet": 0}},
                 *(delivery("standup.nudge", p, "sent", ts=f"1.{i}") for i, p in enumerate(people)))
    assert summarise("nudges", ran.result, plain, ran) == "nudges: sent 7 nudges (@U0000, @U0001, @U0002 and 4 more)."


def test_day_close_says_what_became_of_the_recaps_it_queued() -> None:
    # Tue 00:00 in New York: Diego's and Priya's days closed; his recap waits for his 08:00, hers (09:30 in
    # Kolkata) went; Maya's team recap waits for her morning.
    result = {"1": {"people": 2, "done": 2, "carried": 1, "dropped": 0, "recaps": 2, "team_recaps": 1, "unreachable": 0}}
    ran = report("day-close", result,
                 delivery("standup.day_recap", "U0DIEGO", "held", tz="America/New_York", due=datetime(2026, 3, 10, 12, 0, tzinfo=UTC)),
                 delivery("standup.day_recap", "U0PRIYA", "sent", tz="Asia/Kolkata", ts="3.1"),
                 delivery("standup.team_recap", "U0MAYA", "held", tz="America/New_York", due=datetime(2026, 3, 10, 12, 0, tzinfo=UTC)))
    assert summarise("day-close", result, plain, ran) == (
        "day-close: closed 2 people's days: 2 tasks done and 1 carried forward; sent 1 recap of the day (@priya), "
        "1 recap of the day is held for quiet hours until Tue 10 Mar at 08:00 EDT (@diego) and 1 team recap is held "
        "for quiet hours until Tue 10 Mar at 08:00 EDT (@maya).")
    # A later run that closes nothing sends what was held.
    later = {"1": {"people": 0, "done": 0, "carried": 0, "dropped": 0, "recaps": 0, "team_recaps": 0, "unreachable": 0}}
    ran = report("day-close", later, delivery("standup.day_recap", "U0DIEGO", "sent", notification=950, ts="3.2"),
                 earlier=(950,))
    assert summarise("day-close", later, plain, ran) == "day-close: sent 1 recap of the day held from earlier (@diego)."
