"""Access and search logs: projections of the ActivityLog streams (who, what, when, purpose / query, hits)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC
from typing import Any

from sqlalchemy import Connection, delete

from domain.activity import ActivityLog
from infrastructure.readmodels.sql import upsert
from infrastructure.readmodels.tables import access_log, search_log

_ACCESS = {ActivityLog.RecordViewed: "viewed", ActivityLog.RecordDownloaded: "downloaded", ActivityLog.AccessDenied: "denied"}


def _common(event: Any) -> dict[str, Any]:
    at = event.timestamp.astimezone(UTC)
    return {
        "log_id": str(event.originator_id),
        "version": event.originator_version,
        "at": at.isoformat(),
        "day": at.date().isoformat(),
        "user_id": event.actor,
        "user_group": event.group,
    }


class LogsProjection:
    name = "logs"

    def reset(self, conn: Connection) -> None:
        conn.execute(delete(search_log))
        conn.execute(delete(access_log))

    def apply(self, conn: Connection, events: Sequence[Any]) -> None:
        searches, accesses = [], []
        for event in events:
            kind = type(event)
            if kind is ActivityLog.Searched:
                searched = {"query": event.query, "filters": event.filters, "hits": event.hits, "ceiling": event.ceiling}
                searches.append({**_common(event), **searched})  # ceiling: None for searches stored before it
            elif kind in _ACCESS:
                purpose = getattr(event, "purpose", None) or getattr(event, "reason", None)
                accesses.append(
                    {
                        **_common(event),
                        "record_id": event.record_id,
                        "action": _ACCESS[kind],
                        "purpose": purpose,
                        "category": getattr(event, "category", None),
                    }
                )
        upsert(conn, search_log, searches)
        upsert(conn, access_log, accesses)
