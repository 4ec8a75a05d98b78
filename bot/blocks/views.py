"""Reading what a person entered in a modal."""

from __future__ import annotations

from typing import Any


def view_values(view: dict[str, Any]) -> dict[str, Any]:
    """block_id -> the element's value: text, date, time, option value, list of option values, conversation, user
    id (users_select), list of user ids (multi_users_select)."""
    values = ((view.get("state") or {}).get("values")) or {}
    out: dict[str, Any] = {}
    for block_id, actions in values.items():
        for _action_id, v in actions.items():
            if "selected_options" in v:
                out[block_id] = [o.get("value") for o in v.get("selected_options") or []]
            elif "selected_conversation" in v:
                out[block_id] = v.get("selected_conversation")
            elif "selected_time" in v:
                out[block_id] = v.get("selected_time")
            elif "selected_date" in v:
                out[block_id] = v.get("selected_date")
            elif "selected_users" in v:
                out[block_id] = list(v.get("selected_users") or [])
            elif "selected_user" in v:
                out[block_id] = v.get("selected_user")
            elif "selected_option" in v:
                out[block_id] = (v.get("selected_option") or {}).get("value")
            else:
                out[block_id] = v.get("value")
    return out
