"""The archiving scheme (归档方案) of one fonds: categories, classification, retention schedule, required metadata,
QC profile and appraisal rules."""

from __future__ import annotations

import re
import uuid
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import InvalidValue
from domain.values import Retention

_NAMESPACE = uuid.UUID("5d3f4a2b-1c6e-5f70-8a9b-0c1d2e3f4a5b")
STANDARD_CATEGORIES = {"WS": "文书", "YW": "业务", "KJ": "科技", "KU": "会计"}
# DA/T 31-2017 spirit: 300 dpi for text, clarity, residual skew ≤ 0.5°, no blank or cut-off pages, grey or colour
# (bitonal only where the scheme allows it). Thresholds are whole numbers; see domain/quality.py for their use.
DEFAULT_QC_PROFILE: dict[str, int | str | bool] = {
    "min_dpi": 300,
    "min_clarity": 100,
    "max_skew_tenths": 5,
    "blank_ink_per_mille": 2,
    "max_border_ink_per_mille": 20,
    "near_duplicate_bits": 12,
    "min_colour_mode": "grey",
    "binarise": False,
}


def _code(value: str, pattern: str, what: str) -> str:
    value = str(value).strip().upper()
    if not re.fullmatch(pattern, value):
        raise InvalidValue(f"{what} {value!r} is not valid")
    return value


class ArchivingScheme(Aggregate):
    @staticmethod
    def create_id(fonds: str) -> UUID:
        return uuid.uuid5(_NAMESPACE, fonds.strip().upper())

    @classmethod
    def define(cls, *, fonds: str, fonds_name: str, actor: str) -> ArchivingScheme:
        fonds = _code(fonds, r"[A-Z0-9]{1,10}", "the fonds code (全宗号)")
        if not str(fonds_name).strip():
            raise InvalidValue("the fonds needs a name")
        return cls(fonds=fonds, fonds_name=str(fonds_name).strip(), actor=actor)

    @event("Defined")
    def __init__(self, fonds: str, fonds_name: str, actor: str) -> None:
        self.fonds, self.fonds_name = fonds, fonds_name
        self.categories = dict(STANDARD_CATEGORIES)
        self.classes: dict[str, dict] = {}  # org / problem code -> {"name", "retention"}
        self.required_metadata: list[str] = []
        self.qc_profile = dict(DEFAULT_QC_PROFILE)
        self.double_appraisal = False

    def add_category(self, code: str, name: str, actor: str) -> None:
        code = _code(code, r"[A-Z]{1,4}", "the category code (门类代码)")
        if code in self.categories:
            raise InvalidValue(f"category {code} already exists")
        self._category_added(code=code, name=str(name).strip() or code, actor=actor)

    @event("CategoryAdded")
    def _category_added(self, code: str, name: str, actor: str) -> None:
        self.categories[code] = name

    def add_class(self, code: str, name: str, actor: str, retention: Retention | None = None) -> None:
        code = _code(code, r"[A-Z0-9]{1,8}", "the organisation or problem code")
        if code in self.classes:
            raise InvalidValue(f"class {code} already exists")
        self._class_added(code=code, name=str(name).strip() or code, retention=retention.code if retention else None, actor=actor)

    @event("ClassAdded")
    def _class_added(self, code: str, name: str, retention: str | None, actor: str) -> None:
        self.classes[code] = {"name": name, "retention": retention}

    def set_required_metadata(self, fields: list[str], actor: str) -> None:
        self._required_metadata_set(fields=[str(f).strip() for f in fields if str(f).strip()], actor=actor)

    @event("RequiredMetadataSet")
    def _required_metadata_set(self, fields: list[str], actor: str) -> None:
        self.required_metadata = list(fields)

    def set_qc_profile(self, profile: dict[str, int | str | bool], actor: str) -> None:
        unknown = sorted(set(profile) - set(DEFAULT_QC_PROFILE))
        if unknown:
            raise InvalidValue(f"unknown QC setting {unknown[0]!r}; known: {', '.join(DEFAULT_QC_PROFILE)}")
        if any(isinstance(v, float) for v in profile.values()):
            raise InvalidValue("QC settings are whole numbers (e.g. max_skew_tenths = 5 for 0.5°)")
        self._qc_profile_set(profile={**self.qc_profile, **profile}, actor=actor)

    @event("QCProfileSet")
    def _qc_profile_set(self, profile: dict, actor: str) -> None:
        self.qc_profile = dict(profile)

    def set_double_appraisal(self, required: bool, actor: str) -> None:
        self._double_appraisal_set(required=bool(required), actor=actor)

    @event("DoubleAppraisalSet")
    def _double_appraisal_set(self, required: bool, actor: str) -> None:
        self.double_appraisal = required

    # -- rules the application asks about -------------------------------------------------------------------------

    def check_classification(self, *, category: str, org: str) -> None:
        if category not in self.categories:
            raise InvalidValue(f"fonds {self.fonds} has no category {category}; known: {', '.join(sorted(self.categories))}")
        if self.classes and org not in self.classes:
            raise InvalidValue(
                f"fonds {self.fonds} has no organisation or problem code {org}; known: {', '.join(sorted(self.classes))}"
            )

    def default_retention(self, org: str) -> Retention:
        """The retention schedule's period for a class; the archivist must choose when the schedule has none."""
        found = self.classes.get(org, {}).get("retention")
        if not found:
            raise InvalidValue(f"the retention schedule of fonds {self.fonds} gives no period for {org}: choose one")
        return Retention(found)
