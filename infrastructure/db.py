"""SQLAlchemy engines for the read models and the ledger tables (SQLite by default, PostgreSQL at scale)."""

from __future__ import annotations

from sqlalchemy import Engine, create_engine, event


def make_engine(url: str, *, readonly: bool = False) -> Engine:
    """An engine for writers (SQLite: every transaction takes the write lock up front) or, with readonly=True, for
    readers (SQLite: deferred transactions, which WAL lets run beside a writer)."""
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True, future=True)
    engine = create_engine(url, future=True, connect_args={"timeout": 60, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        # Let SQLAlchemy's "begin" below decide how a transaction starts (pysqlite would otherwise defer it).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # Read models and the ledger are rebuildable from the event store, so NORMAL durability is enough here.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=60000")
        # 64 MB page cache (default 2 MB): upserts into a 100,000-row catalogue stop re-reading index pages.
        cursor.execute("PRAGMA cache_size=-65536")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):  # type: ignore[no-untyped-def]
        # IMMEDIATE takes the write lock up front: two projection workers then serialise instead of one failing
        # with "database is locked" when it upgrades a read transaction to a write.
        connection.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")

    return engine
