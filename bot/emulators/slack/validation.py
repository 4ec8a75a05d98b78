"""Block Kit and message checks, as strict as Slack's.

Every outbound payload the emulator receives (chat.postMessage/update/postEphemeral, response_url
posts, views.open/push/update/publish, view_submission acks) goes through here, and a payload
Slack would refuse is refused with Slack's error code and Slack-style messages that point at the
offending field (``must be less than 76 characters [json-pointer:/blocks/3/elements/0/text/text]``):

- messages: ``invalid_blocks`` (``errors`` and ``response_metadata.messages``), ``invalid_blocks_format``
  when ``blocks`` is not a list, ``msg_too_long`` past 40,000 characters of ``text``;
- views: ``invalid_arguments`` with ``response_metadata.messages``.

The limits come from ``bot/slack_limits.py`` (one table, with sources). After the walk below, each
block is also run through slack_sdk's own block models (``Block.parse(...).to_dict()`` validates
every nested object), so any limit the SDK knows of is enforced even where this walk has no rule.
"""

from __future__ import annotations

import copy
import logging
import re
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block

from bot import slack_limits as L
from bot.emulators.slack.errors import SlackError

MAX_MESSAGE_BLOCKS = L.MESSAGE_BLOCKS
MAX_VIEW_BLOCKS = L.VIEW_BLOCKS
MAX_TEXT_LENGTH = L.MESSAGE_TEXT

BLOCK_TYPES = frozenset({
    "actions", "context", "divider", "file", "header", "image", "input", "section", "video", "rich_text",
    "markdown", "context_actions",
})
# Elements allowed per place (Block Kit reference, "compatible blocks" of each element).
_SECTION_ACCESSORIES = frozenset({
    "button", "checkboxes", "datepicker", "image", "multi_static_select", "multi_external_select",
    "multi_users_select", "multi_conversations_select", "multi_channels_select", "overflow", "radio_buttons",
    "static_select", "external_select", "users_select", "conversations_select", "channels_select", "timepicker",
    "workflow_button",
})
_ACTIONS_ELEMENTS = _SECTION_ACCESSORIES - {"image"} | {"datetimepicker", "rich_text_input"}
_INPUT_ELEMENTS = (_SECTION_ACCESSORIES - {"button", "image", "overflow", "workflow_button"}) | {
    "plain_text_input", "datetimepicker", "email_text_input", "url_text_input", "number_input",
    "rich_text_input", "file_input",
}
_SELECTS = frozenset({"static_select", "multi_static_select"})
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d$")

_sdk_log = logging.getLogger("slack_sdk.models")


