"""Standup updates recorded (SPEC F4): a message that is part of a person's update for one day (a reply
in the morning thread, a DM, a post in the standup channel; new, edited or redelivered) becomes a
submission, the day's plan, tasks, blockers and out-of-office notes; Undo takes one back.

Which day a message is the update for is decided once, when it is first recorded (``plan_date``), and
kept with the words and when they were written (``written_at``): an edit is read as of when the message
was written ("tomorrow" stays the day it meant) and changes only what the edit changed, on that day.

Replies are sorted by :func:`bot.parsing.standup_reply.split_reply` (pure), and the free text of the
plan is parsed into tasks by the AI interface in the listener before :func:`apply_reply` records it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from bot import slack_markup as markup
from bot.errors import InvalidInput, NotFound, PermissionDenied, StewardError
from bot.parsing.standup_reply import ReplyParts, best_match, blocker_words
from bot.parsing.text import fold
from bot.services import blockers as blocker_service
from bot.services import calendar, ooo, security, standup_threads
from bot.services import rhythm as rules
from bot.services import tasks as task_service
from bot.services.standup_plan import OpenTask, open_tasks_of
from bot.services.standup_threads import MorningThread
from db.queries import Q
from db.rows import Task, User


@dataclass(frozen=True)
class TaskRef:
    id: int
    display_id: str
    title: str
    carry_forward_count: int = 0


VIA_THREAD, VIA_DM, VIA_CHANNEL = "thread", "dm", "channel"  # where a message of an update was written


@dataclass
class ReplyOutcome:
    submission_id: int
    plan_date: date  # the day this message is the update for
    is_late: bool
    planned: list[TaskRef] = field(default_factory=list)  # existing tasks on the day's plan
    created: list[TaskRef] = field(default_factory=list)  # new tasks
    completed: list[TaskRef] = field(default_factory=list)
    blockers: list[tuple[int, str, str | None]] = field(default_factory=list)  # (id, description, task display id)
    ooo: list[tuple[int, date, date, str | None]] = field(default_factory=list)
    ooo_spans: dict[int, Any] = field(default_factory=dict)  # ooo id -> its workdays (absences.Span), for the answer
    notes: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # display ids of tasks an edit took back
    # What an edit took back besides tasks, and what it could not: said in the answer, never silently.
    removed_blockers: list[str] = field(default_factory=list)
    resolved_blockers: list[tuple[str, str | None]] = field(default_factory=list)  # (description, task) it said were gone
    resolved_blocker_ids: list[int] = field(default_factory=list)  # ...their ids, which Undo reopens
    removed_ooo: list[tuple[date, date]] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # display ids an edit no longer names that stay (they have history)
    off_plan: list[TaskRef] = field(default_factory=list)  # new or named on a closed day: on the list, not that day's plan
    unknown_refs: list[int] = field(default_factory=list)  # T-numbers that did not exist when the message was written
    numbered_as: list[tuple[int, TaskRef]] = field(default_factory=list)  # ...and the new task of this message that took one
    not_found: list[str] = field(default_factory=list)  # work said to be done that matches no open task
    reply_ts: str | None = None
    replayed: bool = False  # the same message was already recorded (a redelivery)
    chatter: bool = False  # a later message with nothing in it ("thanks!"): not recorded
    edited: bool = False  # an earlier version of the message was on record
    day_closed: bool = False  # the day it belongs to had closed when this version was recorded
    via: str = VIA_THREAD

    @property
    def empty(self) -> bool:
        return not (self.planned or self.created or self.completed or self.blockers or self.ooo)

    def to_json(self) -> dict[str, Any]:
        return {
            "planned": [r.__dict__ for r in self.planned], "created": [r.__dict__ for r in self.created],
            "completed": [r.__dict__ for r in self.completed],
            "blockers": [{"id": b[0], "description": b[1], "task": b[2]} for b in self.blockers],
            "ooo": [{"id": o[0], "start": o[1].isoformat(), "end": o[2].isoformat(), "reason": o[3]} for o in self.ooo],
            "notes": self.notes, "resolved_blockers": self.resolved_blocker_ids,
        }

    @staticmethod
    def from_json(submission_id: int, plan_date: date, is_late: bool, doc: dict[str, Any]) -> ReplyOutcome:
        out = ReplyOutcome(submission_id, entry_date(doc, plan_date), is_late, replayed=True, reply_ts=doc.get("reply_ts"),
                           via=doc.get("via") or VIA_THREAD)
        out.planned = [TaskRef(**r) for r in doc.get("planned", [])]
        out.created = [TaskRef(**r) for r in doc.get("created", [])]
        out.completed = [TaskRef(**r) for r in doc.get("completed", [])]
        out.blockers = [(b["id"], b["description"], b.get("task")) for b in doc.get("blockers", [])]
        out.ooo = [(o["id"], date.fromisoformat(o["start"]), date.fromisoformat(o["end"]), o.get("reason")) for o in doc.get("ooo", [])]
        out.notes = list(doc.get("notes", []))
        return out


def entry_date(entry: dict[str, Any], default: date) -> date:
    """The day one recorded message is the update for (entries recorded before days were kept: ``default``,
    the thread's date)."""
    raw = entry.get("plan_date")
    return date.fromisoformat(raw) if isinstance(raw, str) else default


@dataclass(frozen=True)
class Recorded:
    """One message of a person's update, as recorded: where, for which day, and where Steward answered it."""

    submission_id: int
    thread_id: int
    plan_date: date
    written_at: datetime | None  # None for messages recorded before this was kept
    via: str
    channel_id: str | None  # where the message was written (None: the thread's channel, for old entries)
    text: str
    reply_ts: str | None
    reply_channel_id: str | None  # where the answer is (None: the thread's channel)
    mirror_ts: str | None  # a DM update shown in the thread: that post


async def recorded_message(conn: psycopg.AsyncConnection, org_id: int, user_id: int, message_ts: str) -> Recorded | None:
    """The message ``message_ts`` of ``user_id`` if it is part of an update on record, else None."""
    row = await (await conn.execute(Q["submission_for_message"], {"organization_id": org_id, "user_id": user_id,
                                                                  "message_ts": message_ts})).fetchone()
    if row is None:
        return None
    try:
        sub, entry = await submission_entry(conn, org_id, int(row[0]), message_ts)
    except NotFound:
        return None
    written = entry.get("written_at")
    return Recorded(sub.id, sub.thread_id, entry_date(entry, sub.thread_date),
                    datetime.fromisoformat(written) if isinstance(written, str) else None, entry.get("via") or VIA_THREAD,
                    entry.get("channel"), entry.get("text") or "", entry.get("reply_ts"), entry.get("reply_channel"),
                    entry.get("mirror_ts"))


@dataclass(frozen=True)
class ParsedReply:
    """What the listener got from the AI interface for one reply."""

    parts: ReplyParts
    tasks: list[Any]  # ParsedTask
    ooo: list[Any]  # ParsedOoo (None entries dropped)
    parser: str
    clients: dict[str, int] = field(default_factory=dict)
    projects: dict[str, int] = field(default_factory=dict)


# How far back a message outside the thread looks for the morning thread of its day (a long weekend, a
# holiday week: the latest thread is still the one before the person's new day).
UPDATE_LOOKBACK_DAYS = 10


@dataclass(frozen=True)
class UpdateDay:
    """The day a message is the update for, and the thread it is recorded in (that day's, or the one
    before it when that day's thread is not up yet)."""

    thread: MorningThread
    plan_date: date

    @property
    def thread_is_up(self) -> bool:
        return self.plan_date == self.thread.thread_date


def day_of_reply(thread: MorningThread, rhythm: rules.Rhythm, user: User, now: datetime) -> date:
    """The day a reply written ``now`` in ``thread`` is the update for: the thread's day until it closes
    for the person (their close, SPEC F5), then their own new date ("Today: deploy…" at 04:20 in
    yesterday's thread is today's update)."""
    day = rules.personal_day(thread.thread_date, thread.started_at, rhythm, user.timezone)
    return thread.thread_date if not day.closed(now) else rules.local_date(now, day.tz)


def day_closed(thread: MorningThread, rhythm: rules.Rhythm, user: User, plan_date: date, now: datetime) -> bool:
    """Whether the person's ``plan_date`` has closed at ``now`` (its tasks were then recorded by the day's close)."""
    day = rules.personal_day(thread.thread_date, thread.started_at, rhythm, user.timezone)
    close = day.close_at if plan_date == thread.thread_date else calendar.end_of_local_day(plan_date, day.tz)
    return now >= close


async def update_day(conn: psycopg.AsyncConnection, org_id: int, user: User, rhythm: rules.Rhythm, now: datetime) -> UpdateDay | None:
    """Which day a message written ``now`` outside the standup thread (a DM, a post in the channel) is
    the update for, or None when no standup day is open for the person.

    The latest posted morning thread, while its day is open for the person (until their close); after
    that, the person's new date when it is a workday of the rhythm (its thread is not up yet, and the
    update counts for it when it is). The people calendar (SPEC 6) will also answer "is this person
    expected today"; until then, workdays and holidays of the rhythm decide."""
    since = rules.local_date(now, rhythm.timezone) - timedelta(days=UPDATE_LOOKBACK_DAYS)
    await standup_threads.sync_posted(conn, org_id)  # a thread posted seconds ago counts already
    threads = [t for t in await standup_threads.recent_threads(conn, org_id, since) if t.thread_ts]
    if not threads:
        return None
    latest = threads[-1]
    plan_date = day_of_reply(latest, rhythm, user, now)
    if plan_date == latest.thread_date:
        return UpdateDay(latest, plan_date)
    if plan_date > latest.thread_date and calendar.is_workday(plan_date, rhythm):
        return UpdateDay(latest, plan_date)
    return None


async def update_posted(conn: psycopg.AsyncConnection, org_id: int, user_id: int, day: date) -> bool:
    """Whether the person has posted their update for ``day`` (in a thread, by DM or in the channel)."""
    row = await (await conn.execute(Q["update_posted"], {"organization_id": org_id, "user_id": user_id, "day": day})).fetchone()
    return bool(row and row[0])


async def unanswered_day(conn: psycopg.AsyncConnection, org_id: int, user: User, rhythm: rules.Rhythm, now: datetime) -> UpdateDay | None:
    """The open standup day (:func:`update_day`) the person has not posted their update for yet, if any."""
    day = await update_day(conn, org_id, user, rhythm, now)
    if day is None or await update_posted(conn, org_id, user.id, day.plan_date):
        return None
    return day


def _ref(task: Task | OpenTask) -> TaskRef:
    return TaskRef(task.id, task.display_id, task.title, task.carry_forward_count)


async def _tasks_by_number(conn: psycopg.AsyncConnection, org_id: int, numbers: Sequence[int]) -> dict[int, Task]:
    if not numbers:
        return {}
    rows = await (await conn.execute(Q["tasks_by_numbers"], {"organization_id": org_id, "numbers": list(numbers)})).fetchall()
    return {number: await task_service.get(conn, org_id, task_id) for task_id, number in rows}


def _new_task(p: Any, clients: dict[str, int], projects: dict[str, int]) -> task_service.NewTask:
    return task_service.NewTask(
        title=p.title, due_date=p.due_date, due_at=p.due_at if getattr(p, "has_time", False) else None,
        task_type=p.task_type, size=p.size, weight=int(p.weight or 1),
        priority={"normal": "medium"}.get(p.priority, p.priority or "medium"),
        client_id=clients.get(p.client) if p.client else None, project_id=projects.get(p.project) if p.project else None,
    )


def _norm(text: str) -> str:
    return " ".join(fold(text).split())


async def apply_reply(conn: psycopg.AsyncConnection, *, org_id: int, thread: MorningThread, user: User, message_ts: str,
                      text: str, parsed: ParsedReply, is_late: bool, plan_date: date, now: datetime,
                      written_at: datetime | None = None, day_closed: bool = False, via: str = VIA_THREAD,
                      channel_id: str | None = None) -> ReplyOutcome:
    """Record one message (new or edited) of ``user`` as part of their update for ``plan_date``, in
    ``thread`` (the thread of that day, or of the day before when the day's thread is not up yet):
    submission, plan, tasks, blockers, OOO.

    ``written_at`` is when the message was first written (``now`` for a new one); ``via`` and
    ``channel_id`` say where (the thread, a DM, the standup channel). On a ``day_closed`` (an edit after
    the day's close) nothing is added to that day's plan: new tasks go on the person's list and the answer
    says so.

    Idempotent per (message, text): a redelivered message changes nothing. An edit replaces what the
    previous version of the same message recorded and nothing else: tasks it created and no longer
    mentions are removed if untouched (else kept, and said), its blockers and out-of-office notes follow
    the new text (those it took back are listed in the outcome).
    """
    written_at = written_at or now
    async with conn.transaction():
        row = await (await conn.execute(Q["submission_upsert"], {
            "organization_id": org_id, "thread_id": thread.id, "user_id": user.id, "is_late": is_late,
            "message_ts": message_ts})).fetchone()
        assert row is not None
        submission_id, doc = row[0], dict(row[1] or {})
        messages: dict[str, Any] = dict(doc.get("messages") or {})
        previous = messages.get(message_ts)
        if previous is not None and previous.get("text") == text:
            return ReplyOutcome.from_json(submission_id, plan_date, bool(previous.get("late", row[2])), previous)
        same_day = [m for m in messages.values() if entry_date(m, thread.thread_date) == plan_date]
        if previous is None and same_day and parsed.parts.empty and not parsed.tasks:
            return ReplyOutcome(submission_id, plan_date, is_late, chatter=True)
        outcome = ReplyOutcome(submission_id, plan_date, is_late, edited=previous is not None, day_closed=day_closed, via=via)
        mine = (await open_tasks_of(conn, org_id, [user.id])).get(user.id, [])
        prev_created: list[int] = [r["id"] for r in (previous or {}).get("created", [])]
        plan_ids: list[int] = []

        # 1. Tasks named by T-number. A number this message's own new task took (T-69 did not exist
        #    when "…also T-1 and T-69" was written) is not that task: it is reported once, below.
        by_number = await _tasks_by_number(conn, org_id, [*parsed.parts.done_refs, *parsed.parts.plan_refs])
        by_number = {n: t for n, t in by_number.items() if t.id not in prev_created}
        for n in parsed.parts.done_refs:
            task = by_number.get(n)
            if task is None:
                outcome.unknown_refs.append(n)
                continue
            if task.status == "done":
                outcome.completed.append(_ref(task))
                continue
            try:
                task = await task_service.complete(conn, user, task, now)
            except StewardError as exc:  # not theirs / already done: said back in the answer, not fatal
                outcome.notes.append(str(exc))
                continue
            outcome.completed.append(_ref(task))
            if task.user_id == user.id:
                plan_ids.append(task.id)
        for n in parsed.parts.plan_refs:
            task = by_number.get(n)
            if task is None:
                outcome.unknown_refs.append(n)
            elif task.user_id != user.id:
                owner = f"<@{task.owner_slack_id}>'s" if task.owner_slack_id else "not assigned to you"
                outcome.notes.append(f"{task.display_id} is {owner}, so it isn't on your plan.")
            elif not task.is_open:
                outcome.notes.append(f"{task.display_id} is already {task.status}.")
            elif task.id not in plan_ids:
                plan_ids.append(task.id)
                outcome.planned.append(_ref(task))

        # 2. Work said to be done by name ("I finished the login bug"): the open task of that title. An edit
        #    finds again what this message completed before (it is no longer open).
        done_before = [OpenTask(r["id"], user.id, r["display_id"], r["title"], r.get("carry_forward_count", 0), None, "done")
                       for r in (previous or {}).get("completed", [])]
        for what, explicit in parsed.parts.done_titles:
            candidates = [t for t in mine if t.id not in {c.id for c in outcome.completed}] + \
                [t for t in done_before if t.id not in {c.id for c in outcome.completed}]
            match = best_match(what, candidates)
            if match is None:
                if explicit:
                    outcome.not_found.append(what)
                continue
            if match.status != "done":
                await task_service.complete(conn, user, await task_service.get(conn, org_id, match.id), now)
            outcome.completed.append(_ref(match))
            if match.id not in plan_ids:
                plan_ids.append(match.id)
        mine = [t for t in mine if t.id not in {c.id for c in outcome.completed}]

        # 3. Free text: an open task by (about) the same title, else a new task.
        prev_created_tasks = [t for t in mine if t.id in prev_created]
        others = [t for t in mine if t.id not in prev_created]
        for p in parsed.tasks:
            match = best_match(p.title, prev_created_tasks, threshold=0.5) if prev_created_tasks else None
            if match is not None:
                prev_created_tasks.remove(match)
                if task_service.clean_title(p.title) != match.title:
                    await conn.execute(Q["task_rename"], {"organization_id": org_id, "id": match.id, "title": task_service.clean_title(p.title)})
                    await task_service.log_change(conn, match.id, org_id, user, "edited", {"title": match.title}, {"title": p.title},
                                                  "standup reply edited")
                    match = OpenTask(match.id, match.user_id, match.display_id, task_service.clean_title(p.title),
                                     match.carry_forward_count, match.due_date, match.status)
                if match.id not in plan_ids:
                    plan_ids.append(match.id)
                    outcome.created.append(_ref(match))
                continue
            match = best_match(p.title, others)
            if match is not None:
                if match.id not in plan_ids:
                    plan_ids.append(match.id)
                    outcome.planned.append(_ref(match))
                continue
            task = await task_service.create(conn, org_id, user, user.id, _new_task(p, parsed.clients, parsed.projects),
                                             source="thread", source_channel_id=channel_id or thread.channel_id,
                                             source_ts=message_ts)
            plan_ids.append(task.id)
            outcome.created.append(_ref(task))
        # An edit took these back.
        for gone in prev_created_tasks:
            row2 = await (await conn.execute(Q["task_delete_untouched"], {"organization_id": org_id, "id": gone.id})).fetchone()
            if row2:
                outcome.removed.append(row2[0])
            else:
                outcome.kept.append(gone.display_id)
        for n in dict.fromkeys(outcome.unknown_refs):
            took = next((r for r in outcome.created if r.display_id.upper() == f"T-{n}"), None)
            if took is not None:
                outcome.numbered_as.append((n, took))
        outcome.unknown_refs = [n for n in dict.fromkeys(outcome.unknown_refs) if n not in {m for m, _ in outcome.numbered_as}]

        # 4. The plan of the day the message is for; a closed day's plan is what the close recorded.
        await conn.execute(Q["plan_remove_for_message"], {"organization_id": org_id, "submission_id": submission_id,
                                                          "message_ts": message_ts, "keep": plan_ids})
        if day_closed:
            kept_ids = {r["id"] for key in ("planned", "created") for r in (previous or {}).get(key, [])}
            outcome.off_plan = [r for r in outcome.planned + outcome.created if r.id not in kept_ids]
        else:
            for planned_id in plan_ids:
                await conn.execute(Q["plan_insert"], {"organization_id": org_id, "user_id": user.id, "task_id": planned_id,
                                                      "plan_date": plan_date, "source": "submission",
                                                      "submission_id": submission_id, "message_ts": message_ts})

        # 5. Blockers: unchanged sentences keep their blocker (and its escalation clock).
        prev_blockers = {_norm(b["description"]): b for b in (previous or {}).get("blockers", [])}
        all_refs = {**by_number, **await _tasks_by_number(conn, org_id, [n for _, n in parsed.parts.blockers if n and n not in by_number])}
        for said, number in parsed.parts.blockers:
            sentence = blocker_words(said)  # "Blocked on the logo files" -> "the logo files"
            kept = prev_blockers.pop(_norm(sentence), None) or prev_blockers.pop(_norm(said), None)
            if kept is not None:
                outcome.blockers.append((kept["id"], kept["description"], kept.get("task")))
                continue
            task = all_refs.get(number) if number else None
            on: Any = best_match(sentence, mine, threshold=0.6) if task is None and number is None else task
            display = on.display_id if on is not None else None
            description = markup.store(sentence, limit=1000)
            # It joins the blocker ladder like `/blocker`'s (issue 13), linked to where it was written.
            blocker_id = await blocker_service.open_from_standup(
                conn, org_id, user, task_id=on.id if on is not None else None, description=description, now=now,
                channel_id=channel_id or thread.channel_id, ts=message_ts)
            outcome.blockers.append((blocker_id, description, display))
        # "T-5 is unblocked", "no longer blocked on the API keys": the open blockers it names are resolved.
        if parsed.parts.unblocked:
            resolved = await blocker_service.resolve_from_standup(conn, org_id, user, parsed.parts.unblocked, now)
            outcome.resolved_blockers += [(b.description, b.task_display_id) for b in resolved]
            outcome.resolved_blocker_ids += [b.id for b in resolved]
        # an edit keeps what the message's earlier version resolved (Undo reopens those too)
        outcome.resolved_blocker_ids = list(dict.fromkeys([*(previous or {}).get("resolved_blockers", []),
                                                           *outcome.resolved_blocker_ids]))
        for stale in prev_blockers.values():
            if await (await conn.execute(Q["blocker_delete_open"], {"organization_id": org_id, "id": stale["id"]})).fetchone():
                outcome.removed_blockers.append(stale["description"])
            else:
                outcome.notes.append(f"The blocker \u201c{stale['description'][:120]}\u201d is already being followed up, "
                                     "so it stays open until it is resolved.")

        # 6. Out of office: read as of when the message was written, so an edit keeps the days it meant.
        prev_ooo = {(o["start"], o["end"]): o for o in (previous or {}).get("ooo", [])}
        for found in parsed.ooo:
            key = (found.start_date.isoformat(), found.end_date.isoformat())
            kept = prev_ooo.pop(key, None)
            span = await ooo.span_of(conn, org_id, user.id, found.start_date, found.end_date)
            if kept is not None:
                outcome.ooo.append((kept["id"], found.start_date, found.end_date, kept.get("reason")))
                outcome.ooo_spans[kept["id"]] = span
                continue
            if not span.workdays:  # "out Saturday": said so, nothing marked
                outcome.notes.append(ooo.no_workdays(span, plan_date))
                continue
            ooo_id = await ooo.record(conn, org_id, user, found.start_date, found.end_date, found.reason, source="parsed",
                                      now=now, channel_id=channel_id or thread.channel_id, ts=message_ts, actor=user)
            outcome.ooo.append((ooo_id, found.start_date, found.end_date, found.reason))
            outcome.ooo_spans[ooo_id] = span
        for stale in prev_ooo.values():
            if await ooo.withdraw(conn, org_id, user.id, stale["id"], now):
                outcome.removed_ooo.append((date.fromisoformat(stale["start"]), date.fromisoformat(stale["end"])))

        # 7. The submission: verbatim text, what it came to, the day it is for and where it was written.
        entry: dict[str, Any] = {"text": text, "parser": parsed.parser, **outcome.to_json(), "plan_date": plan_date.isoformat(),
                                 "written_at": written_at.isoformat(), "via": via, "late": is_late}
        if channel_id:
            entry["channel"] = channel_id
        for answer_key in ("reply_ts", "reply_channel", "mirror_ts"):
            if previous and previous.get(answer_key):
                entry[answer_key] = previous[answer_key]
        outcome.reply_ts = entry.get("reply_ts")
        messages[message_ts] = entry
        await _save_submission(conn, submission_id, messages, now=now, message_ts=message_ts, edited=previous is not None,
                               thread_date=thread.thread_date)
    return outcome


async def _save_submission(conn: psycopg.AsyncConnection, submission_id: int, messages: dict[str, Any], *, now: datetime,
                           message_ts: str | None, edited: bool, thread_date: date) -> None:
    ordered = sorted(messages.items(), key=lambda kv: float(kv[0]) if _is_ts(kv[0]) else 0.0)
    raw = "\n\n".join(m["text"] for _, m in ordered)
    summary: dict[str, Any] = {"messages": dict(ordered), "tasks": [], "blockers": [], "ooo": []}
    for _, m in ordered:
        summary["tasks"] += [r["id"] for r in m.get("planned", []) + m.get("created", [])]
        summary["blockers"] += [b["id"] for b in m.get("blockers", [])]
        summary["ooo"] += [o["id"] for o in m.get("ooo", [])]
    days = sorted({entry_date(m, thread_date) for _, m in ordered})
    await conn.execute(Q["submission_save"], {"id": submission_id, "raw_text": raw, "parsed": Jsonb(summary), "now": now,
                                              "message_ts": message_ts, "edited": edited, "update_dates": days})


def _is_ts(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


async def set_answer(conn: psycopg.AsyncConnection, org_id: int, submission_id: int, message_ts: str, *, reply_ts: str | None = None,
                     reply_channel: str | None = None, mirror_ts: str | None = None) -> None:
    """Remember where Steward answered one message (``reply_ts`` in ``reply_channel``, default the thread's
    channel) and, for a DM update, its post in the thread (``mirror_ts``), so an edit, Undo or a redelivery
    finds them rather than posting again. Only the fields given change."""
    fields = {k: v for k, v in (("reply_ts", reply_ts), ("reply_channel", reply_channel), ("mirror_ts", mirror_ts)) if v}
    if fields:
        await conn.execute(Q["submission_entry_set"], {"organization_id": org_id, "id": submission_id, "message_ts": message_ts,
                                                       "fields": Jsonb(fields)})


@dataclass(frozen=True)
class Submission:
    id: int
    thread_id: int
    user_id: int
    parsed: dict[str, Any]
    is_late: bool
    thread_date: date


@dataclass(frozen=True)
class Undone:
    """What Undo (or deleting the message) took back: the tasks removed, and the message's entry as it was."""

    removed: list[str]
    entry: dict[str, Any]
    plan_date: date
    thread_id: int
    reopened: list[Any] = field(default_factory=list)  # the blockers its "no longer blocked" had resolved, open again


async def undo_reply(conn: psycopg.AsyncConnection, org_id: int, user: User, submission_id: int, message_ts: str,
                     now: datetime) -> Undone:
    """Take back everything one message put on the record (tasks it created and nobody touched, its plan
    rows, blockers and out-of-office notes), and reopen the blockers its "no longer blocked" resolved
    (:func:`bot.services.blockers.reopen_undone`). Only its author may (PermissionDenied, logged)."""
    owner = await (await conn.execute(Q["submission_owner"], {"organization_id": org_id, "id": submission_id})).fetchone()
    if owner is not None and owner[0] != user.id:
        # Outside the transaction below, so the denial stays on record.
        raise await security.deny(conn, organization_id=org_id, actor=user, action="standup.undo",
                                  message="Only the person who wrote that reply can undo it.",
                                  details={"submission_id": submission_id})
    async with conn.transaction():
        row = await (await conn.execute(Q["submission_get"], {"organization_id": org_id, "id": submission_id})).fetchone()
        if row is None:
            raise NotFound("That reply isn't on record any more.")
        sub = Submission(row[0], row[1], row[2], dict(row[3] or {}), bool(row[4]), row[5])
        if sub.user_id != user.id:
            raise PermissionDenied("Only the person who wrote that reply can undo it.")
        messages = dict(sub.parsed.get("messages") or {})
        entry = messages.pop(message_ts, None)
        if entry is None:
            raise InvalidInput("That reply was already undone.")
        removed: list[str] = []
        for r in entry.get("created", []):
            got = await (await conn.execute(Q["task_delete_untouched"], {"organization_id": org_id, "id": r["id"]})).fetchone()
            if got:
                removed.append(got[0])
        await conn.execute(Q["plan_remove_for_message"], {"organization_id": org_id, "submission_id": submission_id,
                                                          "message_ts": message_ts, "keep": []})
        for b in entry.get("blockers", []):
            await conn.execute(Q["blocker_delete_open"], {"organization_id": org_id, "id": b["id"]})
        for o in entry.get("ooo", []):
            await ooo.withdraw(conn, org_id, user.id, o["id"], now)
        reopened = await blocker_service.reopen_undone(conn, org_id, user, [int(i) for i in entry.get("resolved_blockers", [])],
                                                       now)
        if messages:
            await _save_submission(conn, submission_id, messages, now=now, message_ts=None, edited=True, thread_date=sub.thread_date)
        else:
            # Nothing left: the person has not replied, as far as nudges and reports are concerned.
            await conn.execute(Q["submission_delete"], {"organization_id": org_id, "id": submission_id})
    return Undone(removed, entry, entry_date(entry, sub.thread_date), sub.thread_id, reopened)


async def submission_entry(conn: psycopg.AsyncConnection, org_id: int, submission_id: int, message_ts: str) -> tuple[Submission, dict[str, Any]]:
    row = await (await conn.execute(Q["submission_get"], {"organization_id": org_id, "id": submission_id})).fetchone()
    if row is None:
        raise NotFound("That reply isn't on record any more.")
    sub = Submission(row[0], row[1], row[2], dict(row[3] or {}), bool(row[4]), row[5])
    entry = (sub.parsed.get("messages") or {}).get(message_ts)
    if entry is None:
        raise NotFound("That reply was undone.")
    return sub, entry
