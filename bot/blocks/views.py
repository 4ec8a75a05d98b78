"""Reading what a person entered in a modal: see :func:`bot.slack_payloads.form_of` (kept under this name for
existing imports)."""

from __future__ import annotations

from bot.slack_payloads import form_of as view_values

__all__ = ["view_values"]
