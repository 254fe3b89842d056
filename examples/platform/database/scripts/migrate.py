"""Apply migrations/NNN_name.sql in order, each exactly once and in its own transaction.

Where (see databases.py): PostgreSQL when DATABASE_URL is a postgresql:// URL (through psql), else the SQLite
file DATABASE_PATH (default items.db). Applied migrations are recorded in the table schema_version with their
checksums; an applied migration whose file changed since, or a new one numbered below an applied one, stops
the run before anything changes.

Prints the schema version (the highest applied migration) on stdout and every migration it applies on
stderr; on an error, prints what, where and what to do on stderr and exits 2:

    DATABASE_PATH=/tmp/items.db python3 scripts/migrate.py    # 002
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Mapping

from databases import Database, database_from_environment
from migration_files import Migration, MigrationError, load_migrations

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def migrate(database: Database, migrations: list[Migration]) -> str:
    """Apply the pending ``migrations`` to ``database`` in order; return the schema version afterwards.

        >>> import tempfile
        >>> from databases import SqliteDatabase
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     db = SqliteDatabase(Path(folder) / "items.db")
        ...     migrate(db, load_migrations(MIGRATIONS)), migrate(db, load_migrations(MIGRATIONS))
        ('002', '002')
    """
    applied = database.applied()
    pending = _pending(applied, migrations, database.description)
    for migration in pending:
        _apply(database, migration)
    versions = set(applied) | {m.version for m in pending}
    return max(versions) if versions else "none"


def _pending(applied: Mapping[str, str], migrations: list[Migration], where: str) -> list[Migration]:
    """The migrations still to apply, after checking that the applied ones are the files we have."""
    for migration in migrations:
        recorded = applied.get(migration.version)
        if recorded is not None and recorded != migration.checksum:
            raise MigrationError(
                f"migrations/{migration.name} changed after it was applied to {where} (checksum then "
                f"{recorded[:12]}…, now {migration.checksum[:12]}…); an applied migration never changes: "
                "restore the file and put the change in a new migration with the next number")
    pending = [m for m in migrations if m.version not in applied]
    newest = max(applied, default=None)
    early = [m.name for m in pending if newest is not None and m.version < newest]
    if early:
        raise MigrationError(
            f"{', '.join(early)} not applied to {where}, but {newest} already is: migrations run in order; "
            f"renumber {'them' if len(early) > 1 else 'it'} after {newest}")
    unknown = sorted(set(applied) - {m.version for m in migrations})
    if unknown:  # a rollback to an older distribution: its schema stays where the newer one left it
        print(f"note: {where} has migrations this distribution does not have ({', '.join(unknown)}); "
              "they stay applied", file=sys.stderr)
    return pending


def _apply(database: Database, migration: Migration) -> None:
    try:
        database.apply(migration)
    except MigrationError:
        # Another migrator may have applied it meanwhile (the bookkeeping row's key stopped us): that is fine.
        if database.applied().get(migration.version) != migration.checksum:
            raise
        print(f"skipped {migration.name}: applied meanwhile by another run", file=sys.stderr)
        return
    print(f"applied {migration.name}", file=sys.stderr)


def main(environ: Mapping[str, str]) -> int:
    """Migrate the database ``environ`` names; print the schema version. Exit code 2 on a migration error."""
    try:
        version = migrate(database_from_environment(environ), load_migrations(MIGRATIONS))
    except MigrationError as err:
        print(f"migrate: {err}", file=sys.stderr)
        return 2
    print(version)
    return 0


if __name__ == "__main__":
    sys.exit(main(os.environ))
