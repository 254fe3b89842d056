"""The migrations of this distribution: ``migrations/NNN_name.sql``, read, checked and wrapped in a transaction.

    >>> from pathlib import Path
    >>> [m.name for m in load_migrations(Path(__file__).parent.parent / "migrations")][:1]
    ['001_create_items.sql']

Standard library only: these scripts run inside a runner, which has Python but not attini_sdk.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

#: The table both databases keep their applied migrations in (created by the migrate script, not a migration).
BOOKKEEPING_TABLE = """CREATE TABLE IF NOT EXISTS schema_version (
    version     TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    checksum    TEXT NOT NULL,
    applied_at  TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
)"""

_NAME = re.compile(r"^(\d{3})_[A-Za-z0-9_]+\.sql$")
# A migration must not end or open transactions: the script wraps each one in its own (trigger bodies'
# BEGIN ... END are fine: only BEGIN directly followed by ';' or a transaction keyword is refused).
_TRANSACTION_CONTROL = re.compile(
    r"^\s*(BEGIN\s*(TRANSACTION|WORK|DEFERRED|IMMEDIATE|EXCLUSIVE|;)|COMMIT\b|ROLLBACK\b(?!\s+TO\b)"
    r"|END\s*(TRANSACTION|WORK)\b|START\s+TRANSACTION\b)", re.IGNORECASE | re.MULTILINE)


class MigrationError(Exception):
    """A migration cannot run: the message says what, where and what to do.

        >>> str(MigrationError("migrations/x.sql: bad name"))
        'migrations/x.sql: bad name'
    """


@dataclass(frozen=True)
class Migration:
    """One migration file: its version (``001``), file name, SQL text and sha256 checksum.

        >>> Migration("001", "001_a.sql", "CREATE TABLE a (id TEXT);", "c0ffee").version
        '001'
    """

    version: str
    name: str
    sql: str
    checksum: str

    def transaction_script(self) -> str:
        """The SQL that applies this migration and records it, in one transaction, for SQLite and psql alike.

        The bookkeeping row goes in first: a second migrator working on the same database at the same time
        waits for the first one's transaction and then fails on the primary key, instead of running the
        migration twice.

            >>> print(Migration("001", "001_a.sql", "CREATE TABLE a (id TEXT);", "c0ffee").transaction_script())
            BEGIN;
            INSERT INTO schema_version (version, name, checksum) VALUES ('001', '001_a.sql', 'c0ffee');
            CREATE TABLE a (id TEXT);
            ;
            COMMIT;
            <BLANKLINE>
        """
        record = (f"INSERT INTO schema_version (version, name, checksum) "
                  f"VALUES ({_literal(self.version)}, {_literal(self.name)}, {_literal(self.checksum)});")
        # The lone ';' ends the migration's last statement even if its file forgot to.
        return f"BEGIN;\n{record}\n{self.sql.rstrip()}\n;\nCOMMIT;\n"


def load_migrations(folder: Path) -> list[Migration]:
    """Every ``NNN_name.sql`` in ``folder``, in version order; misnamed, duplicate or self-committing files refused.

        >>> [m.version for m in load_migrations(Path(__file__).parent.parent / "migrations")][:2]
        ['001', '002']
    """
    if not folder.is_dir():
        raise MigrationError(f"{folder}: no migrations folder; put the SQL files in migrations/NNN_name.sql")
    found: dict[str, Migration] = {}
    for path in sorted(folder.glob("*.sql")):
        migration = _read(path)
        if migration.version in found:
            raise MigrationError(f"{path}: version {migration.version} is taken by {found[migration.version].name}; "
                                 "give every migration its own number")
        found[migration.version] = migration
    return [found[version] for version in sorted(found)]


def _read(path: Path) -> Migration:
    match = _NAME.match(path.name)
    if not match:
        raise MigrationError(f"{path}: a migration is named NNN_name.sql (three digits, then letters, digits "
                             "or '_'), e.g. 003_add_item_owner.sql; rename the file")
    data = path.read_bytes()
    try:
        sql = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise MigrationError(f"{path}: not UTF-8 text ({err}); save it as UTF-8") from None
    control = _TRANSACTION_CONTROL.search(_without_comments(sql))
    if control:
        raise MigrationError(f"{path}: '{control.group(0).strip()}' controls the transaction, which the migrate "
                             "script does itself (one per migration); remove it, or split the file in two")
    return Migration(match.group(1), path.name, sql, hashlib.sha256(data).hexdigest())


def _without_comments(sql: str) -> str:
    return re.sub(r"--[^\n]*", "", sql)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
