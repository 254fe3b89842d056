"""Apply migrations/NNN_*.sql in order to the SQLite database at $DATABASE_PATH (default items.db).

Each migration runs once: the ones already listed in schema_version are skipped.
"""

import os
import pathlib
import sqlite3
import sys

here = pathlib.Path(__file__).resolve().parent.parent
db = sqlite3.connect(os.environ.get("DATABASE_PATH", "items.db"))
try:
    applied = {row[0] for row in db.execute("SELECT version FROM schema_version")}
except sqlite3.OperationalError:
    applied = set()
for migration in sorted((here / "migrations").glob("[0-9][0-9][0-9]_*.sql")):
    version = migration.name[:3]
    if version in applied:
        continue
    with db:
        db.executescript(migration.read_text())
    print(f"applied {migration.name}", file=sys.stderr)
print(max(applied | {m.name[:3] for m in (here / "migrations").glob("[0-9][0-9][0-9]_*.sql")}))
