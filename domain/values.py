"""Value objects: security classification (密级) and retention period (保管期限)."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from domain.errors import InvalidValue

_CHINESE_LEVELS = {"公开": 0, "内部": 1, "秘密": 2, "机密": 3, "绝密": 4}


class SecurityLevel(enum.IntEnum):
    """Ordered: 公开 public < 内部 internal < 秘密 secret < 机密 confidential < 绝密 top secret (DESIGN §3)."""

    PUBLIC = 0
    INTERNAL = 1
    SECRET = 2
    CONFIDENTIAL = 3
    TOP_SECRET = 4

    @property
    def chinese(self) -> str:
        return next(name for name, value in _CHINESE_LEVELS.items() if value == self.value)

    @classmethod
    def parse(cls, text: str | int) -> SecurityLevel:
        raw = str(text).strip()
        if raw in _CHINESE_LEVELS:
            return cls(_CHINESE_LEVELS[raw])
        if raw.isdigit() and int(raw) in cls._value2member_map_:
            return cls(int(raw))
        name = raw.upper().replace("-", "_").replace(" ", "_")
        if name in cls.__members__:
            return cls[name]
        accepted = ", ".join(f"{m.name.lower()}/{m.chinese}" for m in cls)
        raise InvalidValue(f"unknown security level {raw!r}; use one of {accepted}")


@dataclass(frozen=True)
class Retention:
    """DA/T 22-2015 retention codes: Y (永久, permanent), D30, D10, and custom D<n> years."""

    code: str

    def __post_init__(self) -> None:
        if self.code != "Y":
            match = re.fullmatch(r"D(\d{1,3})", self.code)
            if not match or not 1 <= int(match.group(1)) <= 100:
                raise InvalidValue(f"unknown retention {self.code!r}; use Y (永久), D30, D10 or D<years> (1-100)")

    @classmethod
    def parse(cls, text: str) -> Retention:
        raw = str(text).strip().upper()
        if raw in ("永久", "PERMANENT"):
            return cls("Y")
        years = re.fullmatch(r"(\d{1,3})\s*(年|Y|YEARS?)?", raw)
        if years and raw != "Y":
            return cls(f"D{int(years.group(1))}")
        return cls(raw)

    @property
    def years(self) -> int | None:
        return None if self.code == "Y" else int(self.code[1:])

    @property
    def is_permanent(self) -> bool:
        return self.code == "Y"

    @property
    def label_zh(self) -> str:
        return "永久" if self.is_permanent else f"{self.years}年"

    def __str__(self) -> str:
        return self.code