class _Check:
    """Collects Slack-style problems while walking a payload."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def add(self, message: str, pointer: str) -> None:
        self.problems.append(f"{message} [json-pointer:{pointer}]")

    def length(self, value: Any, limit: int, pointer: str) -> None:
        if isinstance(value, str) and len(value) > limit:
            self.add(f"must be less than {limit + 1} characters", pointer)

    def required_str(self, value: Any, pointer: str) -> bool:
        if not isinstance(value, str):
            self.add("must provide a string", pointer)
            return False
        return True

    def count(self, items: Any, limit: int, pointer: str, *, minimum: int = 1) -> list[Any]:
        if not isinstance(items, list):
            self.add("must provide an array", pointer)
            return []
        if len(items) > limit:
            self.add(f"no more than {limit} items allowed", pointer)
        if len(items) < minimum:
            self.add(f"must provide at least {minimum} items", pointer)
        return items

    def text_object(self, obj: Any, limit: int, pointer: str, *, plain_only: bool = False,
                    required: bool = True) -> None:
        """A composition text object: {"type": "plain_text"|"mrkdwn", "text": "..."} (at least 1 character)."""
        if obj is None:
            if required:
                self.add("must provide an object", pointer)
            return
        if not isinstance(obj, dict):
            self.add("must provide an object", pointer)
            return
        kind = obj.get("type")
        allowed = ("plain_text",) if plain_only else ("plain_text", "mrkdwn")
        if kind not in allowed:
            self.add(f"must be one of {', '.join(allowed)}", f"{pointer}/type")
        text = obj.get("text")
        if not isinstance(text, str):
            self.add("must provide a string", f"{pointer}/text")
            return
        if len(text) == 0:
            self.add("must be more than 0 characters", f"{pointer}/text")
        self.length(text, limit, f"{pointer}/text")


def _option(check: _Check, option: Any, pointer: str, *, plain_only: bool) -> str | None:
    if not isinstance(option, dict):
        check.add("must provide an object", pointer)
        return None
    check.text_object(option.get("text"), L.OPTION_TEXT, f"{pointer}/text", plain_only=plain_only)
    value = option.get("value")
    if check.required_str(value, f"{pointer}/value"):
        check.length(value, L.OPTION_VALUE, f"{pointer}/value")
    if "description" in option:
        check.text_object(option["description"], L.OPTION_DESCRIPTION, f"{pointer}/description", plain_only=plain_only)
    return value if isinstance(value, str) else None


def _options(check: _Check, element: dict[str, Any], limit: int, pointer: str, *, plain_only: bool) -> set[str]:
    values: set[str] = set()
    for i, option in enumerate(check.count(element.get("options"), limit, f"{pointer}/options")):
        value = _option(check, option, f"{pointer}/options/{i}", plain_only=plain_only)
        if value is not None:
            if value in values:
                check.add("options must have unique values", f"{pointer}/options/{i}/value")
            values.add(value)
    return values


def _initial_options(check: _Check, element: dict[str, Any], values: set[str], pointer: str) -> None:
    initial = element.get("initial_options")
    chosen = initial if isinstance(initial, list) else [element["initial_option"]] if "initial_option" in element else []
    key = "initial_options" if isinstance(initial, list) else "initial_option"
    for i, option in enumerate(chosen):
        value = option.get("value") if isinstance(option, dict) else None
        if value not in values:
            where = f"{pointer}/{key}/{i}" if key == "initial_options" else f"{pointer}/{key}"
            check.add("must match one of the provided options", where)


def _select_options(check: _Check, element: dict[str, Any], pointer: str) -> None:
    has_options, has_groups = "options" in element, "option_groups" in element
    if has_options == has_groups:
        check.add("must provide exactly one of options or option_groups", pointer)
        return
    values: set[str] = set()
    if has_options:
        values = _options(check, element, L.SELECT_OPTIONS, pointer, plain_only=True)
    else:
        groups = check.count(element.get("option_groups"), L.SELECT_OPTION_GROUPS, f"{pointer}/option_groups")
        for g, group in enumerate(groups):
            where = f"{pointer}/option_groups/{g}"
            if not isinstance(group, dict):
                check.add("must provide an object", where)
                continue
            check.text_object(group.get("label"), L.OPTION_GROUP_LABEL, f"{where}/label", plain_only=True)
            values |= _options(check, group, L.SELECT_OPTIONS, where, plain_only=True)
    _initial_options(check, element, values, pointer)


def _confirm(check: _Check, confirm: Any, pointer: str) -> None:
    if not isinstance(confirm, dict):
        check.add("must provide an object", pointer)
        return
    check.text_object(confirm.get("title"), L.CONFIRM_TITLE, f"{pointer}/title", plain_only=True)
    check.text_object(confirm.get("text"), L.CONFIRM_TEXT, f"{pointer}/text")
    check.text_object(confirm.get("confirm"), L.CONFIRM_BUTTON, f"{pointer}/confirm", plain_only=True)
    check.text_object(confirm.get("deny"), L.CONFIRM_BUTTON, f"{pointer}/deny", plain_only=True)


def _element(check: _Check, element: Any, allowed: frozenset[str], pointer: str) -> str | None:
    """Check one block element; returns its action_id (for the uniqueness check)."""
    if not isinstance(element, dict) or not isinstance(element.get("type"), str):
        check.add("must provide an object with a type", pointer)
        return None
    kind = element["type"]
    if kind not in allowed:
        check.add(f"{kind} is not a valid element here", f"{pointer}/type")
        return None
    action_id = element.get("action_id")
    if action_id is not None and check.required_str(action_id, f"{pointer}/action_id"):
        check.length(action_id, L.ACTION_ID, f"{pointer}/action_id")
    if "placeholder" in element:
        check.text_object(element["placeholder"], L.PLACEHOLDER, f"{pointer}/placeholder", plain_only=True)
    if "confirm" in element:
        _confirm(check, element["confirm"], f"{pointer}/confirm")
    if kind == "button":
        check.text_object(element.get("text"), L.BUTTON_TEXT, f"{pointer}/text", plain_only=True)
        check.length(element.get("value"), L.BUTTON_VALUE, f"{pointer}/value")
        check.length(element.get("url"), L.BUTTON_URL, f"{pointer}/url")
        if element.get("style") not in (None, "primary", "danger"):
            check.add("must be one of primary, danger", f"{pointer}/style")
    elif kind == "checkboxes":
        values = _options(check, element, L.CHECKBOX_OPTIONS, pointer, plain_only=False)
        _initial_options(check, element, values, pointer)
    elif kind == "radio_buttons":
        values = _options(check, element, L.RADIO_OPTIONS, pointer, plain_only=False)
        _initial_options(check, element, values, pointer)
    elif kind in _SELECTS:
        _select_options(check, element, pointer)
    elif kind == "overflow":
        _options(check, element, L.OVERFLOW_OPTIONS, pointer, plain_only=True)
    elif kind == "image":
        check.length(element.get("image_url"), L.IMAGE_URL, f"{pointer}/image_url")
        if check.required_str(element.get("alt_text"), f"{pointer}/alt_text"):
            check.length(element.get("alt_text"), L.IMAGE_ALT_TEXT, f"{pointer}/alt_text")
    elif kind == "datepicker" and "initial_date" in element:
        if not _DATE.match(str(element["initial_date"])):
            check.add("must be in the format YYYY-MM-DD", f"{pointer}/initial_date")
    elif kind == "timepicker" and "initial_time" in element:
        if not _TIME.match(str(element["initial_time"])):
            check.add("must be in the format HH:mm", f"{pointer}/initial_time")
    elif kind == "plain_text_input":
        for key in ("max_length", "min_length"):
            if key in element and not (isinstance(element[key], int) and 0 <= element[key] <= L.TEXT_INPUT_MAX_LENGTH):
                check.add(f"must be between 0 and {L.TEXT_INPUT_MAX_LENGTH}", f"{pointer}/{key}")
        initial, max_length = element.get("initial_value"), element.get("max_length")
        if isinstance(initial, str) and isinstance(max_length, int) and len(initial) > max_length:
            check.add("initial_value must not be longer than max_length", f"{pointer}/initial_value")
    return action_id if isinstance(action_id, str) else None


def _block(check: _Check, index: int, block: Any, seen_block_ids: set[str], root: str) -> None:
    pointer = f"{root}/{index}"
    if not isinstance(block, dict) or not isinstance(block.get("type"), str):
        check.add("missing required field: type", pointer)
        return
    kind = block["type"]
    if kind not in BLOCK_TYPES:
        check.add(f"unsupported type: {kind}", f"{pointer}/type")
        return
    block_id = block.get("block_id")
    if block_id is not None and check.required_str(block_id, f"{pointer}/block_id"):
        check.length(block_id, L.BLOCK_ID, f"{pointer}/block_id")
        if block_id in seen_block_ids:
            check.add(f"duplicate block_id {block_id!r}", f"{pointer}/block_id")
        seen_block_ids.add(block_id)
    action_ids: list[str | None] = []
    if kind == "section":
        if "text" not in block and "fields" not in block:
            check.add("must provide one of text or fields", pointer)
        if "text" in block:
            check.text_object(block["text"], L.SECTION_TEXT, f"{pointer}/text")
        if "fields" in block:
            for f, field in enumerate(check.count(block["fields"], L.SECTION_FIELDS, f"{pointer}/fields")):
                check.text_object(field, L.SECTION_FIELD_TEXT, f"{pointer}/fields/{f}")
        if "accessory" in block:
            action_ids.append(_element(check, block["accessory"], _SECTION_ACCESSORIES, f"{pointer}/accessory"))
    elif kind == "header":
        check.text_object(block.get("text"), L.HEADER_TEXT, f"{pointer}/text", plain_only=True)
    elif kind == "context":
        for e, element in enumerate(check.count(block.get("elements"), L.CONTEXT_ELEMENTS, f"{pointer}/elements")):
            where = f"{pointer}/elements/{e}"
            if isinstance(element, dict) and element.get("type") == "image":
                _element(check, element, frozenset({"image"}), where)
            else:
                check.text_object(element, L.SECTION_TEXT, where)
    elif kind == "actions":
        for e, element in enumerate(check.count(block.get("elements"), L.ACTIONS_ELEMENTS, f"{pointer}/elements")):
            action_ids.append(_element(check, element, _ACTIONS_ELEMENTS, f"{pointer}/elements/{e}"))
    elif kind == "input":
        check.text_object(block.get("label"), L.INPUT_LABEL, f"{pointer}/label", plain_only=True)
        if "hint" in block:
            check.text_object(block["hint"], L.INPUT_HINT, f"{pointer}/hint", plain_only=True)
        action_ids.append(_element(check, block.get("element"), _INPUT_ELEMENTS, f"{pointer}/element"))
    elif kind == "image":
        _element(check, {**block, "type": "image"}, frozenset({"image"}), pointer)
        if "title" in block:
            check.text_object(block["title"], L.IMAGE_TITLE, f"{pointer}/title", plain_only=True)
    elif kind == "markdown":
        if check.required_str(block.get("text"), f"{pointer}/text"):
            check.length(block["text"], L.MARKDOWN_BLOCK_TEXT, f"{pointer}/text")
    seen_actions: set[str] = set()
    for action_id in action_ids:
        if action_id is None:
            continue
        if action_id in seen_actions:
            check.add(f"action_id {action_id!r} must be unique within the block", pointer)
        seen_actions.add(action_id)


def _sdk_problems(blocks: list[Any], root: str) -> list[str]:
    """What slack_sdk's block models reject (each nested object validates in to_dict())."""
    problems: list[str] = []
    previous = _sdk_log.level
    _sdk_log.setLevel(logging.ERROR)  # the models log unknown keys at DEBUG; not our concern here
    try:
        for index, block in enumerate(blocks):
            try:
                parsed = Block.parse(copy.deepcopy(block))
                if parsed is not None:
                    parsed.to_dict()
            except SlackObjectFormationError as exc:
                problems.append(f"{exc} [json-pointer:{root}/{index}]")
            except (TypeError, ValueError, KeyError, AttributeError) as exc:
                problems.append(f"invalid block: {exc} [json-pointer:{root}/{index}]")
    finally:
        _sdk_log.setLevel(previous)
    return problems


