"""Backups of the whole database, and restoring one: `crm backup PATH`, `crm restore PATH`.

* SQLite: the online backup API of the sqlite3 module copies the database as of one moment,
  while the service keeps running; the copy is one self-contained file (journal mode DELETE).
  Restoring copies a backup's pages over the configured database the same way.
* PostgreSQL: `pg_dump --format=custom` writes the backup, `pg_restore --clean --if-exists` in a
  single transaction replaces what the backup holds, so a failed restore changes nothing. Both
  must be on PATH, at least as new as the server. Credentials pass through the environment
  (PGPASSWORD), not the command line, where other users of the machine could read them.

Either way a backup is written to a temporary file beside PATH and renamed when complete, so
PATH never holds half a backup. Restoring over a database that already holds the service's
tables needs `force`: stop the service first, since it would otherwise keep serving what it
had read before.
"""

import asyncio
import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import URL, make_url

from app.core.config import Settings
from app.core.db import create_engine

TIMEOUT_SECONDS = 30.0  # for a lock held by the running service


class BackupError(Exception):
    """The backup or restore cannot be made; the message says why."""


def backup(settings: Settings, path: Path) -> str:
    """Write a backup of the configured database to `path`; a line saying what was done."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    try:
        if settings.is_sqlite:
            _sqlite_backup(_sqlite_file(settings, must_exist=True), partial)
        else:
            _run("pg_dump", "--format=custom", "--file", str(partial), url=settings.database_url)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return f"backed up the database to {path} ({path.stat().st_size} bytes)"


def restore(settings: Settings, path: Path, *, force: bool = False) -> str:
    """Replace the configured database's contents with the backup at `path`."""
    if not path.is_file():
        raise BackupError(f"no backup at {path}")
    if not force and asyncio.run(_holds_the_service(settings)):
        raise BackupError(
            "the database already holds the service's tables; stop the service and pass "
            "--force to replace them with the backup"
        )
    if settings.is_sqlite:
        _sqlite_restore(path, _sqlite_file(settings, must_exist=False))
    else:
        _run(
            "pg_restore",
            "--clean",
            "--if-exists",
            "--single-transaction",
            "--exit-on-error",
            "--no-owner",
            "--no-acl",
            str(path),
            url=settings.database_url,
        )
    return f"restored the database from {path}"


def _sqlite_file(settings: Settings, *, must_exist: bool) -> Path:
    file = settings.sqlite_path()
    if file is None:
        raise BackupError("an in-memory SQLite database has nothing to back up or restore")
    if must_exist and not file.is_file():
        raise BackupError(f"no database at {file}")
    return file


def _sqlite_backup(source: Path, target: Path) -> None:
    with (
        closing(sqlite3.connect(source, timeout=TIMEOUT_SECONDS)) as src,
        closing(sqlite3.connect(target)) as dst,
    ):
        src.backup(dst)  # in one step: a consistent copy as of one moment
        dst.execute("PRAGMA journal_mode=DELETE")  # no -wal file beside the backup


def _sqlite_restore(backup_file: Path, target: Path) -> None:
    with closing(sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True)) as src:
        try:
            revision = src.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.DatabaseError as exc:  # not SQLite at all, or not ours
            raise BackupError(
                f"{backup_file} is not a backup of this service's SQLite database"
            ) from exc
        if revision is None:
            raise BackupError(f"{backup_file} holds no migration revision")
        target.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(target, timeout=TIMEOUT_SECONDS)) as dst:
            src.backup(dst)


def _run(tool: str, *args: str, url: str) -> None:
    executable = shutil.which(tool)
    if executable is None:
        raise BackupError(
            f"{tool} is not on PATH: install the PostgreSQL client tools, at least as new as "
            "the server"
        )
    result = subprocess.run(
        [executable, *args, "--dbname", _libpq_url(make_url(url))],
        env={**os.environ, **_libpq_password(make_url(url))},
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BackupError(f"{tool} failed: {result.stderr.strip() or result.returncode}")


# Connection options asyncpg and libpq share (asyncpg's `ssl` is libpq's `sslmode`).
_LIBPQ_OPTIONS = {"host", "port", "sslmode", "sslrootcert", "sslcert", "sslkey", "options"}


def _libpq_url(url: URL) -> str:
    """The URL as libpq reads it: no driver name, no password (see _libpq_password), only the
    options libpq knows."""
    query = {key: value for key, value in url.query.items() if key in _LIBPQ_OPTIONS}
    if "ssl" in url.query:
        query["sslmode"] = url.query["ssl"]
    plain = url.set(drivername="postgresql", password=None, query=query)
    return plain.render_as_string(hide_password=False)


def _libpq_password(url: URL) -> dict[str, str]:
    return {"PGPASSWORD": url.password} if url.password else {}


async def _holds_the_service(settings: Settings) -> bool:
    """Whether the database has the service's migration table (so: data to lose)."""
    if settings.is_sqlite:
        file = settings.sqlite_path()
        if file is None or not file.exists():
            return False
    engine = create_engine(settings)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(lambda sync: inspect(sync).has_table("alembic_version"))
    finally:
        await engine.dispose()
