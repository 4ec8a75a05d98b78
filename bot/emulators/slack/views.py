"""Modals (per-user stacks), App Home tabs and the trigger_ids that open them."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from bot.emulators.slack.errors import SlackError
from bot.emulators.slack.ids import IdFactory
from bot.emulators.slack.models import JsonDict
from bot.emulators.slack.validation import validate_view

MAX_STACK = 3


@dataclass
class Trigger:
    trigger_id: str
    user_id: str
    issued_at: float
    exchanged: bool = False


@dataclass(frozen=True)
class ViewOwner:
    team_id: str
    app_id: str
    bot_id: str


def _new_hash() -> str:
    return f"{int(time.time())}.{secrets.token_hex(4)}"


def _checked_spec(spec: Any, expected_type: str) -> JsonDict:
    return validate_view(spec, expected_type)


@dataclass
class ViewRegistry:
    ids: IdFactory = field(default_factory=IdFactory)
    trigger_ttl: float = 3.0
    triggers: dict[str, Trigger] = field(default_factory=dict)
    views: dict[str, JsonDict] = field(default_factory=dict)
    owners: dict[str, str] = field(default_factory=dict)
    stacks: dict[str, list[str]] = field(default_factory=dict)
    home: dict[str, str] = field(default_factory=dict)

    # ---- triggers

    def issue_trigger(self, user_id: str, issued_at: float | None = None) -> str:
        trigger_id = self.ids.trigger_id()
        at = time.monotonic() if issued_at is None else issued_at
        self.triggers[trigger_id] = Trigger(trigger_id, user_id, at)
        return trigger_id

    def exchange_trigger(self, trigger_id: str | None) -> Trigger:
        trigger = self.triggers.get(trigger_id or "")
        if trigger is None or time.monotonic() - trigger.issued_at > self.trigger_ttl:
            raise SlackError("expired_trigger_id")
        if trigger.exchanged:
            raise SlackError("exchanged_trigger_id")
        trigger.exchanged = True
        return trigger

    # ---- lookups

    @property
    def open_views(self) -> dict[str, JsonDict]:
        return {view_id: self.views[view_id] for stack in self.stacks.values() for view_id in stack}

    @property
    def home_views(self) -> dict[str, JsonDict]:
        return {user_id: self.views[view_id] for user_id, view_id in self.home.items()}

    def get(self, view_id: str | None = None, external_id: str | None = None) -> JsonDict:
        if view_id:
            view = self.views.get(view_id)
        else:
            view = next(
                (v for v in self.views.values() if external_id and v.get("external_id") == external_id), None
            )
        if view is None or not self._is_live(view["id"]):
            raise SlackError("not_found")
        return view

    def _is_live(self, view_id: str) -> bool:
        return view_id in self.open_views or view_id in self.home.values()

    # ---- changes

    def _build(
        self, spec: JsonDict, owner: ViewOwner, view_id: str, root: str, previous: str | None
    ) -> JsonDict:
        return {
            "id": view_id,
            "team_id": owner.team_id,
            "type": spec["type"],
            "blocks": spec.get("blocks", []),
            "private_metadata": spec.get("private_metadata", ""),
            "callback_id": spec.get("callback_id", ""),
            "state": {"values": {}},
            "hash": _new_hash(),
            "title": spec.get("title"),
            "close": spec.get("close"),
            "submit": spec.get("submit"),
            "clear_on_close": bool(spec.get("clear_on_close", False)),
            "notify_on_close": bool(spec.get("notify_on_close", False)),
            "previous_view_id": previous,
            "root_view_id": root,
            "app_id": owner.app_id,
            "external_id": spec.get("external_id", ""),
            "app_installed_team_id": owner.team_id,
            "bot_id": owner.bot_id,
        }

    def open_modal(self, trigger_id: str | None, spec: Any, owner: ViewOwner) -> JsonDict:
        checked = _checked_spec(spec, "modal")
        trigger = self.exchange_trigger(trigger_id)
        view_id = self.ids.new("V")
        view = self._build(checked, owner, view_id, view_id, None)
        self.views[view_id] = view
        self.owners[view_id] = trigger.user_id
        self.stacks[trigger.user_id] = [view_id]
        return view

    def push_modal(self, trigger_id: str | None, spec: Any, owner: ViewOwner) -> JsonDict:
        checked = _checked_spec(spec, "modal")
        trigger = self.exchange_trigger(trigger_id)
        return self._push(trigger.user_id, checked, owner)

    def _push(self, user_id: str, spec: JsonDict, owner: ViewOwner) -> JsonDict:
        stack = self.stacks.setdefault(user_id, [])
        if len(stack) >= MAX_STACK:
            raise SlackError("push_limit_reached")
        view_id = self.ids.new("V")
        root = stack[0] if stack else view_id
        view = self._build(spec, owner, view_id, root, stack[-1] if stack else None)
        self.views[view_id] = view
        self.owners[view_id] = user_id
        stack.append(view_id)
        return view

    def update(self, view: JsonDict, spec: Any, expected_hash: str | None) -> JsonDict:
        checked = _checked_spec(spec, str(view["type"]))
        if expected_hash and expected_hash != view["hash"]:
            raise SlackError("hash_conflict")
        kept = {k: view[k] for k in ("id", "root_view_id", "previous_view_id", "state")}
        owner = ViewOwner(view["team_id"], view["app_id"], view["bot_id"])
        updated = self._build(checked, owner, view["id"], view["root_view_id"], view["previous_view_id"])
        updated.update(kept)
        self.views[view["id"]] = updated
        return updated

    def publish_home(self, user_id: str, spec: Any, expected_hash: str | None, owner: ViewOwner) -> JsonDict:
        checked = _checked_spec(spec, "home")
        current_id = self.home.get(user_id)
        if current_id is not None:
            return self.update(self.views[current_id], checked, expected_hash)
        view_id = self.ids.new("V")
        view = self._build(checked, owner, view_id, view_id, None)
        self.views[view_id] = view
        self.owners[view_id] = user_id
        self.home[user_id] = view_id
        return view

    def close(self, view_id: str, clear: bool = False) -> None:
        """Pop a modal (and any pushed above it); `clear` closes the user's whole stack."""
        user_id = self.owners.get(view_id, "")
        stack = self.stacks.get(user_id, [])
        if view_id not in stack:
            return
        del stack[0 if clear else stack.index(view_id) :]

    def apply_submission_ack(self, view_id: str, ack: JsonDict, owner: ViewOwner) -> None:
        """What Slack does with a view_submission ack's response_action."""
        action = ack.get("response_action")
        if action == "errors":
            _check_errors(self.views[view_id], ack.get("errors"))
            return
        if action == "update":
            self.update(self.views[view_id], ack.get("view"), None)
        elif action == "push":
            self._push(self.owners[view_id], _checked_spec(ack.get("view"), "modal"), owner)
        else:
            self.close(view_id, clear=action == "clear")


def _check_errors(view: JsonDict, errors: Any) -> None:
    """Slack's rule for ``response_action: errors``: a non-empty object whose keys are block_ids of the view's
    *input* blocks, each with a message to show under that field. Anything else is not shown under a field:
    Slack keeps the modal open with a generic error, so the emulator refuses it loudly (SlackError)."""
    inputs = {b.get("block_id") for b in view.get("blocks") or [] if isinstance(b, dict) and b.get("type") == "input"}
    if not isinstance(errors, dict) or not errors:
        raise SlackError("invalid_response_action_errors", detail="errors must be a non-empty object")
    for block_id, message in errors.items():
        if block_id not in inputs:
            raise SlackError("invalid_response_action_errors",
                             detail=f"{block_id!r} is not the block_id of an input block in the view")
        if not isinstance(message, str) or not message.strip():
            raise SlackError("invalid_response_action_errors", detail=f"the error for {block_id!r} is not a message")
