"""Escalation ladders as text (pure): what `/steward ladder` and `/steward project … overdue` answer."""

from __future__ import annotations

from bot import slack_markup as markup
from bot.parsing.ladders import Ladder, describe
from bot.services.ladders import LadderSet, OrgLadders, ProjectLadder

LADDER_USAGE = ("`/steward ladder blocker 4h owner, 1d manager, 2d channel, 3d flag` \u00b7 "
                "`/steward ladder overdue 0h owner, 1d manager, 3d channel` \u00b7 `/steward ladder blocker default` \u00b7 "
                "`/steward project <name> overdue <ladder>`")


def ladder_lines(ladder: Ladder) -> str:
    return "\n".join(f"    {i}. {line}" for i, line in enumerate(describe(ladder), 1))


def ladders_text(ladders: OrgLadders, projects: list[ProjectLadder]) -> str:
    """The organization's ladders, then each project with its own overdue ladder, then how to change them."""
    def label(custom: bool) -> str:
        return "set by an admin" if custom else "the default"

    parts = [
        f"*Blocker ladder* (`{ladders.blocker.words}`, {label(ladders.blocker_custom)}), in the blocked person's working time:",
        ladder_lines(ladders.blocker),
        f"*Overdue ladder* (`{ladders.overdue.words}`, {label(ladders.overdue_custom)}), from the due time:",
        ladder_lines(ladders.overdue),
    ]
    own = [p for p in projects if p.custom]
    if own:
        parts.append("*Projects with their own overdue ladder*")
        parts += [f"\u2022 {markup.mrkdwn(p.name)}: `{p.ladder.words}`" for p in own]
    parts.append(LADDER_USAGE)
    return "\n".join(parts)


def ladder_set_text(done: LadderSet) -> str:
    """The answer to `/steward ladder <kind> <rungs>`: the ladder now, or that it already was that."""
    if not done.changed:
        return f"The {done.kind} ladder is already `{done.ladder.words}`: unchanged.\n{ladder_lines(done.ladder)}"
    return f"The {done.kind} ladder is now `{done.ladder.words}`:\n{ladder_lines(done.ladder)}"


def project_ladder_text(project: ProjectLadder, *, said: str) -> str:
    """A project's overdue ladder: ``said`` is "follows", "now follows" (just set) or "already follows" (set to
    what it was: unchanged)."""
    whose = "its own" if project.custom else "the organization's"
    unchanged = ": unchanged." if said == "already follows" else ":"
    return (f"*{markup.mrkdwn(project.name)}* {said} {whose} overdue ladder `{project.ladder.words}`{unchanged}\n"
            f"{ladder_lines(project.ladder)}")
