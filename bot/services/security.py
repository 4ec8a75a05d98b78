"""Security events (SPEC F17): permission denials and suspected prompt injection."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from bot.errors import PermissionDenied
from bot.log import get_logger
from db.queries import Q

log = get_logger(__name__)


async def record(conn: psycopg.AsyncConnection, *, organization_id: int, event_type: str, threat_level: str,
                 description: str, user_id: int | None = None, slack_user_id: str | None = None,
                 details: dict[str, Any] | None = None, now: datetime | None = None) -> None:
    """One security event. ``now`` (aware) is its ``created_at`` when given (a rule's clock), else the database's."""
    await conn.execute(Q["security_event_insert"], {
        "organization_id": organization_id, "user_id": user_id, "external_user_id": slack_user_id,
        "event_type": event_type, "threat_level": threat_level, "description": description[:1000],
        "details": Jsonb(details or {}), "now": now,
    })
    log.warning("security_event", event_type=event_type, threat_level=threat_level, organization_id=organization_id)


async def deny(conn: psycopg.AsyncConnection, *, organization_id: int, actor: Any, action: str, message: str,
               details: dict[str, Any] | None = None) -> PermissionDenied:
    """Log a permission denial and return the error to raise."""
    await record(conn, organization_id=organization_id, event_type="permission_denied", threat_level="low",
                 description=f"{action} refused", user_id=getattr(actor, "id", None),
                 slack_user_id=getattr(actor, "slack_id", None), details={"action": action, **(details or {})})
    return PermissionDenied(message)


async def audit(conn: psycopg.AsyncConnection, *, organization_id: int, actor: Any, action: str,
                entity_type: str | None = None, entity_id: str | int | None = None, details: dict[str, Any] | None = None,
                now: datetime | None = None) -> None:
    """An admin or manager action, for the audit trail (SPEC F17). ``now`` (aware) is its ``created_at`` when given
    (a rule's clock), else the database's clock."""
    await conn.execute(Q["audit_insert"], {
        "organization_id": organization_id, "actor_id": getattr(actor, "id", None), "action": action, "entity_type": entity_type,
        "entity_id": None if entity_id is None else str(entity_id), "details": Jsonb(details or {}),
        "now": now,
    })


async def require_admin(conn: psycopg.AsyncConnection, *, organization_id: int, actor: Any, action: str) -> None:
    if not getattr(actor, "is_admin", False):
        raise await deny(conn, organization_id=organization_id, actor=actor, action=action,
                         message="Sorry, only Steward admins can do that. Ask an admin, or see `/steward help`.")
