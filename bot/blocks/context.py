"""Block Kit for context memory: answers with their sources, a person's memories, App Home's
"Memory" section and backfill progress."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

from bot import slack_limits as L
from bot import slack_markup as markup
from bot.blocks.kit import context, pack_sections, section
from bot.services.answers import show_day
from bot.services.context import Answer, Memory, SourceLink


def _when(source: SourceLink, today: date | None) -> str:
    """The day the source was said ("Sun 29 Nov"), in the asker's timezone when the service knew it."""
    said = source.said_on
    if said is None:
        try:
            said = datetime.fromtimestamp(float(source.ts), UTC).date()
        except (ValueError, OverflowError):
            return "message"
    return show_day(said, today or said)


def source_label(source: SourceLink, today: date | None = None) -> str:
    """"[2] <permalink|#client-acme, Sun 29 Nov>" (no link when Slack has none for the message)."""
    where = f"#{source.channel_name}" if source.channel_name else "message"
    label = f"{where}, {_when(source, today)}"
    return f"[{source.number}] <{source.permalink}|{label}>" if source.permalink else f"[{source.number}] {label}"


def _sources(answer: Answer) -> str:
    return "Sources: " + " \u00b7 ".join(source_label(s, answer.today) for s in answer.sources)


def answer_text(answer: Answer, names: Mapping[str, str] | None = None) -> str:
    """The plain-text fallback (notifications, screen readers): the answer and its links. ``names``: see
    :func:`answer_blocks`."""
    if not answer.sources:
        return markup.mrkdwn(answer.text, names=names)
    return markup.mrkdwn(answer.text, names=names) + "\n" + _sources(answer)


def text_sections(text: str) -> list[dict[str, Any]]:
    """Section blocks holding all of ``text``, split between lines (a line longer than a section
    between words), so that no cited [n] is cut off as a truncated section would cut it."""
    return pack_sections(text.splitlines() or [""], L.MESSAGE_BLOCKS - 2, split_long=True)[0]


def answer_blocks(answer: Answer, names: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """The answer's blocks. ``names`` (Slack user id -> name), for an answer posted in a channel: the people
    the facts mention are shown by name, so the answer does not notify them again."""
    # Facts quote what people wrote (and the model may echo anything): written back through the one
    # mrkdwn writer, so a quoted <!channel> never pings the channel the answer is posted in.
    blocks = text_sections(markup.mrkdwn(answer.text, names=names))
    if answer.sources:
        blocks.append(context(_sources(answer)))
    if answer.note:
        blocks.append(context(f":information_source: {answer.note}"))
    return blocks


# ------------------------------------------------------------------------------ `/steward memory`


def memories_blocks(memories: Sequence[Memory], *, channel_line: str | None = None) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = [section("*What you asked me to remember*")]
    if not memories:
        blocks.append(section("Nothing yet. Tell me in a DM: \u201cremember that I prefer afternoon reminders\u201d."))
    shown = memories[: L.MESSAGE_BLOCKS - 4]  # one section (with its Delete button) each
    for m in shown:
        blocks.append(section(f"\u2022 {markup.mrkdwn(m.value)}", block_id=f"memory_{m.id}", accessory={
            "type": "button", "action_id": "memory_delete", "value": str(m.id), "style": "danger",
            "text": {"type": "plain_text", "text": "Delete"}}))
    if len(memories) > len(shown):
        blocks.append(context(f"\u2026and {len(memories) - len(shown)} more: delete some to see the rest, or forget all."))
    if memories:
        blocks.append({"type": "actions", "block_id": "memory_actions", "elements": [{
            "type": "button", "action_id": "memory_delete_all", "value": "all", "style": "danger",
            "text": {"type": "plain_text", "text": "Forget all"},
            "confirm": {"title": {"type": "plain_text", "text": "Forget everything?"},
                        "text": {"type": "mrkdwn", "text": f"I'll delete all {len(memories)} things you asked me to remember."},
                        "confirm": {"type": "plain_text", "text": "Forget all"},
                        "deny": {"type": "plain_text", "text": "Keep them"}},
        }]})
    if channel_line:
        blocks.append(context(channel_line))
    return blocks


def memories_text(memories: Sequence[Memory]) -> str:
    if not memories:
        return "I don't remember anything you told me yet."
    return "What you asked me to remember:\n" + "\n".join(f"\u2022 {markup.mrkdwn(m.value)}" for m in memories)


# ------------------------------------------------------------------------------ App Home


def progress_bar(fraction: float, width: int = 10) -> str:
    fraction = min(1.0, max(0.0, fraction))
    filled = round(fraction * width)
    return "\u2593" * filled + "\u2591" * (width - filled)


def backfill_fraction(status: str | None, oldest_ts: str | None, latest_ts: str | None, reached_ts: str | None) -> float:
    """Share of the time window covered: history is fetched newest first, down to oldest_ts."""
    if status == "complete":
        return 1.0
    try:
        latest = float(latest_ts) if latest_ts else None
        reached = float(reached_ts) if reached_ts else None
        oldest = float(oldest_ts) if oldest_ts else None
    except ValueError:
        return 0.0
    if latest is None or reached is None:
        return 0.0
    if oldest is None or latest <= oldest:
        return 0.5 if reached < latest else 0.0  # whole history: no known end
    return (latest - reached) / (latest - oldest)


def backfill_line(row: dict[str, Any]) -> str:
    status = row.get("backfill_status")
    if status is None:
        return "no backfill"
    counts = f"{row.get('messages_fetched') or 0:,} messages, {row.get('replies_fetched') or 0:,} replies, {row.get('pages') or 0} pages"
    if status == "complete":
        return f"backfill complete ({counts})"
    if status == "failed":
        return f"backfill failed: {(row.get('last_error') or 'unknown error')[:120]} ({counts})"
    fraction = backfill_fraction(status, row.get("oldest_ts"), row.get("latest_ts"), row.get("reached_ts"))
    verb = "backfilling" if status == "running" else "backfill queued"
    return f"{verb} {progress_bar(fraction)} {fraction:.0%} ({counts})"


def home_memory_admin(rows: Sequence[dict[str, Any]], *, offline: bool) -> list[dict[str, Any]]:
    if not rows:
        return [section("I'm not remembering any channel yet. Invite me to a channel (`/invite @Steward`) and I'll "
                         "read its recent history; `/steward memory off` in a channel stops that.")]
    lines = []
    for r in rows:
        name = f"<#{r['channel_id']}>"
        lock = " :lock:" if r.get("is_private") else ""
        if not r.get("memory_enabled"):
            lines.append(f"{name}{lock}: memory *off*")
            continue
        pending = f", {r['pending']:,} waiting" if r.get("pending") else ""
        lines.append(f"{name}{lock}: {r['messages']:,} messages, {r['observations']:,} facts{pending} \u00b7 {backfill_line(r)}")
    blocks = [section("\n".join(lines))]
    note = "Answers use only channels the asker is in. `/steward memory off` in a channel forgets it."
    if offline:
        note += " Offline mode: facts are whole sentences and answers list them (no OpenAI key)."
    blocks.append(context(note))
    return blocks


def home_memory_member(count: int) -> list[dict[str, Any]]:
    what = f"I remember {count} thing{'s' if count != 1 else ''} you told me" if count else "You haven't asked me to remember anything"
    return [context(f"{what} \u00b7 `/steward memory` to review or delete \u00b7 ask me anything with `/ask`")]