def block_problems(blocks: Any, max_blocks: int, root: str = "/blocks") -> list[str]:
    """Every reason Slack would refuse ``blocks`` (a list of block dicts), as Slack words them.

    ``max_blocks`` is ``MAX_MESSAGE_BLOCKS`` (50) for messages, ``MAX_VIEW_BLOCKS`` (100) for views.
    An empty list means Slack would accept them.
    """
    check = _Check()
    items = check.count(blocks, max_blocks, root, minimum=0)
    seen: set[str] = set()
    for index, block in enumerate(items):
        _block(check, index, block, seen, root)
    if not check.problems:
        check.problems.extend(_sdk_problems(items, root))
    return check.problems


def validate_blocks(blocks: Any, max_blocks: int = MAX_MESSAGE_BLOCKS) -> list[dict[str, Any]] | None:
    """The message's blocks as a list, or SlackError("invalid_blocks") with Slack's messages.

    Raises SlackError("invalid_blocks_format") when ``blocks`` is not a list.
    """
    if blocks is None:
        return None
    if not isinstance(blocks, list):
        raise SlackError("invalid_blocks_format")
    problems = block_problems(blocks, max_blocks)
    if problems:
        raise SlackError("invalid_blocks", errors=problems,
                         response_metadata={"messages": [f"[ERROR] {p}" for p in problems]})
    return blocks


