"""Settings from the environment.

`ARCHIVE_HOME` (default `./var`) holds everything of one installation: keys, the SQLite files, the witness copy of
every checkpoint and, later, the blob store. `ARCHIVE_DATABASE_URL` unset means SQLite files under ARCHIVE_HOME;
`postgresql://user:password@host:port/dbname` puts events, ledger and read models in PostgreSQL instead.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url


class ConfigurationError(Exception):
    """The environment does not describe a usable installation."""


def _number(env: dict[str, str] | os._Environ[str], name: str, default: int, minimum: int) -> int:
    raw = env.get(name) or ""
    if not raw.strip():
        return default
    if not raw.strip().isdigit() or int(raw) < minimum or int(raw) > 10**9:
        raise ConfigurationError(f"{name} must be a whole number of at least {minimum}, not {raw!r}")
    return int(raw)


@dataclass(frozen=True)
class Settings:
    home: Path
    database_url: str | None = None
    signing_key: str | None = None  # base64 Ed25519 seed from ARCHIVE_SIGNING_KEY, overrides the key file
    witness_dir: Path | None = None
    checkpoint_interval: int = 300  # seconds between scheduled checkpoints
    # Failed logins within `login_window` seconds that make one wait (OWASP ASVS 2.2.1): per account, and per client
    # address (higher: an office behind one address must not lock itself out).
    login_account_limit: int = 5
    login_address_limit: int = 50
    login_window: int = 300
    # How many reverse proxies in front of the archive may say who the client is (X-Forwarded-For / -Proto). 0: the
    # headers are ignored and the connection's address counts; never trust them by default (anyone can send them).
    trusted_proxies: int = 0

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        home = Path(env.get("ARCHIVE_HOME") or "./var").expanduser().resolve()
        witness = env.get("ARCHIVE_WITNESS_DIR")
        settings = cls(
            home=home,
            database_url=env.get("ARCHIVE_DATABASE_URL") or None,
            signing_key=env.get("ARCHIVE_SIGNING_KEY") or None,
            witness_dir=Path(witness).expanduser().resolve() if witness else None,
            checkpoint_interval=_number(env, "ARCHIVE_CHECKPOINT_INTERVAL", 300, 1),
            login_account_limit=_number(env, "ARCHIVE_LOGIN_ACCOUNT_LIMIT", 5, 1),
            login_address_limit=_number(env, "ARCHIVE_LOGIN_ADDRESS_LIMIT", 50, 1),
            login_window=_number(env, "ARCHIVE_LOGIN_WINDOW", 300, 1),
            trusted_proxies=_number(env, "ARCHIVE_TRUSTED_PROXIES", 0, 0),
        )
        if settings.database_url:
            settings.postgres_url()  # fail early on a malformed URL
        return settings

    @property
    def is_postgres(self) -> bool:
        return self.database_url is not None

    @property
    def keys_dir(self) -> Path:
        return self.home / "keys"

    @property
    def witness_path(self) -> Path:
        """Checkpoints are also appended here, outside the database, so a truncated tail is caught (DESIGN §4)."""
        return (self.witness_dir or self.home / "witness") / "checkpoints.jsonl"

    @property
    def blobs_dir(self) -> Path:
        return self.home / "blobs"

    @property
    def search_dir(self) -> Path:
        """The tantivy index: rebuilt from the event stream per node (DESIGN §7), so always a local folder."""
        return self.home / "search"

    @property
    def events_path(self) -> Path:
        return self.home / "events.sqlite"

    @property
    def readmodels_path(self) -> Path:
        return self.home / "readmodels.sqlite"

    def postgres_url(self) -> URL:
        try:
            url = make_url(self.database_url or "")
        except Exception as error:  # sqlalchemy raises ArgumentError with a terse message
            raise ConfigurationError(f"ARCHIVE_DATABASE_URL is not a database URL: {error}") from None
        if not url.drivername.startswith("postgresql") or not url.database:
            raise ConfigurationError("ARCHIVE_DATABASE_URL must look like postgresql://user:password@host:5432/dbname")
        return url

    def readmodel_url(self) -> str:
        """SQLAlchemy URL of the read models (and the ledger tables)."""
        if self.is_postgres:
            return self.postgres_url().set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
        return f"sqlite:///{self.readmodels_path}"

    def eventstore_env(self) -> dict[str, str]:
        """Environment for the eventsourcing Application (PERSISTENCE_MODULE and friends)."""
        if not self.is_postgres:
            return {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(self.events_path)}
        url = self.postgres_url()
        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": url.database or "",
            "POSTGRES_HOST": url.host or "127.0.0.1",
            "POSTGRES_PORT": str(url.port or 5432),
            "POSTGRES_USER": url.username or "postgres",
            "POSTGRES_PASSWORD": url.password or "",
            "POSTGRES_SCHEMA": url.query.get("schema", "public") if isinstance(url.query.get("schema"), str) else "public",
        }
