"""The composition root: the one place where adapters are wired into the application (DESIGN §2)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from eventsourcing.persistence import MapperDeserialisationError, OperationalError
from sqlalchemy.exc import OperationalError as SQLOperationalError

from application.access import AccessRequests
from application.accounts import Accounts
from application.administration import Administration
from application.archive import Archive
from application.authorisation import SYSTEM, Actor, Forbidden
from application.catalogue import Catalogue
from application.desk import RecordDesk
from application.digitisation import Digitisation
from application.history import History
from application.manifest import ManifestImport
from application.ports import Sessions
from application.search import Search
from application.transfers import Transfers
from domain.errors import DomainError
from domain.users import Role
from domain.values import SecurityLevel
from infrastructure import home
from infrastructure.blobs import BlobCorrupted, BlobNotFound, LocalBlobStore
from infrastructure.config import ConfigurationError, Settings
from infrastructure.db import make_engine
from infrastructure.eventstore import stored_snapshots
from infrastructure.imaging.pipeline import ParallelImaging
from infrastructure.ledger.audit import AuditReport, LedgerAudit
from infrastructure.ledger.ledger import LedgerError, MerkleLedger
from infrastructure.ledger.verify import VerificationReport, verify_export
from infrastructure.ocr.recogniser import RapidTextRecogniser
from infrastructure.password_policy import NistPasswordPolicy
from infrastructure.passwords import Argon2idHasher
from infrastructure.readmodels.administration import AdministrationProjection, SqlAdministrationLog, SqlUserDirectory
from infrastructure.readmodels.as_of import CatalogueAsOf
from infrastructure.readmodels.catalogue import AggregateCache, CatalogueProjection
from infrastructure.readmodels.logs import LogsProjection
from infrastructure.readmodels.queries import CatalogueFilter, SqlCatalogue
from infrastructure.readmodels.reader import SealedEventReader
from infrastructure.readmodels.runner import ProjectionRunner
from infrastructure.search.projection import SearchProjection
from infrastructure.search.tantivy_index import SearchIndexBusy, TantivySearchIndex
from infrastructure.sign_in import SqlFailureWindow, SqlSessions
from infrastructure.signed_mapper import SigningMapper
from infrastructure.signing import KeyRing, KeyRingError

INITIAL_ADMIN = "admin"

# Failures caused by input, configuration or the data itself: the entry points report them as one clear line
# (CLI) or a 4xx (HTTP) instead of a traceback.
# For the web: what an HTTP caller is told for the application's other expected errors (DomainError and Forbidden
# have their own handlers). A caller's mistake is a 4xx; a store that is busy or down is a 503, never a bare 500.
ERROR_STATUS: dict[type[Exception], int] = {
    LedgerError: 422,
    ValueError: 422,
    BlobNotFound: 404,
    SearchIndexBusy: 503,
    OperationalError: 503,
    SQLOperationalError: 503,
}

EXPECTED_ERRORS: tuple[type[Exception], ...] = (
    DomainError,
    Forbidden,
    ConfigurationError,
    KeyRingError,
    LedgerError,
    MapperDeserialisationError,
    OperationalError,
    SQLOperationalError,
    SearchIndexBusy,
    BlobNotFound,
    BlobCorrupted,
    OSError,
    ValueError,
)


@dataclass
class InitResult:
    home: Path
    key_id: str
    admin_created: bool
    admin_password_file: Path


class Services:
    """Everything the CLI and the web layer use, built lazily from Settings."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.passwords = Argon2idHasher()

    @cached_property
    def keyring(self) -> KeyRing:
        return KeyRing(self.settings.keys_dir, self.settings.signing_key)

    @cached_property
    def engine(self):  # type: ignore[no-untyped-def]
        return make_engine(self.settings.readmodel_url())

    @cached_property
    def read_engine(self):  # type: ignore[no-untyped-def]
        return make_engine(self.settings.readmodel_url(), readonly=True)

    @cached_property
    def archive(self) -> Archive:
        keyring = self.keyring
        return Archive(self.settings.eventstore_env(), mapper_factory=lambda t: SigningMapper(t, keyring))

    @cached_property
    def ledger(self) -> MerkleLedger:
        return MerkleLedger(self.engine, self.keyring, self.archive.recorder, self.archive.mapper, self.settings.witness_path)

    @cached_property
    def history(self) -> History:
        return History(self.archive, self.ledger)

    @cached_property
    def projections(self) -> ProjectionRunner:
        archive = self.archive
        records = AggregateCache(lambda record_id, version: archive.repository.get(record_id, version=version))
        catalogue = CatalogueProjection(records.load, cache=records)  # one cache: each record is replayed once
        search = SearchProjection(self.search_index, records.load, text_of=self.digitisation.text_of, cache=records)
        reader = SealedEventReader(archive.mapper)
        administration = AdministrationProjection(lambda aggregate_id, version: archive.repository.get(aggregate_id, version=version))
        return ProjectionRunner(self.engine, archive.recorder, reader, [catalogue, search, LogsProjection(), administration])

    @cached_property
    def desk(self) -> RecordDesk:
        return RecordDesk(self.archive, self.catalogue, self.history, self.blobs, self.imaging)

    catalogue_filter = CatalogueFilter  # the web builds browse filters without reaching into infrastructure

    @cached_property
    def access(self) -> AccessRequests:
        return AccessRequests(self.archive)

    @cached_property
    def administration(self) -> Administration:
        return Administration(
            self.archive, SqlAdministrationLog(self.read_engine), SqlUserDirectory(self.read_engine), self.sessions
        )

    @cached_property
    def transfers(self) -> Transfers:
        return Transfers(self.archive)

    @cached_property
    def accounts(self) -> Accounts:
        s = self.settings
        return Accounts(
            self.archive,
            self.passwords,
            SqlFailureWindow(self.engine, self.read_engine, limit=s.login_account_limit, seconds=s.login_window),
            NistPasswordPolicy(),
            address_failures=SqlFailureWindow(self.engine, self.read_engine, limit=s.login_address_limit, seconds=s.login_window),
        )

    @cached_property
    def sessions(self) -> Sessions:
        return SqlSessions(self.engine, self.read_engine)

    @cached_property
    def blobs(self) -> LocalBlobStore:
        return LocalBlobStore(self.settings.blobs_dir)

    @cached_property
    def imaging(self) -> ParallelImaging:
        return ParallelImaging()

    @cached_property
    def digitisation(self) -> Digitisation:
        return Digitisation(self.archive, self.blobs, self.imaging, RapidTextRecogniser())

    @cached_property
    def manifest_import(self) -> ManifestImport:
        return ManifestImport(self.archive, self.digitisation)

    @cached_property
    def search_index(self) -> TantivySearchIndex:
        return TantivySearchIndex(self.settings.search_dir)

    @cached_property
    def search(self) -> Search:
        return Search(self.archive, self.search_index, grants=self.access.approved)

    @cached_property
    def catalogue(self) -> Catalogue:
        archive = self.archive
        past = CatalogueAsOf(
            self.read_engine,
            archive.recorder,
            SealedEventReader(archive.mapper),
            lambda record_id, version: archive.repository.get(record_id, version=version),
        )
        return Catalogue(
            archive, SqlCatalogue(self.read_engine), self.projections, past, grants=self.access.approved, purposes=self.access.purpose_of
        )

    def record_denial(self, actor: Actor, action: str, reason: str, record_id: str | None = None) -> None:
        """DESIGN §6: every refused attempt is an event; refusals the web decides itself (a forged form, a write
        without a token) come through here to the one place that records them (Archive.deny)."""
        self.archive.deny(actor, action, reason, record_id=record_id)

    def audit(self, progress: Callable[[int, int], None] | None = None) -> AuditReport:
        return LedgerAudit(self.ledger, lambda: stored_snapshots(self.archive.snapshots)).run(progress=progress)

    @staticmethod
    def verify_export(directory: Path, witness: Path | None = None, progress=None) -> VerificationReport:  # type: ignore[no-untyped-def]
        return verify_export(directory, witness=witness, workers=max(1, os.cpu_count() or 1), progress=progress)

    @classmethod
    def from_env(cls) -> Services:
        return cls(Settings.from_env())

    def start_background(self) -> Any:
        """The serving process's jobs: follow the log into the ledger and the read models, sign checkpoints on a
        schedule. With several worker processes only the one holding the lead runs them (infrastructure/leadership)."""
        from infrastructure.leadership import Leadership
        from infrastructure.scheduler import start_scheduler

        self.leadership = Leadership(self.settings.home / "background.lock")

        def led(job: Callable[[], object]) -> Callable[[], object]:
            return lambda: job() if self.leadership.held() else None

        self.scheduler = start_scheduler(
            [
                ("ledger-follow", led(self.ledger.follow), 2),
                ("projections-follow", led(self.projections.follow), 1),
                ("ledger-checkpoint", led(self.ledger.checkpoint), self.settings.checkpoint_interval),
            ]
        )
        return self.scheduler

    def close(self) -> None:
        scheduler = getattr(self, "scheduler", None)
        if scheduler is not None and scheduler.running:
            scheduler.shutdown(wait=True)  # the jobs stop before the connections they use are closed
        if getattr(self, "leadership", None) is not None:
            self.leadership.release()
        if "archive" in self.__dict__:
            self.archive.close()
        if "imaging" in self.__dict__:
            self.imaging.close()
        for name in ("engine", "read_engine"):
            if name in self.__dict__:
                self.__dict__[name].dispose()


