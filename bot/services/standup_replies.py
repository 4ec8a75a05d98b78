"""Standup replies recorded (SPEC F4): a reply (new, edited or redelivered) becomes a submission, the
day's plan, tasks, blockers and out-of-office notes; Undo takes one back.

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
from bot.parsing.standup_reply import ReplyParts, best_match
from bot.parsing.text import fold
from bot.services import ooo, security
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


@dataclass
class ReplyOutcome:
    submission_id: int
    plan_date: date
    is_late: bool
    planned: list[TaskRef] = field(default_factory=list)  # existing tasks on today's plan
    created: list[TaskRef] = field(default_factory=list)  # new tasks
    completed: list[TaskRef] = field(default_factory=list)
    blockers: list[tuple[int, str, str | None]] = field(default_factory=list)  # (id, description, task display id)
    ooo: list[tuple[int, date, date, str | None]] = field(default_factory=list)
    ooo_spans: dict[int, Any] = field(default_factory=dict)  # ooo id -> its workdays (absences.Span), for the answer
    notes: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # display ids of tasks an edit took back
    reply_ts: str | None = None
    replayed: bool = False  # the same message was already recorded (a redelivery)
    chatter: bool = False  # a later message with nothing in it ("thanks!"): not recorded

    @property
    def empty(self) -> bool:
        return not (self.planned or self.created or self.completed or self.blockers or self.ooo)

    def to_json(self) -> dict[str, Any]:
        return {
            "planned": [r.__dict__ for r in self.planned], "created": [r.__dict__ for r in self.created],
            "completed": [r.__dict__ for r in self.completed],
            "blockers": [{"id": b[0], "description": b[1], "task": b[2]} for b in self.blockers],
            "ooo": [{"id": o[0], "start": o[1].isoformat(), "end": o[2].isoformat(), "reason": o[3]} for o in self.ooo],
            "notes": self.notes,
        }

    @staticmethod
    def from_json(submission_id: int, plan_date: date, is_late: bool, doc: dict[str, Any]) -> ReplyOutcome:
        out = ReplyOutcome(submission_id, plan_date, is_late, replayed=True, reply_ts=doc.get("reply_ts"))
        out.planned = [TaskRef(**r) for r in doc.get("planned", [])]
        out.created = [TaskRef(**r) for r in doc.get("created", [])]
        out.completed = [TaskRef(**r) for r in doc.get("completed", [])]
        out.blockers = [(b["id"], b["description"], b.get("task")) for b in doc.get("blockers", [])]
        out.ooo = [(o["id"], date.fromisoformat(o["start"]), date.fromisoformat(o["end"]), o.get("reason")) for o in doc.get("ooo", [])]
        out.notes = list(doc.get("notes", []))
        return out


@dataclass(frozen=True)
class ParsedReply:
    """What the listener got from the AI interface for one reply."""

    parts: ReplyParts
    tasks: list[Any]  # ParsedTask
    ooo: list[Any]  # ParsedOoo (None entries dropped)
    parser: str
    clients: dict[str, int] = field(default_factory=dict)
    projects: dict[str, int] = field(default_factory=dict)


def _ref(task: Task | OpenTask) -> TaskRef:
    return TaskRef(task.id, task.display_id, task.title, task.carry_forward_count)


async def _tasks_by_number(conn: psycopg.AsyncConnection, org_id: int, numbers: Sequence[int]) -> dict[int, Task]:
    if not numbers:
        return {}
    rows = await (await conn.execute(Q["tasks_by_numbers"], {"organization_id": org_id, "numbers": list(numbers)})).fetchall()
    return {number: await task_service.get(conn, org_id, task_id) for task_id, number in rows}


async def _first_blocker_delay(conn: psycopg.AsyncConnection, org_id: int) -> timedelta:
    row = await (await conn.execute(Q["blocker_first_step_hours"], {"organization_id": org_id})).fetchone()
    hours = float(row[0]) if row and row[0] is not None else 4.0
    return timedelta(hours=hours)


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
                      channel_id: str | None = None) -> ReplyOutcome:
    """Record one reply (new or edited) of ``user`` in ``thread``: submission, plan, tasks, blockers, OOO.

    Idempotent per (message, text): a redelivered reply changes nothing. An edit replaces what the
    previous version of the same message put on the plan: tasks it created and no longer mentions
    are removed if untouched, its blockers and out-of-office notes follow the new text.
    """
    async with conn.transaction():
        row = await (await conn.execute(Q["submission_upsert"], {
            "organization_id": org_id, "thread_id": thread.id, "user_id": user.id, "is_late": is_late,
            "message_ts": message_ts})).fetchone()
        assert row is not None
        submission_id, doc, late = row[0], dict(row[1] or {}), bool(row[2])
        messages: dict[str, Any] = dict(doc.get("messages") or {})
        previous = messages.get(message_ts)
        if previous is not None and previous.get("text") == text:
            return ReplyOutcome.from_json(submission_id, plan_date, late, previous)
        if previous is None and messages and parsed.parts.empty and not parsed.tasks:
            return ReplyOutcome(submission_id, plan_date, late, chatter=True)
        outcome = ReplyOutcome(submission_id, plan_date, late)
        mine = (await open_tasks_of(conn, org_id, [user.id])).get(user.id, [])
        prev_created: list[int] = [r["id"] for r in (previous or {}).get("created", [])]
        plan_ids: list[int] = []

        # 1. Tasks named by T-number.
        by_number = await _tasks_by_number(conn, org_id, [*parsed.parts.done_refs, *parsed.parts.plan_refs])
        for n in parsed.parts.done_refs:
            task = by_number.get(n)
            if task is None:
                outcome.notes.append(f"There's no T-{n}.")
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
                outcome.notes.append(f"There's no T-{n}.")
            elif task.user_id != user.id:
                owner = f"<@{task.owner_slack_id}>'s" if task.owner_slack_id else "not assigned to you"
                outcome.notes.append(f"{task.display_id} is {owner}, so it isn't on your plan.")
            elif not task.is_open:
                outcome.notes.append(f"{task.display_id} is already {task.status}.")
            elif task.id not in plan_ids:
                plan_ids.append(task.id)
                outcome.planned.append(_ref(task))

        # 2. Free text: an open task by (about) the same title, else a new task.
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

        # 3. The plan.
        await conn.execute(Q["plan_remove_for_message"], {"organization_id": org_id, "submission_id": submission_id,
                                                          "message_ts": message_ts, "keep": plan_ids})
        for planned_id in plan_ids:
            await conn.execute(Q["plan_insert"], {"organization_id": org_id, "user_id": user.id, "task_id": planned_id,
                                                  "plan_date": plan_date, "source": "submission",
                                                  "submission_id": submission_id, "message_ts": message_ts})

        # 4. Blockers: unchanged sentences keep their blocker (and its escalation clock).
        prev_blockers = {_norm(b["description"]): b for b in (previous or {}).get("blockers", [])}
        delay = await _first_blocker_delay(conn, org_id)
        all_refs = {**by_number, **await _tasks_by_number(conn, org_id, [n for _, n in parsed.parts.blockers if n and n not in by_number])}
        for sentence, number in parsed.parts.blockers:
            kept = prev_blockers.pop(_norm(sentence), None)
            if kept is not None:
                outcome.blockers.append((kept["id"], kept["description"], kept.get("task")))
                continue
            task = all_refs.get(number) if number else None
            on: Any = best_match(sentence, mine, threshold=0.6) if task is None and number is None else task
            display = on.display_id if on is not None else None
            description = markup.store(sentence, limit=1000)
            blocker_row = await (await conn.execute(Q["blocker_insert"], {
                "organization_id": org_id, "task_id": on.id if on is not None else None, "user_id": user.id, "description": description,
                "next_escalation_at": now + delay})).fetchone()
            outcome.blockers.append((blocker_row[0], description, display))  # type: ignore[index]
        for stale in prev_blockers.values():
            await conn.execute(Q["blocker_delete_open"], {"organization_id": org_id, "id": stale["id"]})

        # 5. Out of office.
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
                                      channel_id=channel_id or thread.channel_id, ts=message_ts, actor=user)
            outcome.ooo.append((ooo_id, found.start_date, found.end_date, found.reason))
            outcome.ooo_spans[ooo_id] = span
        for stale in prev_ooo.values():
            await conn.execute(Q["ooo_cancel"], {"organization_id": org_id, "user_id": user.id, "id": stale["id"], "now": now})

        # 6. The submission: verbatim text, what it came to.
        entry = {"text": text, "parser": parsed.parser, **outcome.to_json()}
        if previous and previous.get("reply_ts"):
            entry["reply_ts"] = previous["reply_ts"]
            outcome.reply_ts = previous["reply_ts"]
        messages[message_ts] = entry
        await _save_submission(conn, submission_id, messages, now=now, message_ts=message_ts, edited=previous is not None)
    return outcome


async def _save_submission(conn: psycopg.AsyncConnection, submission_id: int, messages: dict[str, Any], *, now: datetime,
                           message_ts: str | None, edited: bool) -> None:
    ordered = sorted(messages.items(), key=lambda kv: float(kv[0]) if _is_ts(kv[0]) else 0.0)
    raw = "\n\n".join(m["text"] for _, m in ordered)
    summary: dict[str, Any] = {"messages": dict(ordered), "tasks": [], "blockers": [], "ooo": []}
    for _, m in ordered:
        summary["tasks"] += [r["id"] for r in m.get("planned", []) + m.get("created", [])]
        summary["blockers"] += [b["id"] for b in m.get("blockers", [])]
        summary["ooo"] += [o["id"] for o in m.get("ooo", [])]
    await conn.execute(Q["submission_save"], {"id": submission_id, "raw_text": raw, "parsed": Jsonb(summary), "now": now,
                                              "message_ts": message_ts, "edited": edited})


def _is_ts(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


async def set_reply_ts(conn: psycopg.AsyncConnection, org_id: int, submission_id: int, message_ts: str, reply_ts: str) -> None:
    await conn.execute(Q["set_reply_ts"], {"organization_id": org_id, "id": submission_id, "message_ts": message_ts,
                                           "reply_ts": reply_ts})


@dataclass(frozen=True)
class Submission:
    id: int
    thread_id: int
    user_id: int
    parsed: dict[str, Any]
    is_late: bool


async def undo_reply(conn: psycopg.AsyncConnection, org_id: int, user: User, submission_id: int, message_ts: str,
                     now: datetime) -> list[str]:
    """Take back everything one reply put on the record; returns what was removed (for the answer)."""
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
        sub = Submission(row[0], row[1], row[2], dict(row[3] or {}), bool(row[4]))
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
            await conn.execute(Q["ooo_cancel"], {"organization_id": org_id, "user_id": user.id, "id": o["id"], "now": now})
        if messages:
            await _save_submission(conn, submission_id, messages, now=now, message_ts=None, edited=True)
        else:
            # Nothing left: the person has not replied, as far as nudges and reports are concerned.
            await conn.execute(Q["submission_delete"], {"organization_id": org_id, "id": submission_id})
    return removed


async def submission_id_of(conn: psycopg.AsyncConnection, thread: MorningThread, user_id: int) -> int | None:
    row = await (await conn.execute(Q["submission_of_user_in_thread"], {
        "organization_id": thread.organization_id, "thread_id": thread.id, "user_id": user_id})).fetchone()
    return int(row[0]) if row else None


async def submission_entry(conn: psycopg.AsyncConnection, org_id: int, submission_id: int, message_ts: str) -> tuple[Submission, dict[str, Any]]:
    row = await (await conn.execute(Q["submission_get"], {"organization_id": org_id, "id": submission_id})).fetchone()
    if row is None:
        raise NotFound("That reply isn't on record any more.")
    sub = Submission(row[0], row[1], row[2], dict(row[3] or {}), bool(row[4]))
    entry = (sub.parsed.get("messages") or {}).get(message_ts)
    if entry is None:
        raise NotFound("That reply was undone.")
    return sub, entry
