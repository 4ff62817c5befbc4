"""Who may do what (DESIGN §6). Every decision is taken here, so the CLI, the UI and the API cannot disagree."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from domain.users import Role
from domain.values import SecurityLevel


class Forbidden(Exception):
    """The actor may not do this. The message never names a record the actor may not see. `recorded`: the refusal
    is already an AccessDenied event (Archive.authorise); an entry point records the others (DESIGN §6)."""

    recorded = False


class Action(str, enum.Enum):
    MANAGE_USERS = "manage_users"  # accounts: create, disable, enable, reset a password (the system administrator)
    ASSIGN_ROLES = "assign_roles"  # roles and clearance (the security officer)
    AUDIT_ADMINISTRATION = "audit_administration"  # what the administrators did (the security auditor)
    MANAGE_SCHEME = "manage_scheme"
    COLLECT = "collect"
    CATALOGUE = "catalogue"
    ANNOTATE = "annotate"
    REVIEW = "review"
    APPRAISE = "appraise"
    SCAN = "scan"
    PROCESS = "process"
    QC = "qc"
    OCR = "ocr"
    INGEST = "ingest"
    RECLASSIFY = "reclassify"
    DISPOSE = "dispose"
    READ = "read"
    READ_HISTORY = "read_history"
    AUDIT_LEDGER = "audit_ledger"
    READ_LOGS = "read_logs"
    SEARCH = "search"
    DECIDE_ACCESS = "decide_access"


_R = Role
PERMISSIONS: dict[Action, frozenset[Role]] = {
    # 三员分立 (GB/T 39784-2021): three administrators, none of whom reads records by that role.
    Action.MANAGE_USERS: frozenset({_R.ADMIN}),
    Action.ASSIGN_ROLES: frozenset({_R.SECURITY_OFFICER}),
    Action.AUDIT_ADMINISTRATION: frozenset({_R.SECURITY_AUDITOR}),
    Action.MANAGE_SCHEME: frozenset({_R.ADMIN, _R.ARCHIVIST}),
    Action.COLLECT: frozenset({_R.ARCHIVIST}),
    Action.CATALOGUE: frozenset({_R.ARCHIVIST}),
    Action.ANNOTATE: frozenset({_R.ARCHIVIST, _R.DIGITISER}),
    Action.REVIEW: frozenset({_R.ARCHIVIST, _R.APPRAISER}),
    Action.APPRAISE: frozenset({_R.APPRAISER}),
    Action.SCAN: frozenset({_R.DIGITISER}),
    Action.PROCESS: frozenset({_R.DIGITISER}),
    Action.QC: frozenset({_R.DIGITISER, _R.ARCHIVIST}),
    Action.OCR: frozenset({_R.DIGITISER}),
    Action.INGEST: frozenset({_R.ARCHIVIST}),
    Action.RECLASSIFY: frozenset({_R.APPRAISER}),
    Action.DISPOSE: frozenset({_R.APPRAISER, _R.ARCHIVIST}),
    Action.READ: frozenset({_R.ARCHIVIST, _R.DIGITISER, _R.APPRAISER, _R.READER, _R.COMPLIANCE}),
    Action.READ_HISTORY: frozenset({_R.ARCHIVIST, _R.APPRAISER, _R.COMPLIANCE}),
    Action.AUDIT_LEDGER: frozenset({_R.AUDITOR, _R.COMPLIANCE}),
    Action.READ_LOGS: frozenset({_R.COMPLIANCE}),
    Action.SEARCH: frozenset({_R.ARCHIVIST, _R.DIGITISER, _R.APPRAISER, _R.READER, _R.COMPLIANCE}),
    Action.DECIDE_ACCESS: frozenset({_R.ARCHIVIST}),
}


_SENIORITY = (_R.ADMIN, _R.SECURITY_OFFICER, _R.SECURITY_AUDITOR, _R.ARCHIVIST, _R.APPRAISER, _R.DIGITISER, _R.COMPLIANCE, _R.AUDITOR, _R.READER)


@dataclass(frozen=True)
class Actor:
    """The person (or the local operator, `system`) on whose behalf a command runs."""

    id: str
    username: str
    roles: frozenset[Role]
    clearance: SecurityLevel
    must_change_password: bool = False  # an administrator set the password: nothing else until it is replaced

    def may(self, action: Action) -> bool:
        return self.is_system or bool(self.roles & PERMISSIONS[action])

    def may_see(self, level: SecurityLevel) -> bool:
        return self.is_system or level <= self.clearance

    @property
    def is_system(self) -> bool:
        return self.id == "system"

    @property
    def group(self) -> str:
        """The user group statistics are kept by: the most senior role held."""
        if self.is_system:
            return "system"
        return next((r.value for r in _SENIORITY if r in self.roles), "none")


# The local operator: whoever runs the CLI on the server already holds the keys and the database files.
SYSTEM = Actor("system", "system", frozenset(), SecurityLevel.TOP_SECRET)
# Whoever is not signed in (a forged form, a login with an unknown name): their refusals are recorded under this id.
ANONYMOUS = Actor("anonymous", "anonymous", frozenset(), SecurityLevel.PUBLIC)


def authorise(actor: Actor, action: Action) -> None:
    if not actor.may(action):
        raise Forbidden(f"{actor.username} may not {action.value.replace('_', ' ')}")
