"""Who manages whom, as text and Block Kit (pure): `/steward team`, the answers to `/steward manager` and
`/steward role`, and App Home's Team modal for admins."""

from __future__ import annotations

from typing import Any

from bot import slack_limits as L
from bot.blocks.kit import context, counted, pack_sections, plain, section
from bot.services.team import OrgChart, TeamResult, name
from db.rows import User

TEAM_USAGE = ("`/steward manager @maya for @priya @daniel` \u00b7 `/steward manager @priya none` \u00b7 "
              "`/steward team [@manager]` \u00b7 `/steward role @maya manager|admin|member`")
# How many reporting lines the Team modal's summary shows before "…and N more".
MODAL_SUMMARY_SECTIONS = 2


def _people(users: list[User]) -> str:
    return ", ".join(u.mention for u in users) or "nobody"


def manager_result_text(result: TeamResult) -> str:
    """What `/steward manager` (or the Team modal) did, person by person."""
    lines = []
    for change in result.changes:
        was = f" (was {name(change.before)})" if change.before is not None else ""
        if change.after is None:
            lines.append(f"\u2022 {change.person.mention} has no manager now{was}.")
        else:
            lines.append(f"\u2022 {change.person.mention} now reports to {change.after.mention}{was}.")
    for person in result.unchanged:
        lines.append(f"\u2022 {person.mention} already {'reports to ' + result.manager.mention if result.manager else 'had no manager'}.")
    if result.promoted and result.manager is not None:
        lines.append(f"{result.manager.mention} is a manager now (someone reports to them).")
    if result.changes and result.manager is not None:
        lines.append("Their standup summaries, recaps and escalations go to their manager from now on.")
    return "\n".join(lines) or "Nothing changed."


def role_text(target: User, before: str, after: str, *, configured_admin: bool = False) -> str:
    if before == after:
        return f"{target.mention} is already {_a(after)}."
    text = f"{target.mention} is {_a(after)} now (was {_a(before)})."
    if configured_admin and after != "admin":
        text += (" Note: they're listed in `STEWARD_ADMINS`, so the next workspace sync makes them an admin again; "
                 "take them out of it to keep this.")
    return text


def _a(role: str) -> str:
    return f"an {role}" if role[0] in "aeiou" else f"a {role}"


def team_text(chart: OrgChart, manager: User | None = None) -> str:
    """One manager's team, or (``manager`` None) every reporting line and who has no manager."""
    if manager is not None:
        reports = next((r for m, r in chart.managers if m.id == manager.id), [])
        above = chart.people.get(manager.manager_id) if manager.manager_id is not None else None
        head = f"*{manager.mention}'s team* ({_a(manager.role)}" + (f", reports to {above.mention})" if above else ")")
        if not reports:
            return f"{head}\nNobody reports to {manager.mention} yet. {TEAM_USAGE}"
        return head + "\n" + "\n".join(f"\u2022 {r.mention}" for r in reports)
    lines = [f"\u2022 {m.mention} ({m.role}): {_people(r)}" for m, r in chart.managers]
    if not lines:
        lines.append("_Nobody has a manager yet._")
    if chart.without_manager:
        lines.append(f"No manager: {_people(chart.without_manager)}")
    return "*Who manages whom*\n" + "\n".join(lines) + f"\n{TEAM_USAGE}"


def team_home_section(chart: OrgChart) -> list[dict[str, Any]]:
    """App Home's part for admins: a count of the reporting lines and the button that opens the Team modal."""
    managed = sum(len(r) for _, r in chart.managers)
    summary = (f"{counted(len(chart.managers), 'manager')}, {counted(managed, 'person', 'people')} with a manager, "
               f"{len(chart.without_manager)} without one.")
    return [section(summary, accessory={"type": "button", "action_id": "team_modal_open",
                                        "text": plain("Set managers\u2026", L.BUTTON_TEXT), "value": "open"}),
            context("Or `/steward manager @maya for @priya @daniel`. Escalations and summaries go to each person's manager.")]


def team_modal(chart: OrgChart) -> dict[str, Any]:
    """The Team modal: pick a manager (or none) and the people who report to them, many at once."""
    lines = [f"\u2022 {m.mention}: {_people(r)}" for m, r in chart.managers] or ["_Nobody has a manager yet._"]
    if chart.without_manager:
        lines.append(f"No manager: {_people(chart.without_manager)}")
    summary, _left = pack_sections(lines, MODAL_SUMMARY_SECTIONS)
    return {
        "type": "modal", "callback_id": "team_managers",
        "title": plain("Team", L.VIEW_TITLE), "submit": plain("Save", L.VIEW_SUBMIT), "close": plain("Cancel", L.VIEW_CLOSE),
        "blocks": [
            *summary,
            {"type": "input", "block_id": "reports", "label": plain("People", L.INPUT_LABEL),
             "element": {"type": "multi_users_select", "action_id": "reports",
                         "placeholder": plain("Who reports to the manager below", L.PLACEHOLDER)}},
            {"type": "input", "block_id": "manager", "optional": True, "label": plain("Their manager", L.INPUT_LABEL),
             "hint": plain("Leave empty to clear their manager.", L.INPUT_HINT),
             "element": {"type": "users_select", "action_id": "manager", "placeholder": plain("A manager", L.PLACEHOLDER)}},
        ],
    }