def validate_text(text: str | None) -> None:
    """Message ``text`` over 40,000 characters: SlackError("msg_too_long")."""
    if text is not None and len(text) > MAX_TEXT_LENGTH:
        raise SlackError("msg_too_long")


def validate_view(spec: Any, expected_type: str) -> dict[str, Any]:
    """A view as views.open/push/update/publish accept it (``expected_type`` "modal" or "home").

    Raises SlackError("invalid_arguments") with ``response_metadata.messages`` naming each problem.
    """
    check = _Check()
    if not isinstance(spec, dict):
        check.add("must provide an object", "/view")
        raise SlackError("invalid_arguments", response_metadata={"messages": [f"[ERROR] {p}" for p in check.problems]})
    if spec.get("type") != expected_type:
        check.add(f"must be {expected_type}", "/view/type")
    if expected_type == "modal":
        check.text_object(spec.get("title"), L.VIEW_TITLE, "/view/title", plain_only=True)
        for key, limit in (("submit", L.VIEW_SUBMIT), ("close", L.VIEW_CLOSE)):
            if key in spec:
                check.text_object(spec[key], limit, f"/view/{key}", plain_only=True)
        if "submit" not in spec and any(
            isinstance(b, dict) and b.get("type") == "input" for b in spec.get("blocks") or []
        ):
            check.add("must provide submit when the view has input blocks", "/view/submit")
    elif any(key in spec for key in ("submit", "close")):
        check.add("a home view cannot have submit or close", "/view")
    check.length(spec.get("private_metadata"), L.VIEW_PRIVATE_METADATA, "/view/private_metadata")
    check.length(spec.get("callback_id"), L.VIEW_CALLBACK_ID, "/view/callback_id")
    check.length(spec.get("external_id"), L.VIEW_EXTERNAL_ID, "/view/external_id")
    problems = check.problems + block_problems(spec.get("blocks", []), MAX_VIEW_BLOCKS, "/view/blocks")
    if problems:
        raise SlackError("invalid_arguments", response_metadata={"messages": [f"[ERROR] {p}" for p in problems]})
    return spec
