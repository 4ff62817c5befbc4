"""The archival reference code 档号 (DA/T 22-2015 §6, DA/T 13):
`全宗号-门类代码·年度-保管期限代码-机构或问题代码-件号`, e.g. `Z109-WS·2011-Y-BGS-0001`."""

from __future__ import annotations

import re
from dataclasses import dataclass

from domain.errors import InvalidValue
from domain.values import Retention

_PARTS = {
    "fonds": (re.compile(r"[A-Z0-9]{1,10}"), "全宗号 (fonds) must be 1-10 upper-case letters or digits, e.g. Z109"),
    "category": (re.compile(r"[A-Z]{1,4}"), "门类代码 (category) must be 1-4 upper-case letters, e.g. WS"),
    "org": (re.compile(r"[A-Z0-9]{1,8}"), "机构或问题代码 (organisation) must be 1-8 upper-case letters or digits, e.g. BGS"),
}
# The category and the year are joined by a middle dot (DA/T 22-2015 §6.1); "." and "-" are accepted on input.
_CODE = re.compile(
    r"^(?P<fonds>[^-]+)-(?P<category>[A-Za-z]+)[·.\-](?P<year>\d+)-(?P<retention>[^-]+)-(?P<org>[^-]+)-(?P<item>\d+)$"
)


def _check(part: str, value: str) -> str:
    pattern, message = _PARTS[part]
    if not pattern.fullmatch(value):
        raise InvalidValue(f"{message}; got {value!r}")
    return value


def _check_year(year: int) -> int:
    if not 1000 <= year <= 2999:
        raise InvalidValue(f"年度 (year) must have four digits; got {year!r}")
    return year


@dataclass(frozen=True)
class ClassKey:
    """The numbering class: item numbers run from 1 within each (fonds, category, year, retention, org)."""

    fonds: str
    category: str
    year: int
    retention: str
    org: str

    def __post_init__(self) -> None:
        _check("fonds", self.fonds)
        _check("category", self.category)
        _check("org", self.org)
        _check_year(self.year)
        Retention(self.retention)

    def __str__(self) -> str:
        return f"{self.fonds}-{self.category}·{self.year}-{self.retention}-{self.org}"


@dataclass(frozen=True)
class ArchivalCode:
    fonds: str
    category: str
    year: int
    retention: str
    org: str
    item: int

    def __post_init__(self) -> None:
        ClassKey(self.fonds, self.category, self.year, self.retention, self.org)
        if self.item < 1:
            raise InvalidValue(f"件号 (item number) starts at 1; got {self.item}")

    @classmethod
    def parse(cls, text: str) -> ArchivalCode:
        match = _CODE.match(str(text).strip())
        if not match:
            raise InvalidValue(f"not a 档号: {text!r}; expected 全宗号-门类·年度-保管期限-机构-件号 like Z109-WS·2011-Y-BGS-0001")
        parts = match.groupdict()
        return cls(
            parts["fonds"],
            parts["category"],
            int(parts["year"]),
            Retention.parse(parts["retention"]).code,
            parts["org"],
            int(parts["item"]),
        )

    @property
    def class_key(self) -> ClassKey:
        return ClassKey(self.fonds, self.category, self.year, self.retention, self.org)

    def format(self) -> str:
        # DA/T 22-2015: 件号 has four digits, zero padded (wider only past 9999).
        return f"{self.class_key}-{self.item:04d}"

    def __str__(self) -> str:
        return self.format()
