"""What Steward can do, as text and Block Kit."""

from __future__ import annotations

from typing import Any

from bot import slack_markup as markup
from bot.slack_limits import fit_text

SECTIONS: list[tuple[str, list[str]]] = [
    ("Tasks", [
        "Tell me what you'll do in a DM (\u201cI'll redo the Acme landing page by Friday and fix the login bug\u201d) and confirm the draft",
        "`/task add <text>` \u00b7 `/task done T-12` \u00b7 `/task drop T-12 <reason>` \u00b7 `/task reopen T-12` \u00b7 `/task move T-12 <stage>` \u00b7 "
        "`/task assign T-12 @someone` \u00b7 `/tasks [@user] [client]`",
        "`/task edit T-12 due monday` (or `size m`, `client Acme`, `project Website`, `project none`, `title …`, `no due date`; `/task edit T-12` alone opens a form)",
        "`/board [@user|client]` shows the pipeline, with what was done in the last 7 days",
    ]),
    ("Daily rhythm", [
        "Reply in the morning standup thread with your plan; I track it through the day",
        "`/ooo <dates> [reason]` when you're away (`/ooo Mon-Wed vacation`, `/ooo list`) \u00b7 `/ooo country DE-BY` your public holidays \u00b7 "
        "`/mood 1-5 [note]` \u00b7 `/journal <text>` (only you can read it)",
    ]),
    ("Blockers, overdue work, flags and recognition", [
        "`/blocker T-12 waiting for the API keys` \u00b7 `/blocker <what blocks you>` \u00b7 `/blocker resolve T-12 [note]` \u00b7 "
        "`/blockers` the open ones you can see; or say \u201cBlocked on \u2026\u201d in your standup update. "
        "I follow each one up: you, then your manager, then the channel, then a flag",
        "An overdue task asks its owner Done / New date / Drop, then climbs its project's ladder (`/steward ladder`)",
        "Managers: `/flag @person <reason>` raises a flag; its card has Open inquiry (a private conversation I relay), "
        "Resolve and Dismiss \u00b7 `/flags` the flags you can see",
        "`/kudos @person <why>` thanks someone for something specific (at most 5 a day; in the kudos channel, else by "
        "DM) \u00b7 `/helped @person <what you did> [45m]` logs help you gave; they confirm it and it's credited to you "
        "\u00b7 \u201cthanks @sam for \u2026\u201d in your standup update offers the same with one click",
        "`/cards` your cards (managers: your team's too); a card's DM has Acknowledge and Appeal \u00b7 "
        "`/steward cards` the card rules \u00b7 admins: `/steward cards carry 4`, `/steward cards missed off`, "
        "`/steward cards mode shadow|live` \u00b7 `/steward rampup @person 4 weeks [targets 50%]` (no cards while ramping up)",
        "`/report [daily|weekly|monthly] [@person|team|org] [YYYY-MM-DD] [csv]` a report (yours; managers their "
        "reports' and `team`, their own team; admins anyone and `org` for the whole organization; `csv` adds the "
        "per-person figures) \u00b7 "
        "`/actions` your open action items (Done / Dismiss / Reassign)",
        "`/steward team` who manages whom \u00b7 admins: `/steward manager @maya for @priya @daniel`, `/steward role @maya manager`",
    ]),
    ("Checklists and SOPs", [
        "`/checklists` your checklists due today, with their checkboxes (each also comes by DM at its time, on your "
        "clock, on your workdays, never on leave) \u00b7 `/steward checklists` all of them \u00b7 `/steward sops`",
        "Admins (managers for a client they're assigned to): `/steward checklist add \"Friday wrap-up\" for "
        "everyone every friday 16:00 items: timesheet filled; inbox zero; tomorrow planned` (for `members`, "
        "`managers`, `admins`, `everyone` or `client <name>`; `weekdays 09:30`, `first monday of the month 10:00`) "
        "\u00b7 `/steward sop add \"Deploy to production\" checklist \"Pre-deploy\"`",
    ]),
    ("Reminders and memory", [
        "\u201cremind me to send the invoice tomorrow at 3pm\u201d or `/reminder` \u00b7 `/reminders`",
        "Ask me what's going on with a client or project: `/ask <question>` or mention me",
        "\u201cremember that I prefer afternoon reminders\u201d \u00b7 `/steward memory` shows and deletes what I remember about you",
    ]),
    ("Settings", [
        "`/steward help` this list \u00b7 `/steward my-data` everything I hold about you",
        "Managers and admins: `/steward dashboard` DMs you a sign-in link to the web dashboard (the team today, KPI and "
        "mood charts, flags, the board; a one-time password the first time)",
        "`/steward dates day-first|month-first|auto` how I read 3/4 (from your Slack language and region unless you choose)",
        "`/steward kudos` where kudos go \u00b7 admins: `/steward kudos channel #wins` (or `off` for DMs)",
        "`/steward reports` where organization reports go \u00b7 admins: `/steward reports channel #leads` (or `off` for "
        "admins' DMs)",
        "`/steward kpi` the KPI targets \u00b7 admins: `/steward kpi set submission_rate 90%` "
        "(or `on_time_rate 0.85`, `blocker_resolution_hours 24`)",
        "`/steward ladder` the escalation ladders \u00b7 admins: `/steward ladder blocker 4h owner, 1d manager, 2d channel, 3d flag` "
        "(same for `overdue`) \u00b7 `/steward project <name> overdue <ladder>`",
        "`/steward client <name>` a client's card (members, projects, open and overdue tasks, next deploy, notes, memory) "
        "\u00b7 admins and its managers: `/steward client <name> members @a @b`, `\u2026 notes`, `\u2026 alias \"Acme Corp\" ACME`",
        "`/steward deploys` upcoming deploys \u00b7 admins and the client's managers: `/steward deploy <client> every "
        "<weekday> <HH:MM> [checklist <name>]`, `/steward deploy <client> <YYYY-MM-DD>|today|tomorrow <HH:MM> [checklist <name>]`, "
        "`/steward deploy <client> remove`",
        "Admins: `/steward standup \u2026`, `/steward stage \u2026`, `/steward tasktype \u2026`, `/steward client|project add \u2026`, `/steward memory off` (in a channel), `/steward export|erase @person`",
    ]),
]

HELP_TEXT = "Here's what I can do:\n" + "\n".join(
    f"*{title}*\n" + "\n".join(f"\u2022 {line}" for line in lines) for title, lines in SECTIONS
)


def help_blocks() -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Steward keeps your team's commitments on track"}},
    ]
    for title, lines in SECTIONS:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"*{title}*\n" + "\n".join(f"\u2022 {line}" for line in lines)}})
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": "Open my App Home tab for your tasks, today's plan and your board."}]})
    return blocks


def unknown_subcommand(word: str, known: list[str]) -> str:
    shown = markup.escape(fit_text(word, 40))
    options = ", ".join(f"`{k}`" for k in known)
    return f"I don't know `/steward {shown}` yet. Try `/steward help` to see what I can do" + (f" (commands: {options})." if options else ".")
