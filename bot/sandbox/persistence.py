"""The sandbox's workspace kept in the data directory, in step with Steward's database.

The emulator's channels, DMs, threads and messages are saved to `<STEWARD_DATA_DIR>/sandbox/workspace.json`
(atomically, a moment after each change, and on stop) with the sandbox clock and a marker of the demo
organization in the database (its id and creation time). On the next start the two are compared:
only a saved workspace whose marker matches the database's demo organization is restored. Anything
else (`--reset`, an unreadable or incompatible file, a database that was reset or replaced, a database
with demo data but no saved workspace) resets both together: the demo organization's rows are deleted
(its ON DELETE CASCADE removes all of its data; no other organization is touched) and the workspace is
seeded anew, with a notice saying why.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from db.queries import Q

STATE_FORMAT = 1
STATE_FILE = Path("sandbox") / "workspace.json"
JsonDict = dict[str, Any]


class UnreadableState(Exception):
    """The saved sandbox cannot be used (damaged, or written by an incompatible version)."""


@dataclass(frozen=True)
class OrgMarker:
    """Which demo organization in the database the saved workspace belongs to."""

    id: int
    created_at: str

    def to_json(self) -> JsonDict:
        return {"id": self.id, "created_at": self.created_at}


@dataclass
class SavedSandbox:
    workspace: JsonDict
    clock_offset_seconds: float = 0.0
    organization: OrgMarker | None = None

    def to_json(self) -> JsonDict:
        return {
            "format": STATE_FORMAT,
            "workspace": self.workspace,
            "clock_offset_seconds": self.clock_offset_seconds,
            "organization": self.organization.to_json() if self.organization else None,
        }


class StateFile:
    """`<data_dir>/sandbox/workspace.json`: read, written atomically, set aside when unreadable."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / STATE_FILE
        self._last_written: str | None = None

    def read(self) -> SavedSandbox | None:
        """The saved sandbox, None when there is none; UnreadableState when it cannot be used."""
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise UnreadableState(f"{type(exc).__name__}: {exc}") from exc
        if not isinstance(raw, dict) or raw.get("format") != STATE_FORMAT or not isinstance(raw.get("workspace"), dict):
            raise UnreadableState(f"not a saved sandbox of format {STATE_FORMAT}")
        org = raw.get("organization")
        try:
            marker = OrgMarker(int(org["id"]), str(org["created_at"])) if org else None
            offset = float(raw.get("clock_offset_seconds") or 0.0)
        except (KeyError, TypeError, ValueError) as exc:
            raise UnreadableState(f"damaged organization or clock: {exc}") from exc
        return SavedSandbox(raw["workspace"], offset, marker)

    def write(self, saved: SavedSandbox) -> bool:
        """Save atomically (write a temporary file, then rename); False when nothing changed."""
        text = json.dumps(saved.to_json(), separators=(",", ":"), sort_keys=True)
        if text == self._last_written:
            return False
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".json.tmp")
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, self.path)
        self._last_written = text
        return True

    def set_aside(self) -> Path | None:
        """Move an unusable file out of the way (kept for a look), returning where it went."""
        if not self.path.exists():
            return None
        aside = self.path.with_name(f"workspace.unusable-{datetime.now():%Y%m%d-%H%M%S}.json")
        os.replace(self.path, aside)
        self._last_written = None
        return aside


async def demo_organization(conn: Any, team_id: str) -> OrgMarker | None:
    """The organization Steward keeps for the sandbox's Slack team, if any."""
    row = await (await conn.execute(Q["sandbox_organization"], {"team_id": team_id})).fetchone()
    return OrgMarker(int(row[0]), row[1].isoformat()) if row else None


async def forget_demo_organization(conn: Any, team_id: str) -> None:
    """Delete the sandbox team's organization (and so all of its data) and its inbox rows."""
    await conn.execute(Q["forget_sandbox_organization"], {"team_id": team_id})
    await conn.execute(Q["forget_sandbox_inbox"], {"team_id": team_id})


async def reconcile(conn: Any, state: StateFile, team_id: str, *, reset: bool = False) -> tuple[SavedSandbox | None, str | None]:
    """Decide what the sandbox starts from: (the saved sandbox to restore or None, a notice or None).

    None means "seed a fresh demo workspace"; whenever that happens while the database or the file
    held something, both are reset first and the notice says why.
    """
    org = await demo_organization(conn, team_id)
    why: str | None = None
    saved: SavedSandbox | None = None
    if reset:
        why = "as asked (--reset)"
    else:
        try:
            saved = state.read()
        except UnreadableState as exc:
            why = f"because the saved sandbox in {state.path} could not be used ({exc})"
        else:
            if saved is None and org is not None:
                why = f"because Steward's database has data for the demo workspace but no saved sandbox was found in {state.path}"
            elif saved is not None and saved.organization is not None and saved.organization != org:
                why = "because the saved sandbox does not belong to this database (it was reset or replaced)"
            elif saved is not None and saved.organization is None and org is not None:
                why = "because the saved sandbox was never tied to this database's demo organization"
    if why is None:
        return saved, None
    if org is not None:
        await forget_demo_organization(conn, team_id)
    aside = state.set_aside() if not reset else None
    if reset and state.path.exists():
        state.path.unlink()
    kept = f" (the old file is kept as {aside})" if aside else ""
    return None, (f"The sandbox was reset {why}: its channels, DMs and messages and Steward's data for the demo "
                  f"workspace start fresh{kept}.")