def keep_private() -> None:
    """For the entry points (CLI, WSGI app): everything this process creates under ARCHIVE_HOME is the owner's alone,
    whatever the umask it was started with (DESIGN §5: ARCHIVE_HOME 0700, files 0600)."""
    home.keep_private()


def initialise(settings: Settings | None = None) -> InitResult:
    """Create ARCHIVE_HOME, the signing key, the schemas and the first administrator. Safe to run again; an
    installation made before files were private (or by hand) is repaired: folders 0700, files 0600, blobs 0400."""
    settings = settings or Settings.from_env()
    home.keep_private()
    home.private_directory(settings.home)
    from infrastructure.migrations import upgrade  # alembic is heavy; only init and migrate need it

    keyring = KeyRing.create(settings.keys_dir, settings.signing_key)
    services = Services(settings)
    try:
        upgrade(services.engine)
        password_file = settings.home / "initial-admin-password"
        created = False
        if services.archive.find_user(INITIAL_ADMIN) is None:
            password = secrets.token_urlsafe(12)
            services.archive.register_user(
                SYSTEM,
                username=INITIAL_ADMIN,
                roles=[Role.ADMIN],
                clearance=SecurityLevel.TOP_SECRET,
                password_hash=services.passwords.hash(password),
            )
            home.write_private(password_file, (password + "\n").encode())
            created = True
        home.repair([settings.home, settings.witness_path.parent], settings.blobs_dir)
        return InitResult(settings.home, keyring.active_key_id, created, password_file)
    finally:
        services.close()


def migrate(settings: Settings | None = None) -> None:
    from infrastructure.migrations import upgrade

    services = Services(settings or Settings.from_env())
    try:
        upgrade(services.engine)
    finally:
        services.close()
