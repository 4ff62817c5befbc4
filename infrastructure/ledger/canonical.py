"""Canonical JSON for every signed object (DESIGN §4): UTF-8, sorted ASCII keys, no insignificant whitespace,
no floats."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any


def _check(value: Any) -> None:
    if isinstance(value, float):
        raise TypeError("canonical JSON has no floats")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError("canonical JSON object keys are strings")
            _check(item)
    elif isinstance(value, list):
        for item in value:
            _check(item)
    elif not (value is None or isinstance(value, (str, int, bool))):
        raise TypeError(f"canonical JSON cannot hold {type(value).__name__}")


def canonical_json(obj: Any) -> bytes:
    _check(obj)
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def utc_timestamp(moment: datetime) -> str:
    """Always six fraction digits (isoformat drops them when microseconds are 0), always +00:00."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")
