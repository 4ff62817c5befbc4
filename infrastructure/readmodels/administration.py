"""The administration projection (三员分立, GB/T 39784-2021): every change to an account or an archiving scheme, by
whom and when, for the security auditor; and the directory of accounts the administrators list and search.

Secrets that live in User events (password hashes, token hashes) never reach these tables.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Engine, delete, func, select

from domain.scheme import ArchivingScheme
from domain.users import FirstSecurityOfficer, User
from infrastructure.readmodels.catalogue import AggregateCache
from infrastructure.readmodels.sql import upsert
from infrastructure.readmodels.tables import admin_log, user_directory

_SECRET = {"password_hash", "token_sha256"}
_BOOKKEEPING = {"originator_id", "originator_version", "originator_topic", "timestamp", "actor", "reason", "username", "user_id"}


def _kind(event: Any) -> str | None:
    module, name = type(event).__module__, type(event).__qualname__
    if module == User.__module__ and name.startswith("User."):
        return "user"
    if module == FirstSecurityOfficer.__module__ and name.startswith("FirstSecurityOfficer."):
        return "appointment"
    if module == ArchivingScheme.__module__ and name.startswith("ArchivingScheme."):
        return "scheme"
    return None


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    return value if value is None or isinstance(value, str | int | float | bool) else str(value)


class AdministrationProjection:
    name = "administration"

    def __init__(self, load: Callable[[UUID, int], Any]) -> None:
        self.aggregates = AggregateCache(load, size=5000)  # users and schemes, advanced event by event

    def apply(self, conn: Connection, events: Sequence[Any]) -> None:
        entries, accounts = [], {}
        try:
            for event in events:
                kind = _kind(event)
                if kind is None:
                    continue
                target = self._target(conn, event, kind, accounts)
                entries.append(self._entry(event, kind, target))
        except Exception:
            self.aggregates.clear()
            raise
        upsert(conn, admin_log, entries)
        upsert(conn, user_directory, list(accounts.values()))

    def _target(self, conn: Connection, event: Any, kind: str, accounts: dict[str, dict[str, Any]]) -> str:
        if kind == "scheme":
            return str(self.aggregates.advance(event).fonds)
        if kind == "appointment":  # saved with the account it appoints, so that account is in this batch or before
            known = accounts.get(str(event.user_id))
            if known:
                return str(known["username"])
            found = conn.execute(select(user_directory.c.username).where(user_directory.c.user_id == str(event.user_id)))
            return str(found.scalar() or event.user_id)
        user = self.aggregates.advance(event)
        accounts[str(user.id)] = {
            "user_id": str(user.id),
            "username": user.username,
            "roles": sorted(user.role_names),
            "clearance": int(user.clearance_level),
            "enabled": bool(user.enabled),
            "must_change_password": bool(getattr(user, "must_change_password", False)),
            "updated_at": event.timestamp.astimezone(UTC).isoformat(),
        }
        return user.username

    @staticmethod
    def _entry(event: Any, kind: str, target: str) -> dict[str, Any]:
        state = vars(event)
        return {
            "stream_id": str(event.originator_id),
            "version": event.originator_version,
            "at": event.timestamp.astimezone(UTC).isoformat(),
            "actor_id": str(state.get("actor") or "system"),
            "kind": kind,
            "action": type(event).__qualname__.split(".", 1)[-1],
            "target": target[:200],
            "details": {k: _plain(v) for k, v in state.items() if k not in _BOOKKEEPING | _SECRET},
            "reason": state.get("reason"),
        }

    def reset(self, conn: Connection) -> None:
        self.aggregates.clear()
        conn.execute(delete(admin_log))
        conn.execute(delete(user_directory))


class SqlAdministrationLog:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def page(self, offset: int, limit: int, actor_id: str | None = None) -> tuple[int, list[dict[str, Any]]]:
        condition = admin_log.c.actor_id == actor_id if actor_id else None
        count, rows = select(func.count()).select_from(admin_log), select(admin_log)
        if condition is not None:
            count, rows = count.where(condition), rows.where(condition)
        rows = rows.order_by(admin_log.c.at.desc(), admin_log.c.version.desc()).offset(offset).limit(limit)
        with self.engine.connect() as conn:
            return int(conn.execute(count).scalar_one()), [dict(r) for r in conn.execute(rows).mappings()]


class SqlUserDirectory:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def page(self, text: str, offset: int, limit: int) -> tuple[int, list[dict[str, Any]]]:
        condition = func.lower(user_directory.c.username).contains(text.lower(), autoescape=True) if text else None
        count, rows = select(func.count()).select_from(user_directory), select(user_directory)
        if condition is not None:
            count, rows = count.where(condition), rows.where(condition)
        rows = rows.order_by(user_directory.c.username).offset(offset).limit(limit)
        with self.engine.connect() as conn:
            return int(conn.execute(count).scalar_one()), [dict(r) for r in conn.execute(rows).mappings()]
