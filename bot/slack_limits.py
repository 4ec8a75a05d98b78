"""Slack's documented limits on what an app may send, in one place, with their source.

Both sides use this table: the Slack emulator refuses payloads over these limits with Slack's
own error codes (``bot/emulators/slack/validation.py``), and Steward's Block Kit builders
(``bot/blocks``) stay inside them (``fit_text``, paging). Where slack_sdk's block models carry a
limit, the number is read from them, so a change in the SDK's knowledge of Slack shows up here.

Sources:
- Block Kit reference, https://docs.slack.dev/reference/block-kit/ (blocks, block elements,
  composition objects), mirrored by ``slack_sdk.models.blocks`` / ``slack_sdk.models.views``.
- chat.postMessage, https://docs.slack.dev/reference/methods/chat.postMessage (50 blocks per
  message; text truncated/refused past 40,000 characters: ``msg_too_long``).
- views.open / views.publish, https://docs.slack.dev/reference/methods/views.open (100 blocks
  per modal or Home tab; ``invalid_arguments`` with ``response_metadata.messages``).
- ``../shared/reference/slack-platform-facts.md`` (the same numbers, gathered for Steward).
"""

from __future__ import annotations

import re

from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    InputBlock,
    InteractiveElement,
    Option,
    OptionGroup,
    OverflowMenuElement,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.blocks.block_elements import InputInteractiveElement
from slack_sdk.models.views import View

# ---------------------------------------------------------------- messages and views
MESSAGE_BLOCKS = 50  # chat.postMessage: "up to 50 blocks" (not modelled by slack_sdk)
VIEW_BLOCKS = View.blocks_max_length  # 100, modals and Home tabs
MESSAGE_TEXT = 40_000  # chat.postMessage `text`; longer is msg_too_long
VIEW_TITLE = View.title_max_length  # 24, plain_text
VIEW_SUBMIT = View.submit_max_length  # 24, plain_text
VIEW_CLOSE = View.close_max_length  # 24, plain_text
VIEW_PRIVATE_METADATA = View.private_metadata_max_length  # 3,000
VIEW_CALLBACK_ID = View.callback_id_max_length  # 255
VIEW_EXTERNAL_ID = 255  # views.open: external_id "max 255 characters"

# ---------------------------------------------------------------- blocks
BLOCK_ID = Block.block_id_max_length  # 255, unique within a message or view
SECTION_TEXT = SectionBlock.text_max_length  # 3,000
SECTION_FIELDS = SectionBlock.fields_max_length  # 10
SECTION_FIELD_TEXT = 2_000  # each field's text (Block Kit reference, section block)
HEADER_TEXT = HeaderBlock.text_max_length  # 150, plain_text only
CONTEXT_ELEMENTS = ContextBlock.elements_max_length  # 10
ACTIONS_ELEMENTS = ActionsBlock.elements_max_length  # 25
INPUT_LABEL = InputBlock.label_max_length  # 2,000, plain_text
INPUT_HINT = InputBlock.hint_max_length  # 2,000, plain_text
MARKDOWN_BLOCK_TEXT = 12_000  # markdown block (Block Kit reference)
IMAGE_URL = 3_000
IMAGE_ALT_TEXT = 2_000
IMAGE_TITLE = 2_000

# ---------------------------------------------------------------- elements and composition objects
ACTION_ID = InteractiveElement.action_id_max_length  # 255, unique within the containing block
BUTTON_TEXT = ButtonElement.text_max_length  # 75, plain_text
BUTTON_VALUE = ButtonElement.value_max_length  # 2,000
BUTTON_URL = ButtonElement.url_max_length  # 3,000
PLACEHOLDER = InputInteractiveElement.placeholder_max_length  # 150, plain_text
OPTION_TEXT = Option.label_max_length  # 75
OPTION_VALUE = Option.value_max_length  # 150 (checkboxes, radio buttons, selects, overflow)
OPTION_DESCRIPTION = 75  # option object `description` (Block Kit reference)
OPTION_GROUP_LABEL = OptionGroup.label_max_length  # 75
CHECKBOX_OPTIONS = 10  # checkboxes: "maximum of 10 options" (not validated by slack_sdk)
RADIO_OPTIONS = 10  # radio buttons: "maximum of 10 options" (not validated by slack_sdk)
SELECT_OPTIONS = StaticSelectElement.options_max_length  # 100
SELECT_OPTION_GROUPS = StaticSelectElement.option_groups_max_length  # 100
OVERFLOW_OPTIONS = OverflowMenuElement.options_max_length  # 5 (at least 1)
TEXT_INPUT_MAX_LENGTH = 3_000  # plain_text_input max_length / min_length ceiling
CONFIRM_TITLE = 100
CONFIRM_TEXT = 300
CONFIRM_BUTTON = 30

