"""SQLAlchemy engines for the read models and the ledger tables (SQLite by default, PostgreSQL at scale)."""

from __future__ import annotations

from sqlalchemy import Engine, create_engine, event


def make_engine(url: str, *, readonly: bool = False) -> Engine:
    """An engine for writers (SQLite: every transaction takes the write lock up front) or, with readonly=True, for
    readers (SQLite: statements in autocommit, which WAL lets run beside a writer)."""
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True, future=True)
    # As many pooled connections as a serving process has threads, so no request waits for a connection.
    engine = create_engine(
        url,
        future=True,
        pool_size=20,
        max_overflow=10,
        connect_args={"timeout": 60, "check_same_thread": False},
        # Readers run each statement on its own: no BEGIN and ROLLBACK around every page's one or two queries,
        # which cost more than the queries themselves. WAL gives each statement a consistent view.
        **({"isolation_level": "AUTOCOMMIT"} if readonly else {}),
    )

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
        # Pages read through a memory map instead of copied by read() into each pooled connection's cache: ~3% less
        # CPU a request under load (benchmarks/README.md). Address space only; WAL mode is unaffected.
        cursor.execute("PRAGMA mmap_size=1073741824")
        cursor.close()

    if readonly:
        return engine

    @event.listens_for(engine, "begin")
    def _on_begin(connection):  # type: ignore[no-untyped-def]
        # IMMEDIATE takes the write lock up front: two projection workers then serialise instead of one failing
        # with "database is locked" when it upgrades a read transaction to a write.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
