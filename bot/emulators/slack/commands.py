"""Slash commands as Slack routes them: built-ins Slack keeps, threads it refuses, and should_escape.

Sources (Slack's documentation, read 2025-2026):
- Built-in commands: Slack help centre, "Use built-in slash commands"
  (slack.com/help/articles/201259356). Slack runs them itself; an app's command with the same name is
  never reached. `/giphy` belongs to the Giphy app, which Slack also routes to that app, never to ours.
- Threads: "Slash commands created by developers cannot be invoked in message threads. Built-in slash
  commands ... along with Giphy app slash commands, are the only slash commands that can be invoked in
  message threads" (api.slack.com/interactivity/slash-commands). The Slack client then says
  "/task is not supported in threads. Sorry!".
- Escaping: with `should_escape: true` in the manifest, Slack turns `@person`, `#channel` and links typed
  in the command text into `<@U…|name>`, `<#C…|name>` and `<https://…>`; with `false` they arrive as the
  plain text the person typed (api.slack.com/interactivity/slash-commands, "Escape channels, users, and
  links sent to your app").
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

BUILT_IN_COMMANDS: frozenset[str] = frozenset({
    "/active", "/apps", "/archive", "/away", "/call", "/collapse", "/dm", "/dnd", "/expand", "/feed",
    "/feedback", "/huddle", "/invite", "/invite_people", "/join", "/kick", "/leave", "/me", "/msg",
    "/mute", "/open", "/prefs", "/remind", "/remove", "/rename", "/search", "/shortcuts", "/shrug",
    "/status", "/topic", "/who",
})
"""Commands Slack itself answers (and so no app ever receives)."""

OTHER_APP_COMMANDS: frozenset[str] = frozenset({"/giphy"})
"""Commands of apps that come with Slack (Giphy): routed to them, never to an installed app like ours."""

THREAD_REFUSAL = "{command} is not supported in threads. Sorry!"
"""What Slack's client shows when an app's slash command is typed in a thread."""

BUILT_IN_NOTICE = ("{command} is one of Slack's own commands: Slack handles it and no app receives it. "
                   "(The emulator does not act it out.)")

DEFAULT_SHOULD_ESCAPE = True
"""For a command the manifest does not list: every Steward command declares should_escape: true."""


class CommandNotDelivered(Exception):
    """Slack did not send this command to the app.

    `reason` is "built_in" (Slack ran it itself), "other_app" (another app's command) or
    "not_in_thread" (an app's command typed in a thread); `message` is what Slack shows the person.
    """

    def __init__(self, reason: str, command: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.command = command
        self.message = message


def normalise(command: str) -> str:
    """"/Task" and "task" both name "/task" (Slack command names are lower case)."""
    name = command.strip().lower()
    return name if name.startswith("/") else "/" + name


def refusal(command: str, thread_ts: str | None) -> CommandNotDelivered | None:
    """Why Slack would not deliver `command` to the app (typed in `thread_ts` if given), or None."""
    name = normalise(command)
    if name in BUILT_IN_COMMANDS:
        return CommandNotDelivered("built_in", name, BUILT_IN_NOTICE.format(command=name))
    if name in OTHER_APP_COMMANDS:
        return CommandNotDelivered("other_app", name, f"{name} belongs to another app, not to this one.")
    if thread_ts:
        return CommandNotDelivered("not_in_thread", name, THREAD_REFUSAL.format(command=name))
    return None


def manifest_escaping(manifest: Mapping[str, Any]) -> dict[str, bool]:
    """{"/task": True, …} from a parsed Slack app manifest's `features.slash_commands`.

    A command without `should_escape` is False, as Slack's manifest schema defaults it.
    """
    features = manifest.get("features") if isinstance(manifest, Mapping) else None
    entries = features.get("slash_commands") if isinstance(features, Mapping) else None
    found: dict[str, bool] = {}
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, Mapping) and isinstance(entry.get("command"), str):
            found[normalise(entry["command"])] = bool(entry.get("should_escape", False))
    return found


def load_manifest_escaping(path: Path) -> dict[str, bool]:
    """`manifest_escaping` of a manifest.yaml file; {} when the file is absent.

    Raises ValueError when the file exists but is not a YAML mapping.
    """
    if not path.is_file():
        return {}
    import yaml

    try:
        parsed = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ValueError(f"{path} is not valid YAML: {exc}") from exc
    if not isinstance(parsed, dict):
        raise ValueError(f"{path} is not a Slack app manifest (expected a mapping at the top)")
    return manifest_escaping(parsed)
