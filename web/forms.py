"""Parsing what callers send, once for every page and API operation: a caller's mistake is a 4xx with a message
that names the field, never a 500 from a number too large for the database or a value of the wrong JSON type."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.errors import InvalidValue

# The largest whole number any field takes: below SQLite's and PostgreSQL's 64-bit integers, so nothing a caller
# types overflows a query. Fields with a narrower meaning give their own bounds.
LARGEST = 2**53
YEARS = (1, 9999)
VERSIONS = (1, 2**31 - 1)


def whole_number(raw: Any, name: str, *, minimum: int = 0, maximum: int = LARGEST, echo: bool = True) -> int:
    """`raw` (a query or form string, or a JSON number) as an int within [minimum, maximum]. `echo`: the message
    quotes what was given (a query parameter; a JSON field is named only)."""
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        raise InvalidValue(f"{name} must be a whole number")
    text = str(raw).strip()
    if not text.lstrip("+-").isdigit() or len(text) > 20:
        raise InvalidValue(f"{name} must be a whole number" + (f", not {text[:40]!r}" if echo else ""))
    value = int(text)
    if not minimum <= value <= maximum:
        raise InvalidValue(f"{name} must be between {minimum:,} and {maximum:,}")
    return value


def optional_number(raw: Any, name: str, *, minimum: int = 0, maximum: int = LARGEST, default: int | None = None) -> int | None:
    """As whole_number; an absent or empty value gives `default`."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return default
    return whole_number(raw, name, minimum=minimum, maximum=maximum)


def uuid_of(text: Any, what: str = "record") -> UUID:
    try:
        return UUID(str(text))
    except ValueError:
        raise InvalidValue(f"{str(text)[:60]!r} is not a {what} id") from None


def json_text(value: Any, name: str, *, required: bool = False, longest: int = 10_000) -> str:
    """A JSON string field (absent: empty unless required)."""
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise InvalidValue(f"{name} is a string")
    if len(value) > longest:
        raise InvalidValue(f"{name} is longer than {longest:,} characters")
    return value


def json_strings(value: Any, name: str) -> list[str]:
    """A JSON list of strings (absent: empty)."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidValue(f"{name} is a list of strings")
    return value


def json_fields(value: Any, name: str) -> dict[str, str]:
    """A JSON object of string (or number) values, as metadata fields (absent: none)."""
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, str | int | float) and not isinstance(v, bool) for v in value.values()):
        raise InvalidValue(f"{name} is an object whose values are strings")
    return {str(k): str(v) for k, v in value.items()}