# ---------------------------------------------------------------- Slack's answers
# Web API error codes that will not change on retry: the request is wrong (or its target gone), so
# retrying only repeats the refusal. Source: each method's "Errors" table in Slack's reference.
PERMANENT_ERRORS = frozenset({
    "invalid_blocks", "invalid_blocks_format", "msg_too_long", "invalid_arguments", "no_text",
    "too_many_attachments", "invalid_attachments", "invalid_metadata_format", "invalid_metadata_schema",
    "channel_not_found", "not_in_channel", "is_archived", "user_not_found", "user_not_in_channel",
    "cannot_dm_bot", "user_disabled", "account_inactive", "invalid_auth", "restricted_action",
    "message_not_found", "cant_update_message", "edit_window_closed", "view_too_large",
    "duplicate_external_id", "not_found",
})

def slack_refusal(error: BaseException) -> str | None:
    """Slack's error code when ``error`` is a Web API refusal that a retry cannot change
    (``bot.slack_limits.PERMANENT_ERRORS``: a payload over a limit, a channel gone...), else None.
    A 429 or a 5xx is never a refusal: those are retried."""
    if not isinstance(error, SlackApiError) or error.response is None:
        return None
    if error.response.status_code == 429 or error.response.status_code >= 500:
        return None
    code = error.response.get("error")
    return code if code in PERMANENT_ERRORS else None


# ---------------------------------------------------------------- staying inside them

# Tokens that must never be cut in half: Slack references (<@U1>, <#C1|x>, <https://…|label>,
# <!here>), HTML entities (&amp;) and emoji shortcodes (:palm_tree:, :+1::skin-tone-2:).
_ATOM = re.compile(r"<[^<>\n]*>|&(?:amp|lt|gt);|:[a-z0-9_+'-]+:(?::skin-tone-\d:)?|\S", re.IGNORECASE)
ELLIPSIS = "\u2026"


def _cut_point(text: str, room: int) -> int:
    """Where to cut ``text`` so the head is at most ``room`` characters: after the last whole word
    that fits, else after the last whole atom (reference, entity, shortcode or character) that fits."""
    cut = 0  # end of the last whole atom that fits
    last_space_cut = 0  # end of the last whole word that fits (the cut just before a space)
    for match in _ATOM.finditer(text):
        if match.end() > room:
            break
        cut = match.end()
        following = text[match.end() : match.end() + 1]
        if following == "" or following.isspace():
            last_space_cut = cut
    return last_space_cut if last_space_cut > 0 else cut


def fit_text(text: str, limit: int, *, ellipsis: str = ELLIPSIS) -> str:
    """``text`` shortened to at most ``limit`` characters without cutting a word in half.

    A word, a Slack reference (``<@U123>``, ``<#C1|name>``, ``<https://x|label>``, ``<!here>``), an
    HTML entity (``&amp;``) or an emoji shortcode is kept whole or left out; a shortened text ends
    in ``ellipsis`` (counted in the limit). A single word longer than the limit is cut (there is
    no word boundary to use), but never inside a reference, entity or shortcode: one that does not
    fit is dropped. ``limit`` is in characters (Python ``str`` length, which is what Slack counts
    for these limits). Raises ValueError when ``limit`` is smaller than the ellipsis.
    """
    if len(text) <= limit:
        return text
    if limit < len(ellipsis):
        raise ValueError(f"limit {limit} leaves no room for {ellipsis!r}")
    keep = _cut_point(text, limit - len(ellipsis))
    # Trailing spaces, commas and dashes go; ";" and ":" stay (they may close "&amp;" or ":rocket:").
    return text[:keep].rstrip(" \t\n,-\u2013\u2014") + ellipsis


def split_text(text: str, limit: int) -> list[str]:
    """All of ``text`` in pieces of at most ``limit`` characters, cut between words (never inside a
    reference, entity or shortcode) — for text that must be shown whole, such as an answer whose
    citations would be lost to a cut. Raises ValueError when one reference is longer than ``limit``."""
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = _cut_point(rest, limit)
        if cut == 0:
            raise ValueError(f"a single reference is longer than {limit} characters")
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    return [*pieces, rest]
